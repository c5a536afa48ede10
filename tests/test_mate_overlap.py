"""Het calls whose alt is seen only on overlapping read pairs (variants/mate_overlap.py): the likelihood ratio and
the genotype update by hand on built records, fragment counts and the call on real HG002 HiSeq X reads at 30% depth
(../shared/data) with the leave-one-region-out model."""

import math
from pathlib import Path

import pysam
import pytest
from builders import subsample_bam
from typer.testing import CliRunner

from genotorch.cli.main import app
from genotorch.io.variants import CallRecord
from genotorch.encode.read_events import base_index_at, read_events
from genotorch.variants.mate_overlap import FragmentCounts, fragment_counts, ref_from_mate_overlap
from genotorch.variants.postprocess import weigh_variant

ROOT = Path(__file__).resolve().parents[1]
LORO = ROOT / "benchmarks/models/loro_r36.01.pt"  # trained without the 20:36.01 Mb region


def _record(gt=(0, 1), pl=(10, 0, 40), ad=(12, 6), ref="GA", alts=("G",)):
    return CallRecord("20", 36032265, ref, list(alts), gt, 10, 9.7, list(pl), "PASS", sum(ad), list(ad),
                      [a / sum(ad) for a in ad[1:]])


def test_log_likelihood_ratio_by_hand():
    # 3 alt fragments, all overlapping pairs; 0 of 12 reference fragments are: r = 0.5 / 13
    assert FragmentCounts(3, 3, 12, 0).log_likelihood_ratio() == pytest.approx(3 * math.log(0.5 / 13))
    assert FragmentCounts(3, 3, 12, 0).log_likelihood_ratio() == pytest.approx(-9.7743, abs=1e-4)
    # one alt fragment from a single read: a real allele's pattern, no evidence
    assert FragmentCounts(3, 2, 12, 0).log_likelihood_ratio() == 0.0
    assert FragmentCounts(0, 0, 12, 3).log_likelihood_ratio() == 0.0
    # a library of short fragments (half the reference fragments overlap): weak evidence
    assert FragmentCounts(2, 2, 9, 4).log_likelihood_ratio() == pytest.approx(2 * math.log(4.5 / 10))


def test_weigh_variant_by_hand():
    # PL (10, 0, 40): P = (0.0909, 0.9090, 0.0001) normalised; x exp(-9.7743) on the two variant genotypes
    out = weigh_variant(_record(), -9.7743, min_qual=1.0)
    p = [10 ** -1.0, 1.0, 10 ** -4.0]
    w = math.exp(-9.7743)
    z = p[0] + (p[1] + p[2]) * w
    assert out.gt == (0, 0) and out.filter == "RefCall"
    assert out.gq == round(-10 * math.log10((p[1] + p[2]) * w / z))
    assert out.gq == 32 and out.qual == 0.0 and out.pl == [0, 32, 72]
    # a weak ratio leaves the call as it is (the same object)
    rec = _record()
    assert weigh_variant(rec, -1.0, 1.0) is rec


def test_records_left_alone():
    for rec in (_record(gt=(0, 0)), _record(gt=(1, 1)), _record(alts=("G", "GAA"), ad=(12, 6, 1)),
                _record(ad=(12, 1)), _record(ad=(12, 11))):
        # hom-ref, hom-alt, multi-allelic, fewer alt reads than two fragments, more than max_alt_reads
        assert ref_from_mate_overlap(rec, None, None) is rec


@pytest.fixture(scope="module")
def sub36(shared, tmp_path_factory):
    # HG002 reads at 30% (seed 8, as the benchmark subsamples) around 20:36,032,266
    h = shared / "variants/hg002_illumina_hiseqx_grch37"
    return subsample_bam(h / "NA24385_chr_20_36018823_36039513.bam", tmp_path_factory.mktemp("mo") / "sub.bam",
                         "8.3", "20:36030000-36034500")


def test_fragment_counts_at_a_real_artefact(shared, sub36):
    h = shared / "variants/hg002_illumina_hiseqx_grch37"
    # GA -> G (GIAB hom-ref): at 30% depth 6 reads show the deletion, on 3 fragments whose mates both cover it, and
    # none of the 12 reference fragments is an overlapping pair; at full depth the same 3 fragments, among 49
    # reference fragments (1 of them an overlapping pair)
    expected = {sub36: FragmentCounts(3, 3, 12, 0),
                h / "NA24385_chr_20_36018823_36039513.bam": FragmentCounts(3, 3, 49, 1)}
    with pysam.FastaFile(str(h / "GRCh37_chr20_vardict_slices.fa.gz")) as fa:
        for bam_path, want in expected.items():
            with pysam.AlignmentFile(str(bam_path)) as bam:
                assert fragment_counts(bam, _record(), lambda a, b: fa.fetch("20", a, b).upper()) == want


def test_call_writes_the_30pct_depth_artefact_hom_ref(shared, sub36, tmp_path):
    h = shared / "variants/hg002_illumina_hiseqx_grch37"
    args = ["call", "--ref", str(h / "GRCh37_chr20_vardict_slices.fa.gz"), "--reads", str(sub36), "--regions",
            "20:36031000-36033500", "--model", str(LORO)]
    got, headers = {}, {}
    for flag in ("--mate-overlap", "--no-mate-overlap"):
        out = tmp_path / f"{flag}.vcf.gz"
        r = CliRunner().invoke(app, [*args, flag, "-o", str(out)])
        assert r.exit_code == 0, r.output
        with pysam.VariantFile(str(out)) as vf:
            headers[flag] = str(vf.header)
            got[flag] = {(v.pos, v.ref, v.alts): (v.samples[0]["GT"], v.samples[0]["GQ"], v.samples[0]["AD"],
                                                  v.qual, tuple(v.filter)) for v in vf}
    site = (36032266, "GA", ("G",))
    assert got["--no-mate-overlap"][site][0] == (0, 1) and got["--no-mate-overlap"][site][3] == pytest.approx(11.9)
    assert got["--mate-overlap"][site][0] == (0, 0) and got["--mate-overlap"][site][4] == ("RefCall",)
    assert got["--mate-overlap"][site][3] == 0.0
    others = set(got["--mate-overlap"]) - {site}
    assert others == set(got["--no-mate-overlap"]) - {site}
    assert all(got["--mate-overlap"][k] == got["--no-mate-overlap"][k] for k in others)
    assert "##genotorch_mate_overlap=" in headers["--mate-overlap"]
    assert "##genotorch_mate_overlap=" not in headers["--no-mate-overlap"]


def test_base_index_at_agrees_with_pysam(sub36):
    # the CIGAR walk against pysam's aligned pairs, at every position in and around each read
    checked = 0
    with pysam.AlignmentFile(str(sub36)) as bam:
        for read in bam.fetch("20", 36031500, 36032500):
            pairs = {r: q for q, r in read.get_aligned_pairs(matches_only=True)}
            ev = read_events(read)
            for pos in range(read.reference_start - 3, read.reference_end + 3):
                assert base_index_at(ev, pos) == pairs.get(pos)
                checked += 1
    assert checked > 5000
