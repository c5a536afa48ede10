"""What one aligned read says at each reference position: one CIGAR walk shared by the allele counter
(:mod:`genotorch.variants.candidates`) and the pileup encoder (:mod:`genotorch.encode.pileup`).

Coordinates are 0-based reference positions. Indels are anchored on the preceding reference base, as in VCF:
an insertion after reference base ``a`` has anchor ``a``; a deletion of bases ``a+1 .. a+n`` has anchor ``a``.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import pysam

# pysam CIGAR op codes
_M, _I, _D, _N, _S, _H, _P, _EQ, _X = range(9)
_ALIGNED = (_M, _EQ, _X)


@dataclass
class ReadEvents:
    """The alignment of one read, decomposed.

    Attributes
    ----------
    ref_pos: np.ndarray, shape=(n_aligned,), dtype=int64
        Reference position (0-based) of each aligned (M/=/X) base.
    read_pos: np.ndarray, shape=(n_aligned,), dtype=int64
        Index into the read's sequence of each aligned base.
    insertions: list of (anchor, first_read_index, inserted_bases, min_base_quality)
    deletions: list of (anchor, length, anchor_read_index)
        ``anchor_read_index`` is -1 when the deletion opens the alignment.

    Indels are recorded only when an aligned base precedes them (their anchor), so an anchor is always in
    ``ref_pos``.
    """

    read: pysam.AlignedSegment
    ref_pos: np.ndarray
    read_pos: np.ndarray
    insertions: list = field(default_factory=list)
    deletions: list = field(default_factory=list)


def read_events(read: pysam.AlignedSegment) -> ReadEvents:
    """Walk the CIGAR of ``read`` once. Soft/hard clips, skips (N) and pads contribute no bases or events."""
    ref_i = read.reference_start
    read_i = 0
    ref_chunks: list[np.ndarray] = []
    read_chunks: list[np.ndarray] = []
    ins: list = []
    dels: list = []
    quals = read.query_qualities
    seq = read.query_sequence or ""
    prev_aligned = False
    for op, n in read.cigartuples or ():
        if op in _ALIGNED:
            ref_chunks.append(np.arange(ref_i, ref_i + n, dtype=np.int64))
            read_chunks.append(np.arange(read_i, read_i + n, dtype=np.int64))
            ref_i += n
            read_i += n
            prev_aligned = True
            continue
        if op == _I:
            if prev_aligned:
                q = min(quals[read_i : read_i + n]) if quals is not None else 255
                ins.append((ref_i - 1, read_i, seq[read_i : read_i + n].upper(), int(q)))
            read_i += n
        elif op == _S:
            read_i += n
        elif op == _D:
            if prev_aligned:
                dels.append((ref_i - 1, n, read_i - 1))
            ref_i += n
        elif op == _N:
            ref_i += n
        else:  # hard clip, pad: no effect on the alignment
            continue
        prev_aligned = False
    if ref_chunks:
        rp, qp = np.concatenate(ref_chunks), np.concatenate(read_chunks)
    else:
        rp = qp = np.zeros(0, dtype=np.int64)
    return ReadEvents(read, rp, qp, ins, dels)


def read_allele_at(ev: ReadEvents, pos: int, ref: str, alt: str) -> bool:
    """True if the read carries allele ``alt`` (VCF convention, anchored at ``pos``) rather than ``ref``.

    SNV: the aligned base at ``pos`` equals ``alt``. Insertion: an insertion anchored at ``pos`` whose bases equal
    ``alt[1:]``. Deletion: a deletion anchored at ``pos`` of ``len(ref) - 1`` bases. MNP-like or complex alleles
    (``len(ref) == len(alt) > 1``) match when every aligned base agrees.
    """
    if len(ref) == len(alt):
        idx = np.searchsorted(ev.ref_pos, pos)
        if idx + len(alt) > len(ev.ref_pos) or ev.ref_pos[idx] != pos:
            return False
        if ev.ref_pos[idx + len(alt) - 1] != pos + len(alt) - 1:
            return False
        seq = ev.read.query_sequence
        qi = ev.read_pos[idx]
        return seq[qi : qi + len(alt)].upper() == alt
    if len(alt) > len(ref):
        bases = alt[len(ref):] if len(ref) == 1 else None
        return bases is not None and any(a == pos and s == bases for a, _, s, _ in ev.insertions)
    return len(alt) == 1 and any(a == pos and n == len(ref) - 1 for a, n, _ in ev.deletions)
