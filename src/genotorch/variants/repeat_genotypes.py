"""Zygosity of indels in homopolymers and short tandem repeats from the repeat lengths of the reads (a stutter model).

In a long homopolymer or STR, PCR and polymerase slippage ("stutter") make a read show the repeat one unit longer
or shorter than its molecule. A hom-alt indel there therefore shows reads of the reference length, and the pileup
CNN, which sees "reads not supporting the allele", calls it het: on the HG002 HiSeq X regions, a +1 in a 14-bp
poly-A (30 reads +1, 12 reads +2, 7 reads of the reference length among the reads spanning it) and a -2 in a
22-bp poly-A were written 0/1 (GIAB: 1/1).

This module scores the genotypes of a repeat tract from the lengths the spanning reads show, as STR genotypers do
(HipSTR, Willems et al. 2017, Nature Methods 14:590; GangSTR): each read shows its haplotype's repeat length
shifted by ``k`` units with probability ``S(k | unit, length)``, a stutter table counted on hom-ref tracts of
labelled training reads (:func:`count_stutter`, :class:`StutterTable`); a genotype ``(a, b)`` (each allele a length
change in units) has log-likelihood ``sum over reads log(S(d - a) / 2 + S(d - b) / 2)``.

It is used narrowly, twice (with the reads scored by a Dirichlet-multinomial when the table has a dispersion):

* :func:`hom_alt_from_repeat_lengths`: a CNN het call (``0/k``) of an indel allele inside a tract becomes ``k/k``
  when the reads' lengths make ``(a, a)`` the most likely genotype of all pairs of the lengths seen;
* :func:`het_from_repeat_lengths`: a CNN RefCall of an indel allele inside a tract becomes ``0/1`` when the reads'
  lengths make ``(0, a)`` the most likely genotype by more than any hom-ref tract of the training reads did. Here
  the reads are scored with a Dirichlet-multinomial (:func:`fit_dispersion`): tracts stutter more or less than
  their bucket's rate (a hom-ref 6-bp poly-G tract of the HG002 reads, 20:44,937,141, has 4 of 30 reads one
  base longer against the table's 1.7%), and the multinomial reads such a tract as a second allele. The failure
  it answers: HG002 chr20:44,921,555 ``T -> TTG``, GIAB het in a 35-bp TG repeat, 23 of 64 spanning reads one
  unit longer, which the CNN wrote RefCall.

A read counts for a tract only when its alignment reaches ``min_flank`` bp beyond the tract on both sides
(:data:`SPANNING_FLANK_BP`, stored with each table as ``StutterTable.min_flank``). An aligner that meets an indel
in a repeat a few bases before a read's end writes the read at the reference length instead (a gap costs more than
a few mismatched or clipped end bases: bwa mem's gap open 6 against its clip penalty 5): at the GIAB hom-alt indels
in repeats of the five HG002 regions, 27%, 19%, 14% and 11% of reads whose shorter flank is 2-4, 5-9, 10-14 and
15-19 bp show the reference length, against 4.6% at 20 bp or more (GIAB hets: 86%, 60%, 67%, 47% against 47%);
in bwa-aligned simulated reads (HG001 haplotypes, 1 Mb at 30x) the excess ends by 10-14 bp. The failure it
answers: HG002 chr20:20,562,805 ``A -> AGT`` (GIAB hom-alt, a 36-bp GT repeat) written het with 14 of 57 reads at
the reference length, 4 of them once the flank is 20 bp.

Coordinates are 0-based, ends exclusive; a tract is :func:`genotorch.encode.repeats.repeat_tract`'s.
"""

from __future__ import annotations

import bisect
import math
from collections import Counter
from dataclasses import dataclass, field, replace
from itertools import combinations_with_replacement
from typing import Iterable, Iterator, Sequence

import pysam

from genotorch.encode.repeats import FetchRef, repeat_tract
from genotorch.io.alignments import ReadFilter, reads_contig
from genotorch.io.variants import CallRecord
from genotorch.variants.postprocess import genotype_order, het_if_likelier, split_genotype_mass

MAX_SHIFT = 3  # stutter shifts tabulated: -3..+3 units; anything else is "other"
OTHER = "other"
MIN_TRACT_BP = 6
MAX_UNIT = 4  # repeat units looked at, in bp, both where the table is counted and where it is used
SPANNING_FLANK_BP = 20  # bp a read must align beyond a tract on each side to count (module docstring)


def tract_unit(seq: str) -> int:
    """The repeat unit (1-6 bp) of a tract's sequence: the shortest period of it."""
    return next((k for k in range(1, 7) if all(seq[i] == seq[i % k] for i in range(len(seq)))), len(seq))


def bucket(unit: int, length_units: float) -> str:
    """Stutter-table key: homopolymers by length in bases (6-20+), longer units together by length in units
    (2-12+)."""
    if unit == 1:
        return f"1:{min(int(length_units), 20)}"
    return f"2+:{min(int(length_units), 12)}"


def length_shifts(bam: pysam.AlignmentFile, contig: str, start: int, end: int, unit: int,
                  min_mapping_quality: int = 20, min_flank: int = 2) -> Counter:
    """Repeat-length changes, in units, that the reads spanning tract ``[start, end)`` show: reads aligned from
    ``start - min_flank`` to ``end + min_flank`` at least (bp of flank each side), passing :class:`ReadFilter` at
    MAPQ >= ``min_mapping_quality`` (``contig`` may differ from the reads' name by a ``chr`` prefix). A read whose
    length change is not a whole number of units counts as ``"other"``. Tables counted since ``min_flank`` was
    stored use :data:`SPANNING_FLANK_BP`; 2 is the flank of the tables before them.

    Returns
    -------
    Counter: length change in units (int) or ``"other"`` -> reads.
    """
    shifts: Counter = Counter()
    name = reads_contig(bam, contig)
    if name is None:
        return shifts
    keep = ReadFilter(min_mapping_quality)
    for read in bam.fetch(name, start, end):
        if not keep.passes(read):
            continue
        if read.reference_start > start - min_flank or read.reference_end is None or \
                read.reference_end < end + min_flank:
            continue
        left = right = None
        for q, r in read.get_aligned_pairs():
            if r == start - 1:
                left = q
            elif r == end:
                right = q
                break
        if left is None or right is None:
            shifts[OTHER] += 1
            continue
        d = (right - left - 1) - (end - start)
        shifts[d // unit if d % unit == 0 else OTHER] += 1
    return shifts


@dataclass
class StutterTable:
    """``S(k | bucket)``: probability that a read shows its repeat shifted by ``k`` units (``-3..3``; ``"other"``
    for anything else), per :func:`bucket`. ``min_mapping_quality``: the reads it was counted on. ``dispersion``
    (:func:`fit_dispersion`) and ``het_threshold`` (natural log; the largest :func:`het_log_likelihood_ratio` at
    hom-ref tracts of the training reads): both or neither; with them, :func:`het_from_repeat_lengths` can write a
    RefCall het (tables before them have neither). ``min_flank``: the flank (bp each side) a read needed to be
    counted, in the table and where it is used (:func:`length_shifts`; 2 in tables that do not store it)."""

    probs: dict[str, dict[str, float]] = field(default_factory=dict)
    min_mapping_quality: int = 20
    source: str = ""
    dispersion: float | None = None
    het_threshold: float | None = None
    min_flank: int = 2

    @classmethod
    def from_counts(cls, counts: dict[str, Counter], min_mapping_quality: int = 20, source: str = "",
                    pseudocount: float = 0.5, min_flank: int = 2) -> "StutterTable":
        """A table from reads counted per bucket (``{bucket: Counter(shift as str -> reads)}``), each bucket's
        shifts smoothed by ``pseudocount`` reads; ``min_flank``: the flank the reads were counted with."""
        keys = [str(k) for k in range(-MAX_SHIFT, MAX_SHIFT + 1)] + [OTHER]
        probs = {}
        for b, c in counts.items():
            total = sum(c.values()) + pseudocount * len(keys)
            probs[b] = {k: (c.get(k, 0) + pseudocount) / total for k in keys}
        return cls(probs, min_mapping_quality, source, min_flank=min_flank)

    def to_dict(self) -> dict:
        """Plain types only, for a checkpoint's ``meta.stutter`` (loaded without unpickling code)."""
        d = {"probs": self.probs, "min_mapping_quality": self.min_mapping_quality, "source": self.source,
             "min_flank": self.min_flank}
        if self.dispersion is not None:
            d.update(dispersion=self.dispersion, het_threshold=self.het_threshold)
        return d

    @classmethod
    def from_dict(cls, d: dict) -> "StutterTable":
        """The table :meth:`to_dict` wrote."""
        return cls(d["probs"], d.get("min_mapping_quality", 20), d.get("source", ""), d.get("dispersion"),
                   d.get("het_threshold"), d.get("min_flank", 2))

    def read_shifts(self, bam: pysam.AlignmentFile, contig: str, start: int, end: int, unit: int) -> Counter:
        """:func:`length_shifts` of tract ``[start, end)`` counted as this table's reads were (its
        ``min_mapping_quality`` and ``min_flank``)."""
        return length_shifts(bam, contig, start, end, unit, self.min_mapping_quality, self.min_flank)

    def prob(self, unit: int, length_units: float, shift) -> float:
        """``S(shift | unit, length)``; a length beyond the table takes the nearest shorter bucket; a shift outside
        -3..3 takes a tenth of "other"."""
        key = bucket(unit, max(length_units, 1))
        while key not in self.probs and int(key.split(":")[1]) > 1:
            head, n = key.split(":")
            key = f"{head}:{int(n) - 1}"
        p = self.probs.get(key)
        if p is None:
            return 0.97 if shift == 0 else 0.005
        if shift == OTHER:
            return p[OTHER]
        return p[str(shift)] if -MAX_SHIFT <= shift <= MAX_SHIFT else p[OTHER] / 10


def hom_ref_tracts(fetch: FetchRef, start: int, end: int, variant_positions: Iterable[int],
                   confident: Sequence[tuple[int, int]]) -> Iterator[tuple[int, int, int]]:
    """``(tract start, tract end, unit)`` of every hom-ref tract (>= ``MIN_TRACT_BP``, unit 1-``MAX_UNIT``) of
    ``[start, end)``, each once: a tract is hom-ref when it lies in a ``confident`` interval (5 bp either side
    included) and no truth variant (0-based ``variant_positions``) starts within 5 bp of it."""
    variants = sorted(variant_positions)
    i, last = 0, None
    while i < end - start - 1:
        t0, t1 = repeat_tract(fetch, start + i, max_unit=MAX_UNIT)
        if t1 - t0 < MIN_TRACT_BP:
            i += 1
            continue
        i = max(i + 1, t1 - start - 1)  # on to the tract's last base, which a longer tract may share
        if (t0, t1) == last:
            continue
        last = (t0, t1)
        if not any(a <= t0 - 5 and t1 + 5 <= b for a, b in confident):
            continue
        k = bisect.bisect_left(variants, t0 - 5)
        if k < len(variants) and variants[k] <= t1 + 5:
            continue
        yield t0, t1, tract_unit(fetch(t0, t1))


def add_shifts(into: dict[str, Counter], unit: int, length_units: float, shifts: Counter) -> None:
    """Add one tract's :func:`length_shifts` to ``into`` (bucket -> Counter of shift as str; shifts beyond
    +-``MAX_SHIFT`` units count as "other")."""
    c = into.setdefault(bucket(unit, length_units), Counter())
    for s, n in shifts.items():
        c[str(s) if s == OTHER or -MAX_SHIFT <= s <= MAX_SHIFT else OTHER] += n


def count_stutter(bam: pysam.AlignmentFile, fetch: FetchRef, contig: str, start: int, end: int,
                  variant_positions: Iterable[int], confident: Sequence[tuple[int, int]],
                  into: dict[str, Counter] | None = None, min_mapping_quality: int = 20,
                  min_flank: int = 2) -> dict[str, Counter]:
    """Add the length shifts of the reads over every :func:`hom_ref_tracts` tract of ``[start, end)`` to ``into``
    (bucket -> Counter of shift as str)."""
    into = into if into is not None else {}
    for t0, t1, unit in hom_ref_tracts(fetch, start, end, variant_positions, confident):
        add_shifts(into, unit, (t1 - t0) / unit,
                   length_shifts(bam, contig, t0, t1, unit, min_mapping_quality, min_flank))
    return into


def genotype_log_likelihoods(table: StutterTable, unit: int, length_units: float, shifts: Counter,
                             alleles: Iterable[int], dispersion: float | None = None) -> dict[tuple[int, int], float]:
    """Natural-log likelihood of each diploid genotype ``(a, b)`` (``a <= b``, length changes in units) of the
    ``alleles``, from the reads' ``shifts`` (:func:`length_shifts`). Each read shows a length change ``d`` with
    probability ``p(d) = S(d - a | L + a) / 2 + S(d - b | L + b) / 2`` (``L`` the reference tract's length in
    units). Without ``dispersion``, reads are independent (multinomial): ``sum n_d log p(d)``. With a
    ``dispersion`` ``alpha`` (:func:`fit_dispersion`), the tract's own stutter rates vary around the table's as a
    Dirichlet with concentration ``alpha * p`` (Dirichlet-multinomial): ``lgamma(alpha) - lgamma(N + alpha) +
    sum [lgamma(n_d + alpha p(d)) - lgamma(alpha p(d))]``, so that a tract that stutters more than its bucket is
    not read as a second allele. Both omit the multinomial coefficient, the same for every genotype."""
    n_reads = sum(shifts.values())
    out = {}
    for a, b in combinations_with_replacement(sorted(set(alleles)), 2):
        ll = 0.0 if dispersion is None else math.lgamma(dispersion) - math.lgamma(n_reads + dispersion)
        for d, n in shifts.items():
            pa = table.prob(unit, length_units + a, OTHER if d == OTHER else d - a)
            pb = table.prob(unit, length_units + b, OTHER if d == OTHER else d - b)
            p = 0.5 * pa + 0.5 * pb
            if dispersion is None:
                ll += n * math.log(p)
            else:
                ll += math.lgamma(n + dispersion * p) - math.lgamma(dispersion * p)
        out[(a, b)] = ll
    return out


def het_log_likelihood_ratio(table: StutterTable, unit: int, length_units: float, shifts: Counter,
                             alleles: Iterable[int] = ()) -> tuple[float, int | None]:
    """``(llr, a)``: when the Dirichlet-multinomial likelihoods (:func:`genotype_log_likelihoods` with the table's
    ``dispersion``) of the genotypes of the reference, ``alleles`` and every length change at least two reads show
    make a het of the reference and one other length ``a`` (``a != 0``; an insertion or a deletion) the most
    likely, its log-likelihood minus that of hom-ref ``(0, 0)``, and ``a``; otherwise ``(0.0, None)``."""
    cands = {0, *alleles} | {d for d, n in shifts.items() if d != OTHER and n >= 2}
    if len(cands) == 1:
        return 0.0, None
    ll = genotype_log_likelihoods(table, unit, length_units, shifts, cands, table.dispersion)
    best = max(ll, key=ll.get)  # (a, 0) for a deletion, (0, a) for an insertion: sorted
    if 0 not in best or best == (0, 0):
        return 0.0, None
    return ll[best] - ll[(0, 0)], best[0] or best[1]


def fit_dispersion(table: StutterTable, tracts: Iterable[tuple[int, float, Counter]]) -> float:
    """The Dirichlet-multinomial concentration ``alpha`` that maximises the hom-ref likelihood
    (:func:`genotype_log_likelihoods`, genotype ``(0, 0)``) of hom-ref ``tracts`` (``(unit, length in units,
    shifts)``), searched over ``10**0.5 .. 10**5`` in steps of 0.05 in log10 (the largest is all but the
    multinomial)."""
    tracts = [t for t in tracts if sum(t[2].values())]
    best = (-math.inf, 0.0)
    for k in range(10, 101):
        alpha = 10 ** (k / 20)
        total = sum(genotype_log_likelihoods(table, u, length, shifts, [0], alpha)[(0, 0)]
                    for u, length, shifts in tracts)
        best = max(best, (total, alpha))
    return best[1]


def _own_tract(record: CallRecord, fetch: FetchRef, others: Sequence[CallRecord]) -> tuple[int, int, int] | None:
    """``(start, end, unit)`` of the repeat tract (>= ``MIN_TRACT_BP``) after ``record``'s anchor base, or None when
    there is none or another non-reference record of ``others`` touches it (within 2 bp): the other haplotype's
    variant can change the tract's length too."""
    t0, t1 = repeat_tract(fetch, record.pos + 1, max_unit=MAX_UNIT)
    if t1 - t0 < MIN_TRACT_BP or any(r is not record and r.gt != (0, 0) and r.contig == record.contig and
                                     r.pos < t1 + 2 and r.pos + len(r.ref) > t0 - 2 for r in others):
        return None
    return t0, t1, tract_unit(fetch(t0, t1))


def hom_alt_from_repeat_lengths(record: CallRecord, bam: pysam.AlignmentFile, fetch: FetchRef,
                                table: StutterTable, others: Sequence[CallRecord] = ()) -> CallRecord:
    """``record`` with GT ``k/k`` when it is a CNN het call (``0/k``) of an indel allele ``k`` in a repeat tract
    (>= 6 bp) and the spanning reads' repeat lengths make hom-alt ``k/k`` the most likely genotype of every pair of
    lengths seen (the reference, the record's alleles, and each length at least two reads show); otherwise
    ``record`` unchanged. A tract that another non-reference record of ``others`` touches (within 2 bp) is left
    alone: the other haplotype's variant can change the tract's length too (a simulated ``TTC -> T`` beside
    ``C -> CT`` before a 10-bp poly-T made the het insertion look hom-alt).

    The genotype probabilities are the record's (from its PL); the mass of ``0/k`` and ``k/k`` together is split
    between them by the stutter model's likelihood ratio, and GQ and PL follow
    (:func:`postprocess.split_genotype_mass`). QUAL (P(0/0)) is the network's. The likelihoods are the
    Dirichlet-multinomial ones when the table has a ``dispersion`` (the multinomial ones otherwise): on the 12 test
    rows, the simulated 1 Mb and the HG002 subsamples the same genotypes as the multinomial, with GQs 0-3 lower.
    """
    i, k = record.gt
    if i != 0 or k == 0 or len(record.alts[k - 1]) == len(record.ref):
        return record
    tract = _own_tract(record, fetch, others)
    changes = [len(alt) - len(record.ref) for alt in record.alts]
    if tract is None or changes[k - 1] % tract[2]:
        return record
    t0, t1, unit = tract
    a = changes[k - 1] // unit
    shifts = table.read_shifts(bam, record.contig, t0, t1, unit)
    alleles = {0, a} | {c // unit for c in changes if c % unit == 0} | \
        {d for d, n in shifts.items() if d != OTHER and n >= 2}
    ll = genotype_log_likelihoods(table, unit, (t1 - t0) / unit, shifts, alleles, table.dispersion)
    hom = (a, a)
    if max(ll, key=ll.get) != hom:
        return record
    order = genotype_order(len(record.alts) + 1)
    het_i, hom_i = order.index((0, k)), order.index((k, k))
    gq, pl = split_genotype_mass(record.pl, hom_i, het_i, ll[hom] - ll[tuple(sorted((0, a)))], hom_i)
    return replace(record, gt=(k, k), gq=gq, pl=pl)


def het_from_repeat_lengths(record: CallRecord, bam: pysam.AlignmentFile, fetch: FetchRef, table: StutterTable,
                            others: Sequence[CallRecord] = (), min_qual: float = 1.0) -> CallRecord:
    """``record`` written het (``0/1``) when it is a RefCall biallelic indel in a repeat tract (>= 6 bp) whose
    spanning reads' repeat lengths make ``(0, a)``, ``a`` the record's length change in units, the most likely
    genotype (:func:`het_log_likelihood_ratio`) by more than the table's ``het_threshold``, and the network's
    ``P(0/1)``, multiplied by ``exp(llr - het_threshold)``, is then the largest; otherwise ``record`` unchanged.

    ``het_threshold`` is the largest such log-likelihood ratio seen at the hom-ref tracts of the training reads
    (``scripts/fit_stutter_table.py``): only evidence beyond what a tract that holds no variant shows counts, as a
    second opinion multiplied into the network's genotype probabilities (Bayes' rule), which give QUAL, GQ and PL;
    FILTER is PASS (LowQual when QUAL < ``min_qual``). A table without a threshold (or dispersion) leaves every
    record alone, as does a tract another non-reference record of ``others`` touches (within 2 bp). The failure it
    answers: HG002 chr20:44,921,555 ``T -> TTG`` (GIAB het) in a 35-bp TG repeat, 23 of 64 spanning reads one unit
    longer, written RefCall by the network. ``(0, a)`` stands for the sorted pair: ``(a, 0)`` for a deletion.
    """
    if table.het_threshold is None or table.dispersion is None or record.gt != (0, 0) or len(record.alts) != 1:
        return record
    change = len(record.alts[0]) - len(record.ref)
    tract = None if change == 0 else _own_tract(record, fetch, others)
    if tract is None or change % tract[2]:
        return record
    t0, t1, unit = tract
    shifts = table.read_shifts(bam, record.contig, t0, t1, unit)
    llr, a = het_log_likelihood_ratio(table, unit, (t1 - t0) / unit, shifts, [change // unit])
    if a != change // unit or llr <= table.het_threshold:
        return record
    return het_if_likelier(record, llr - table.het_threshold, min_qual)
