"""Zygosity of SNP and indel calls from their allele balance (variants/allele_balance.py), both ways: built records,
real HG002 HiSeq X reads (../shared/data) with the leave-one-region-out models' error rates (also subsampled to 10%),
and the HG001 second library with the shipped model's."""

import math
from pathlib import Path

import pysam
import pytest
import torch
from builders import subsample_bam
from typer.testing import CliRunner

from genotorch.cli.main import app
from genotorch.io.variants import CallRecord
from genotorch.variants.allele_balance import AlleleBalance, count_other_bases, genotype_from_allele_balance
from genotorch.variants.postprocess import split_genotype_mass

ROOT = Path(__file__).resolve().parents[1]
LORO = ROOT / "benchmarks/models/loro_r18.78.pt"  # trained and counted without the 20:18.78 Mb region


def _record(ref="A", alts=("G",), gt=(1, 1), pl=(42, 6, 0), ad=(24, 45)):  # DP = the AD sum
    return CallRecord("20", 18843452, ref, list(alts), gt, 7, 43.0, list(pl), "PASS", sum(ad), list(ad),
                      [a / sum(ad) for a in ad[1:]])


def test_rate_from_counts_and_round_trip():
    m = AlleleBalance.from_counts(38, 4988, source="built")
    assert m.error_rate == 38.5 / 4989
    assert AlleleBalance.from_dict(m.to_dict()) == m
    with pytest.raises(ValueError, match="must lie in"):
        AlleleBalance(0.0)


def test_log_likelihood_ratio_by_hand():
    m = AlleleBalance(0.01)
    # het: every read 1/2; hom-alt: a reference read is an error (0.01), an alt read is not (0.99)
    assert math.isclose(m.het_minus_hom_log_likelihood(5, 16),
                        21 * math.log(0.5) - 5 * math.log(0.01) - 16 * math.log(0.99))
    assert m.het_minus_hom_log_likelihood(5, 16) > 0 > m.het_minus_hom_log_likelihood(2, 15)


def test_split_genotype_mass_by_hand():
    # PL 42,6,0 -> probabilities 10^-4.2, 10^-0.6, 1 (normalised); 0/1 + 1/1 split 3:1 (log ratio ln 3)
    gq, pl = split_genotype_mass([42, 6, 0], 1, 2, math.log(3), 1)
    p = [10 ** -4.2, 10 ** -0.6, 1.0]
    p = [x / sum(p) for x in p]
    het, hom = 0.75 * (p[1] + p[2]), 0.25 * (p[1] + p[2])
    assert gq == round(-10 * math.log10(p[0] + hom)) == 6
    raw = [round(-10 * math.log10(x)) for x in (p[0], het, hom)]
    assert raw == [43, 1, 6] and pl == [42, 0, 5]  # minus the smallest


def test_hom_alt_with_a_hets_share_of_reference_reads_is_set_het():
    # HG002 20:18,843,453 A -> G, GIAB 0/1: its held-out model writes 1/1 (PL 42,6,0) with 24 of 69 reads REF
    m = AlleleBalance(0.0074)
    out = genotype_from_allele_balance(_record(), m)
    assert out.gt == (0, 1) and out.qual == 43.0 and out.ad == [24, 45]
    assert (out.gq, out.pl) == (43, [43, 0, 100])  # P(1/1) ~ e^-70 of the mass: floored at 1e-10
    # left alone: a hom-alt with 2 of 17 reads REF (20:18,811,074, GIAB 1/1), a het with a het's reads, an indel,
    # two alts
    for r in (_record(ad=(2, 15)), _record(gt=(0, 1)), _record(ref="AT", alts=("A",)),
              _record(alts=("G", "C"), pl=(40, 30, 20, 30, 20, 0), ad=(24, 20, 25))):
        assert genotype_from_allele_balance(r, m) is r


def test_het_with_every_read_alt_is_set_hom_alt():
    # HG002 20:44,911,099 A -> T at 10% depth (GIAB 1/1): the held-out model writes 0/1 (PL 9,0,9) with 3 of 3 reads ALT
    m = AlleleBalance(0.0091)
    llr = 3 * math.log(0.5) - 3 * math.log1p(-0.0091)
    assert math.isclose(m.het_minus_hom_log_likelihood(0, 3), llr) and llr < 0
    out = genotype_from_allele_balance(_record(gt=(0, 1), pl=(9, 0, 9), ad=(0, 3)), m)
    assert out.gt == (1, 1) and out.qual == 43.0 and out.ad == [0, 3]
    assert (out.gq, out.pl) == split_genotype_mass([9, 0, 9], 1, 2, llr, 2) == (7, [9, 9, 0])
    # every read that does not show the alt counts against hom-alt: 1 REF and 10 of a third allele of 24 stays het
    # (a simulated het TTC -> T beside an insertion on the other haplotype), as does a het's share of REF reads
    for r in (_record(gt=(0, 1), pl=(29, 0, 27), ad=(1, 13)), _record(gt=(0, 1), pl=(40, 0, 20), ad=(9, 12))):
        r = CallRecord(**{**r.__dict__, "dp": 24})
        assert genotype_from_allele_balance(r, m) is r
    assert genotype_from_allele_balance(_record(gt=(0, 1), ad=(1, 19)), m).gt == (1, 1)  # 0.95 ALT: hom-alt


def test_het_with_a_hom_refs_share_of_alt_reads_is_set_hom_ref():
    # HG002 20:18,844,262 AT -> A (GIAB hom-ref; a 4-bp poly-T) at 30% depth: the held-out model writes 0/1 at QUAL
    # 10.5 (PL 11,0,25) with 2 of 21 informative reads showing the deletion
    m = AlleleBalance(0.0074, "built", indel_error_rate=0.02)
    fetch = _fetch("GGTTTGCCAGTATTTTATTGAGGAT", 18_844_250)
    llr = 2 * math.log(0.02) + 19 * math.log1p(-0.02) - 21 * math.log(0.5)
    assert math.isclose(m.ref_minus_het_log_likelihood(19, 2, indel=True), llr) and llr > 0
    r = CallRecord("20", 18_844_261, "AT", ["A"], (0, 1), 10, 10.5, [11, 0, 25], "PASS", 21, [19, 2], [2 / 21])
    out = genotype_from_allele_balance(r, m, fetch)
    p = [10 ** -1.1, 1.0, 10 ** -2.5]
    p = [x / sum(p) for x in p]
    ref = (p[0] + p[1]) / (1 + math.exp(-llr))  # P(0/0) after the split; P(0/1) is the rest of the pair's mass
    assert (out.gt, out.filter, out.qual, out.ad) == ((0, 0), "RefCall", 0.0, [19, 2])
    assert out.gq == round(-10 * math.log10(1 - ref)) == 23 and out.pl == [0, 28, 25]
    # left alone: a het's share (9 of 21) and 1 of 3 reads (log ratio -1.87 at the indel rate)
    for ad in ([12, 9], [2, 1]):
        kept = CallRecord(**{**r.__dict__, "ad": ad, "dp": sum(ad)})
        assert genotype_from_allele_balance(kept, m, fetch) is kept
    # SNPs at the SNP rate (0.0074): 2 of 21 reads ALT is hom-ref (log ratio 4.60), 3 of 21 stays het (-0.30)
    assert genotype_from_allele_balance(_record(gt=(0, 1), pl=(11, 0, 25), ad=(19, 2)), m).gt == (0, 0)
    kept = _record(gt=(0, 1), pl=(11, 0, 25), ad=(18, 3))
    assert genotype_from_allele_balance(kept, m) is kept


def test_other_bases_counted_at_real_sites(shared):
    bam = shared / "variants/hg002_illumina_hiseqx_grch37/NA24385_chr_20_18783981_18855722.bam"
    with pysam.AlignmentFile(str(bam)) as reads:
        assert count_other_bases(reads, "20", [(18843452, "G")]) == (24, 69)  # the het written 1/1
        assert count_other_bases(reads, "20", [(18811073, "C")]) == (3, 49)  # a GIAB 1/1: 2 REF reads, 1 other
        assert count_other_bases(reads, "20", [(18843452, "G"), (18811073, "C")]) == (27, 118)  # summed
        assert count_other_bases(reads, "20", [(18811073, "C")], min_mapping_quality=61) == (0, 0)
    meta = torch.load(LORO, weights_only=True)["hyper_parameters"]["meta"]
    assert "r18.78 held out" in meta["allele_balance"]["source"]
    assert 0.005 < meta["allele_balance"]["error_rate"] < 0.01


def test_call_writes_the_real_het_het(shared, tmp_path):
    h = shared / "variants/hg002_illumina_hiseqx_grch37"
    args = ["call", "--ref", str(h / "GRCh37_chr20_vardict_slices.fa.gz"), "--reads",
            str(h / "NA24385_chr_20_18783981_18855722.bam"), "--regions", "20:18843350-18843550", "--model", str(LORO)]
    r = CliRunner().invoke(app, [*args, "-o", str(tmp_path / "on.vcf.gz")])
    assert r.exit_code == 0, r.output
    with pysam.VariantFile(str(tmp_path / "on.vcf.gz")) as vf:
        header = str(vf.header)
        calls = {(v.pos, v.ref, v.alts): (v.samples[0]["GT"], v.samples[0]["GQ"], v.samples[0]["AD"]) for v in vf}
    assert calls[(18843453, "A", ("G",))] == ((0, 1), 55, (24, 45))
    assert "##genotorch_allele_balance=" in header and "r18.78 held out" in header
    r = CliRunner().invoke(app, [*args, "--no-allele-balance", "-o", str(tmp_path / "off.vcf.gz")])
    assert r.exit_code == 0, r.output
    with pysam.VariantFile(str(tmp_path / "off.vcf.gz")) as vf:  # the network's call, and no claim
        assert "genotorch_allele_balance" not in str(vf.header)
        assert {(v.pos, v.ref, v.alts): v.samples[0]["GT"] for v in vf}[(18843453, "A", ("G",))] == (1, 1)


SEQ = "ACAGAGTAACGGGAAAAGTGACTAAAACTATGCAAAACTATGCAAAACTAAGCAGA"  # hs37d5 chr20:10,004,747-10,004,802
OFFSET = 10_004_746  # 0-based start of SEQ


def _fetch(seq, offset):
    return lambda a, b: "".join(seq[i - offset] if 0 <= i - offset < len(seq) else "N" for i in range(a, b))


def _indel(ref="TAAAACTATGC", pos=10_004_768, ad=(9, 10), pl=(16, 2, 0)):
    return CallRecord("20", pos, ref, ["T"], (1, 1), 2, 17.5, list(pl), "PASS", sum(ad), list(ad),
                      [ad[1] / sum(ad)])


def test_indel_outside_repeats_set_het_with_the_indel_rate():
    # HG001 chr20:10,004,769 TAAAACTATGC -> T, GIAB 0/1; the second library's reads: AD 9,10, the network 1/1
    # (PL 16,2,0)
    m = AlleleBalance(0.0077, "built", indel_error_rate=0.0218)
    fetch = _fetch(SEQ, OFFSET)
    llr = 19 * math.log(0.5) - 9 * math.log(0.0218) - 10 * math.log1p(-0.0218)
    assert math.isclose(m.het_minus_hom_log_likelihood(9, 10, indel=True), llr) and llr > 0
    out = genotype_from_allele_balance(_indel(), m, fetch)
    assert out.gt == (0, 1) and out.qual == 17.5 and out.ad == [9, 10]
    assert (out.gq, out.pl) == (18, [18, 0, 93])
    # left alone: 2 of 22 informative reads REF (HG002 20:38,390,221, GIAB 1/1); no indel rate (older checkpoints);
    # no reference; the same deletion in a poly-A tract of 10 bp, which the stutter model rules on
    poly_a = _fetch("GAGT" + "A" * 10 + "CGT", OFFSET)
    for r, mm, f in ((_indel(ad=(2, 20)), m, fetch), (_indel(), AlleleBalance(0.0077), fetch), (_indel(), m, None),
                     (_indel(ref="TA", pos=OFFSET + 3), m, poly_a)):
        assert genotype_from_allele_balance(r, mm, f) is r
    assert AlleleBalance.from_dict(m.to_dict()) == m
    assert AlleleBalance.from_dict({"error_rate": 0.0077}).indel_error_rate is None  # a stop-25 checkpoint
    assert AlleleBalance.from_counts(38, 4988, indel_counts=(8, 389)).indel_error_rate == 8.5 / 390
    with pytest.raises(ValueError, match="indel error rate"):
        AlleleBalance(0.0077, indel_error_rate=0.5)


def test_call_writes_the_real_hom_alt_deletion_het(shared, tmp_path):
    # the HG001 second library (the shipped model never saw HG001): the 10-bp deletion is written 0/1, not 1/1
    t = shared / "variants/hg001_trio_illumina_grch37"
    args = ["call", "--ref", str(t / "hs37d5.chr20.fa.gz"), "--reads", str(t / "HG001.chr20.10_10p1mb_sorted.bam"),
            "--regions", "20:10004600-10004900"]
    got = {}
    for flag in ("--allele-balance", "--no-allele-balance"):
        r = CliRunner().invoke(app, [*args, flag, "-o", str(tmp_path / f"{flag}.vcf.gz")])
        assert r.exit_code == 0, r.output
        with pysam.VariantFile(str(tmp_path / f"{flag}.vcf.gz")) as vf:
            got[flag] = {(v.pos, v.ref): (v.samples[0]["GT"], v.samples[0]["AD"]) for v in vf}
            assert ("indels outside repeats too" in str(vf.header)) == (flag == "--allele-balance")
    assert got["--allele-balance"][(10004769, "TAAAACTATGC")] == ((0, 1), (9, 10))
    assert got["--no-allele-balance"][(10004769, "TAAAACTATGC")] == ((1, 1), (9, 10))
    # from make-examples shards (the shipped model's settings): the same record, as the step needs only AD + the FASTA
    ex = tmp_path / "ex.h5"
    r = CliRunner().invoke(app, ["make-examples", *args[1:], "--spanning-indel-reads", "-o", str(ex)])
    assert r.exit_code == 0, r.output
    r = CliRunner().invoke(app, ["call", "--ref", args[2], "--examples", str(ex), "-o", str(tmp_path / "ex.vcf.gz")])
    assert r.exit_code == 0, r.output
    with pysam.VariantFile(str(tmp_path / "ex.vcf.gz")) as vf:
        assert {(v.pos, v.ref): (v.samples[0]["GT"], v.samples[0]["AD"]) for v in vf}[(10004769, "TAAAACTATGC")] == \
            ((0, 1), (9, 10))


def test_call_writes_a_low_depth_hom_alt_hom_alt(shared, tmp_path):
    # HG002 reads subsampled to 10% (seed 21, 3-8x, below the depths the model was trained on): GIAB hom-alt SNPs
    # with every read ALT, which the network writes 0/1, are written 1/1
    bam = shared / "variants/hg002_illumina_hiseqx_grch37/NA24385_chr_20_44885701_44969115.bam"
    sub = subsample_bam(bam, tmp_path / "sub.bam", "21.1", "20:44910000-44916000")
    h = shared / "variants/hg002_illumina_hiseqx_grch37"
    args = ["call", "--ref", str(h / "GRCh37_chr20_vardict_slices.fa.gz"), "--reads", str(sub), "--regions",
            "20:44911000-44914500", "--model", str(ROOT / "benchmarks/models/loro_r44.88.pt")]
    got = {}
    for flag in ("--allele-balance", "--no-allele-balance"):
        r = CliRunner().invoke(app, [*args, flag, "-o", str(tmp_path / f"{flag}.vcf.gz")])
        assert r.exit_code == 0, r.output
        with pysam.VariantFile(str(tmp_path / f"{flag}.vcf.gz")) as vf:
            got[flag] = {v.pos: (v.samples[0]["GT"], v.samples[0]["AD"]) for v in vf}
    for pos, ad in ((44911099, (0, 3)), (44914134, (0, 5))):
        assert got["--no-allele-balance"][pos] == ((0, 1), ad)
        assert got["--allele-balance"][pos] == ((1, 1), ad)


def test_call_writes_a_30pct_depth_false_het_deletion_hom_ref(shared, tmp_path):
    # HG002 reads at 30% (seed 8, as the benchmark subsamples): 20:18,844,262 AT -> A, GIAB hom-ref, 2 of 21
    # informative reads show the deletion; the held-out model's network writes it 0/1 PASS (QUAL 13.3)
    h = shared / "variants/hg002_illumina_hiseqx_grch37"
    sub = subsample_bam(h / "NA24385_chr_20_18783981_18855722.bam", tmp_path / "sub.bam", "8.3", "20:18842000-18847000")
    args = ["call", "--ref", str(h / "GRCh37_chr20_vardict_slices.fa.gz"), "--reads", str(sub), "--regions",
            "20:18843500-18845000", "--model", str(LORO)]
    got = {}
    for flag in ("--allele-balance", "--no-allele-balance"):
        r = CliRunner().invoke(app, [*args, flag, "-o", str(tmp_path / f"{flag}.vcf.gz")])
        assert r.exit_code == 0, r.output
        with pysam.VariantFile(str(tmp_path / f"{flag}.vcf.gz")) as vf:
            got[flag] = {(v.pos, v.ref, v.alts): (v.samples[0]["GT"], v.samples[0]["GQ"], v.samples[0]["AD"],
                                                  v.qual, tuple(v.filter)) for v in vf}
    site = (18844262, "AT", ("A",))
    gt, gq, ad, qual, filters = got["--no-allele-balance"][site]
    assert (gt, gq, ad, filters) == ((0, 1), 13, (19, 2), ("PASS",)) and qual == pytest.approx(13.3)
    assert got["--allele-balance"][site] == ((0, 0), 26, (19, 2), 0.0, ("RefCall",))
    assert len(got["--allele-balance"]) == len(got["--no-allele-balance"]) == 5


def test_hom_ref_direction_keeps_gt_the_most_likely_genotype():
    # a het call whose reads favour hom-ref over het (1 alt of 9, log ratio 1.312) while the network put as much on 1/1
    # as on 0/1 (PL 7,0,0): the split gives P = (0.430, 0.116, 0.455), so 0/0 is not the most likely and the
    # record stays as called rather than being written 0/0 under a PL whose minimum is 1/1
    m = AlleleBalance.from_counts(38, 4988, source="built")
    assert m.ref_minus_het_log_likelihood(8, 1) == pytest.approx(1.3120, abs=1e-4)
    rec = _record(gt=(0, 1), pl=(7, 0, 0), ad=(8, 1))
    assert genotype_from_allele_balance(rec, m) is rec
    # the same reads under a network that did not favour 1/1 (PL 7,0,20): 0/0 wins and is written
    out = genotype_from_allele_balance(_record(gt=(0, 1), pl=(7, 0, 20), ad=(8, 1)), m)
    assert out.gt == (0, 0) and out.filter == "RefCall" and out.pl[0] == 0
