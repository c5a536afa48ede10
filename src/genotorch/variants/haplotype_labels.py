"""Haplotype-aware labels, after DeepVariant's haplotype labeler (``deepvariant/labeler/haplotype_labeler.py``).

Matching candidate alleles to truth alleles one by one fails wherever one sequence change can be written two ways:
an STR expansion written as another REF/ALT, an indel next to a SNV merged into one complex allele in one set and
split in the other, a multi-allelic STR site (``CA -> CAAA,C`` 1/2). Labels here compare *haplotype sequences*:

1. Candidates and truth variants are grouped into clusters: variants whose reference spans lie within
   ``max_gap`` bp of each other share a cluster.
2. The truth's two haplotype sequences over the cluster's span are built from the truth genotypes; an unphased
   genotype may lie either way round, so every phasing is tried (at most ``2 ** max_unphased``).
3. Every assignment of the candidates to the two haplotypes (none, first, second, both) that does not overlap two
   alleles on one haplotype is tried (up to ``max_candidates`` candidates, ``4 ** n`` assignments); an assignment
   whose pair of sequences equals a truth pair labels each candidate with the haplotypes that carry it. Among
   several, the one with the fewest placed alleles wins (then the earliest in a fixed order).
4. A cluster with no exact match, or too large to search, falls back to matching normalised alleles (the copies
   of the allele in the truth genotype).

The result of a candidate is a bit mask of the haplotypes carrying it (1 = first, 2 = second, 3 = both; 0 =
none): its genotype label is the number of bits, and the label of a set of alleles (DeepVariant's multi-allelic
examples) is the number of bits of the union of their masks.

Positions are 0-based; alleles in VCF convention.
"""

from __future__ import annotations

import itertools
from dataclasses import dataclass
from typing import Callable, Sequence

from genotorch.variants.alleles import normalize_allele

FetchRef = Callable[[int, int], str]


@dataclass(frozen=True)
class TruthVariant:
    """A truth record: 0-based ``pos``, ``alleles`` (REF first), ``gt`` allele indices, ``phased``."""

    pos: int
    alleles: tuple[str, ...]
    gt: tuple[int, int]
    phased: bool

    @property
    def end(self) -> int:
        """0-based end (exclusive) of the REF span."""
        return self.pos + len(self.alleles[0])


def _clusters(cands: Sequence[tuple[int, int]], truth: Sequence[TruthVariant], max_gap: int):
    """Index lists ``(candidate indices, truth indices)`` of clusters of overlapping or nearby spans."""
    events = [(p, e, "c", i) for i, (p, e) in enumerate(cands)] + [(t.pos, t.end, "t", i) for i, t in
                                                                    enumerate(truth)]
    events.sort()
    out, cur, cur_end = [], ([], []), None
    for p, e, kind, i in events:
        if cur_end is not None and p > cur_end + max_gap:
            out.append(cur)
            cur, cur_end = ([], []), None
        (cur[0] if kind == "c" else cur[1]).append(i)
        cur_end = e if cur_end is None else max(cur_end, e)
    if cur_end is not None:
        out.append(cur)
    return out


def _apply(ref: str, start: int, placed: Sequence[tuple[int, str, str]]) -> str | None:
    """``ref`` (starting at ``start``) with the alleles applied; None when two of them overlap."""
    out, cursor = [], start
    for pos, r, a in sorted(placed):
        if pos < cursor:
            return None
        out.append(ref[cursor - start:pos - start])
        out.append(a)
        cursor = pos + len(r)
    out.append(ref[cursor - start:])
    return "".join(out)


def _truth_pairs(truth: Sequence[TruthVariant], ref: str, start: int, max_unphased: int) -> set[tuple[str, str]]:
    """Every unordered pair of truth haplotype sequences over ``ref`` (unphased hets tried both ways round)."""
    flip_able = [i for i, t in enumerate(truth) if not t.phased and t.gt[0] != t.gt[1]]
    if len(flip_able) > max_unphased:
        return set()
    pairs = set()
    # the first unphased het is fixed: flipping every het at once gives the same unordered pair
    for flips in itertools.product((False, True), repeat=max(0, len(flip_able) - 1)):
        flip = dict(zip(flip_able[1:], flips))
        haps: list[list[tuple[int, str, str]]] = [[], []]
        for i, t in enumerate(truth):
            g = (t.gt[1], t.gt[0]) if flip.get(i) else t.gt
            for h in (0, 1):
                if g[h] > 0 and not t.alleles[g[h]].startswith("<") and t.alleles[g[h]] != "*":
                    haps[h].append((t.pos, t.alleles[0], t.alleles[g[h]]))
        seqs = [_apply(ref, start, haps[h]) for h in (0, 1)]
        if None not in seqs:
            pairs.add(tuple(sorted(seqs)))
    return pairs


def _search(cands: Sequence[tuple[int, str, str]], ref: str, start: int, pairs: set[tuple[str, str]]
            ) -> list[int] | None:
    """Masks (0-3) of the candidates whose haplotype sequences equal a truth pair, fewest placed alleles first."""
    best = None
    for masks in itertools.product(range(4), repeat=len(cands)):
        placed = sum(bin(m).count("1") for m in masks)
        if best is not None and placed >= best[0]:
            continue
        h1 = _apply(ref, start, [c for c, m in zip(cands, masks) if m & 1])
        h2 = _apply(ref, start, [c for c, m in zip(cands, masks) if m & 2])
        if h1 is None or h2 is None:
            continue
        if tuple(sorted((h1, h2))) in pairs:
            best = (placed, list(masks))
    return best[1] if best else None


def _fallback(cands: Sequence[tuple[int, str, str]], truth: Sequence[TruthVariant], fetch: FetchRef) -> list[int]:
    """Masks from normalised allele matching (copies of each allele in its truth genotype)."""
    base_at = lambda i: fetch(i, i + 1)  # noqa: E731
    copies: dict[tuple[int, str, str], tuple[int, ...]] = {}
    for t in truth:
        for h in (0, 1):
            a = t.gt[h]
            if a > 0 and not t.alleles[a].startswith("<") and t.alleles[a] != "*":
                key = normalize_allele(t.pos, t.alleles[0], t.alleles[a], base_at)
                copies[key] = copies.get(key, ()) + (h,)
    out = []
    for p, r, a in cands:
        haps = copies.get(normalize_allele(p, r, a, base_at), ())
        out.append(sum(1 << h for h in set(haps)) if len(haps) < 2 else 3)
    return out


def haplotype_masks(cands: Sequence[tuple[int, str, str]], truth: Sequence[TruthVariant], fetch: FetchRef,
                    max_gap: int = 20, max_candidates: int = 6, max_unphased: int = 6) -> list[int]:
    """Haplotype masks (0-3) of ``cands`` (``(pos, ref, alt)``) against ``truth`` (see the module docstring).

    Parameters
    ----------
    fetch: ``fetch(a, b)`` -> upper-case reference bases of ``[a, b)``
    """
    masks = [0] * len(cands)
    spans = [(p, p + len(r)) for p, r, _ in cands]
    for ci, ti in _clusters(spans, truth, max_gap):
        if not ci or not ti:
            continue  # candidates with no truth nearby are hom-ref (mask 0)
        cc, tt = [cands[i] for i in ci], [truth[i] for i in ti]
        lo = min([c[0] for c in cc] + [t.pos for t in tt]) - 1
        hi = max([c[0] + len(c[1]) for c in cc] + [t.end for t in tt]) + 1
        ref = fetch(lo, hi)
        result = None
        if len(cc) <= max_candidates:
            pairs = _truth_pairs(tt, ref, lo, max_unphased)
            if pairs:
                result = _search(cc, ref, lo, pairs)
        if result is None:
            result = _fallback(cc, tt, fetch)
        for i, m in zip(ci, result):
            masks[i] = m
    return masks


def mask_label(*masks: int) -> int:
    """The genotype label of a set of alleles: how many haplotypes carry at least one of them."""
    union = 0
    for m in masks:
        union |= m
    return bin(union).count("1")
