"""Seeded, stratified, grouped hold-out splits shared by the image and sequence tasks: members of one group
(identical images; one source sequence, its windows, exact and reverse-complement copies) always share a split;
and the leakage report of sequence splits (exact and reverse-complement duplicates between them)."""

from __future__ import annotations

from itertools import combinations
from typing import Mapping, Sequence

import numpy as np

from genotorch.encode.onehot import reverse_complement


def hold_out_groups(idx: np.ndarray, labels: np.ndarray, groups: np.ndarray, frac: float,
                    rng: np.random.Generator) -> np.ndarray:
    """About ``frac`` of ``idx`` as whole groups, stratified by ``labels`` (scikit-learn StratifiedGroupKFold with
    ``round(1 / frac)`` folds, one fold held out, seeded from ``rng``). Returns the held-out indices (a subset of
    ``idx``); none when ``frac <= 0``."""
    from sklearn.model_selection import StratifiedGroupKFold

    if frac <= 0 or len(idx) == 0:
        return idx[:0]
    n_splits = max(2, int(round(1 / frac)))
    if len(np.unique(groups[idx])) < n_splits:
        from genotorch.errors import GenotorchError

        raise GenotorchError(f"{len(np.unique(groups[idx]))} groups cannot give a {frac:.0%} hold-out: give "
                             "data.val/data.test files, or set data.val_fraction and data.test_fraction to 0")
    sgkf = StratifiedGroupKFold(n_splits=n_splits, shuffle=True, random_state=int(rng.integers(2**31)))
    _, held = next(sgkf.split(idx, labels[idx], groups[idx]))
    return idx[held]


def leakage_report(splits: Mapping[str, Sequence[str]]) -> dict:
    """``{"A->B": {"exact": n, "reverse_complement": m, "of": len(B)}}`` for every ordered pair (A before B in
    ``splits``), plus ``"within"`` counts of duplicated sequences inside each split."""
    upper = {k: [s.upper() for s in v] for k, v in splits.items()}
    sets = {k: set(v) for k, v in upper.items()}
    out: dict = {"within": {k: len(v) - len(sets[k]) for k, v in upper.items()}}
    for a, b in combinations(splits, 2):
        exact = sum(1 for s in upper[b] if s in sets[a])
        rc = sum(1 for s in upper[b] if s not in sets[a] and reverse_complement(s) in sets[a])
        out[f"{a}->{b}"] = {"exact": exact, "reverse_complement": rc, "of": len(upper[b])}
    return out
