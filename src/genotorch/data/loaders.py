"""Data loaders shared by every task: class weights, class-balanced sampling, seeded and resumable shuffling.

Exact resume
------------
The order of training draws in epoch ``e`` is a function of ``(seed, e)`` alone (:class:`EpochSampler`), and every
draw carries its own seed for augmentation (:class:`KeyedDraws`), so a run killed mid-epoch and resumed from a
checkpoint sees the same examples, augmented the same way, as the run that was never stopped, whatever the number
of loader workers or how far the loader had prefetched. The trainer stores ``(epoch, batches done)`` in every
checkpoint (:class:`genotorch.train.callbacks.ExactResume`) and calls :meth:`EpochSampler.resume_at`.
"""

from __future__ import annotations

from typing import Iterator

import numpy as np
import torch
from torch.utils.data import DataLoader, Dataset, Sampler

from genotorch.errors import GenotorchError


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


class EpochSampler(Sampler):
    """Seeded training order that a resumed run can re-enter mid-epoch.

    Yields ``(index, draw_seed)`` pairs, ``len(self)`` of them per epoch: a permutation of ``range(n)`` or, with
    ``weights``, ``n`` draws with replacement in proportion to them (class-balanced sampling). Both come from
    ``numpy.random.default_rng([seed, epoch])``; Lightning calls :meth:`set_epoch` before each epoch.

    Multi-process training (DDP, ``world_size`` processes): the epoch's draws are the same, cut into global batches
    of ``batch_size`` (the last partial one dropped) and process ``rank`` takes its ``batch_size / world_size``
    slice of each, so the processes together train on exactly the batches one process would. The rank is read from
    ``torch.distributed`` when it is initialised (else ``LOCAL_RANK``, else 0).

    Parameters
    ----------
    n: number of items
    seed: int
    weights: optional ``(n,)`` non-negative sampling weights
    batch_size: the global batch size (used when ``world_size`` > 1)
    world_size: training processes
    """

    def __init__(self, n: int, seed: int, weights: np.ndarray | None = None, batch_size: int = 1,
                 world_size: int = 1):
        self.n, self.seed = int(n), int(seed)
        w = None if weights is None else np.asarray(weights, np.float64)
        self.p = None if w is None else w / w.sum()
        self.epoch = 0
        self._skip = 0
        self.batch_size, self.world_size = int(batch_size), int(world_size)

    def set_epoch(self, epoch: int) -> None:
        self.epoch = int(epoch)

    def resume_at(self, epoch: int, n_drawn: int) -> None:
        """Start the next iteration at draw ``n_drawn`` of epoch ``epoch`` (the draws before were trained on)."""
        self.epoch, self._skip = int(epoch), int(n_drawn)

    def __len__(self) -> int:
        if self.world_size == 1:
            return self.n
        return self.n // self.batch_size * (self.batch_size // self.world_size)

    def __iter__(self) -> Iterator[tuple[int, int]]:
        rng = np.random.default_rng([self.seed, self.epoch])
        order = rng.permutation(self.n) if self.p is None else rng.choice(self.n, size=self.n, replace=True, p=self.p)
        draw_seeds = rng.integers(0, 2**62, size=self.n)
        if self.world_size > 1:  # this process's slice of every whole global batch
            per, rank, whole = self.batch_size // self.world_size, _rank(), self.n // self.batch_size
            mine = np.arange(whole * self.batch_size).reshape(whole, self.batch_size)[:, rank * per:(rank + 1) * per]
            order, draw_seeds = order[mine.ravel()], draw_seeds[mine.ravel()]
        skip, self._skip = self._skip, 0
        for k in range(skip, len(order)):
            yield int(order[k]), int(draw_seeds[k])


def _rank() -> int:
    """This process's rank among the training processes (0 when not distributed)."""
    import os

    import torch.distributed as dist

    if dist.is_available() and dist.is_initialized():
        return dist.get_rank()
    return int(os.environ.get("LOCAL_RANK", 0))


class KeyedDraws(Dataset):
    """A training dataset addressed by ``(index, draw_seed)`` (from :class:`EpochSampler`).

    An item's augmentation is drawn from a ``torch.Generator`` seeded with ``draw_seed`` when the wrapped dataset
    has a ``draw(i, generator)`` method (sequence and image sets do), so it does not depend on which process or
    when the item was loaded; otherwise the item is ``base[i]``.
    """

    def __init__(self, base: Dataset):
        self.base = base

    def __len__(self) -> int:
        return len(self.base)

    def __getitem__(self, key: tuple[int, int]):
        i, draw_seed = key
        draw = getattr(self.base, "draw", None)
        return draw(i, torch.Generator().manual_seed(draw_seed)) if draw else self.base[i]


class ResumableLoader(DataLoader):
    """A DataLoader that tells Lightning it can re-enter an epoch (its ``state_dict`` interface): the position is
    kept by :class:`EpochSampler` and restored from the checkpoint by ``ExactResume``, so these methods carry
    nothing themselves."""

    def state_dict(self) -> dict:
        return {}

    def load_state_dict(self, state: dict) -> None:
        pass


def train_loader(dataset: Dataset, labels: np.ndarray, batch_size: int, num_workers: int, balance: str, seed: int,
                 n_classes: int, world_size: int = 1) -> DataLoader:
    """Seeded, resumable training loader (see the module docstring). With ``world_size`` > 1 processes (DDP),
    ``batch_size`` is the global batch and each process loads ``batch_size / world_size`` of it.

    ``balance="sampler"`` draws examples with class-balanced probabilities (with replacement); otherwise every
    example once per epoch in a seeded order, the last partial batch dropped when there is more than one batch.

    Raises
    ------
    GenotorchError
        ``batch_size`` below 1, ``num_workers`` below 0, a sampler asked for multi-label data, or a batch that
        the processes cannot share evenly.
    """
    if batch_size < 1:
        raise GenotorchError(f"data.batch_size = {batch_size}: it must be at least 1")
    if num_workers < 0:
        raise GenotorchError(f"data.num_workers = {num_workers}: it must be 0 (load in the training process) or more")
    if balance == "sampler" and labels.ndim > 1:
        raise GenotorchError("data.balance: sampler draws by class and multi-label data has none; use class_weights "
                             "(positive weight per target) or none")
    if world_size > 1 and (batch_size % world_size or len(dataset) < batch_size):
        raise GenotorchError(f"data.batch_size = {batch_size} is the global batch of trainer.devices = {world_size} "
                             f"processes: give a multiple of {world_size}, at most the {len(dataset)} training items")
    weights = class_weights(labels, n_classes)[labels].numpy() if balance == "sampler" else None
    sampler = EpochSampler(len(dataset), seed, weights, batch_size, world_size)
    # the loader's own generator seeds worker processes, so iterating never touches torch's global generator
    return ResumableLoader(KeyedDraws(dataset), batch_size // world_size, sampler=sampler, num_workers=num_workers,
                           generator=torch.Generator().manual_seed(seed),
                           drop_last=world_size > 1 or (balance != "sampler" and len(dataset) > batch_size))


def eval_loader(dataset: Dataset | None, batch_size: int, num_workers: int) -> DataLoader | None:
    """In-order loader for validation/test, or None without a dataset."""
    return DataLoader(dataset, batch_size, shuffle=False, num_workers=num_workers) if dataset is not None else None
