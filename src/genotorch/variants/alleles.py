"""Allele normalisation: trim and left-align, as ``vt normalize`` (Tan, Abecasis & Kang 2015, Bioinformatics
31:2202) and ``bcftools norm`` do, so that one variant written two ways compares equal.

Positions are 0-based (VCF POS - 1).
"""

from __future__ import annotations

from typing import Callable

FetchBase = Callable[[int], str]


def normalize_allele(pos: int, ref: str, alt: str, base_at: FetchBase) -> tuple[int, str, str]:
    """Left-align and trim one REF/ALT pair.

    Parameters
    ----------
    pos: int
        0-based position of ``ref[0]``.
    ref, alt: str
        Upper-case alleles (no symbolic alleles).
    base_at: callable
        ``base_at(i)`` returns the upper-case reference base at 0-based ``i``.

    Returns
    -------
    (pos, ref, alt): the normalised allele. SNVs are unchanged; ``pos`` of an indel points at its anchor base.
    """
    ref, alt = ref.upper(), alt.upper()
    if ref == alt:
        return pos, ref, alt
    while True:
        changed = False
        if ref and alt and ref[-1] == alt[-1]:
            ref, alt = ref[:-1], alt[:-1]
            changed = True
        if not ref or not alt:
            if pos == 0:
                break
            pos -= 1
            b = base_at(pos)
            ref, alt = b + ref, b + alt
            changed = True
        if not changed:
            break
    while len(ref) >= 2 and len(alt) >= 2 and ref[0] == alt[0]:
        ref, alt, pos = ref[1:], alt[1:], pos + 1
    return pos, ref, alt


def variant_type(ref: str, alt: str) -> str:
    """``SNP`` when both alleles are one base (or equal-length substitutions, MNPs), else ``INDEL``."""
    return "SNP" if len(ref) == len(alt) else "INDEL"


def genotype_copies(gt: tuple | None) -> dict[int, int]:
    """Copies of each alt index in a genotype tuple (``(0, 1)`` -> ``{1: 1}``); missing alleles ignored."""
    out: dict[int, int] = {}
    for a in gt or ():
        if a is not None and a > 0:
            out[a] = out.get(a, 0) + 1
    return out
