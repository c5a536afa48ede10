"""gVCF reference blocks, DeepVariant's way: every non-variant position gets a reference confidence from its read
counts, positions are grouped into blocks of one GQ band, and the variant records sit between the blocks.

Reference confidence (GATK's reference model, as DeepVariant's ``variant_caller.reference_confidence``): with
``n_ref`` reads supporting the reference of ``n_total`` and a per-read error ``p_error`` (0.001), the log10
likelihoods of 0/0, 0/1 and 1/1 against any other allele ``<*>`` are

    0/0: n_ref log10(1 - p) + n_alt log10(p);   0/1: -n_total log10(2);   1/1: n_ref log10(p) + n_alt log10(1 - p),

normalised to sum to 1; GQ = -10 log10(1 - P(0/0)), floored and capped at ``max_gq`` (50); PL = -10 log10 P
relative to the best, floored. No reads: the three are equal (GQ 1). A position whose likelihoods do not favour
0/0 is written alone with GT ./. (DeepVariant: better for cohort merging). Bands: GQ quantised as
``(gq - 1) // binsize * binsize + 1`` (binsize 5, DeepVariant's ``--gvcf_gq_binsize``); a block holds consecutive
positions of one band and carries its lowest GQ, its lowest depth (MIN_DP) and the PL of its lowest-GQ position.
Positions inside a variant record's REF allele and reference bases other than A, C, G, T get no block.

Note: DeepVariant computes the reference confidence from allele counts, not from its CNN, and so does this module;
the variant records' GQ come from the model.
"""

from __future__ import annotations

from typing import Sequence

import numpy as np

from genotorch.io.intervals import Interval
from genotorch.io.variants import CallRecord, RefBlock

P_ERROR = 0.001
MAX_GQ = 50
GQ_BINSIZE = 5


def reference_confidence(n_ref: np.ndarray, n_total: np.ndarray, p_error: float = P_ERROR, max_gq: int = MAX_GQ
                         ) -> tuple[np.ndarray, np.ndarray]:
    """GQ of 0/0, shape (L,) int, and PL of (0/0, 0/1, 1/1), shape (L, 3) int, for read counts of shape (L,).

    Raises
    ------
    ValueError
        When ``n_ref`` exceeds ``n_total`` anywhere or ``p_error`` is not in (0, 0.5).
    """
    n_ref, n_total = np.asarray(n_ref, dtype=np.float64), np.asarray(n_total, dtype=np.float64)
    if (n_ref > n_total).any() or (n_ref < 0).any():
        raise ValueError("need 0 <= n_ref <= n_total")
    if not 0 < p_error < 0.5:
        raise ValueError(f"p_error {p_error}: give a value in (0, 0.5)")
    n_alt = n_total - n_ref
    lp, lq = np.log10(p_error), np.log10(1 - p_error)
    ll = np.stack([n_ref * lq + n_alt * lp, -n_total * np.log10(2.0), n_ref * lp + n_alt * lq], axis=1)
    top = ll.max(axis=1, keepdims=True)
    log_norm = top[:, 0] + np.log10(np.power(10.0, ll - top).sum(axis=1))
    lp_ref = ll[:, 0] - log_norm
    p_wrong = -np.expm1(lp_ref * np.log(10.0))  # 1 - P(0/0), accurate when P(0/0) is near 1
    with np.errstate(divide="ignore"):
        gq = np.where(p_wrong > 0, -10 * np.log10(np.maximum(p_wrong, 1e-300)), max_gq)
    gq = np.minimum(np.floor(gq), max_gq).astype(np.int64)
    pl = np.floor(-10 * (ll - top) + 1e-9).astype(np.int64)
    return gq, pl


def quantize_gq(gq: np.ndarray, binsize: int = GQ_BINSIZE) -> np.ndarray:
    """GQ bands: 0 for GQ < 1, else ``(gq - 1) // binsize * binsize + 1`` (DeepVariant's quantisation)."""
    gq = np.asarray(gq)
    return np.where(gq < 1, 0, (gq - 1) // binsize * binsize + 1)


def gvcf_blocks(chunk: Interval, ref_bases: str, site_counts: np.ndarray, records: Sequence[CallRecord],
                skip_until: int = -1, binsize: int = GQ_BINSIZE) -> list[RefBlock]:
    """Reference blocks over ``chunk`` (0-based half-open) from its reference bases and per-position read counts
    (``site_counts``, shape (L, 2): reference-supporting reads, all reads), leaving out the positions of
    ``records``' REF alleles and positions before ``skip_until`` (a previous chunk's deletion)."""
    n = chunk.end - chunk.start
    free = np.frombuffer(ref_bases.upper().encode(), dtype=np.uint8)
    free = np.isin(free, np.frombuffer(b"ACGT", dtype=np.uint8))
    if skip_until > chunk.start:
        free[:min(n, skip_until - chunk.start)] = False
    for r in records:
        free[max(0, r.pos - chunk.start):max(0, min(n, r.pos + len(r.ref) - chunk.start))] = False
    gq, pl = reference_confidence(site_counts[:, 0], site_counts[:, 1])
    called = pl[:, 0] == 0  # 0/0 is the most likely genotype
    band = quantize_gq(gq, binsize)
    # a block starts at a free position that cannot continue the one before it: after a position that is not free
    # or not called, where the GQ band changes, or at a position that is not called itself (a block of its own)
    joins = np.zeros(n, dtype=bool)
    joins[1:] = free[:-1] & free[1:] & called[:-1] & called[1:] & (band[1:] == band[:-1])
    starts = np.flatnonzero(free & ~joins)
    ends = np.flatnonzero(free & ~np.r_[joins[1:], False]) + 1  # past the last position of each block
    blocks: list[RefBlock] = []
    for i, j in zip(starts, ends):
        k = i + int(np.argmin(gq[i:j]))
        blocks.append(RefBlock(chunk.contig, chunk.start + int(i), chunk.start + int(j), ref_bases[i].upper(),
                               int(gq[k]), int(site_counts[i:j, 1].min()), tuple(int(x) for x in pl[k]),
                               bool(called[i])))
    return blocks
