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


def test_indel_depths_from_informative_reads():
    from genotorch.variants.candidates import informative_indel_depths

    ref = "ACGT" * 25 + "G" + "A" * 10 + "CTGA" * 25  # G at 100, a 10-bp poly-A at 101-110
    reads = [make_read(ref[80:101] + "A" + ref[101:130], 80, "21M1I29M", name=f"i{i}") for i in range(3)]
    reads += [make_read(ref[80:130], 80, "50M", name=f"r{i}") for i in range(2)]  # span the tract: reference
    reads += [make_read(ref[70:105], 70, "35M", name=f"e{i}") for i in range(2)]  # end inside it: tell nothing
    reads += [make_read(ref[80:101] + ref[102:130], 80, "21M1D28M", name="d0")]  # spans, shows another length
    reads += [make_read(ref[95:101] + "A" + ref[101:106], 95, "6M1I5M", name="i9")]  # carries +A, ends inside
    events = [read_events(r) for r in reads]
    counts = count_alleles(events, CONTIG, 90, 120, ref, 0, CandidateConfig())
    (cand,) = find_candidates(counts, ref, 0, CandidateConfig())
    # every read with a base at 100 counts, and REF = those without an indel anchored there (DeepVariant's rule)
    assert cand == Candidate(CONTIG, 100, "G", "GA", depth=9, ref_count=4, alt_count=4)
    (informative,) = informative_indel_depths([cand], events, lambda a, b: ref[a:b])
    # spanning reads (6: three +A, two reference, one -A) and the +A read that does not span: REF 2, DP 7
    assert informative == Candidate(CONTIG, 100, "G", "GA", depth=7, ref_count=2, alt_count=4)
    snv = Candidate(CONTIG, 90, "G", "T", 9, 7, 2)
    assert informative_indel_depths([snv], events, lambda a, b: ref[a:b]) == [snv]  # SNVs as they are


def test_indel_depths_at_a_real_hom_alt_insertion(shared, tmp_path):
    # HG002 20:38,391,304 C -> CA (+1 in a 14-bp poly-A), GIAB 1/1: counted from every read at the site its AD was
    # 27,29 (DP 75, VAF 0.39: it looked het); the reads that span the poly-A give AD 10,29 (DP 56)
    import pysam
    from typer.testing import CliRunner

    from genotorch.cli.main import app

    h = shared / "variants/hg002_illumina_hiseqx_grch37"
    out = tmp_path / "calls.vcf.gz"
    r = CliRunner().invoke(app, ["call", "--ref", str(h / "GRCh37_chr20_vardict_slices.fa.gz"), "--reads",
                                 str(h / "NA24385_chr_20_38386265_38409801.bam"), "--regions", "20:38391200-38391400",
                                 "-o", str(out)])
    assert r.exit_code == 0, r.output
    with pysam.VariantFile(str(out)) as vf:
        s = {(v.pos, v.alts): v.samples[0] for v in vf}[(38391304, ("CA",))]
    assert (s["GT"], s["AD"], s["DP"]) == ((1, 1), (10, 29), 56) and round(s["VAF"][0], 4) == 0.5179  # 29 / 56
