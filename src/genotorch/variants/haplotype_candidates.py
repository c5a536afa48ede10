"""Active windows and candidate haplotypes for local realignment (:mod:`genotorch.variants.realign`): where reads
disagree about indels, and which haplotypes the sample may carry there (read allele sets, single alleles, and a
local de Bruijn assembly, after DeepVariant's window selector and ``debruijn_graph``).

Coordinates are 0-based half-open; alleles are ``(pos, ref, alt)`` in VCF convention (indels carry their anchor
base), left-aligned (:func:`genotorch.variants.alleles.normalize_allele`).
"""

from __future__ import annotations

import dataclasses
from collections import Counter
from dataclasses import dataclass
from typing import Sequence

import numpy as np

from genotorch.encode.read_events import ReadEvents
from genotorch.encode.repeats import FetchRef, repeat_tract
from genotorch.errors import GenotorchError
from genotorch.variants.alleles import normalize_allele

_UPPER = np.frombuffer(bytes(range(256)).upper(), dtype=np.uint8)  # byte -> its upper-case byte
_IS_ACGT = np.zeros(256, dtype=bool)
_IS_ACGT[np.frombuffer(b"ACGT", dtype=np.uint8)] = True

Allele = tuple[int, str, str]



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
    max_read_length: int = 500  # longer reads (HiFi, ONT) are neither realigned nor used to find windows
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
    """What realignment did in one call: windows examined and reads moved."""
    windows: int = 0
    reads_realigned: int = 0


# ---------------------------------------------------------------------------------------------------- windows


def _evidence(events: Sequence[ReadEvents], config: RealignConfig) -> dict[int, tuple[int, int]]:
    """Reference position -> (reads with indel or soft-clip evidence there, longest deletion anchored there), from
    reads of mapping quality >= ``min_mapping_quality``."""
    count: Counter = Counter()
    longest: dict[int, int] = {}
    for ev in events:
        if not (ev.insertions or ev.deletions) and max(ev.clips) < config.min_soft_clip:
            continue  # no evidence (most reads)
        if ev.read.mapping_quality < config.min_mapping_quality:
            continue
        seen = set()
        for anchor, _, _, _ in ev.insertions:
            seen.add(anchor)
        for anchor, n, _ in ev.deletions:
            seen.add(anchor)
            longest[anchor] = max(longest.get(anchor, 0), n)
        lead, trail = ev.clips
        if lead >= config.min_soft_clip:
            seen.add(ev.start)
        if trail >= config.min_soft_clip:
            seen.add(ev.end - 1)
        count.update(seen)
    return {p: (n, longest.get(p, 0)) for p, n in count.items()}


def _depth_at(events: Sequence[ReadEvents], positions: Sequence[int]) -> np.ndarray:
    """Reads whose alignment spans each of ``positions``."""
    starts = np.sort([ev.start for ev in events])
    ends = np.sort([ev.end for ev in events])
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
        r0 = int(rp[0])
        ref = np.frombuffer(fetch(r0, int(rp[-1]) + 1).encode(), dtype=np.uint8)[rp - r0]
        base = _UPPER[ev.seq[qp]]
        hit = (base != ref) & _IS_ACGT[base] & _IS_ACGT[ref]
        if ev.quals is not None:
            hit &= ev.quals[qp] >= min_base_quality
        for r, rb, b in zip(rp[hit].tolist(), ref[hit].tobytes().decode(), base[hit].tobytes().decode()):
            out.append((r, rb, b))
    return sorted(out)


def _spans(ev: ReadEvents, ws: int, we: int) -> bool:
    return ev.start <= ws and ev.end >= we


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


def assemble(reads: Sequence[ReadEvents], ref_window: str, config: RealignConfig) -> list[str]:
    """Haplotype sequences of the window assembled from a de Bruijn graph of the reads' k-mers and the reference's
    (DeepVariant's ``debruijn_graph``): the smallest k in ``kmer_sizes`` whose pruned graph has no cycle and at most
    ``max_paths`` paths from the window's first reference k-mer to its last. Read k-mers holding a base below
    ``min_base_quality`` or an N are left out. Returns [] when no k works."""
    prepared = []  # (upper-case sequence, bad bases before each position: len + 1 counts) of each read
    for ev in reads:
        upper = _UPPER[ev.seq]
        bad = upper == ord("N")
        if ev.quals is not None:
            bad |= ev.quals < config.min_base_quality
        prepared.append((upper.tobytes().decode(), np.concatenate([[0], np.cumsum(bad)])))
    for k in config.kmer_sizes:
        if len(ref_window) < k + 2:
            break
        edges = _kmer_counts(prepared, k + 1)
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


def _kmer_counts(reads: Sequence[tuple[str, np.ndarray]], m: int) -> Counter:
    """How many times each m-mer without a bad base occurs in ``reads`` ((sequence, running count of bad bases:
    ``cum[i]`` bad bases before position i) each)."""
    counts: Counter = Counter()
    for seq, cum in reads:
        if len(seq) < m:
            continue
        ok = (cum[m:] - cum[:-m]) == 0  # m-mers without a bad base
        counts.update(seq[i:i + m] for i in np.flatnonzero(ok).tolist())
    return counts


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
        for seq in assemble(events, ref_window, config):
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


