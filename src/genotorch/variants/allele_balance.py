"""Zygosity of SNP and indel calls from their allele balance: a hom-alt call with a het's share of reference reads
is written het, a het call whose reads all but show the alt is written hom-alt, and a het call with a hom-ref's
share of alt reads is written hom-ref.

The failure it answers: on the HG002 HiSeq X region at chr20:18.78 Mb (a region of duplications), the pileup CNN
wrote four GIAB het SNPs hom-alt, with 24 of 69, 16 of 49, 8 of 24 and 5 of 21 reads showing the reference base
(allele fraction 0.65-0.76). At the GIAB hom-alt SNPs of the five HG002 regions the reads show a base other than the
alt in 0.8% of reads (38 of 4,988; at most 6% at one site), and no hom-alt SNP has an allele fraction below 0.88.

The model is a binomial one on the record's allele depths (``AD``: reads of MAPQ >= 5 whose base at the site has
BQ >= 10, as make-examples counts them): under het each read shows the alt with probability 1/2; under hom-alt it
shows another base with probability ``error_rate`` (:class:`AlleleBalance`, counted at the hom-alt SNPs of
labelled training reads, ``scripts/fit_allele_balance.py``). The allele-balance genotype model of GATK's
``AlleleBalance`` annotation and of bcftools' and FreeBayes' binomial read models, used narrowly here: a biallelic
SNP record called hom-alt changes, to het, when the het log-likelihood is the larger (and, below, the other way).
QUAL (P(0/0)) stays the network's; the network's P(0/1) + P(1/1) is split between the two by the likelihood ratio,
and GQ and PL follow.

Indels, with their own rate (``indel_error_rate``: reads at the reference length at the GIAB hom-alt indels outside
repeats): the same rule for a biallelic indel called hom-alt outside any homopolymer/STR tract of at least
``repeat_genotypes.MIN_TRACT_BP`` bases. Its ``AD`` must count informative reads only (make-examples with
``pileup.spanning_indel_reads``, :func:`genotorch.variants.candidates.informative_indel_depths`): a read that ends
inside the deleted bases or at the insertion point shows the reference whatever its molecule holds. Indels in
repeat tracts are left to :mod:`genotorch.variants.repeat_genotypes`, whose stutter model knows how often reads
show a tract at another length. The failure it answers: HG001 chr20:10,004,769 ``TAAAACTATGC -> T``, GIAB het,
written hom-alt with 9 of 19 informative reads at the reference length (the HG001 second library) and 17 of 45
(NA12878).

The other direction, with the same rates and the same records (biallelic SNPs; indels outside repeat tracts): a
record called het is written hom-alt when hom-alt has the larger likelihood, counting as evidence against hom-alt
every read that does not show the alt (``DP - AD[alt]``: the other haplotype may hold a third allele, as a het
deletion beside an insertion does). The failure it answers: below the depths the network was trained on (HG002
reads subsampled to 10% and 20%, 3-16x), it wrote GIAB hom-alt SNPs het with every read showing the alt (5 of 5,
8 of 8); at 20-100x the likelihoods already agree with the network.

Hom-ref, the same read model the other way round (under hom-ref a read shows the alt with probability ``e``; the
same records): a record called het is written hom-ref (RefCall) when hom-ref has the larger likelihood on
``AD[0]`` and ``AD[1]``; the network's P(0/0) + P(0/1) is split between the two by the likelihood ratio, and QUAL,
GQ and PL follow. The failure it answers: HG002 chr20:18,844,262 ``AT -> A`` (GIAB hom-ref, a 4-bp poly-T), at 30%
depth written 0/1 at QUAL 10.5 with 2 of 21 informative reads showing the deletion.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, replace
from typing import Iterable

import pysam

from genotorch.encode.repeats import FetchRef, repeat_tract
from genotorch.io.alignments import ReadFilter
from genotorch.io.variants import CallRecord
from genotorch.variants.postprocess import quality_fields, split_genotype_mass, split_probs
from genotorch.variants.repeat_genotypes import MAX_UNIT, MIN_TRACT_BP


@dataclass(frozen=True)
class AlleleBalance:
    """``error_rate``: P(a read shows a base other than the alt) at a hom-alt SNP, in (0, 0.5).
    ``indel_error_rate``: P(an informative read shows the reference length) at a hom-alt indel outside repeats, in
    (0, 0.5), or None (indels are left alone; checkpoints before it have none). Stored as plain types in a
    checkpoint's ``meta.allele_balance`` (nothing is unpickled). ``source``: what they were counted on."""

    error_rate: float
    source: str = ""
    indel_error_rate: float | None = None

    def __post_init__(self):
        for name, e in (("", self.error_rate), ("indel ", self.indel_error_rate)):
            if e is not None and not 0.0 < e < 0.5:
                raise ValueError(f"allele-balance {name}error rate {e}: must lie in (0, 0.5)")

    @classmethod
    def from_counts(cls, other_reads: int, reads: int, source: str = "",
                    indel_counts: tuple[int, int] | None = None) -> "AlleleBalance":
        """From ``other_reads`` of ``reads`` at hom-alt SNPs (and ``indel_counts``: reference-length reads, reads
        at hom-alt indels), with a pseudocount of 0.5 on each side."""
        indel = (indel_counts[0] + 0.5) / (indel_counts[1] + 1.0) if indel_counts else None
        return cls((other_reads + 0.5) / (reads + 1.0), source, indel)

    def to_dict(self) -> dict:
        """Plain types, for a checkpoint's ``meta.allele_balance``."""
        d = {"error_rate": self.error_rate, "source": self.source}
        return d if self.indel_error_rate is None else {**d, "indel_error_rate": self.indel_error_rate}

    @classmethod
    def from_dict(cls, d: dict) -> "AlleleBalance":
        """The inverse of :meth:`to_dict`."""
        indel = d.get("indel_error_rate")
        return cls(float(d["error_rate"]), str(d.get("source", "")), None if indel is None else float(indel))

    def het_minus_hom_log_likelihood(self, ref_reads: int, alt_reads: int, indel: bool = False) -> float:
        """Natural-log likelihood of het minus that of hom-alt for ``ref_reads`` and ``alt_reads`` (the binomial
        coefficient cancels): ``(r + a) log(1/2) - r log(e) - a log(1 - e)``, with ``e`` the SNP rate or (``indel``)
        the indel rate."""
        e = self.indel_error_rate if indel else self.error_rate
        return (ref_reads + alt_reads) * math.log(0.5) - ref_reads * math.log(e) - alt_reads * math.log1p(-e)

    def ref_minus_het_log_likelihood(self, ref_reads: int, alt_reads: int, indel: bool = False) -> float:
        """Natural-log likelihood of hom-ref minus that of het, the same read model the other way round (under
        hom-ref a read shows the alt with probability ``e``): ``a log(e) + r log(1 - e) - (r + a) log(1/2)``."""
        e = self.indel_error_rate if indel else self.error_rate
        return alt_reads * math.log(e) + ref_reads * math.log1p(-e) - (ref_reads + alt_reads) * math.log(0.5)


def count_other_bases(bam: pysam.AlignmentFile, contig: str, sites: Iterable[tuple[int, str]],
                      min_mapping_quality: int = 5, min_base_quality: int = 10) -> tuple[int, int]:
    """``(reads showing a base other than the alt, reads)`` summed over hom-alt SNP ``sites`` (0-based position,
    alt base), counting reads as make-examples does for ``AD``: passing :class:`ReadFilter` at MAPQ >=
    ``min_mapping_quality``, with an A/C/G/T base of BQ >= ``min_base_quality`` at the site (a deletion there is not
    counted)."""
    keep = ReadFilter(min_mapping_quality).passes
    other = total = 0
    for pos, alt in sites:
        cov = bam.count_coverage(contig, pos, pos + 1, quality_threshold=min_base_quality, read_callback=keep)
        n = {b: int(c[0]) for b, c in zip("ACGT", cov)}
        total += sum(n.values())
        other += sum(n.values()) - n[alt.upper()]
    return other, total


def in_repeat_tract(fetch: FetchRef, pos: int) -> bool:
    """Whether the base after 0-based anchor ``pos`` lies in a homopolymer/STR tract of at least
    ``repeat_genotypes.MIN_TRACT_BP`` bases (unit 1-``MAX_UNIT``): the indels :mod:`repeat_genotypes` rules on."""
    t0, t1 = repeat_tract(fetch, pos + 1, max_unit=MAX_UNIT)
    return t1 - t0 >= MIN_TRACT_BP


def genotype_from_allele_balance(record: CallRecord, model: AlleleBalance,
                                 fetch: FetchRef | None = None) -> CallRecord:
    """``record`` with GT 0/1 when it is a biallelic SNP called 1/1 whose allele depths (``AD``) make het the more
    likely genotype under ``model``; with GT 0/0 (FILTER RefCall) when it is called 0/1 and its depths make hom-ref
    the more likely, or else with GT 1/1 when its depths (``DP - AD[1]`` reads not showing the alt) make hom-alt the
    more likely; likewise a biallelic indel outside repeat tracts
    (:func:`in_repeat_tract`) when ``model`` has an indel rate and ``fetch(start, end)`` gives the record's contig's
    reference bases (0-based, half-open); otherwise ``record`` unchanged. The genotype probabilities are the
    record's (from its PL); the mass of 0/1 and 1/1 together is split between them by the likelihood ratio; QUAL is
    kept, GQ and PL follow (:func:`postprocess.split_genotype_mass`). For hom-ref the mass of 0/0 and 0/1 is split,
    and QUAL follows too; the record is written 0/0 only when P(0/0) is then the largest (the network's P(1/1) may
    exceed it), and is otherwise unchanged."""
    if record.gt not in ((0, 1), (1, 1)) or len(record.alts) != 1:
        return record
    indel = len(record.ref) != len(record.alts[0])
    if indel:
        if model.indel_error_rate is None or fetch is None or in_repeat_tract(fetch, record.pos):
            return record
    elif len(record.ref) != 1:
        return record
    alt_reads = record.ad[1]
    if record.gt == (1, 1):  # evidence for het: reads showing the reference
        llr = model.het_minus_hom_log_likelihood(record.ad[0], alt_reads, indel)
        if llr <= 0:
            return record
        gq, pl = split_genotype_mass(record.pl, 1, 2, llr, 1)
        return replace(record, gt=(0, 1), gq=gq, pl=pl)
    ref_llr = model.ref_minus_het_log_likelihood(record.ad[0], alt_reads, indel)
    if ref_llr > 0:  # a het call with a hom-ref's share of alt reads
        probs = split_probs(record.pl, 0, 1, ref_llr)
        if probs.argmax() != 0:  # hom-alt stays likelier than hom-ref: GT must be the most likely genotype
            return record
        gq, qual, pl = quality_fields(probs, 0)
        return replace(record, gt=(0, 0), gq=gq, qual=qual, pl=pl, filter="RefCall")
    # evidence against hom-alt: every read not showing the alt (the other haplotype may hold a third allele)
    llr = model.het_minus_hom_log_likelihood(max(record.dp - alt_reads, 0), alt_reads, indel)
    if llr >= 0:
        return record
    gq, pl = split_genotype_mass(record.pl, 1, 2, llr, 2)
    return replace(record, gt=(1, 1), gq=gq, pl=pl)
