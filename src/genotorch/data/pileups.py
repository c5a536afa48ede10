"""Pileup examples (HDF5 from make-examples) as a torch Dataset and a LightningDataModule.

Items are ``(pileup, label)``: ``pileup`` a ``uint8`` tensor ``(C, H, W)`` (the model scales it), ``label`` an
``int64`` genotype class. Examples without a label (-1: outside confident regions) are skipped for training.
"""

from __future__ import annotations

from pathlib import Path
from typing import Sequence

import h5py
import lightning as L
import numpy as np
import torch
from torch.utils.data import ConcatDataset, DataLoader, Dataset

from genotorch.data.loaders import eval_loader, train_loader
from genotorch.errors import GenotorchError
from genotorch.io.examples import check_compatible, read_example_info


class PileupDataset(Dataset):
    """Examples of one HDF5 file. ``labelled_only`` keeps examples with label >= 0."""

    def __init__(self, path: str | Path, labelled_only: bool = True):
        self.path = Path(path)
        self.info = read_example_info(self.path)
        with h5py.File(self.path, "r") as h5:
            labels = h5["labels"][:].astype(np.int64)
        self.indices = np.nonzero(labels >= 0)[0] if labelled_only else np.arange(len(labels))
        self.labels = labels[self.indices]
        self._h5: h5py.File | None = None

    def __len__(self) -> int:
        return len(self.indices)

    def __getitem__(self, i: int):
        if self._h5 is None:  # opened lazily: one handle per DataLoader worker
            self._h5 = h5py.File(self.path, "r")
        x = self._h5["pileups"][int(self.indices[i])]
        return torch.from_numpy(x), int(self.labels[i])

    def __getstate__(self):
        state = dict(self.__dict__)
        state["_h5"] = None
        return state


def load_pileup_datasets(paths: Sequence[str], flag: str, labelled_only: bool = True) -> tuple[ConcatDataset, dict]:
    """Concatenate example files that share one channel list and shape.

    Raises
    ------
    GenotorchError
        No files, or files that disagree on channels/shape (naming both).
    """
    if not paths:
        raise GenotorchError(f"no example files given in {flag}")
    sets = [PileupDataset(p, labelled_only) for p in paths]
    first = sets[0].info
    for s in sets[1:]:
        check_compatible(s.info, first["channels"], first["shape"], s.path, flag)
    return ConcatDataset(sets), first


def labels_of(ds: ConcatDataset) -> np.ndarray:
    """The labels of every example of a concatenated pileup dataset, in order."""
    return np.concatenate([d.labels for d in ds.datasets]) if ds.datasets else np.zeros(0, dtype=np.int64)


class PileupDataModule(L.LightningDataModule):
    """Train/val loaders; ``balance="sampler"`` draws training examples with class-balanced probabilities."""

    def __init__(self, train: Sequence[str], val: Sequence[str], batch_size: int = 64, num_workers: int = 0,
                 balance: str = "none", seed: int = 0, n_classes: int = 3):
        super().__init__()
        self.train_set, self.info = load_pileup_datasets(train, "data.train")
        self.val_set = None
        if val:
            self.val_set, vinfo = load_pileup_datasets(val, "data.val")
            check_compatible(vinfo, self.info["channels"], self.info["shape"], val[0], "data.val")
        self.batch_size, self.num_workers, self.balance, self.seed = batch_size, num_workers, balance, seed
        self.n_classes = n_classes
        labels = labels_of(self.train_set)
        if len(labels) == 0:
            raise GenotorchError(f"{train[0]}: no labelled example; make-examples needs --truth and --confident")
        self.train_labels = labels

    def train_dataloader(self) -> DataLoader:
        return train_loader(self.train_set, self.train_labels, self.batch_size, self.num_workers, self.balance,
                            self.seed, self.n_classes)

    def val_dataloader(self):
        if self.val_set is None:
            return []
        return eval_loader(self.val_set, self.batch_size, self.num_workers)
