"""Data loaders shared by every task: class weights, class-balanced sampling, seeded shuffling."""

from __future__ import annotations

import numpy as np
import torch
from torch.utils.data import DataLoader, Dataset, WeightedRandomSampler


def class_weights(labels: np.ndarray, n_classes: int) -> torch.Tensor:
    """Inverse-frequency weights ``N / (K * n_k)`` (scikit-learn's "balanced"); absent classes get 0."""
    counts = np.bincount(labels, minlength=n_classes).astype(np.float64)
    w = np.where(counts > 0, len(labels) / (n_classes * np.maximum(counts, 1)), 0.0)
    return torch.tensor(w, dtype=torch.float32)


def positive_weights(labels: np.ndarray) -> torch.Tensor:
    """Multi-label ``(N, T)`` 0/1 labels (-1 unknown) -> ``(T,)`` BCE positive weights ``negatives / positives``
    per target (1 where a target has no positives)."""
    pos = (labels == 1).sum(0).astype(np.float64)
    neg = (labels == 0).sum(0).astype(np.float64)
    return torch.tensor(np.where(pos > 0, neg / np.maximum(pos, 1), 1.0), dtype=torch.float32)


def train_loader(dataset: Dataset, labels: np.ndarray, batch_size: int, num_workers: int, balance: str, seed: int,
                 n_classes: int) -> DataLoader:
    """Seeded training loader; ``balance="sampler"`` draws examples with class-balanced probabilities (with
    replacement), otherwise a shuffle that drops the last partial batch when there is more than one batch."""
    g = torch.Generator().manual_seed(seed)
    if balance == "sampler" and labels.ndim > 1:
        from genotorch.errors import GenotorchError

        raise GenotorchError("data.balance: sampler draws by class and multi-label data has none; use class_weights "
                             "(positive weight per target) or none")
    if balance == "sampler":
        w = class_weights(labels, n_classes)[labels]
        sampler = WeightedRandomSampler(w.double(), num_samples=len(w), replacement=True, generator=g)
        return DataLoader(dataset, batch_size, sampler=sampler, num_workers=num_workers)
    return DataLoader(dataset, batch_size, shuffle=True, generator=g, num_workers=num_workers,
                      drop_last=len(dataset) > batch_size)


def eval_loader(dataset: Dataset | None, batch_size: int, num_workers: int) -> DataLoader | None:
    """In-order loader for validation/test, or None without a dataset."""
    return DataLoader(dataset, batch_size, shuffle=False, num_workers=num_workers) if dataset is not None else None
