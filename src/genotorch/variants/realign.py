"""Haplotype-aware local realignment of short reads, after DeepVariant's realigner (Poplin et al. 2018, Nat
Biotechnol 36:983; ``deepvariant/realigner``).

Aligners place an indel in a homopolymer or a short tandem repeat (STR) in more than one way, and reads that end in
the repeat are often soft-clipped or aligned with mismatches instead of the indel, so the alt allele's support looks
partial (a hom-alt indel looks het). Realignment gives every read the alignment it would have if the aligner had
known the sample's haplotypes:

1. **Active windows** (:func:`select_windows`): reference positions where at least ``min_evidence_reads`` reads
   carry an indel anchored there or start/end a soft clip of at least ``min_soft_clip`` bp there. Each position
   opens a window that covers the indel, the whole homopolymer or STR tract around it, and ``flank`` bp each side;
   overlapping windows merge, and windows longer than ``max_window`` bp are left alone.
2. **Candidate haplotypes** (:func:`candidate_haplotypes`): the reference; the allele sets that whole reads carry
   across the window (phase comes with the read) and every single allele seen in at least ``min_allele_reads``
   reads; and, for alleles no aligner wrote into a CIGAR (hidden in soft clips or spread over mismatches), a local
   de Bruijn assembly of the reads and the reference (:func:`assemble`, k = 15-45 bp, edges seen in fewer than
   ``min_allele_reads`` reads pruned, no cycle, at most ``max_paths`` source-to-sink paths), the assembled
   sequences turned back into left-aligned alleles by a global alignment to the reference window.
3. **Scoring**: every read overlapping the window is aligned (local Smith-Waterman, affine gaps, parasail;
   DeepVariant's realigner scores: match 4, mismatch 6, gap open 8, gap extend 2) to each haplotype padded with
   reference flanks. A read whose best score is on a non-reference haplotype, strictly above its score on the
   reference, is realigned to that haplotype; every other read keeps its alignment.
4. **Back to the reference**: the read-to-haplotype alignment is mapped through the haplotype's own alignment to
   the reference (known exactly, the haplotype being the reference with alleles applied): bases on reference
   positions become M, bases on inserted haplotype bases I, skipped reference positions D, unaligned read ends S.
   The read's position and CIGAR are updated in place.

Coordinates are 0-based half-open; alleles are ``(pos, ref, alt)`` in VCF convention (indels carry their anchor
base), left-aligned (:func:`genotorch.variants.alleles.normalize_allele`).
"""

from __future__ import annotations

from typing import Sequence

import numpy as np

from genotorch.encode.read_events import ReadEvents, read_events, soft_clips
from genotorch.variants.haplotype_candidates import (
    FetchRef, RealignConfig, RealignStats, build_haplotype, candidate_haplotypes, select_windows,
)

_M, _I, _D, _S = 0, 1, 2, 4  # pysam CIGAR operations

__all__ = ["RealignConfig", "RealignStats", "realign_reads", "realign_window"]


# ---------------------------------------------------------------------------------------------------- reads


def _cigar_to_reference(ops, q0: int, t0: int, qlen: int, hap_to_ref: np.ndarray
                        ) -> tuple[int, list[tuple[int, int]]] | None:
    """A read-to-haplotype alignment (``ops``: (op char, length), starting at read base ``q0`` and haplotype base
    ``t0``) as a reference position and CIGAR; None if no read base lands on a reference position."""
    out: list[list[int]] = []

    def emit(op: int, n: int) -> None:
        if n <= 0:
            return
        if out and out[-1][0] == op:
            out[-1][1] += n
        else:
            out.append([op, n])

    emit(_S, q0)
    qi, ti = q0, t0
    start, prev_ref = None, None
    for op, n in ops:
        if op in "=XM":
            seg = hap_to_ref[ti:ti + n]
            if not len(seg):
                continue
            inserted = seg < 0
            # runs of inserted bases, or of consecutive reference positions
            cut = np.flatnonzero((inserted[1:] != inserted[:-1]) | (~inserted[1:] & (np.diff(seg) != 1))) + 1
            for a, b in zip([0, *cut.tolist()], [*cut.tolist(), n]):
                r = int(seg[a])
                if r < 0:
                    emit(_I, b - a)
                    continue
                if prev_ref is not None and r > prev_ref + 1:
                    emit(_D, r - prev_ref - 1)
                if start is None:
                    start = r
                emit(_M, b - a)
                prev_ref = int(seg[b - 1])
            qi += n
            ti += n
        elif op == "I":  # read bases not in the haplotype
            emit(_I, n)
            qi += n
        elif op == "D":  # haplotype bases not in the read
            ti += n
    emit(_S, qlen - qi)
    if start is None:
        return None
    # an insertion next to a soft clip (no aligned base beside it) becomes part of the clip
    for i in (0, 1):
        if len(out) > i + 1 and out[i][0] == _I and (i == 0 or out[i - 1][0] == _S):
            out[i][0] = _S
    for i in (-1, -2):
        if len(out) > -i and out[i][0] == _I and (i == -1 or out[i + 1][0] == _S):
            out[i][0] = _S
    merged: list[tuple[int, int]] = []
    for op, n in out:
        if merged and merged[-1][0] == op:
            merged[-1] = (op, merged[-1][1] + n)
        else:
            merged.append((op, n))
    return start, merged


def _matches_reference(ev: ReadEvents, seq: str, fetch: FetchRef) -> bool:
    """Whether the read (``seq``: its bases, upper case) is aligned end to end, without clips or indels, and every
    base is an A, C, G or T equal to the reference's: then its local alignment to the reference haplotype scores
    ``len(seq) * match``, the most any alignment of it can score."""
    return (not ev.insertions and not ev.deletions and ev.clips == (0, 0) and len(ev.blocks) == 1
            and ev.blocks[0][2] == len(seq) and not seq.strip("ACGT") and fetch(ev.start, ev.end) == seq)


def _decode(cigar) -> list[tuple[str, int]]:
    return [("MIDNSHP=X"[int(c) & 0xF], int(c) >> 4) for c in cigar.seq]


def _local_alignment(read_seq: str, target: str, matrix, config: RealignConfig, trace: bool):
    import parasail

    f = parasail.sw_trace_striped_16 if trace else parasail.sw_striped_16
    return f(read_seq, target, config.gap_open, config.gap_extend, matrix)


def _indels_in(start: int, cigar, ws: int, we: int) -> list[tuple[int, int, int]]:
    """``(anchor, op, length)`` of the insertions and deletions of an alignment anchored in ``[ws, we)``."""
    out, ref = [], start
    for op, n in cigar or ():
        if op in (_M, 7, 8):
            ref += n
        elif op in (_I, _D):
            if ws <= ref - 1 < we:
                out.append((ref - 1, op, n))
            if op == _D:
                ref += n
        elif op == 3:
            ref += n
    return out


def _extents(events: Sequence[ReadEvents]) -> tuple[np.ndarray, np.ndarray]:
    """Each read's reference span widened by its soft clips (where clipped bases would land)."""
    lo, hi = np.zeros(len(events), np.int64), np.zeros(len(events), np.int64)
    for i, ev in enumerate(events):
        lo[i], hi[i] = ev.clipped_span
    return lo, hi


def realign_window(events: Sequence[ReadEvents], touching: Sequence[int], ws: int, we: int, fetch: FetchRef,
                   config: RealignConfig, matrix) -> list[int]:
    """Realign the reads ``events[i]`` for ``i`` in ``touching`` (those reaching window ``[ws, we)``); returns the
    indices of the reads that changed.

    A read moves to its best non-reference haplotype only when that alignment scores at least ``min_score_gain``
    above its alignment to the reference haplotype, clips no more of the read than before, and starts within the
    window's length of where it started (a read in a repeat must not jump to another copy)."""
    if not touching:
        return []
    haps = candidate_haplotypes([events[i] for i in touching], ws, we, fetch, config)
    if len(haps) < 2:
        return []
    pad = max(len(events[i].read.query_sequence) for i in touching) + 10
    built = [build_haplotype(fetch, ws, we, h, pad) for h in haps]
    changed = []
    for i in touching:
        read = events[i].read
        seq = read.query_sequence.upper()
        if config.min_score_gain > 0 and _matches_reference(events[i], seq, fetch):
            continue  # its reference alignment already scores the most any alignment can: it cannot move
        scores = [_local_alignment(seq, s, matrix, config, False).score for s, _ in built]
        best = int(np.argmax(scores))
        if best == 0 or scores[best] < scores[0] + config.min_score_gain:
            continue
        res = _local_alignment(seq, built[best][0], matrix, config, True)
        ops = _decode(res.cigar)
        q0, t0 = res.cigar.beg_query, res.cigar.beg_ref
        while ops and ops[0][0] in "DI":  # parasail may report leading gaps: step over them
            op, n = ops.pop(0)
            t0, q0 = (t0 + n, q0) if op == "D" else (t0, q0 + n)
        mapped = _cigar_to_reference(ops, q0, t0, len(seq), built[best][1])
        if mapped is None:
            continue
        start, cigar = mapped
        old_lead, old_trail = events[i].clips
        new_lead, new_trail = soft_clips(cigar)
        if new_lead + new_trail > old_lead + old_trail or \
                abs((start - new_lead) - (read.reference_start - old_lead)) > we - ws:
            continue
        if _indels_in(read.reference_start, read.cigartuples, ws, we) == _indels_in(start, cigar, ws, we):
            continue  # same indels in the window: only mismatches would move, keep the aligner's placement
        if start != read.reference_start or cigar != list(read.cigartuples or ()):
            read.reference_start = start
            read.cigartuples = cigar
            changed.append(i)
    return changed


def realign_reads(events: list[ReadEvents], fetch: FetchRef, start: int, end: int, config: RealignConfig
                  ) -> tuple[list[ReadEvents], RealignStats]:
    """Realign the reads of ``events`` in every active window with evidence in ``[start, end)``.

    Reads are updated in place (position and CIGAR); the events come back sorted by position, recomputed for the
    reads that changed. Reads longer than ``config.max_read_length`` (long reads) are left alone. ``fetch(a, b)`` returns the upper-case reference bases of ``[a, b)`` (N past the ends)."""
    import parasail

    stats = RealignStats()
    if not config.enabled or not events:
        return events, stats
    events = list(events)
    is_long = [len(ev.seq) > config.max_read_length for ev in events]
    if any(is_long):  # long reads are left as they are (DeepVariant does not realign them either, and aligning
        # them to a padded haplotype would cost memory and time in proportion to their length)
        short, stats = realign_reads([ev for ev, lg in zip(events, is_long) if not lg], fetch, start, end, config)
        long_reads = [ev for ev, lg in zip(events, is_long) if lg]
        return sorted(long_reads + short, key=lambda ev: ev.start), stats
    matrix = parasail.matrix_create("ACGT", config.match, -config.mismatch)
    windows = select_windows(events, fetch, start, end, config)
    stats.windows = len(windows)
    lo, hi = _extents(events)
    for ws, we in windows:
        touching = np.flatnonzero((lo < we) & (hi > ws)).tolist()
        changed = realign_window(events, touching, ws, we, fetch, config, matrix)
        for i in changed:
            events[i] = read_events(events[i].read)
            lo[i], hi[i] = events[i].clipped_span
        stats.reads_realigned += len(changed)
    if stats.reads_realigned:
        order = np.argsort(np.fromiter((ev.start for ev in events), dtype=np.int64, count=len(events)),
                           kind="stable")  # by start, ties in their current order
        events = [events[i] for i in order]
    return events, stats
