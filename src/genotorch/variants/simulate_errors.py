"""What makes simulated Illumina data look like real data around repeats, where real callers fail.

* **Indels in repeats** (:func:`repeat_indel`): real germline indels sit mostly in homopolymers and short tandem
  repeats (STRs), as expansions or contractions of the repeat unit; uniformly placed random indels almost never do.
  A repeat indel removes or adds 1-3 units at the start of a tract, anchored on the base before it (VCF
  convention, already left-aligned); :func:`repeat_indel_pair` makes a multi-allelic site (two different unit
  changes, genotype 1/2), common in STRs.
* **PCR stutter** (:func:`add_stutter`): library PCR and sequencing slip in homopolymers and STRs, so some reads of
  a reference tract carry one unit more or less. art_illumina draws no such error, so clean simulated reads give
  almost no hom-ref indel candidate, and a model trained on them has never seen one. Each read of a FASTQ gets,
  in every homopolymer of ``>= 6`` bp or STR of ``>= 4`` units it covers, one unit removed (two thirds of the
  time) or added with probability ``rate * (length - 5)`` (length in bp, capped at ``max_probability``); the
  quality string follows the bases.

Positions are 0-based; randomness comes from the ``numpy.random.Generator`` the caller passes (seeded).
"""

from __future__ import annotations

import re
from pathlib import Path

import numpy as np

_HOMOPOLYMER = re.compile(r"([ACGT])\1{4,}")
_STR = re.compile(r"([ACGT]{2,4}?)\1{2,}")


def repeat_tracts(seq: str, min_homopolymer: int = 5, min_units: int = 3) -> list[tuple[int, int, str]]:
    """``(start, end, unit)`` of the homopolymers (>= ``min_homopolymer`` bp) and 2-4 bp STRs (>= ``min_units``
    units) of ``seq``, sorted by start."""
    out = [(m.start(), m.end(), m.group(1)) for m in _HOMOPOLYMER.finditer(seq) if m.end() - m.start() >=
           min_homopolymer]
    for m in _STR.finditer(seq):
        unit = m.group(1)
        if len(set(unit)) > 1 and (m.end() - m.start()) // len(unit) >= min_units:
            out.append((m.start(), m.end(), unit))
    return sorted(out)


def repeat_indel(seq: str, offset: int, tract: tuple[int, int, str], rng: np.random.Generator
                 ) -> tuple[int, tuple[str, str]] | None:
    """A random expansion or contraction of ``tract`` (``start, end, unit`` in ``seq``, which starts at reference
    position ``offset``): ``(0-based position, (REF, ALT))``, or None at the start of ``seq``."""
    start, end, unit = tract
    if start == 0:
        return None
    units = (end - start) // len(unit)
    k = int(min(3, rng.geometric(0.6)))
    anchor = seq[start - 1]
    if rng.random() < 0.5 and units > k:
        return offset + start - 1, (seq[start - 1:start + k * len(unit)], anchor)
    return offset + start - 1, (anchor, anchor + unit * k)


def repeat_indel_pair(seq: str, offset: int, tract: tuple[int, int, str], rng: np.random.Generator
                      ) -> tuple[int, tuple[str, str, str]] | None:
    """Two different unit changes of ``tract`` at one site (a multi-allelic STR, genotype 1/2):
    ``(0-based position, (REF, ALT1, ALT2))`` with REF spanning the anchor and the units any allele removes, or
    None at the start of ``seq``."""
    start, end, unit = tract
    if start == 0:
        return None
    units = (end - start) // len(unit)
    choices = [d for d in (-2, -1, 1, 2, 3) if d > -units]
    d1, d2 = (int(x) for x in rng.choice(choices, size=2, replace=False))
    kdel = max(0, -min(d1, d2))
    anchor = seq[start - 1]
    ref = seq[start - 1:start + kdel * len(unit)]
    return offset + start - 1, (ref, anchor + unit * (kdel + d1), anchor + unit * (kdel + d2))


def _stutter_read(seq: str, qual: str, rate: float, max_probability: float, rng: np.random.Generator
                  ) -> tuple[str, str]:
    for start, end, unit in reversed(repeat_tracts(seq, 6, 4)):
        p = min(max_probability, rate * (end - start - 5))
        if rng.random() >= p:
            continue
        if rng.random() < 2 / 3:  # one unit fewer
            seq, qual = seq[:start] + seq[start + len(unit):], qual[:start] + qual[start + len(unit):]
        else:  # one unit more, with the qualities of the unit it copies
            seq = seq[:start] + unit + seq[start:]
            qual = qual[:start] + qual[start:start + len(unit)] + qual[start:]
    return seq, qual


def add_stutter(fastq: Path, out: Path, rate: float, rng: np.random.Generator, max_probability: float = 0.25) -> int:
    """Copy ``fastq`` to ``out`` with PCR stutter in its reads' repeats (see the module docstring); returns the
    number of reads changed."""
    changed = 0
    with open(fastq) as src, open(out, "w") as dst:
        while True:
            head = src.readline()
            if not head:
                break
            seq, plus, qual = src.readline().rstrip("\n"), src.readline(), src.readline().rstrip("\n")
            new_seq, new_qual = _stutter_read(seq, qual, rate, max_probability, rng)
            changed += new_seq != seq
            dst.write(f"{head}{new_seq}\n{plus}{new_qual}\n")
    return changed
