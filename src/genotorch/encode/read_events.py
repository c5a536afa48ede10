"""What one aligned read says at each reference position: one CIGAR walk shared by the allele counter
(:mod:`genotorch.variants.candidates`) and the pileup encoder (:mod:`genotorch.encode.pileup`).

Coordinates are 0-based reference positions. Indels are anchored on the preceding reference base, as in VCF:
an insertion after reference base ``a`` has anchor ``a``; a deletion of bases ``a+1 .. a+n`` has anchor ``a``.
"""

from __future__ import annotations

from typing import NamedTuple, Sequence

import numpy as np
import pysam

# pysam CIGAR op codes
_M, _I, _D, _N, _S, _H, _P, _EQ, _X = range(9)
_ALIGNED = (_M, _EQ, _X)


class ReadEvents:
    """The alignment of one read, decomposed.

    Attributes
    ----------
    read: pysam.AlignedSegment
    start, end: int
        0-based reference span ``[start, end)`` of the alignment when decomposed (``reference_start`` /
        ``reference_end``).
    clips: (int, int)
        Soft-clipped bases at the start and at the end of the alignment.
    blocks: list of (int, int, int)
        Each aligned (M/=/X) run as (reference start, read start, length), in read order.
    ref_pos: np.ndarray, shape=(n_aligned,), dtype=int64
        Reference position (0-based) of each aligned base (built from ``blocks`` on first use).
    read_pos: np.ndarray, shape=(n_aligned,), dtype=int64
        Index into the read's sequence of each aligned base (built on first use).
    insertions: list of (anchor, first_read_index, inserted_bases, min_base_quality)
    deletions: list of (anchor, length, anchor_read_index)
        ``anchor_read_index`` is -1 when the deletion opens the alignment.
    seq: np.ndarray, shape=(read_length,), dtype=uint8
        The read's bases as ASCII codes (as stored: case kept), read once from the BAM record.
    quals: np.ndarray, shape=(read_length,), dtype=uint8, or None
        The read's base qualities (phred), None when the record has none.

    Indels are recorded only when an aligned base precedes them (their anchor), so an anchor is always in
    ``ref_pos``. The read record is not copied: when its alignment changes, decompose it again.
    """

    __slots__ = ("read", "start", "end", "clips", "blocks", "insertions", "deletions", "seq", "quals", "_pos")

    def __init__(self, read, start: int, end: int, clips: tuple[int, int], blocks: list, insertions: list,
                 deletions: list, seq: np.ndarray, quals: np.ndarray | None):
        self.read, self.start, self.end, self.clips, self.blocks = read, start, end, clips, blocks
        self.insertions, self.deletions, self.seq, self.quals = insertions, deletions, seq, quals
        self._pos: tuple[np.ndarray, np.ndarray] | None = None

    def _positions(self) -> tuple[np.ndarray, np.ndarray]:
        if self._pos is None:
            if len(self.blocks) == 1:  # most reads: one aligned run
                r0, q0, n = self.blocks[0]
                self._pos = (np.arange(r0, r0 + n, dtype=np.int64), np.arange(q0, q0 + n, dtype=np.int64))
            else:
                self._pos = expand_blocks(np.array(self.blocks, dtype=np.int64).reshape(-1, 3))
        return self._pos

    @property
    def clipped_span(self) -> tuple[int, int]:
        """``(start - leading clip, end + trailing clip)``: where the soft-clipped bases would land on the reference."""
        return self.start - self.clips[0], self.end + self.clips[1]

    @property
    def ref_pos(self) -> np.ndarray:
        """Reference position of each aligned base, int64 (see the class)."""
        return self._positions()[0]

    @property
    def read_pos(self) -> np.ndarray:
        """Read index of each aligned base, int64 (see the class)."""
        return self._positions()[1]


def expand_blocks(blocks: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Aligned runs ``(ref start, read start, length)``, shape (n, 3) int64 -> the (reference, read) position of
    every aligned base, two int64 arrays of length ``sum(length)``, in run order."""
    if len(blocks) == 0:
        empty = np.zeros(0, dtype=np.int64)
        return empty, empty
    n = blocks[:, 2]
    run_start = np.cumsum(n) - n
    step = np.arange(int(n.sum()), dtype=np.int64) - np.repeat(run_start, n)
    return np.repeat(blocks[:, 0], n) + step, np.repeat(blocks[:, 1], n) + step


class AlignedBases(NamedTuple):
    """The aligned bases of several reads at once (see :func:`aligned_bases`)."""

    ref_pos: np.ndarray  # (n,) int64: reference position of each aligned base, read after read
    seq_index: np.ndarray  # (n,) int64: its index into ``bases`` / ``quals``
    bases: np.ndarray  # (total read length,) uint8: the reads' bases, concatenated
    quals: np.ndarray  # (total read length,) uint8: their qualities
    read_offset: np.ndarray  # (reads,) int64: where each read's bases start in ``bases``
    n_aligned: np.ndarray  # (reads,) int64: aligned bases per read


def aligned_bases(events: Sequence[ReadEvents], missing_quality: int) -> AlignedBases:
    """Every aligned base of ``events`` in one set of arrays (reads in order, each read's bases in run order), for
    work over a chunk's reads without a numpy call per read. A read without qualities gets ``missing_quality``
    (0-255) for every base."""
    read_len = np.fromiter((len(ev.seq) for ev in events), dtype=np.int64, count=len(events))
    read_offset = np.cumsum(read_len) - read_len
    runs_per_read = [len(ev.blocks) for ev in events]
    blocks = np.array([b for ev in events for b in ev.blocks], dtype=np.int64).reshape(-1, 3)
    blocks[:, 1] += np.repeat(read_offset, runs_per_read)
    ref_pos, seq_index = expand_blocks(blocks)
    n_aligned = np.bincount(np.repeat(np.arange(len(events)), runs_per_read), weights=blocks[:, 2],
                            minlength=len(events)).astype(np.int64)
    empty = np.zeros(0, dtype=np.uint8)
    bases = np.concatenate([empty] + [ev.seq for ev in events])
    quals = np.concatenate([empty] + [ev.quals if ev.quals is not None else
                                      np.full(len(ev.seq), missing_quality, dtype=np.uint8) for ev in events])
    return AlignedBases(ref_pos, seq_index, bases, quals, read_offset, n_aligned)


def soft_clips(cigar) -> tuple[int, int]:
    """Soft-clipped bases at the start and at the end of a CIGAR (pysam ``(op, length)`` tuples; a one-operation
    CIGAR has no trailing clip)."""
    cigar = cigar or ()
    lead = cigar[0][1] if cigar and cigar[0][0] == _S else 0
    trail = cigar[-1][1] if len(cigar) > 1 and cigar[-1][0] == _S else 0
    return lead, trail


def read_events(read: pysam.AlignedSegment) -> ReadEvents:
    """Walk the CIGAR of ``read`` once. Soft/hard clips, skips (N) and pads contribute no bases or events."""
    start = ref_i = read.reference_start
    read_i = 0
    blocks: list[tuple[int, int, int]] = []  # (ref start, read start, length) of each aligned run
    ins: list = []
    dels: list = []
    quals = read.query_qualities
    text = read.query_sequence or ""
    prev_aligned = False
    cigar = read.cigartuples or ()
    for op, n in cigar:
        if op in _ALIGNED:
            blocks.append((ref_i, read_i, n))
            ref_i += n
            read_i += n
            prev_aligned = True
            continue
        if op == _I:
            if prev_aligned:
                q = min(quals[read_i : read_i + n]) if quals is not None else 255
                ins.append((ref_i - 1, read_i, text[read_i : read_i + n].upper(), int(q)))
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
    seq = np.frombuffer(text.encode(), dtype=np.uint8)
    qual_codes = np.frombuffer(quals, dtype=np.uint8) if quals is not None else None
    return ReadEvents(read, start, ref_i, soft_clips(cigar), blocks, ins, dels, seq, qual_codes)


def base_index_at(ev: ReadEvents, pos: int) -> int | None:
    """Index into the read's sequence of the base aligned (M/=/X) to 0-based reference ``pos``; None when ``pos`` is
    deleted, skipped or outside the alignment."""
    for r0, q0, n in ev.blocks:  # the aligned run holding pos, if any (reference positions only increase)
        if r0 <= pos < r0 + n:
            return q0 + pos - r0
    return None


def read_allele_at(ev: ReadEvents, pos: int, ref: str, alt: str) -> bool:
    """True if the read carries allele ``alt`` (VCF convention, anchored at ``pos``) rather than ``ref``.

    SNV: the aligned base at ``pos`` equals ``alt``. Insertion: an insertion anchored at ``pos`` whose bases equal
    ``alt[1:]``. Deletion: a deletion anchored at ``pos`` of ``len(ref) - 1`` bases. MNP-like or complex alleles
    (``len(ref) == len(alt) > 1``) match when every aligned base agrees.
    """
    if len(alt) == 1 == len(ref):  # SNV
        q = base_index_at(ev, pos)
        return q is not None and chr(ev.seq[q]).upper() == alt
    if len(ref) == len(alt):
        idx = np.searchsorted(ev.ref_pos, pos)
        if idx + len(alt) > len(ev.ref_pos) or ev.ref_pos[idx] != pos:
            return False
        if ev.ref_pos[idx + len(alt) - 1] != pos + len(alt) - 1:
            return False
        qi = ev.read_pos[idx]
        return ev.seq[qi : qi + len(alt)].tobytes().decode().upper() == alt
    if len(alt) > len(ref):
        bases = alt[len(ref):] if len(ref) == 1 else None
        return bases is not None and any(a == pos and s == bases for a, _, s, _ in ev.insertions)
    return len(alt) == 1 and any(a == pos and n == len(ref) - 1 for a, n, _ in ev.deletions)
