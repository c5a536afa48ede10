"""Pileup examples (HDF5 from make-examples) as a torch Dataset and a LightningDataModule.

Items are ``(pileup, label)``: ``pileup`` a ``uint8`` tensor ``(C, H, W)`` (the model scales it), ``label`` an
``int64`` genotype class. Examples without a label (-1: outside confident regions) are skipped for training.
"""

from __future__ import annotations

from pathlib import Path
from typing import Sequence

import h5py
import numpy as np
import torch
from torch.utils.data import ConcatDataset, Dataset

from genotorch.data.base import GENOTYPE_CLASSES, TaskDataModule
from genotorch.errors import GenotorchError
from genotorch.io.examples import check_compatible, read_example_info


class PileupDataset(Dataset):
    """Examples of one HDF5 file. ``labelled_only`` keeps examples with label >= 0."""

    def __init__(self, path: str | Path, labelled_only: bool = True, flag: str = "data.train"):
        self.path = Path(path)
        self.info = read_example_info(self.path, flag)
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
    sets = [PileupDataset(p, labelled_only, flag) for p in paths]
    first = sets[0].info
    for s in sets[1:]:
        check_compatible(s.info, first["channels"], first["shape"], s.path, flag)
    return ConcatDataset(sets), first


def labels_of(ds: ConcatDataset) -> np.ndarray:
    """The labels of every example of a concatenated pileup dataset, in order."""
    return np.concatenate([d.labels for d in ds.datasets]) if ds.datasets else np.zeros(0, dtype=np.int64)


class PileupDataModule(TaskDataModule):
    """Pileup examples of ``data.train`` / ``data.val`` (make-examples HDF5 files, labelled examples only);
    classes hom-ref, het, hom-alt (see :mod:`genotorch.data.modules` for the attributes)."""

    def __init__(self, data, seed: int = 0):
        super().__init__(data, seed)
        self.classes = list(GENOTYPE_CLASSES)
        self.train_set, self.info = load_pileup_datasets(data.train, "data.train")
        if data.val:
            self.val_set, vinfo = load_pileup_datasets(data.val, "data.val")
            check_compatible(vinfo, self.info["channels"], self.info["shape"], data.val[0], "data.val")
        labels = labels_of(self.train_set)
        if len(labels) == 0:
            raise GenotorchError(f"{data.train[0]}: no labelled example; make-examples needs --truth and --confident")
        self.train_labels = labels
