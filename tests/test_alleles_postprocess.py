"""Normalisation, genotype quality arithmetic, multi-allelic merging, hap.py-style counting."""

import math

import numpy as np
import pytest

from genotorch.variants.alleles import normalize_allele
from genotorch.variants.candidates import Candidate
from genotorch.variants.evaluate import compare
from genotorch.variants.postprocess import postprocess, quality_fields

REF = "GGGCAAAAT"  # 0-based: C at 3, A-run at 4..7


def base_at(i):
    return REF[i]


def test_left_align_deletion_in_homopolymer():
    # deleting the last A of the run (written at 6 as AA>A) left-aligns to the anchor C at 3: CA>C
    assert normalize_allele(6, "AA", "A", base_at) == (3, "CA", "C")


def test_trim_shared_bases_and_keep_snv():
    assert normalize_allele(3, "CAAA", "TAAA", base_at) == (3, "C", "T")
    assert normalize_allele(4, "A", "G", base_at) == (4, "A", "G")
    assert normalize_allele(7, "A", "AA", base_at) == (3, "C", "CA")


def test_quality_fields_match_deepvariant_definitions():
    p = [0.01, 0.98, 0.01]
    gq, qual, pl = quality_fields(p, 1)
    assert gq == round(-10 * math.log10(0.02)) == 17
    assert qual == 20.0  # -10 log10(0.01)
    assert pl == [20 - 0, 0, 20 - 0]  # round(-10 log10 p) minus its minimum
    gq, qual, _ = quality_fields([1.0, 0.0, 0.0], 0)  # probabilities are floored at 1e-10
    assert gq == round(-10 * math.log10(2e-10)) == 97 and qual == 0.0


def c(pos, ref, alt, depth=30, rc=15, ac=15):
    return Candidate("chr1", pos, ref, alt, depth, rc, ac)


def test_postprocess_filters_and_fields():
    recs = postprocess([c(10, "A", "G"), c(20, "C", "T")], np.array([[0.9, 0.08, 0.02], [0.001, 0.009, 0.99]]))
    assert [r.gt for r in recs] == [(0, 0), (1, 1)]
    assert [r.filter for r in recs] == ["RefCall", "PASS"]
    assert recs[1].ad == [15, 15] and recs[1].vaf == [0.5] and recs[1].gq == 20


def test_two_alts_become_one_multiallelic_record():
    # DeepVariant's scheme: an example per alt and one for the pair; the pair says both haplotypes carry an alt
    cands = [c(10, "AT", "A", ac=12), c(10, "A", "G", ac=14), c(10, "AT", "A,GT", ac=26)]
    probs = np.array([[0.02, 0.96, 0.02], [0.01, 0.97, 0.02], [0.001, 0.02, 0.979]])
    (rec,) = postprocess(cands, probs)
    assert (rec.ref, rec.alts, rec.gt) == ("AT", ["A", "GT"], (1, 2))  # REF the longer one, SNV padded to it
    assert rec.ad == [15, 12, 14] and len(rec.pl) == 6 and rec.pl[4] == 0
    # each genotype takes the minimum over all three examples of the copies it puts on their alleles:
    # 0/0 0.001, 0/1 min(.96, .01, .02), 1/1 min(.02, .01, .979), 0/2 min(.02, .97, .02), 1/2 min(.96, .97, .979),
    # 2/2 min(.02, .02, .979); GQ = -10 log10(1 - 0.96 / their sum)
    total = 0.001 + 0.01 + 0.01 + 0.02 + 0.96 + 0.02
    assert rec.gq == round(-10 * math.log10(1 - 0.96 / total)) == 12


def test_pair_example_does_not_tie_the_two_hets():
    # HG002 HiSeq X 20:44,892,045 C -> CTG,CTGTGTG (GIAB 1/2) at 28 reads (AD 2,9,13), the held-out model's
    # probabilities. DeepVariant's rule gives 0/1 and 0/2 the pair's p01 (0.543) and writes 0/1; the example of
    # CTGTGTG says it is there (p00 0.022), so 0/1 falls to 0.022 and 1/2 (min 0.638, 0.977, 0.456) wins.
    cands = [c(10, "C", "CTG", ac=9), c(10, "C", "CTGTGTG", ac=13), c(10, "C", "CTG,CTGTGTG", ac=22)]
    probs = np.array([[0.36, 0.638, 0.002], [0.022, 0.977, 0.001], [0.0, 0.543, 0.456]])
    (rec,) = postprocess(cands, probs)
    assert (rec.alts, rec.gt) == (["CTG", "CTGTGTG"], (1, 2))
    minima = np.array([1e-10, 0.022, 0.002, 0.36, 0.456, 0.001])  # 0/0 (p00 of the pair, floored) ... 2/2
    raw = [round(-10 * math.log10(m / minima.sum())) for m in minima]  # PL: rounded phred minus its minimum
    assert rec.pl == [x - min(raw) for x in raw] == [96, 13, 23, 1, 0, 26]
    assert rec.gq == round(-10 * math.log10(1 - 0.456 / minima.sum())) == 3


def test_genotype_order_is_vcf_order():
    from genotorch.variants.postprocess import genotype_order

    assert genotype_order(3) == [(0, 0), (0, 1), (1, 1), (0, 2), (1, 2), (2, 2)]


def test_low_qual_alt_is_dropped_before_merging():
    # C has QUAL 0.1 on its own: dropped (DeepVariant's multi-allelic QUAL filter), the site is G/G
    cands = [c(10, "A", "C"), c(10, "A", "G"), c(10, "A", "C,G")]
    probs = np.array([[0.97, 0.02, 0.01], [0.01, 0.01, 0.98], [0.01, 0.01, 0.98]])
    (rec,) = postprocess(cands, probs)
    assert (rec.alts, rec.gt, rec.filter) == (["G"], (1, 1), "PASS")


def test_dropping_the_longer_allele_leaves_the_site_in_its_shortest_form():
    # a 1-bp and a 2-bp deletion in a poly-A; the 2-bp one (QUAL 0.1) is dropped, so TAA -> TA becomes TA -> T
    cands = [c(10, "TAA", "T"), c(10, "TA", "T"), c(10, "TAA", "T,TA")]
    probs = np.array([[0.97, 0.02, 0.01], [0.01, 0.01, 0.98], [0.01, 0.02, 0.97]])
    (rec,) = postprocess(cands, probs)
    assert (rec.pos, rec.ref, rec.alts, rec.gt) == (10, "TA", ["T"], (1, 1))


def test_simplify_alleles_keeps_a_base_and_leaves_distinct_ends():
    from genotorch.variants.postprocess import simplify_alleles

    assert simplify_alleles("CAAA", ["CA"]) == ("CAA", ["C"])
    assert simplify_alleles("TAA", ["TA", "T"]) == ("TAA", ["TA", "T"])  # T shares no last base beyond its one
    assert simplify_alleles("AC", ["A", "ACC"]) == ("AC", ["A", "ACC"])
    assert simplify_alleles("A", ["G"]) == ("A", ["G"])


def test_postprocess_rejects_wrong_shape():
    with pytest.raises(ValueError):
        postprocess([c(10, "A", "G")], np.zeros((2, 3)))


def test_compare_counts_like_happy():
    truth = {("1", 10, "A", "G"): 1, ("1", 20, "C", "CT"): 2, ("1", 30, "G", "T"): 1}
    calls = {("1", 10, "A", "G"): 1, ("1", 20, "C", "CT"): 1, ("1", 40, "T", "A"): 2}
    r = compare(calls, truth)
    assert (r["SNP"].tp, r["SNP"].fp, r["SNP"].fn) == (1, 1, 1)
    assert (r["INDEL"].tp, r["INDEL"].fp, r["INDEL"].fn) == (0, 1, 1)  # right allele, wrong genotype
    assert r["SNP"].f1 == pytest.approx(0.5)


def test_side_by_side_table():
    from genotorch.variants.evaluate import format_side_by_side

    r = lambda tp, fp, fn, p, rc, f: {"tp": tp, "fp": fp, "fn": fn, "precision": p, "recall": rc, "f1": f}
    a = {"SNP": r(45, 0, 0, 1.0, 1.0, 1.0), "INDEL": r(3, 1, 1, 0.75, 0.75, 0.75)}
    b = {"SNP": r(45, 0, 0, 1.0, 1.0, 1.0), "INDEL": r(2, 2, 2, 0.5, 0.5, 0.5)}
    lines = format_side_by_side({"genotorch": a, "bcftools": b}).splitlines()
    assert lines[1].split() == ["genotorch", "SNP", "45", "0", "0", "1.0000", "1.0000", "1.0000"]
    assert lines[4].split() == ["bcftools", "INDEL", "2", "2", "2", "0.5000", "0.5000", "0.5000"]
