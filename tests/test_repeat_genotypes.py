"""Zygosity of indels in repeats from the reads' repeat lengths (variants/repeat_genotypes.py): built tables and
counts, and real HG002 HiSeq X reads (../shared/data) with the leave-one-region-out models' stutter tables."""

import math
from collections import Counter
from pathlib import Path

import pysam
import torch
from typer.testing import CliRunner

from genotorch.cli.main import app
from genotorch.io.variants import CallRecord
from genotorch.variants.repeat_genotypes import (StutterTable, bucket, fit_dispersion, genotype_log_likelihoods,
                                                 het_from_repeat_lengths, het_log_likelihood_ratio,
                                                 hom_alt_from_repeat_lengths, length_shifts, tract_unit)

ROOT = Path(__file__).resolve().parents[1]


def test_units_and_buckets():
    assert [tract_unit(s) for s in ("AAAAAA", "ACACACAC", "AGTAGTAGT", "ACGTACGTAC")] == [1, 2, 3, 4]
    assert [bucket(1, 25), bucket(1, 9), bucket(2, 3.5), bucket(3, 15)] == ["1:20", "1:9", "2+:3", "2+:12"]


def test_table_from_counts_and_lookups():
    table = StutterTable.from_counts({"1:10": Counter({"0": 90, "1": 6, "-1": 4})}, source="built")
    assert table.probs["1:10"]["0"] == 90.5 / 104 and table.probs["1:10"]["1"] == 6.5 / 104  # 0.5 pseudocounts
    assert table.probs["1:10"]["3"] == 0.5 / 104 and table.probs["1:10"]["other"] == 0.5 / 104
    assert table.prob(1, 12, 0) == 90.5 / 104  # no 12-bp bucket: the nearest shorter one
    assert table.prob(1, 10, 5) == 0.5 / 104 / 10  # beyond +-3 units: a tenth of "other"
    assert table.prob(2, 4, 0) == 0.97 and table.prob(2, 4, 1) == 0.005  # no bucket at all for that unit
    assert StutterTable.from_dict(table.to_dict()) == table


def test_genotype_log_likelihoods_by_hand():
    p10 = {"-3": 0.0, "-2": 0.0, "-1": 0.05, "0": 0.85, "1": 0.1, "2": 0.0, "3": 0.0, "other": 0.0}
    p11 = {"-3": 0.0, "-2": 0.0, "-1": 0.1, "0": 0.7, "1": 0.2, "2": 0.0, "3": 0.0, "other": 0.0}
    table = StutterTable({"1:10": p10, "1:11": p11})
    ll = genotype_log_likelihoods(table, 1, 10, Counter({0: 2, 1: 8}), [0, 1])
    # hom-ref: each read is its 10-bp tract shifted by 0 or +1; hom-alt (11 bp): by -1 or 0; het: the mean of both
    assert math.isclose(ll[(0, 0)], 2 * math.log(0.85) + 8 * math.log(0.1))
    assert math.isclose(ll[(1, 1)], 2 * math.log(0.1) + 8 * math.log(0.7))
    assert math.isclose(ll[(0, 1)], 2 * math.log((0.85 + 0.1) / 2) + 8 * math.log((0.1 + 0.7) / 2))
    assert max(ll, key=ll.get) == (1, 1)


def test_dirichlet_multinomial_by_hand_and_dispersion_fit():
    p10 = {"-3": 0.0, "-2": 0.0, "-1": 0.05, "0": 0.85, "1": 0.1, "2": 0.0, "3": 0.0, "other": 0.0}
    table = StutterTable({"1:10": p10})
    ll = genotype_log_likelihoods(table, 1, 10, Counter({0: 2, 1: 8}), [0], dispersion=50.0)
    lg = math.lgamma  # lgamma(a) - lgamma(N + a) + sum over the lengths seen of lgamma(n + a p) - lgamma(a p)
    assert math.isclose(ll[(0, 0)], lg(50) - lg(60) + lg(2 + 42.5) - lg(42.5) + lg(8 + 5) - lg(5))
    # 8 of 10 reads +1 is likelier from a tract that stutters more than its bucket than under independent reads
    assert round(ll[(0, 0)] - genotype_log_likelihoods(table, 1, 10, Counter({0: 2, 1: 8}), [0])[(0, 0)], 2) == 3.11
    # tracts at the table's rates: no dispersion (the grid's top); tracts at 6% and 14% +1 reads: 10**1.95
    even = [(1, 10.0, Counter({0: 85, 1: 10, -1: 5}))] * 4
    uneven = [(1, 10.0, Counter({0: 92, 1: 6, -1: 2})), (1, 10.0, Counter({0: 78, 1: 14, -1: 8}))] * 3
    assert fit_dispersion(table, even) == 10 ** 5 and fit_dispersion(table, uneven) == 10 ** (39 / 20)
    with_het = StutterTable(table.probs, dispersion=50.0, het_threshold=6.0)
    assert StutterTable.from_dict(with_het.to_dict()) == with_het
    assert StutterTable.from_dict(table.to_dict()).het_threshold is None  # tables before stop 27
    flanked = StutterTable(table.probs, dispersion=50.0, het_threshold=6.0, min_flank=20)
    assert StutterTable.from_dict(flanked.to_dict()) == flanked and flanked.to_dict()["min_flank"] == 20
    old = {k: v for k, v in flanked.to_dict().items() if k != "min_flank"}  # tables before stop 29: 2-bp flanks
    assert StutterTable.from_dict(old).min_flank == 2
    llr, a = het_log_likelihood_ratio(with_het, 1, 10, Counter({0: 20, 1: 20}))
    het = genotype_log_likelihoods(with_het, 1, 10, Counter({0: 20, 1: 20}), [0, 1], 50.0)
    assert a == 1 and math.isclose(llr, het[(0, 1)] - het[(0, 0)])
    assert het_log_likelihood_ratio(with_het, 1, 10, Counter({0: 38, 1: 2})) == (0.0, None)  # hom-ref wins
    het = genotype_log_likelihoods(with_het, 1, 10, Counter({0: 20, -1: 20}), [-1, 0], 50.0)
    assert het_log_likelihood_ratio(with_het, 1, 10, Counter({0: 20, -1: 20})) == (het[(-1, 0)] - het[(0, 0)], -1)


def _region(shared, name):
    h = shared / "variants/hg002_illumina_hiseqx_grch37"
    bams = {"r38.38": "NA24385_chr_20_38386265_38409801.bam", "r18.78": "NA24385_chr_20_18783981_18855722.bam"}
    loro = torch.load(ROOT / f"benchmarks/models/loro_{name}.pt", weights_only=True)  # trained without the region
    return (h / "GRCh37_chr20_vardict_slices.fa.gz", h / bams[name],
            StutterTable.from_dict(loro["hyper_parameters"]["meta"]["stutter"]))


def test_hom_alt_insertion_in_a_poly_a_is_set_hom_alt(shared):
    # 20:38,391,304 C -> CA in a 14-bp poly-A, GIAB 1/1; its held-out model's CNN calls it 0/1 (QUAL 20.9)
    ref, bam, table = _region(shared, "r38.38")
    with pysam.FastaFile(str(ref)) as fa, pysam.AlignmentFile(str(bam)) as reads:
        def fetch(a, b):
            return fa.fetch("20", a, b).upper()

        assert length_shifts(reads, "20", 38391304, 38391318, 1) == Counter({1: 30, 2: 12, 0: 7, -6: 1})
        # the table counts reads that align 20 bp beyond the tract on both sides, and so does the step
        assert table.min_flank == 20
        shifts = length_shifts(reads, "20", 38391304, 38391318, 1, min_flank=20)
        assert shifts == Counter({1: 21, 2: 8, 0: 5, -6: 1})
        het = CallRecord("20", 38391303, "C", ["CA"], (0, 1), 16, 20.9, [21, 0, 16], "PASS", 75, [27, 29], [0.3867])
        out = hom_alt_from_repeat_lengths(het, reads, fetch, table)
        ll = genotype_log_likelihoods(table, 1, 14, shifts, [0, 1, 2], table.dispersion)
        assert max(ll, key=ll.get) == (1, 1)
        # the record's probabilities from its PL (21, 0, 16); the 0/1 + 1/1 mass split by the likelihood ratio
        p = [10 ** -2.1, 1.0, 10 ** -1.6]
        p11 = (p[1] + p[2]) / (1 + math.exp(-(ll[(1, 1)] - ll[(0, 1)])))
        assert (out.gt, out.qual, out.filter) == ((1, 1), 20.9, "PASS")  # QUAL (P(0/0)) is the CNN's
        assert out.gq == round(-10 * math.log10(1 - p11 / sum(p))) == 20
        # another variant touching the tract (here a made-up 2-bp deletion ending at its first base) can change its
        # length on the other haplotype: left alone
        beside = CallRecord("20", 38391301, "TCA", ["T"], (0, 1), 30, 40.0, [40, 0, 30], "PASS", 70, [35, 35], [0.5])
        assert hom_alt_from_repeat_lengths(het, reads, fetch, table, [beside, het]) is het
        assert hom_alt_from_repeat_lengths(het, reads, fetch, table, [het]).gt == (1, 1)
        snv = CallRecord("20", 38391303, "C", ["A"], (0, 1), 16, 20.9, [21, 0, 16], "PASS", 75, [27, 29], [0.39])
        assert hom_alt_from_repeat_lengths(snv, reads, fetch, table) is snv  # only indels
        refcall = CallRecord("20", 38391303, "C", ["CA"], (0, 0), 16, 0.5, [0, 5, 9], "RefCall", 75, [27, 29], [0.4])
        assert hom_alt_from_repeat_lengths(refcall, reads, fetch, table) is refcall  # only het calls


def test_het_insertion_in_a_poly_t_stays_het(shared):
    # 20:18,787,048 C -> CT in a 12-bp poly-T, GIAB 0/1: 16 of 57 spanning reads +1, 5 +2
    ref, bam, table = _region(shared, "r18.78")
    with pysam.FastaFile(str(ref)) as fa, pysam.AlignmentFile(str(bam)) as reads:
        def fetch(a, b):
            return fa.fetch("20", a, b).upper()

        het = CallRecord("20", 18787047, "C", ["CT"], (0, 1), 10, 10.0, [10, 0, 20], "PASS", 61, [35, 16], [0.26])
        assert hom_alt_from_repeat_lengths(het, reads, fetch, table) is het


def test_call_writes_the_insertion_hom_alt(shared, tmp_path):
    ref, bam, _ = _region(shared, "r38.38")
    out = tmp_path / "calls.vcf.gz"
    r = CliRunner().invoke(app, ["call", "--ref", str(ref), "--reads", str(bam), "--regions", "20:38391200-38391400",
                                 "--model", str(ROOT / "benchmarks/models/loro_r38.38.pt"), "-o", str(out)])
    assert r.exit_code == 0, r.output
    with pysam.VariantFile(str(out)) as vf:
        header = str(vf.header)
        calls = {(v.pos, v.ref, v.alts): v.samples[0]["GT"] for v in vf if "PASS" in v.filter}
    assert calls[(38391304, "C", ("CA",))] == (1, 1)
    assert "##genotorch_repeat_zygosity=" in header and "r38.38 held out" in header
    off = tmp_path / "off.vcf.gz"  # switched off: the network's het call, and no claim in the header
    r = CliRunner().invoke(app, ["call", "--ref", str(ref), "--reads", str(bam), "--regions", "20:38391200-38391400",
                                 "--model", str(ROOT / "benchmarks/models/loro_r38.38.pt"), "--no-repeat-zygosity",
                                 "-o", str(off)])
    assert r.exit_code == 0, r.output
    with pysam.VariantFile(str(off)) as vf:
        assert "genotorch_repeat_zygosity" not in str(vf.header)
        assert {(v.pos, v.ref, v.alts): v.samples[0]["GT"] for v in vf}[(38391304, "C", ("CA",))] == (0, 1)


def test_stutter_counted_on_hom_ref_tracts_only(shared):
    # 2 kb of 20:38.38 Mb (HG002 HiSeq X): every tract >= 6 bp in the confident BED and 5 bp away from a GIAB
    # variant; the 14-bp poly-A holding the +1 at 38,391,304 is left out (no "1:14" bucket)
    from genotorch.variants.repeat_genotypes import count_stutter

    ref, bam, _ = _region(shared, "r38.38")
    h = shared / "variants/hg002_illumina_hiseqx_grch37"
    with pysam.FastaFile(str(ref)) as fa, pysam.AlignmentFile(str(bam)) as reads, \
            pysam.VariantFile(str(h / "HG002_GRCh37_v4.2.1_truth.regions.vcf.gz")) as truth:
        variants = [v.pos - 1 for v in truth.fetch("20", 38390000, 38392000)]
        assert variants == [38390029, 38390220, 38390341, 38391303]
        counts = count_stutter(reads, lambda a, b: fa.fetch("20", max(0, a), b).upper(), "20", 38390000,
                               38392000, variants, [(38386266, 38409648)])
    # each tract once (until stop 27 most were counted twice, the scan meeting a tract again at its last base)
    assert {k: dict(v) for k, v in counts.items()} == {
        "1:6": {"0": 62, "1": 1}, "1:7": {"0": 57}, "1:12": {"0": 39, "1": 10, "2": 3, "-1": 3, "-2": 2},
        "2+:2": {"0": 1826, "other": 6}, "2+:3": {"0": 525}}


def test_het_allele_of_a_multiallelic_record_set_hom_alt(shared):
    # 20:44,947,095 TA -> T (-1 in a 16-bp poly-A), GIAB 1/1; at 30% depth the held-out model wrote it as the
    # record below (TAA -> TA,T, GT 0/1, PL over six genotypes); the full-depth reads' lengths say -1/-1
    h = shared / "variants/hg002_illumina_hiseqx_grch37"
    loro = torch.load(ROOT / "benchmarks/models/loro_r44.88.pt", weights_only=True)
    table = StutterTable.from_dict(loro["hyper_parameters"]["meta"]["stutter"])
    with pysam.FastaFile(str(h / "GRCh37_chr20_vardict_slices.fa.gz")) as fa, \
            pysam.AlignmentFile(str(h / "NA24385_chr_20_44885701_44969115.bam")) as reads:
        rec = CallRecord("20", 44947094, "TAA", ["TA", "T"], (0, 1), 3, 27.8, [25, 0, 18, 3, 4, 20], "PASS", 10,
                         [0, 5, 4], [0.5, 0.4])
        out = hom_alt_from_repeat_lengths(rec, reads, lambda a, b: fa.fetch("20", a, b).upper(), table)
    assert (out.gt, out.alts, out.qual) == ((1, 1), ["TA", "T"], 27.8)
    assert out.pl[2] == 0 and out.pl[1] > 0  # 1/1 now the most likely; 0/1 lost its mass to it


def test_refcall_insertion_in_a_tg_repeat_set_het(shared, tmp_path):
    # 20:44,921,555 T -> TTG, GIAB het, in a 35-bp TG repeat: the held-out model's network writes RefCall (QUAL 1.2,
    # PL 0,5,23) with 23 of 64 spanning reads one unit longer
    h = shared / "variants/hg002_illumina_hiseqx_grch37"
    loro = torch.load(ROOT / "benchmarks/models/loro_r44.88.pt", weights_only=True)
    table = StutterTable.from_dict(loro["hyper_parameters"]["meta"]["stutter"])
    assert (round(table.dispersion, 1), table.het_threshold, table.min_flank) == (50.1, 5.788, 20)  # without r44.88
    rec = CallRecord("20", 44921554, "T", ["TTG"], (0, 0), 6, 1.2, [0, 5, 23], "RefCall", 65, [29, 19], [0.2923])
    hom_ref = CallRecord("20", 44935365, "T", ["TG"], (0, 0), 12, 0.3, [0, 12, 27], "RefCall", 45, [34, 10],
                         [0.2222])  # 20:44,935,366 T -> TG, no GIAB variant: 8 of 30 reads +1 in a 7-bp poly-G
    with pysam.FastaFile(str(h / "GRCh37_chr20_vardict_slices.fa.gz")) as fa, \
            pysam.AlignmentFile(str(h / "NA24385_chr_20_44885701_44969115.bam")) as reads:
        def fetch(a, b):
            return fa.fetch("20", a, b).upper()
        assert length_shifts(reads, "20", 44921555, 44921590, 2) == \
            Counter({0: 30, 1: 23, -1: 5, 2: 4, -12: 1, "other": 1})  # 2-bp flanks: half the reference lengths
        shifts = length_shifts(reads, "20", 44921555, 44921590, 2, min_flank=20)  # end 3' of the tract
        assert shifts == Counter({1: 21, 0: 15, -1: 5, 2: 3, -12: 1, "other": 1})
        out = het_from_repeat_lengths(rec, reads, fetch, table)
        assert het_from_repeat_lengths(hom_ref, reads, fetch, table) is hom_ref
        no_threshold = StutterTable(table.probs, table.min_mapping_quality)
        assert het_from_repeat_lengths(rec, reads, fetch, no_threshold) is rec
    llr, a = het_log_likelihood_ratio(table, 2, 35 / 2, shifts, [1])
    assert a == 1 and round(llr, 2) == 17.22
    p = [1.0, 10 ** -0.5 * math.exp(llr - 5.788), 10 ** -2.3]  # P(0/1) times exp(llr - threshold)
    assert round(-10 * math.log10(p[0] / sum(p)), 1) == out.qual == 44.6
    assert (out.gt, out.gq, out.pl, out.filter, out.ad) == ((0, 1), 45, [45, 0, 68], "PASS", [29, 19])
    # through `call`, on and off (--no-repeat-zygosity: the network's RefCall, and no claim in the header)
    args = ["call", "--ref", str(h / "GRCh37_chr20_vardict_slices.fa.gz"), "--reads",
            str(h / "NA24385_chr_20_44885701_44969115.bam"), "--regions", "20:44920500-44922500", "--model",
            str(ROOT / "benchmarks/models/loro_r44.88.pt")]
    got = {}
    for flag in ("--repeat-zygosity", "--no-repeat-zygosity"):
        r = CliRunner().invoke(app, [*args, flag, "-o", str(tmp_path / f"{flag}.vcf.gz")])
        assert r.exit_code == 0, r.output
        with pysam.VariantFile(str(tmp_path / f"{flag}.vcf.gz")) as vf:
            got[flag] = {v.pos: (v.samples[0]["GT"], round(v.qual, 1)) for v in vf}, str(vf.header)
    assert got["--repeat-zygosity"][0][44921555] == ((0, 1), 44.6)  # the same record as the step's, above
    assert got["--no-repeat-zygosity"][0][44921555] == ((0, 0), 1.2)
    assert "het-vs-hom-ref log ratio of hom-ref tracts (5.79;" in got["--repeat-zygosity"][1]
    assert "(reads aligned 20 bp beyond the tract on both sides)" in got["--repeat-zygosity"][1]
    assert "genotorch_repeat_zygosity" not in got["--no-repeat-zygosity"][1]
