"""Homopolymer and short-tandem-repeat (STR) tracts of a reference sequence.

Aligners place an indel in a repeat anywhere along it, and a read that ends inside the repeat (or on its last base)
cannot say how long the repeat is in that read: it is uninformative about an indel there, whatever its alignment
shows. Both the realigner's windows (:mod:`genotorch.variants.haplotype_candidates`) and the pileups of indel
candidates (:mod:`genotorch.encode.pileup`) need the tract that holds a position. Coordinates are 0-based, ends
exclusive.
"""

from __future__ import annotations

from typing import Callable

FetchRef = Callable[[int, int], str]


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


def indel_tract(fetch: FetchRef, pos: int, ref: str, alt: str) -> tuple[int, int]:
    """``[start, end)`` of reference bases a read must align across, with one more aligned base on each side, to
    tell an indel allele (VCF convention: ``ref``/``alt`` share the anchor base at 0-based ``pos``) from the
    reference: the deleted bases, or the insertion point, widened to the homopolymer/STR (:func:`repeat_tract`)
    holding the first base after the anchor."""
    t0, t1 = repeat_tract(fetch, pos + 1)
    return min(t0, pos + 1), max(t1, pos + max(len(ref), 2))
