"""Genotype probabilities -> VCF records (GT, GQ, QUAL, PL, FILTER), DeepVariant's definitions.

For the probabilities ``p`` of the genotypes of a site (clipped to >= 1e-10, normalised):

* GT  = the most likely genotype;
* GQ  = -10 log10(1 - P(GT)), rounded, capped at 99  (DeepVariant postprocess_variants);
* QUAL = -10 log10(P(0/0)), capped at 99, one decimal;
* PL  = round(-10 log10 P(g)) - min over g, in VCF genotype order (0/0, 0/1, 1/1, 0/2, 1/2, 2/2, ...);
* FILTER: ``RefCall`` when GT is 0/0, ``LowQual`` when QUAL < ``min_qual``, else ``PASS``.

Multi-allelic sites (after DeepVariant's ``merge_predictions``): make-examples writes one example per alt allele and
one per pair of alt alleles, each with probabilities ``(p00, p01, p11)`` = P(no copy of the example's alleles), P(one
haplotype carries one of them), P(both do). The probability of genotype ``(i, j)`` of the site is the minimum, over
*every* example, of the example's probability of the copies ``(i, j)`` puts on its alleles (``[i in S] + [j in S]``
for an example of allele set ``S``), then normalised. DeepVariant takes the minimum over the examples holding the
genotype's alt alleles only (``0/a``: p01 of the examples holding ``a``), so where the pair example's p01 is the
smallest term it caps ``0/1`` and ``0/2`` alike and the two tie, whatever the single-allele examples say; here ``0/1``
also takes p00 of the example of allele 2 (at HG002 20:44,892,045, ``C -> CTG,CTGTGTG`` 1/2 at 28 reads, DeepVariant's rule ties 0/1, 0/2 and writes
0/1; this rule writes 1/2). Alt alleles
whose own QUAL is below ``multiallelic_qual`` are dropped first (DeepVariant's ``--multi_allelic_qual_filter``),
keeping at least the best one. One record is written per site, REF the longest REF of its alleles and the ALTs
padded to it.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, replace
from itertools import groupby
from typing import Sequence

import numpy as np

from genotorch.io.examples import Candidate
from genotorch.io.variants import CallRecord

MIN_PROB = 1e-10
MAX_GQ = 99
MAX_QUAL = 99.0


def phred(p: float) -> float:
    """``-10 log10(p)``, with ``p`` floored at 1e-10 (so at most 100)."""
    return -10.0 * math.log10(max(p, MIN_PROB))


def genotype_order(n_alleles: int) -> list[tuple[int, int]]:
    """Diploid genotypes in VCF order (``j(j+1)/2 + i`` for ``i <= j``): 0/0, 0/1, 1/1, 0/2, 1/2, 2/2, ..."""
    return [(i, j) for j in range(n_alleles) for i in range(j + 1)]


def quality_fields(probs: Sequence[float], called: int) -> tuple[int, float, list[int]]:
    """GQ, QUAL and PL from genotype probabilities (index 0 = hom-ref) and the called index."""
    p = np.clip(np.asarray(probs, dtype=np.float64), MIN_PROB, 1.0)
    p = p / p.sum()
    gq = int(min(MAX_GQ, round(phred(p.sum() - p[called]))))  # 1 - P(GT), summed for precision near 1
    qual = round(min(MAX_QUAL, phred(p[0])), 1)
    raw = [int(round(phred(x))) for x in p]
    pl = [x - min(raw) for x in raw]
    return gq, qual, pl


def split_genotype_mass(pl: Sequence[int], i: int, j: int, log_ratio: float, called: int) -> tuple[int, list[int]]:
    """GQ and PL after a second opinion on two genotypes: the probabilities of a record's ``pl`` (normalised), with
    the mass of genotypes ``i`` and ``j`` together split between them so that ``P(i) / P(j) = exp(log_ratio)``
    (natural log); GQ of genotype index ``called``. Used by the repeat-length and allele-balance steps."""
    gq, _, new_pl = quality_fields(split_probs(pl, i, j, log_ratio), called)
    return gq, new_pl


def split_probs(pl: Sequence[int], i: int, j: int, log_ratio: float) -> np.ndarray:
    """The probabilities of a record's ``pl`` (:func:`pl_probs`) with the mass of genotypes ``i`` and ``j`` together
    split between them so that ``P(i) / P(j) = exp(log_ratio)`` (natural log)."""
    probs = pl_probs(pl)
    mass = probs[i] + probs[j]
    probs[i] = mass / (1 + math.exp(-log_ratio)) if log_ratio > -700 else 0.0
    probs[j] = mass - probs[i]
    return probs


def weigh_variant(record: CallRecord, log_ratio: float, min_qual: float, genotypes: Sequence[int] = (1, 2)
                  ) -> CallRecord:
    """``record`` (biallelic) with the probabilities (from its PL) of ``genotypes`` (indices in VCF order: 1 = 0/1,
    2 = 1/1) multiplied by ``exp(log_ratio)`` (a second opinion's natural-log likelihood ratio, taken as evidence
    the network did not weigh: Bayes' rule) and the three renormalised; GT the most likely, QUAL, GQ and PL from the
    new probabilities, FILTER by :func:`call_filter`. Unchanged (the same object) when the most likely genotype
    stays the called one. Used by the mate-overlap step (both variant genotypes, ``log_ratio < 0``)."""
    probs = pl_probs(record.pl)
    probs[list(genotypes)] *= math.exp(max(min(log_ratio, 700.0), -700.0))
    probs /= probs.sum()
    best = int(probs.argmax())
    gt = genotype_order(2)[best]
    if gt == record.gt:
        return record
    gq, qual, pl = quality_fields(probs, best)
    return replace(record, gt=gt, gq=gq, qual=qual, pl=pl, filter=call_filter(gt, qual, min_qual))


def het_if_likelier(record: CallRecord, log_ratio: float, min_qual: float) -> CallRecord:
    """``record`` (a biallelic RefCall) written 0/1 when its P(0/1), multiplied by ``exp(log_ratio)`` (a second
    opinion's likelihood ratio of het to hom-ref; :func:`weigh_variant`), is then the largest genotype probability;
    otherwise ``record`` unchanged. Used by the read-linkage and repeat-length steps."""
    out = weigh_variant(record, log_ratio, min_qual, genotypes=(1,))
    return out if out.gt == (0, 1) else record


def pl_probs(pl: Sequence[int]) -> np.ndarray:
    """Genotype probabilities (float64, summing to 1) from phred-scaled likelihoods ``pl`` (VCF order)."""
    probs = np.array([10 ** (-x / 10) for x in pl], dtype=np.float64)
    return probs / probs.sum()


def call_filter(gt: tuple[int, int], qual: float, min_qual: float) -> str:
    """FILTER of a call: ``RefCall`` for GT 0/0, ``LowQual`` when QUAL < ``min_qual``, else ``PASS``."""
    if gt == (0, 0):
        return "RefCall"
    return "LowQual" if qual < min_qual else "PASS"


@dataclass
class _Example:
    alleles: frozenset[int]  # indices into the site's alt list (1-based)
    probs: np.ndarray  # (3,)


def _site_alleles(rows: Sequence[Candidate]) -> tuple[str, list[str], list[list[int]]]:
    """The site's REF (the longest), its ALTs padded to it (first appearance order) and each row's alt indices.
    A row's ``alt`` may list several alleles separated by commas (a multi-allelic example)."""
    ref = max((r.ref for r in rows), key=len)
    alts: list[str] = []
    indices = []
    for r in rows:
        idx = []
        for a in r.alt.split(","):
            padded = a + ref[len(r.ref):]
            if padded not in alts:
                alts.append(padded)
            idx.append(alts.index(padded) + 1)
        indices.append(idx)
    return ref, alts, indices


def simplify_alleles(ref: str, alts: Sequence[str]) -> tuple[str, list[str]]:
    """REF and ALTs without the bases they all end with (one base always kept), as DeepVariant's
    ``simplify_variant_alleles`` does after dropping alleles: a site padded for a longer allele that was dropped
    (``TAA -> TA,T`` keeping ``TA``) is written ``TA -> T``. The position does not change."""
    n = 0
    while n < min(len(ref), *map(len, alts)) - 1 and all(a[-1 - n] == ref[-1 - n] for a in alts):
        n += 1
    return (ref[:len(ref) - n], [a[:len(a) - n] for a in alts]) if n else (ref, list(alts))


def merged_genotype_probs(examples: Sequence[_Example], n_alts: int) -> np.ndarray:
    """Probabilities of the genotypes (VCF order) of a site with ``n_alts`` alt alleles from its examples: for
    genotype ``(i, j)``, the minimum over *every* example of its probability of the copies that genotype puts on
    the example's alleles (see the module docstring)."""
    out = []
    for i, j in genotype_order(n_alts + 1):
        out.append(min(e.probs[(i in e.alleles) + (j in e.alleles)] for e in examples))
    p = np.asarray(out, dtype=np.float64)
    return p / p.sum() if p.sum() > 0 else np.full(len(p), 1.0 / len(p))


def _record(rows: Sequence[Candidate], probs: np.ndarray, min_qual: float, multiallelic_qual: float) -> CallRecord:
    ref, alts, indices = _site_alleles(rows)
    examples = [_Example(frozenset(idx), p) for idx, p in zip(indices, probs)]
    counts = {}
    for r, idx in zip(rows, indices):
        if len(idx) == 1:
            counts[idx[0]] = r.alt_count
    keep = list(range(1, len(alts) + 1))
    if len(alts) > 1:  # drop alt alleles whose own QUAL is too low, keeping the best one
        qual = {next(iter(e.alleles)): phred(e.probs[0]) for e in examples if len(e.alleles) == 1}
        keep = [a for a in keep if qual.get(a, MAX_QUAL) >= multiallelic_qual] or [max(qual, key=qual.get)]
    renum = {a: k + 1 for k, a in enumerate(keep)}
    kept = [_Example(frozenset(renum[a] for a in e.alleles), e.probs) for e in examples if e.alleles <= set(keep)]
    p = merged_genotype_probs(kept, len(keep))
    called = int(np.argmax(p))
    gt = genotype_order(len(keep) + 1)[called]
    gq, qual, pl = quality_fields(p, called)
    depth = max(r.depth for r in rows)
    ad_alts = [counts.get(a, 0) for a in keep]
    ref_count = min(r.ref_count for r in rows)
    ref, kept_alts = simplify_alleles(ref, [alts[a - 1] for a in keep])
    return CallRecord(rows[0].contig, rows[0].pos, ref, kept_alts, gt, gq, qual, pl,
                      call_filter(gt, qual, min_qual), depth, [ref_count, *ad_alts],
                      [round(n / depth, 4) if depth else 0.0 for n in ad_alts])


def postprocess(candidates: Sequence[Candidate], probs: np.ndarray, min_qual: float = 1.0,
                multiallelic_qual: float = 1.0) -> list[CallRecord]:
    """Records from examples (sorted by contig order and position; a site's examples adjacent) and their
    genotype probabilities.

    Parameters
    ----------
    candidates: one per example: a single alt allele, or a multi-allelic example whose ``alt`` lists its alleles
        separated by commas (padded to its ``ref``)
    probs: np.ndarray, shape=(N, 3), dtype=float
        Softmax outputs P(no copy), P(one copy), P(two copies) of the example's alleles.
    min_qual: QUAL below which a non-reference call is LowQual
    multiallelic_qual: QUAL below which an alt allele of a multi-allelic site is dropped

    Raises
    ------
    ValueError
        ``probs`` not of shape (N, 3).
    """
    probs = np.clip(np.asarray(probs, dtype=np.float64), MIN_PROB, 1.0)
    if probs.shape != (len(candidates), 3):
        raise ValueError(f"probs has shape {probs.shape}, expected ({len(candidates)}, 3)")
    out = []
    idx = list(range(len(candidates)))
    for _, group in groupby(idx, key=lambda i: (candidates[i].contig, candidates[i].pos)):
        g = list(group)
        out.append(_record([candidates[i] for i in g], probs[g], min_qual, multiallelic_qual))
    return out
