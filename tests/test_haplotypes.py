"""Haplotypes from a phased VCF, checked base by base on a tiny reference."""

import pysam
from builders import write_fasta

from genotorch.io.intervals import Interval
from genotorch.io.reference import Reference
from genotorch.variants.haplotypes import build_haplotypes

REF = "ACGTACGTACGTACGTACGT"


def phased_vcf(tmp_path, rows):
    header = pysam.VariantHeader()
    header.contigs.add("1", length=len(REF))
    header.formats.add("GT", 1, "String", "Genotype")
    header.add_sample("S")
    path = tmp_path / "phased.vcf"
    with pysam.VariantFile(str(path), "w", header=header) as vf:
        for pos, ref, alts, gt, phased in rows:
            rec = vf.new_record(contig="1", start=pos, stop=pos + len(ref), alleles=(ref, *alts))
            rec.samples["S"]["GT"] = gt
            rec.samples["S"].phased = phased
            vf.write(rec)
    gz = pysam.tabix_index(str(path), preset="vcf", force=True)
    return gz


def test_phased_alleles_go_to_their_haplotype(tmp_path):
    ref = Reference(write_fasta(tmp_path / "r.fa", {"chr1": REF}))
    vcf = phased_vcf(tmp_path, [
        (1, "C", ["T"], (0, 1), True),      # hap 2 only
        (4, "ACG", ["A"], (1, 1), False),   # hom-alt deletion: both
        (9, "C", ["CTT"], (1, 0), True),    # insertion on hap 1
        (12, "A", ["G"], (0, 1), False),    # unphased het: cannot be placed
        (13, "CG", ["C", "T"], (1, 2), True),  # overlaps nothing: hap1 deletion, hap2 CG>T
    ])
    b = build_haplotypes(ref, vcf, Interval("chr1", 0, 20))
    assert b.sequences[0] == "ACGT" + "A" + "TA" + "CTT" + "GTA" + "C" + "TACGT"  # ref[7:9] = "TA"
    assert b.sequences[1] == "ATGT" + "A" + "TAC" + "GTA" + "T" + "TACGT"
    assert b.applied == [3, 3] and b.skipped_unphased == 1 and b.skipped_overlap == 0


def test_overlapping_record_is_skipped_and_counted(tmp_path):
    ref = Reference(write_fasta(tmp_path / "r.fa", {"chr1": REF}))
    vcf = phased_vcf(tmp_path, [(4, "ACGT", ["A"], (1, 1), True), (6, "G", ["C"], (1, 0), True)])
    b = build_haplotypes(ref, vcf, Interval("chr1", 0, 20))
    assert b.sequences[0] == "ACGTA" + "ACGTACGTACGT" and b.skipped_overlap == 1


def test_placed_records_carry_the_applied_genotype(tmp_path):
    ref = Reference(write_fasta(tmp_path / "r.fa", {"chr1": REF}))
    vcf = phased_vcf(tmp_path, [
        (4, "ACGT", ["A"], (1, 1), True),   # both haplotypes
        (6, "G", ["C"], (0, 1), True),      # overlaps hap 2's deletion: not placed at all
        (12, "A", ["G"], (0, 1), False),    # unphased: not placed
        (14, "G", ["T"], (1, 0), True),
    ])
    b = build_haplotypes(ref, vcf, Interval("chr1", 0, 20))
    assert [(p.start, p.alleles, p.gt) for p in b.placed] == [(4, ("ACGT", "A"), (1, 1)), (14, ("G", "T"), (1, 0))]
