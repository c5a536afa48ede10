"""Genotype probabilities -> VCF records (GT, GQ, QUAL, PL, FILTER), DeepVariant's definitions.

For one candidate allele with probabilities ``p = (P(0/0), P(0/1), P(1/1))`` (clipped to >= 1e-10):

* GT  = the most likely genotype;
* GQ  = -10 log10(1 - P(GT)), rounded, capped at 99  (DeepVariant postprocess_variants);
* QUAL = -10 log10(P(0/0)), capped at 99, one decimal;
* PL  = round(-10 log10 P(g)) - min over g  (VCF 4.2 order 0/0, 0/1, 1/1);
* FILTER: ``RefCall`` when GT is 0/0, ``LowQual`` when QUAL < ``min_qual``, else ``PASS``.

Several alt alleles at one position (each was its own candidate and example): the two alleles with the highest
P(non-ref) are combined into diploid genotype probabilities, assuming the two examples independent:
P(0/0) ~ p1[0] p2[0], P(0/1) ~ p1[1] p2[0], P(1/1) ~ p1[2] p2[0], P(0/2) ~ p1[0] p2[1], P(1/2) ~ p1[1] p2[1],
P(2/2) ~ p1[0] p2[2], normalised. If the most likely genotype uses one allele, a biallelic record is written with
that allele's own probabilities; if it is 1/2, a multi-allelic record (REF = the longer REF, ALTs padded to it) with
the six combined probabilities (PL in VCF order 0/0, 0/1, 1/1, 0/2, 1/2, 2/2). Further alleles are dropped.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from itertools import groupby
from typing import Sequence

import numpy as np

from genotorch.variants.candidates import Candidate

MIN_PROB = 1e-10
MAX_GQ = 99
MAX_QUAL = 99.0
_GT = {0: (0, 0), 1: (0, 1), 2: (1, 1)}
_GT_MULTI = [(0, 0), (0, 1), (1, 1), (0, 2), (1, 2), (2, 2)]  # VCF genotype order for 2 alts


@dataclass
class CallRecord:
    """One VCF record. ``pos`` is 0-based; ``ad`` has one entry per allele (REF first)."""

    contig: str
    pos: int
    ref: str
    alts: list[str]
    gt: tuple[int, int]
    gq: int
    qual: float
    pl: list[int]
    filter: str
    dp: int
    ad: list[int]
    vaf: list[float]


def phred(p: float) -> float:
    return -10.0 * math.log10(max(p, MIN_PROB))


def quality_fields(probs: Sequence[float], called: int) -> tuple[int, float, list[int]]:
    """GQ, QUAL and PL from genotype probabilities (index 0 = hom-ref) and the called index."""
    p = np.clip(np.asarray(probs, dtype=np.float64), MIN_PROB, 1.0)
    p = p / p.sum()
    gq = int(min(MAX_GQ, round(phred(p.sum() - p[called]))))  # 1 - P(GT), summed for precision near 1
    qual = round(min(MAX_QUAL, phred(p[0])), 1)
    raw = [int(round(phred(x))) for x in p]
    pl = [x - min(raw) for x in raw]
    return gq, qual, pl


def _filter(gt: tuple[int, int], qual: float, min_qual: float) -> str:
    if gt == (0, 0):
        return "RefCall"
    return "LowQual" if qual < min_qual else "PASS"


def _biallelic(c: Candidate, p: np.ndarray, min_qual: float) -> CallRecord:
    called = int(np.argmax(p))
    gq, qual, pl = quality_fields(p, called)
    gt = _GT[called]
    return CallRecord(c.contig, c.pos, c.ref, [c.alt], gt, gq, qual, pl, _filter(gt, qual, min_qual), c.depth,
                      [c.ref_count, c.alt_count], [round(c.vaf, 4)])


def _pad(c: Candidate, ref: str) -> str:
    return c.alt + ref[len(c.ref):]


def _site(cands: list[Candidate], probs: np.ndarray, min_qual: float) -> CallRecord:
    if len(cands) == 1:
        return _biallelic(cands[0], probs[0], min_qual)
    order = np.argsort(-(1.0 - probs[:, 0]), kind="stable")[:2]
    (c1, c2), (p1, p2) = [cands[i] for i in order], [probs[i] for i in order]
    joint = np.array([p1[0] * p2[0], p1[1] * p2[0], p1[2] * p2[0], p1[0] * p2[1], p1[1] * p2[1], p1[0] * p2[2]])
    joint = joint / joint.sum()
    best = int(np.argmax(joint))
    if best in (0, 1, 2):
        return _biallelic(c1, p1, min_qual)
    if best in (3, 5):
        return _biallelic(c2, p2, min_qual)
    ref = c1.ref if len(c1.ref) >= len(c2.ref) else c2.ref
    gq, qual, pl = quality_fields(joint, best)
    gt = _GT_MULTI[best]
    depth = max(c1.depth, c2.depth)
    return CallRecord(c1.contig, c1.pos, ref, [_pad(c1, ref), _pad(c2, ref)], gt, gq, qual, pl,
                      _filter(gt, qual, min_qual), depth, [min(c1.ref_count, c2.ref_count), c1.alt_count,
                      c2.alt_count], [round(c1.alt_count / depth, 4) if depth else 0.0,
                                      round(c2.alt_count / depth, 4) if depth else 0.0])


def postprocess(candidates: Sequence[Candidate], probs: np.ndarray, min_qual: float = 1.0) -> list[CallRecord]:
    """Records from candidates (sorted by contig order and position) and their genotype probabilities.

    Parameters
    ----------
    candidates: one per alt allele, grouped by position (as make-examples emits them)
    probs: np.ndarray, shape=(N, 3), dtype=float
        Softmax outputs P(hom-ref), P(het), P(hom-alt).
    """
    probs = np.asarray(probs, dtype=np.float64)
    if probs.shape != (len(candidates), 3):
        raise ValueError(f"probs has shape {probs.shape}, expected ({len(candidates)}, 3)")
    out = []
    idx = list(range(len(candidates)))
    for _, group in groupby(idx, key=lambda i: (candidates[i].contig, candidates[i].pos)):
        g = list(group)
        out.append(_site([candidates[i] for i in g], probs[g], min_qual))
    return out
