"""Pileup examples (HDF5 from make-examples) as a torch Dataset and a LightningDataModule.

Items are ``(pileup, label)``: ``pileup`` a ``uint8`` tensor ``(C, H, W)`` (the model scales it), ``label`` an
``int64`` genotype class. Examples without a label (-1: outside confident regions) are skipped for training.

``data.het_downsample = p`` (training only): with probability ``p`` a het example (label 1) loses alt-supporting
read rows until its alt fraction is a value drawn uniformly in [0.15, 0.45] (:func:`drop_alt_reads`), at least two
alt reads kept: a het as binomial sampling of a shallow or unlucky site shows it, which real reads have and most
training hets, at 0.5 in 30-60 reads, do not. Rows are found by the ``read_supports_variant`` channel (254 alt,
152 other, 0 empty row); the others move up, the freed rows at the bottom are empty. The reference band stays.
"""

from __future__ import annotations

from pathlib import Path
from typing import Sequence

import h5py
import numpy as np
import torch
from torch.utils.data import ConcatDataset, Dataset

from genotorch.data.base import GENOTYPE_CLASSES, TaskDataModule
from genotorch.encode.pileup import PileupConfig
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


HET_DOWNSAMPLE_VAF = (0.15, 0.45)


def drop_alt_reads(x: torch.Tensor, support_channel: int, reference_rows: int, target_vaf: float,
                   generator: torch.Generator | None = None, min_alt: int = 2) -> torch.Tensor:
    """``x`` (``uint8 (C, H, W)``) without some of its alt-supporting read rows, chosen at random, so that
    ``alt / reads`` is at most ``target_vaf`` (rounded down to whole reads; at least ``min_alt`` alt reads stay).
    Returns ``x`` itself when nothing is to drop."""
    support = x[support_channel, reference_rows:].amax(dim=1)  # per read row: 254 alt, 152 other, 0 empty
    alt = torch.nonzero(support == 254).flatten()
    n, k = int((support > 0).sum()), len(alt)
    drop = min(k - min_alt, int(np.ceil((k - target_vaf * n) / (1 - target_vaf))))
    if drop <= 0:
        return x
    gone = alt[torch.randperm(k, generator=generator)[:drop]] + reference_rows
    keep = torch.ones(x.shape[1], dtype=torch.bool)
    keep[gone] = False
    out = torch.zeros_like(x)
    out[:, :keep.sum()] = x[:, keep]
    return out


class HetDownsampled(Dataset):
    """A training set whose het examples lose alt reads with probability ``probability`` (see the module
    docstring); ``draw(i, generator)`` makes the choice reproducible (:class:`genotorch.data.loaders.KeyedDraws`)."""

    def __init__(self, base: Dataset, channels: Sequence[str], probability: float, reference_rows: int):
        if not 0 <= probability <= 1:
            raise GenotorchError(f"data.het_downsample {probability}: give a probability between 0 and 1")
        if "read_supports_variant" not in channels:
            raise GenotorchError("data.het_downsample needs the read_supports_variant channel in the examples")
        self.base, self.probability = base, probability
        self.support_channel, self.reference_rows = list(channels).index("read_supports_variant"), reference_rows

    def __len__(self) -> int:
        return len(self.base)

    def __getitem__(self, i: int):
        return self.draw(i)

    def draw(self, i: int, generator: torch.Generator | None = None):
        """Item ``i``; a het loses alt reads when a draw from ``generator`` falls under the probability."""
        x, y = self.base[i]
        if y == 1 and float(torch.rand((), generator=generator)) < self.probability:
            lo, hi = HET_DOWNSAMPLE_VAF
            target = lo + (hi - lo) * float(torch.rand((), generator=generator))
            x = drop_alt_reads(x, self.support_channel, self.reference_rows, target, generator)
        return x, y


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
        if data.het_downsample:
            rows = self.info.get("config", {}).get("pileup", {}).get("reference_band_height",
                                                                    PileupConfig.reference_band_height)
            self.train_set = HetDownsampled(self.train_set, self.info["channels"], data.het_downsample, rows)
