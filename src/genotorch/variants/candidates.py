"""Candidate variants from allele counts (DeepVariant's "very sensitive caller").

For every reference position, the reads that pass the read filter (see :mod:`genotorch.io.alignments`) vote with
their base (if its base quality >= ``min_base_quality``) or with an indel anchored there. An alternate allele is a
candidate when its count >= ``min_count`` and its fraction of the reads at the position >= ``min_fraction`` (0.12
for SNVs, 0.06 for indels: DeepVariant's defaults, ``VariantCallerOptions`` in its make_examples).

Alleles are in VCF convention: ``pos`` is the 0-based position of the first REF base; indels carry the preceding
reference base (the anchor). Each alternate allele is its own candidate; several at one position are merged back
into one multi-allelic record by :mod:`genotorch.variants.postprocess`.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass
from itertools import combinations
from typing import Iterable, Sequence

import numpy as np

from genotorch.encode.read_events import ReadEvents, aligned_bases, read_allele_at
from genotorch.encode.repeats import FetchRef, indel_tract
from genotorch.errors import GenotorchError
from genotorch.io.examples import Candidate

BASES = "ACGTN"
_CODE = np.full(256, 4, dtype=np.int64)
for _i, _b in enumerate("ACGT"):
    _CODE[ord(_b)] = _i
    _CODE[ord(_b.lower())] = _i


@dataclass(frozen=True)
class CandidateConfig:
    """Thresholds of the allele counter (DeepVariant defaults). Qualities in phred."""

    min_base_quality: int = 10
    min_count_snps: int = 2
    min_count_indels: int = 2
    min_fraction_snps: float = 0.12
    min_fraction_indels: float = 0.06
    max_indel_length: int = 50

    def __post_init__(self):
        for flag, v in (("--min-fraction-snps", self.min_fraction_snps),
                        ("--min-fraction-indels", self.min_fraction_indels)):
            if not 0.0 <= v <= 1.0:
                raise GenotorchError(f"{flag} {v}: a fraction of the reads, between 0 and 1")
        for flag, v, lo in (("--min-count", self.min_count_snps, 1), ("--min-count", self.min_count_indels, 1),
                            ("--min-base-quality", self.min_base_quality, 0),
                            ("max_indel_length", self.max_indel_length, 1)):
            if v < lo:
                raise GenotorchError(f"{flag} {v}: give {lo} or more")


@dataclass
class AlleleCounts:
    """Allele counts over ``[start, end)`` of ``contig``.

    Attributes
    ----------
    bases: np.ndarray, shape=(end - start, 5), dtype=int64
        Reads showing A, C, G, T, N at each position (bases below the quality threshold not counted).
    indels: Counter of (pos, ref, alt) -> reads
    """

    contig: str
    start: int
    end: int
    bases: np.ndarray
    indels: Counter


def count_alleles(
    events: Iterable[ReadEvents], contig: str, start: int, end: int, ref_seq: str, ref_offset: int,
    config: CandidateConfig,
) -> AlleleCounts:
    """Count alleles over ``[start, end)``.

    Parameters
    ----------
    events: the reads (already filtered) as :class:`ReadEvents`
    ref_seq: str
        Upper-case reference bases starting at 0-based ``ref_offset``; must cover ``[start, end + max_indel_length]``.
    """
    length = end - start
    events = list(events)
    indels: Counter = Counter()
    for ev in events:
        for anchor, _, bases, q in ev.insertions:
            if start <= anchor < end and q >= config.min_base_quality and len(bases) <= config.max_indel_length:
                r = ref_seq[anchor - ref_offset]
                indels[(anchor, r, r + bases)] += 1
        for anchor, n, _ in ev.deletions:
            if start <= anchor < end and n <= config.max_indel_length:
                r = ref_seq[anchor - ref_offset : anchor - ref_offset + n + 1]
                indels[(anchor, r, r[0])] += 1
    if not events:
        return AlleleCounts(contig, start, end, np.zeros((length, 5), dtype=np.int64), indels)
    a = aligned_bases(events, missing_quality=255)  # no qualities: every base counts
    keep = (a.ref_pos >= start) & (a.ref_pos < end) & (a.quals[a.seq_index] >= config.min_base_quality)
    flat = (a.ref_pos[keep] - start) * 5 + _CODE[a.bases[a.seq_index[keep]]]
    counts = np.bincount(flat, minlength=length * 5).reshape(length, 5)
    return AlleleCounts(contig, start, end, counts, indels)


def find_candidates(counts: AlleleCounts, ref_seq: str, ref_offset: int, config: CandidateConfig) -> list[Candidate]:
    """Candidates from allele counts, sorted by position then allele. Positions whose reference base is not
    A/C/G/T are skipped."""
    out: list[Candidate] = []
    depth = counts.bases.sum(axis=1)
    indel_reads_at = Counter()
    for (pos, _, _), n in counts.indels.items():
        indel_reads_at[pos] += n
    # SNVs: vectorised thresholding, then a short Python loop over the hits
    ref_codes = _CODE[np.frombuffer(ref_seq[counts.start - ref_offset : counts.end - ref_offset].encode(), np.uint8)]
    alt_counts = counts.bases[:, :4].copy()
    valid = ref_codes < 4
    alt_counts[np.arange(len(ref_codes))[valid], ref_codes[valid]] = 0
    frac_ok = alt_counts >= np.maximum(config.min_count_snps, config.min_fraction_snps * depth[:, None])
    for i, b in zip(*np.nonzero(frac_ok & valid[:, None])):
        pos = counts.start + int(i)
        out.append(_candidate(counts, pos, BASES[ref_codes[i]], BASES[b], int(alt_counts[i, b]), ref_codes[i],
                              indel_reads_at))
    for (pos, ref, alt), n in counts.indels.items():
        i = pos - counts.start
        if ref_codes[i] >= 4 or "N" in ref or "N" in alt:
            continue
        if n >= config.min_count_indels and n >= config.min_fraction_indels * depth[i]:
            out.append(_candidate(counts, pos, ref, alt, n, ref_codes[i], indel_reads_at))
    out.sort(key=lambda c: (c.pos, len(c.ref), c.alt))
    return out


def informative_indel_depths(candidates: Sequence[Candidate], events: Sequence[ReadEvents],
                             fetch: FetchRef) -> list[Candidate]:
    """``candidates`` with each indel's ``depth`` and ``ref_count`` taken from the reads that can tell it from the
    reference: reads aligned across the indel's homopolymer/STR tract with one more base each side
    (:func:`genotorch.encode.repeats.indel_tract`, the reads an indel pileup draws), plus the reads carrying the
    allele that do not span it. ``ref_count``: the spanning reads with no insertion or deletion anchored in the
    tract (they show the reference's repeat length); ``depth``: the spanning reads (whatever length they show) plus
    the non-spanning reads carrying the allele. ``alt_count`` is unchanged, and SNVs are returned as they are.

    A read that ends inside a repeat shows the reference there whatever the repeat's length in its molecule, so
    counting it as reference support (DeepVariant's allele counter does) makes a hom-alt indel in a 14-bp poly-A
    look het in AD and VAF (HG002 20:38,391,304, GIAB 1/1: AD 27,29 and DP 75 from every overlapping read; AD 10,29
    and DP 56 from the informative ones).
    bcftools counts an indel's AD[0] from spanning reads alone since 1.13 (samtools/bcftools#1498); GATK's AD and
    DP count informative reads only. ``fetch(start, end)``: reference bases, 0-based half-open."""
    out = []
    starts = np.fromiter((ev.start for ev in events), dtype=np.int64, count=len(events))
    ends = np.fromiter((ev.end for ev in events), dtype=np.int64, count=len(events))
    for c in candidates:
        if len(c.ref) == len(c.alt):
            out.append(c)
            continue
        t0, t1 = indel_tract(fetch, c.pos, c.ref, c.alt)
        spanning = [events[i] for i in np.flatnonzero((starts <= t0 - 1) & (ends >= t1 + 1))]
        reference = sum(not any(t0 - 1 <= a < t1 for a, *_ in ev.insertions) and
                        not any(t0 - 1 <= a < t1 for a, *_ in ev.deletions) for ev in spanning)
        carrying = sum(read_allele_at(ev, c.pos, c.ref, c.alt) for ev in spanning)
        depth = len(spanning) + max(0, c.alt_count - carrying)
        out.append(Candidate(c.contig, c.pos, c.ref, c.alt, depth, reference, c.alt_count))
    return out


def _candidate(counts: AlleleCounts, pos: int, ref: str, alt: str, n: int, ref_code: int, indel_reads_at) -> Candidate:
    i = pos - counts.start
    d = int(counts.bases[i].sum())
    ref_n = max(0, int(counts.bases[i, ref_code]) - indel_reads_at.get(pos, 0))
    return Candidate(counts.contig, pos, ref, alt, max(d, n), ref_n, n)


@dataclass(frozen=True)
class Example:
    """One example to draw: ``members`` are the candidate alleles whose support it shows (one, or a pair at a
    multi-allelic site); ``row`` is its line in the examples' variant table (REF the longest REF of the site, the
    members' ALTs padded to it and joined by commas, depth the site's, ``alt_count`` the members' sum)."""

    row: Candidate
    members: tuple[Candidate, ...]


def plan_examples(candidates: Sequence[Candidate], max_alts: int = 5) -> list[Example]:
    """Examples of candidates sorted by position (DeepVariant's multi-allelic scheme): one per candidate allele,
    and at a site with several alt alleles one more per pair of them, so that postprocessing can tell ``1/2``
    from ``0/1`` and ``0/2``. Beyond ``max_alts`` alleles at one position the best supported are kept."""
    out: list[Example] = []
    i = 0
    while i < len(candidates):
        j = i
        while j < len(candidates) and candidates[j].pos == candidates[i].pos and \
                candidates[j].contig == candidates[i].contig:
            j += 1
        site = list(candidates[i:j])
        if len(site) > max_alts:
            best = sorted(site, key=lambda c: -c.alt_count)[:max_alts]
            site = [c for c in site if c in best]
        ref = max((c.ref for c in site), key=len)
        sets = [(c,) for c in site] + (list(combinations(site, 2)) if len(site) > 1 else [])
        for members in sets:
            alt = ",".join(c.alt + ref[len(c.ref):] for c in members)
            row = Candidate(site[0].contig, site[0].pos, ref, alt, max(c.depth for c in site),
                            min(c.ref_count for c in site), sum(c.alt_count for c in members))
            out.append(Example(row, tuple(members)))
        i = j
    return out
