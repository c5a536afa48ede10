"""Allele counting and candidate thresholds on synthetic reads."""

from builders import CONTIG, make_read

from genotorch.encode.read_events import read_events
from genotorch.variants.candidates import Candidate, CandidateConfig, count_alleles, find_candidates

REF = "ACGT" * 250  # ref[120] == "A", ref[130:133] == "GTA"


def snv_read(alt: str | None, i: int, q_site: int = 30):
    seq = list(REF[110:150])
    quals = [30] * 40
    if alt:
        seq[10] = alt
        quals[10] = q_site
    return make_read("".join(seq), 110, quals=quals, name=f"s{i}")


def candidates(reads, start=100, end=160, cfg=CandidateConfig()):
    counts = count_alleles([read_events(r) for r in reads], CONTIG, start, end, REF, 0, cfg)
    return counts, find_candidates(counts, REF, 0, cfg)


def test_snv_counts_quality_filter_and_threshold():
    reads = [snv_read("G", i) for i in range(3)] + [snv_read("G", 3, q_site=5), snv_read("T", 4)]
    reads += [snv_read(None, 10 + i) for i in range(5)]
    counts, cands = candidates(reads)
    assert counts.bases[20].tolist() == [5, 0, 3, 1, 0]  # A C G T N at 120; the q=5 G is not counted
    assert cands == [Candidate(CONTIG, 120, "A", "G", depth=9, ref_count=5, alt_count=3)]


def test_deletion_candidate_in_vcf_convention():
    dels = [make_read(REF[110:131] + REF[133:150], 110, "21M2D17M", name=f"d{i}") for i in range(2)]
    refs = [snv_read(None, i) for i in range(18)]
    _, cands = candidates(dels + refs)
    # 2 / 20 = 0.10 >= 0.06 for an indel; anchored on ref[130] = "G", deleting ref[131:133] = "TA"
    assert cands == [Candidate(CONTIG, 130, "GTA", "G", depth=20, ref_count=18, alt_count=2)]


def test_insertion_candidate_and_snv_fraction_threshold():
    ins = [make_read(REF[110:121] + "TT" + REF[121:140], 110, "11M2I19M", name=f"i{i}") for i in range(2)]
    snv = [snv_read("C", 50 + i) for i in range(2)]  # 2 / 20 = 0.10 < 0.12: not an SNV candidate
    _, cands = candidates(ins + snv + [snv_read(None, i) for i in range(16)])
    assert cands == [Candidate(CONTIG, 120, "A", "ATT", depth=20, ref_count=16, alt_count=2)]


def test_min_count_and_region_bounds():
    reads = [snv_read("G", 0)] + [snv_read(None, i) for i in range(3)]
    assert candidates(reads)[1] == []  # one read is not enough
    reads = [snv_read("G", i) for i in range(3)]
    assert candidates(reads, start=121, end=160)[1] == []  # site outside the counted interval
