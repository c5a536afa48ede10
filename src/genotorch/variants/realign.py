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

import dataclasses
from collections import Counter
from dataclasses import dataclass
from typing import Callable, Sequence

import numpy as np
import pysam

from genotorch.encode.read_events import ReadEvents, read_events
from genotorch.errors import GenotorchError
from genotorch.variants.alleles import normalize_allele

Allele = tuple[int, str, str]
FetchRef = Callable[[int, int], str]

_M, _I, _D, _S = 0, 1, 2, 4


@dataclass(frozen=True)
class RealignConfig:
    """Settings of the realigner; saved with the examples and in every checkpoint (training and calling agree)."""

    enabled: bool = True
    min_evidence_reads: int = 2
    min_evidence_fraction: float = 0.1
    max_depth_ratio: float = 2.0
    min_mapping_quality: int = 20
    min_soft_clip: int = 5
    flank: int = 20
    max_window: int = 300
    min_allele_reads: int = 2
    max_haplotypes: int = 16
    max_paths: int = 32
    kmer_sizes: tuple[int, ...] = (15, 25, 35, 45)
    min_base_quality: int = 10
    min_score_gain: int = 4
    match: int = 4
    mismatch: int = 6
    gap_open: int = 8
    gap_extend: int = 2

    def __post_init__(self):
        object.__setattr__(self, "kmer_sizes", tuple(int(k) for k in self.kmer_sizes))
        for name in ("min_evidence_reads", "flank", "max_window", "min_allele_reads", "max_haplotypes", "max_paths"):
            if getattr(self, name) < 1:
                raise GenotorchError(f"realign.{name} = {getattr(self, name)}: give 1 or more")

    @classmethod
    def from_dict(cls, d: dict | None) -> "RealignConfig":
        """From a saved config; a config saved before realignment existed (no entry) means realignment off."""
        if d is None:
            return cls(enabled=False)
        known = {f.name for f in dataclasses.fields(cls)}
        return cls(**{k: v for k, v in d.items() if k in known})


@dataclass
class RealignStats:
    windows: int = 0
    reads_realigned: int = 0


# ---------------------------------------------------------------------------------------------------- windows


def repeat_tract(fetch: FetchRef, pos: int, max_unit: int = 6, reach: int = 200) -> tuple[int, int]:
    """``[start, end)`` of the longest homopolymer or STR (unit 1-``max_unit`` bp, at least two full units) that
    contains reference position ``pos``; ``(pos, pos + 1)`` when none."""
    lo = max(0, pos - reach)
    seq = fetch(lo, pos + reach)
    c = pos - lo
    best = (pos, pos + 1)
    for k in range(1, max_unit + 1):
        for phase in range(k):  # the unit may start anywhere within k bases before pos
            s = c - phase
            unit = seq[s:s + k]
            if len(unit) < k or "N" in unit:
                continue
            left = s
            while left - k >= 0 and seq[left - k:left] == unit:
                left -= k
            right = s
            while seq[right:right + k] == unit:
                right += k
            right += next((i for i in range(k) if seq[right + i:right + i + 1] != unit[i:i + 1]), k)
            left -= next((i for i in range(k) if seq[left - 1 - i:left - i] != unit[k - 1 - i:k - i]), k) \
                if left > 0 else 0
            if right - left >= 2 * k and left <= c < right and right - left > best[1] - best[0]:
                best = (lo + left, lo + right)
    return best


def _evidence(events: Sequence[ReadEvents], config: RealignConfig) -> dict[int, tuple[int, int]]:
    """Reference position -> (reads with indel or soft-clip evidence there, longest deletion anchored there), from
    reads of mapping quality >= ``min_mapping_quality``."""
    count: Counter = Counter()
    longest: dict[int, int] = {}
    for ev in events:
        if ev.read.mapping_quality < config.min_mapping_quality:
            continue
        seen = set()
        for anchor, _, _, _ in ev.insertions:
            seen.add(anchor)
        for anchor, n, _ in ev.deletions:
            seen.add(anchor)
            longest[anchor] = max(longest.get(anchor, 0), n)
        cig = ev.read.cigartuples or ()
        if cig and cig[0][0] == _S and cig[0][1] >= config.min_soft_clip:
            seen.add(ev.read.reference_start)
        if cig and cig[-1][0] == _S and cig[-1][1] >= config.min_soft_clip:
            seen.add(ev.read.reference_end - 1)
        count.update(seen)
    return {p: (n, longest.get(p, 0)) for p, n in count.items()}


def _depth_at(events: Sequence[ReadEvents], positions: Sequence[int]) -> np.ndarray:
    """Reads whose alignment spans each of ``positions``."""
    starts = np.sort([ev.read.reference_start for ev in events])
    ends = np.sort([ev.read.reference_end for ev in events])
    p = np.asarray(positions)
    return np.searchsorted(starts, p, side="right") - np.searchsorted(ends, p, side="right")


def select_windows(events: Sequence[ReadEvents], fetch: FetchRef, start: int, end: int,
                   config: RealignConfig) -> list[tuple[int, int]]:
    """Active windows ``[ws, we)`` with evidence in ``[start, end)``, merged, sorted, at most ``max_window`` bp.

    A position is active when its evidence reaches ``min_evidence_reads`` and ``min_evidence_fraction`` of the
    reads spanning it (sequencing errors make isolated indels and clips everywhere in deep data), and its depth is
    at most ``max_depth_ratio`` times the median depth of ``[start, end)`` (deeper piles are paralogous reads of a
    collapsed duplication: more than two haplotypes, which realignment would only scramble)."""
    evidence = {p: v for p, v in _evidence(events, config).items()
                if start <= p < end and v[0] >= config.min_evidence_reads}
    if not evidence:
        return []
    positions = sorted(evidence)
    depth = _depth_at(events, positions)
    typical = np.median(_depth_at(events, np.arange(start, end, 50))) if end > start else 0
    spans = []
    for p, d in zip(positions, depth.tolist()):
        n, dlen = evidence[p]
        if n < config.min_evidence_fraction * d or (typical > 0 and d > config.max_depth_ratio * typical):
            continue  # too little evidence, or a pile-up of paralogous reads (collapsed duplication)
        t0, t1 = repeat_tract(fetch, p + 1)
        spans.append((min(p, t0) - config.flank, max(p + 1 + dlen, t1) + config.flank))
    merged: list[list[int]] = []
    for a, b in spans:
        if merged and a <= merged[-1][1]:
            merged[-1][1] = max(merged[-1][1], b)
        else:
            merged.append([a, b])
    return [(max(0, a), b) for a, b in merged if b - a <= config.max_window]


# ---------------------------------------------------------------------------------------------------- haplotypes


def read_alleles(ev: ReadEvents, ws: int, we: int, fetch: FetchRef, min_base_quality: int) -> list[Allele]:
    """The alleles one read carries inside ``[ws, we)``: indels by their anchor, mismatches of adequate quality."""
    out: list[Allele] = []
    for anchor, _, bases, q in ev.insertions:
        if ws <= anchor < we:
            r = fetch(anchor, anchor + 1)
            out.append((anchor, r, r + bases))
    for anchor, n, _ in ev.deletions:
        if ws <= anchor and anchor + n < we:
            r = fetch(anchor, anchor + n + 1)
            out.append((anchor, r, r[0]))
    inside = (ev.ref_pos >= ws) & (ev.ref_pos < we)
    if inside.any():
        rp, qp = ev.ref_pos[inside], ev.read_pos[inside]
        seq = ev.read.query_sequence
        quals = ev.read.query_qualities
        ref = fetch(int(rp[0]), int(rp[-1]) + 1)
        for r, q in zip(rp.tolist(), qp.tolist()):
            b = seq[q].upper()
            rb = ref[r - int(rp[0])]
            if b != rb and b in "ACGT" and rb in "ACGT" and (quals is None or quals[q] >= min_base_quality):
                out.append((r, rb, b))
    return sorted(out)


def _spans(ev: ReadEvents, ws: int, we: int) -> bool:
    return ev.read.reference_start <= ws and ev.read.reference_end >= we


def _compatible(alleles: Sequence[Allele]) -> bool:
    last_end = -1
    for pos, ref, _ in sorted(alleles):
        if pos < last_end:
            return False
        last_end = pos + len(ref)
    return True


def build_haplotype(fetch: FetchRef, ws: int, we: int, alleles: Sequence[Allele], pad: int
                    ) -> tuple[str, np.ndarray]:
    """The sequence of ``[ws - pad, we + pad)`` with ``alleles`` applied, and for each of its bases the reference
    position it stands on (-1 for inserted bases). Alleles must lie inside ``[ws, we)`` and not overlap."""
    lo, hi = ws - pad, we + pad
    ref = fetch(lo, hi)
    seq: list[str] = []
    where: list[np.ndarray] = []
    cursor = lo
    for pos, r, a in sorted(alleles):
        seq.append(ref[cursor - lo:pos - lo])
        where.append(np.arange(cursor, pos))
        shared = 1 if len(r) != len(a) else 0  # indels keep their anchor base on the reference
        seq.append(a)
        mapped = np.full(len(a), -1, dtype=np.int64)
        if len(r) == len(a):
            mapped[:] = np.arange(pos, pos + len(a))
        else:
            mapped[:shared] = pos
        where.append(mapped)
        cursor = pos + len(r)
    seq.append(ref[cursor - lo:])
    where.append(np.arange(cursor, hi))
    return "".join(seq), np.concatenate(where).astype(np.int64)


def _alleles_from_alignment(hap: str, ref: str, ws: int, fetch: FetchRef, matrix) -> list[Allele] | None:
    """Alleles that turn reference window ``ref`` (starting at ``ws``) into ``hap``, from a global alignment;
    None when an indel would have no anchor (at the window's first base)."""
    import parasail

    res = parasail.nw_trace_scan_16(hap, ref, 8, 2, matrix)
    qi = ri = 0
    out: list[Allele] = []
    for code in res.cigar.seq:
        n, op = int(code) >> 4, "MIDNSHP=X"[int(code) & 0xF]
        if op in "=X":
            for k in range(n):
                if hap[qi + k] != ref[ri + k]:
                    out.append((ws + ri + k, ref[ri + k], hap[qi + k]))
            qi += n
            ri += n
        elif op == "I":  # bases in hap only
            if ri == 0:
                return None
            out.append((ws + ri - 1, ref[ri - 1], ref[ri - 1] + hap[qi:qi + n]))
            qi += n
        elif op == "D":  # bases in ref only
            if ri == 0:
                return None
            out.append((ws + ri - 1, ref[ri - 1:ri + n], ref[ri - 1]))
            ri += n
    return _normalized(out, fetch)


def _normalized(alleles: Sequence[Allele], fetch: FetchRef) -> list[Allele]:
    """Left-aligned alleles (kept as they were when left-aligning would make two of them overlap)."""
    base_at = lambda i: fetch(i, i + 1)  # noqa: E731
    norm = sorted(normalize_allele(p, r, a, base_at) for p, r, a in alleles)
    return norm if _compatible(norm) else sorted(alleles)


def assemble(reads: Sequence[pysam.AlignedSegment], ref_window: str, config: RealignConfig) -> list[str]:
    """Haplotype sequences of the window assembled from a de Bruijn graph of the reads' k-mers and the reference's
    (DeepVariant's ``debruijn_graph``): the smallest k in ``kmer_sizes`` whose pruned graph has no cycle and at most
    ``max_paths`` paths from the window's first reference k-mer to its last. Read k-mers holding a base below
    ``min_base_quality`` or an N are left out. Returns [] when no k works."""
    for k in config.kmer_sizes:
        if len(ref_window) < k + 2:
            break
        edges: Counter = Counter()
        for r in reads:
            seq = r.query_sequence.upper()
            if len(seq) <= k:
                continue
            q = np.asarray(r.query_qualities if r.query_qualities is not None else [60] * len(seq))
            bad = (q < config.min_base_quality) | (np.frombuffer(seq.encode(), np.uint8) == ord("N"))
            cum = np.concatenate([[0], np.cumsum(bad)])
            ok = (cum[k + 1:] - cum[:-(k + 1)]) == 0  # (k+1)-mers without a bad base
            for i in np.flatnonzero(ok).tolist():
                edges[seq[i:i + k + 1]] += 1
        graph: dict[str, list[str]] = {}
        for e, n in edges.items():
            if n >= config.min_allele_reads:
                graph.setdefault(e[:-1], []).append(e[1:])
        for i in range(len(ref_window) - k):
            a, b = ref_window[i:i + k], ref_window[i + 1:i + k + 1]
            if b not in graph.setdefault(a, []):
                graph[a].append(b)
        paths = _paths(graph, ref_window[:k], ref_window[-k:], config.max_paths)
        if paths is not None:
            return paths
    return []


def _paths(graph: dict[str, list[str]], source: str, sink: str, max_paths: int) -> list[str] | None:
    """Sequences of every source-to-sink path; None on a cycle or more than ``max_paths`` paths."""
    out: list[str] = []
    stack = [(source, [source], {source})]
    while stack:
        node, path, on_path = stack.pop()
        if node == sink:
            out.append(path[0] + "".join(p[-1] for p in path[1:]))
            if len(out) > max_paths:
                return None
            continue
        for nxt in sorted(graph.get(node, ())):
            if nxt in on_path:
                return None
            stack.append((nxt, path + [nxt], on_path | {nxt}))
        if len(stack) > 50_000:
            return None
    return out


def candidate_haplotypes(events: Sequence[ReadEvents], ws: int, we: int, fetch: FetchRef,
                         config: RealignConfig) -> list[tuple[Allele, ...]]:
    """Allele sets of the candidate haplotypes of window ``[ws, we)``, the reference (the empty set) first."""
    per_read = [read_alleles(ev, ws, we, fetch, config.min_base_quality) for ev in events]
    single = Counter(a for alleles in per_read for a in set(alleles))
    keep = {a for a, n in single.items() if n >= config.min_allele_reads}
    sets: Counter = Counter()
    for ev, alleles in zip(events, per_read):
        if _spans(ev, ws, we):
            s = tuple(a for a in alleles if a in keep)
            if s:
                sets[s] += 1
    haps: list[tuple[Allele, ...]] = [()]
    for s, n in sets.most_common():
        if n >= config.min_allele_reads and _compatible(s):
            haps.append(s)
    haps += [(a,) for a, _ in sorted(single.items(), key=lambda kv: (-kv[1], kv[0])) if a in keep]
    ref_window = fetch(ws, we)
    if "N" not in ref_window:
        import parasail

        matrix = parasail.matrix_create("ACGT", config.match, -config.mismatch)
        for seq in assemble([ev.read for ev in events], ref_window, config):
            if seq != ref_window:
                alleles = _alleles_from_alignment(seq, ref_window, ws, fetch, matrix)
                if alleles:
                    haps.append(tuple(alleles))
    out, seen = [], set()
    for h in haps:
        h = tuple(_normalized(h, fetch)) if h else h
        if h in seen or not all(ws <= p and p + len(r) <= we for p, r, _ in h):
            continue
        if h and not any(len(r) != len(a) for _, r, a in h):
            continue  # substitutions alone do not move reads: realignment is for indels
        seen.add(h)
        out.append(h)
    return out[: config.max_haplotypes]


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
            for k in range(n):
                r = int(hap_to_ref[ti + k])
                if r < 0:
                    emit(_I, 1)
                    continue
                if prev_ref is not None and r > prev_ref + 1:
                    emit(_D, r - prev_ref - 1)
                if start is None:
                    start = r
                emit(_M, 1)
                prev_ref = r
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


def _clips(cigar) -> tuple[int, int]:
    cig = list(cigar or ())
    lead = cig[0][1] if cig and cig[0][0] == _S else 0
    trail = cig[-1][1] if len(cig) > 1 and cig[-1][0] == _S else 0
    return lead, trail


def _extents(events: Sequence[ReadEvents]) -> tuple[np.ndarray, np.ndarray]:
    """Each read's reference span widened by its soft clips (where clipped bases would land)."""
    lo, hi = np.zeros(len(events), np.int64), np.zeros(len(events), np.int64)
    for i, ev in enumerate(events):
        lead, trail = _clips(ev.read.cigartuples)
        lo[i], hi[i] = ev.read.reference_start - lead, ev.read.reference_end + trail
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
        old_lead, old_trail = _clips(read.cigartuples)
        new_lead, new_trail = _clips(cigar)
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
    reads that changed. ``fetch(a, b)`` returns the upper-case reference bases of ``[a, b)`` (N past the ends)."""
    import parasail

    stats = RealignStats()
    if not config.enabled or not events:
        return events, stats
    matrix = parasail.matrix_create("ACGT", config.match, -config.mismatch)
    events = list(events)
    windows = select_windows(events, fetch, start, end, config)
    stats.windows = len(windows)
    lo, hi = _extents(events)
    for ws, we in windows:
        touching = np.flatnonzero((lo < we) & (hi > ws)).tolist()
        changed = realign_window(events, touching, ws, we, fetch, config, matrix)
        for i in changed:
            events[i] = read_events(events[i].read)
            lead, trail = _clips(events[i].read.cigartuples)
            lo[i], hi[i] = events[i].read.reference_start - lead, events[i].read.reference_end + trail
        stats.reads_realigned += len(changed)
    if stats.reads_realigned:
        order = sorted(range(len(events)), key=lambda i: (events[i].read.reference_start, i))
        events = [events[i] for i in order]
    return events, stats
