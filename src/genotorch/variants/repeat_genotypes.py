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

It is used narrowly (:func:`hom_alt_from_repeat_lengths`): only a CNN het call (``0/k``) of an indel allele inside
a tract becomes ``k/k`` when the reads' lengths make ``(a, a)`` the most likely genotype of all pairs of the lengths
seen. The CNN still decides whether there is a variant; only the zygosity of its het calls can change.

Coordinates are 0-based, ends exclusive; a tract is :func:`genotorch.encode.repeats.repeat_tract`'s.
"""

from __future__ import annotations

import bisect
import math
from collections import Counter
from dataclasses import dataclass, field, replace
from itertools import combinations_with_replacement
from typing import Iterable, Sequence

import pysam

from genotorch.encode.repeats import FetchRef, repeat_tract
from genotorch.io.alignments import ReadFilter, reads_contig
from genotorch.io.variants import CallRecord
from genotorch.variants.postprocess import genotype_order, split_genotype_mass

MAX_SHIFT = 3  # stutter shifts tabulated: -3..+3 units; anything else is "other"
OTHER = "other"
MIN_TRACT_BP = 6
MAX_UNIT = 4  # repeat units looked at, in bp, both where the table is counted and where it is used


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
                  min_mapping_quality: int = 20) -> Counter:
    """Repeat-length changes, in units, that the reads spanning tract ``[start, end)`` show: reads aligned from
    ``start - 2`` to ``end + 2`` at least, passing :class:`ReadFilter` at MAPQ >= ``min_mapping_quality``
    (``contig`` may differ from the reads' name by a ``chr`` prefix). A read whose length change is not a whole
    number of units counts as ``"other"``.

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
        if read.reference_start > start - 2 or read.reference_end is None or read.reference_end < end + 2:
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
    for anything else), per :func:`bucket`. ``min_mapping_quality``: the reads it was counted on."""

    probs: dict[str, dict[str, float]] = field(default_factory=dict)
    min_mapping_quality: int = 20
    source: str = ""

    @classmethod
    def from_counts(cls, counts: dict[str, Counter], min_mapping_quality: int = 20, source: str = "",
                    pseudocount: float = 0.5) -> "StutterTable":
        """A table from reads counted per bucket (``{bucket: Counter(shift as str -> reads)}``), each bucket's
        shifts smoothed by ``pseudocount`` reads."""
        keys = [str(k) for k in range(-MAX_SHIFT, MAX_SHIFT + 1)] + [OTHER]
        probs = {}
        for b, c in counts.items():
            total = sum(c.values()) + pseudocount * len(keys)
            probs[b] = {k: (c.get(k, 0) + pseudocount) / total for k in keys}
        return cls(probs, min_mapping_quality, source)

    def to_dict(self) -> dict:
        """Plain types only, for a checkpoint's ``meta.stutter`` (loaded without unpickling code)."""
        return {"probs": self.probs, "min_mapping_quality": self.min_mapping_quality, "source": self.source}

    @classmethod
    def from_dict(cls, d: dict) -> "StutterTable":
        """The table :meth:`to_dict` wrote."""
        return cls(d["probs"], d.get("min_mapping_quality", 20), d.get("source", ""))

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


def count_stutter(bam: pysam.AlignmentFile, fetch: FetchRef, contig: str, start: int, end: int,
                  variant_positions: Iterable[int], confident: Sequence[tuple[int, int]],
                  into: dict[str, Counter] | None = None, min_mapping_quality: int = 20) -> dict[str, Counter]:
    """Add the length shifts of the reads over every hom-ref tract (>= ``MIN_TRACT_BP``, unit 1-``MAX_UNIT``) of
    ``[start, end)`` to ``into`` (bucket -> Counter of shift as str). A tract is hom-ref when it lies in a ``confident`` interval
    (5 bp either side included) and no truth variant starts within 5 bp of it."""
    into = into if into is not None else {}
    variants = sorted(variant_positions)
    i = 0
    while i < end - start - 1:
        t0, t1 = repeat_tract(fetch, start + i, max_unit=MAX_UNIT)
        if t1 - t0 < MIN_TRACT_BP:
            i += 1
            continue
        i = max(i + 1, t1 - start - 1)
        if not any(a <= t0 - 5 and t1 + 5 <= b for a, b in confident):
            continue
        k = bisect.bisect_left(variants, t0 - 5)
        if k < len(variants) and variants[k] <= t1 + 5:
            continue
        unit = tract_unit(fetch(t0, t1))
        shifts = length_shifts(bam, contig, t0, t1, unit, min_mapping_quality)
        c = into.setdefault(bucket(unit, (t1 - t0) / unit), Counter())
        for s, n in shifts.items():
            c[str(s) if s == OTHER or -MAX_SHIFT <= s <= MAX_SHIFT else OTHER] += n
    return into


def genotype_log_likelihoods(table: StutterTable, unit: int, length_units: float, shifts: Counter,
                             alleles: Iterable[int]) -> dict[tuple[int, int], float]:
    """Natural-log likelihood of each diploid genotype ``(a, b)`` (``a <= b``, length changes in units) of the
    ``alleles``, from the reads' ``shifts`` (:func:`length_shifts`): ``sum log(S(d - a | L + a) / 2 +
    S(d - b | L + b) / 2)``, ``L`` the reference tract's length in units."""
    out = {}
    for a, b in combinations_with_replacement(sorted(set(alleles)), 2):
        ll = 0.0
        for d, n in shifts.items():
            pa = table.prob(unit, length_units + a, OTHER if d == OTHER else d - a)
            pb = table.prob(unit, length_units + b, OTHER if d == OTHER else d - b)
            ll += n * math.log(0.5 * pa + 0.5 * pb)
        out[(a, b)] = ll
    return out


def hom_alt_from_repeat_lengths(record: CallRecord, bam: pysam.AlignmentFile, fetch: FetchRef,
                                table: StutterTable, others: Sequence[CallRecord] = ()) -> CallRecord:
    """``record`` with GT ``k/k`` when it is a CNN het call (``0/k``) of an indel allele ``k`` in a repeat tract
    (>= 6 bp) and the spanning reads' repeat lengths make hom-alt ``k/k`` the most likely genotype of every pair of
    lengths seen (the reference, the record's alleles, and each length at least two reads show); otherwise
    ``record`` unchanged. A tract that another non-reference record of ``others`` touches (within 2 bp) is left
    alone: the other haplotype's variant can change the tract's length too (a simulated ``TTC -> T`` beside
    ``C -> CT`` before a 10-bp poly-T made the het insertion look hom-alt).

    The genotype probabilities are the record's (from its PL); the mass of ``0/k`` and ``k/k`` together is split
    between them by the stutter model's likelihood ratio, and GQ and PL follow (:func:`postprocess.split_genotype_mass`).
    QUAL (P(0/0)) is the network's.
    """
    i, k = record.gt
    if i != 0 or k == 0 or len(record.alts[k - 1]) == len(record.ref):
        return record
    t0, t1 = repeat_tract(fetch, record.pos + 1, max_unit=MAX_UNIT)
    if t1 - t0 < MIN_TRACT_BP:
        return record
    if any(r is not record and r.gt != (0, 0) and r.contig == record.contig and r.pos < t1 + 2 and
           r.pos + len(r.ref) > t0 - 2 for r in others):
        return record
    unit = tract_unit(fetch(t0, t1))
    changes = [len(alt) - len(record.ref) for alt in record.alts]
    if changes[k - 1] % unit:
        return record
    a = changes[k - 1] // unit
    shifts = length_shifts(bam, record.contig, t0, t1, unit, table.min_mapping_quality)
    alleles = {0, a} | {c // unit for c in changes if c % unit == 0} | \
        {d for d, n in shifts.items() if d != OTHER and n >= 2}
    ll = genotype_log_likelihoods(table, unit, (t1 - t0) / unit, shifts, alleles)
    hom = (a, a)
    if max(ll, key=ll.get) != hom:
        return record
    order = genotype_order(len(record.alts) + 1)
    het_i, hom_i = order.index((0, k)), order.index((k, k))
    gq, pl = split_genotype_mass(record.pl, hom_i, het_i, ll[hom] - ll[tuple(sorted((0, a)))], hom_i)
    return replace(record, gt=(k, k), gq=gq, pl=pl)
