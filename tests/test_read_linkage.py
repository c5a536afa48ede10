"""Read-backed evidence for low-fraction het SNPs (variants/read_linkage.py): the likelihood ratio by hand, and real
HG002 HiSeq X reads (../shared/data) subsampled to 30% as call_vs_bcftools.py does, called by the model trained
without that region."""

import math
from collections import Counter
from pathlib import Path

import pysam
from builders import subsample_bam
from typer.testing import CliRunner

from genotorch.cli.main import app
from genotorch.variants.read_linkage import fragment_bases, linkage_log_likelihood_ratio, linkage_table

ROOT = Path(__file__).resolve().parents[1]
LORO = ROOT / "benchmarks/models/loro_r44.88.pt"  # trained and counted without the 20:44.88 Mb region


def test_linkage_log_likelihood_ratio_by_hand():
    e = 0.0077
    # HG002 20:44,941,445 G>T at 30% (GIAB 0/1) against the het call at 20:44,941,438: 8 fragments show both alts,
    # 20 both references
    t = Counter({(True, True): 8, (False, False): 20})
    het = 28 * math.log(1 - 2 * e)  # every fragment as the phase says
    none = 8 * math.log(8 / 28) + 20 * math.log(20 / 28)  # alt at the fraction seen, whatever the haplotype
    assert math.isclose(linkage_log_likelihood_ratio(t, e), het - none)
    assert round(linkage_log_likelihood_ratio(t, e), 2) == 16.32
    # the same counts with the alt reads on both haplotypes: an error's pattern
    assert linkage_log_likelihood_ratio(Counter({(True, True): 4, (True, False): 4, (False, True): 10,
                                                 (False, False): 10}), e) < -20
    # the other phase scores the same; nothing shared scores 0
    assert math.isclose(linkage_log_likelihood_ratio(Counter({(True, False): 8, (False, True): 20}), e),
                        het - none)
    assert linkage_log_likelihood_ratio(Counter(), e) == 0.0


def test_linkage_table_keeps_fragments_showing_an_allele_at_both():
    site = {"a": "T", "b": "G", "c": "T", "d": "A"}  # d shows neither allele
    neighbour = {"a": "C", "b": "G", "c": "G", "e": "C"}  # e does not cover the site
    assert linkage_table(site, neighbour, ("G", "T"), ("G", "C")) == Counter(
        {(True, True): 1, (False, False): 1, (True, False): 1})


def _subsample(shared, tmp_path):
    bam = shared / "variants/hg002_illumina_hiseqx_grch37/NA24385_chr_20_44885701_44969115.bam"
    return subsample_bam(bam, tmp_path / "sub.bam", "8.3", "20:44940000-44943000")


def test_fragments_at_a_real_site(shared, tmp_path):
    with pysam.AlignmentFile(str(_subsample(shared, tmp_path))) as bam:
        site = fragment_bases(bam, "20", 44941444)
        neighbour = fragment_bases(bam, "20", 44941437)
        assert Counter(site.values()) == Counter({"G": 22, "T": 8})  # the record's AD: 22,8
        assert linkage_table(site, neighbour, ("G", "T"), ("G", "C")) == Counter({(False, False): 20, (True, True): 8})
        assert fragment_bases(bam, "20", 44941444, min_mapping_quality=61) == {}


def test_call_writes_linked_low_fraction_hets(shared, tmp_path):
    # two GIAB het SNPs at allele fraction 0.27-0.29 in 30% of the reads, RefCall by the network: their alt reads
    # are the reads of one haplotype of the het call 7-25 bp away (20:44,941,438 G>C, PASS)
    h = shared / "variants/hg002_illumina_hiseqx_grch37"
    args = ["call", "--ref", str(h / "GRCh37_chr20_vardict_slices.fa.gz"), "--reads", str(_subsample(shared, tmp_path)),
            "--regions", "20:44941300-44941700", "--model", str(LORO)]
    got = {}
    for flag in ("--read-linkage", "--no-read-linkage"):
        r = CliRunner().invoke(app, [*args, flag, "-o", str(tmp_path / f"{flag}.vcf.gz")])
        assert r.exit_code == 0, r.output
        with pysam.VariantFile(str(tmp_path / f"{flag}.vcf.gz")) as vf:
            assert ("##genotorch_read_linkage=" in str(vf.header)) == (flag == "--read-linkage")
            got[flag] = {v.pos: (v.samples[0]["GT"], v.filter.keys()[0], v.samples[0]["AD"]) for v in vf}
    on, off = got["--read-linkage"], got["--no-read-linkage"]
    for pos, ad in ((44941445, (22, 8)), (44941463, (19, 8))):
        assert off[pos] == ((0, 0), "RefCall", ad)
        assert on[pos] == ((0, 1), "PASS", ad)
    assert on[44941438] == off[44941438] and on[44941438][:2] == ((0, 1), "PASS")  # the neighbour itself
    assert {p: v for p, v in on.items() if p not in (44941445, 44941463)} == \
        {p: v for p, v in off.items() if p not in (44941445, 44941463)}
