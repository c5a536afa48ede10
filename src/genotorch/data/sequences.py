"""The sequence task's data: labelled DNA (tables, FASTA + labels, BED + reference, or a peak HDF5; the files are
read by :mod:`genotorch.io.sequences`) as one-hot datasets with augmentation, grouped hold-out splits, and the
data module training uses.

Leakage (:func:`genotorch.data.splits.leakage_report`): for every pair of splits, how many sequences of the second also occur in the
first exactly (case-insensitive) and how many occur there only as a reverse complement. A model sees both strands,
so either kind leaks.
"""

from __future__ import annotations

import logging

from pathlib import Path
from typing import Sequence

import numpy as np

from genotorch.encode.onehot import reverse_complement
from genotorch.data.splits import leakage_report
from genotorch.errors import GenotorchError
from genotorch.data.base import TaskDataModule
from genotorch.io.sequences import (
    FASTA_SUFFIXES, SequenceTable, read_bed_sequences, read_fasta, read_id_labels, read_sequence_table,
)


logger = logging.getLogger(__name__)


class OneHotDataset:
    """``(float32 (4, L) one-hot, label)`` items; the label is a class index (int) for single-label data, a
    float32 ``(T,)`` tensor of 0/1 (-1 = unknown) for multi-label data. Training augmentation: ``rc`` flips a
    sequence to its reverse complement with probability 0.5 (both axes of the one-hot); ``shift`` moves it by up to
    that many bp either way (zero columns fill the gap). Attributes ``inputs`` (tensor) and ``labels``."""

    def __init__(self, x, y, rc: bool = False, shift: int = 0):
        import torch

        self.inputs = torch.from_numpy(x)
        self.labels = y
        self.rc, self.shift = rc, shift

    def __len__(self) -> int:
        return len(self.labels)

    def _augment(self, x, generator=None):
        """Reverse complement and shift, drawn from ``generator`` (torch's global generator when None)."""
        import torch

        if self.rc and torch.rand((), generator=generator) < 0.5:
            x = torch.flip(x, dims=(0, 1))
        if self.shift:
            s = int(torch.randint(-self.shift, self.shift + 1, (), generator=generator))
            if s:
                x = torch.roll(x, s, dims=1)
                if s > 0:
                    x[:, :s] = 0
                else:
                    x[:, s:] = 0
        return x

    def _label(self, i: int):
        import torch

        y = self.labels[i]
        return int(y) if np.ndim(y) == 0 else torch.from_numpy(y)

    def __getitem__(self, i: int):
        return self.draw(i)

    def draw(self, i: int, generator=None):
        """Item ``i`` with its augmentation drawn from ``generator`` (see :class:`genotorch.data.loaders.KeyedDraws`)."""
        return self._augment(self.inputs[i], generator), self._label(i)


class RandomWindowDataset(OneHotDataset):
    """Training items from sequences longer than the model's ``length``: a random window of ``length`` bp per draw
    (uniform start within the sequence), one-hot encoded on the fly, then the augmentation of
    :class:`OneHotDataset`. ``codes`` holds the sequences as ``(N, longest)`` uint8 base codes
    (:func:`genotorch.encode.onehot.base_codes`), so long sequences (plasmids, whole peaks) cost 1 byte per base;
    sequences up to ``length`` bp are used whole (right-padded)."""

    def __init__(self, codes, y, lengths, length: int, rc: bool = False, shift: int = 0):
        self.codes, self.labels = codes, y
        self.rc, self.shift = rc, shift
        self.lengths, self.length = np.asarray(lengths), length

    def draw(self, i: int, generator=None):
        """Item ``i``: a random window of ``length`` bp drawn from ``generator``, one-hot ``(4, length)`` float32,
        then augmented."""
        import torch

        from genotorch.encode.onehot import codes_to_one_hot

        s = int(torch.randint(0, max(1, int(self.lengths[i]) - self.length + 1), (), generator=generator))
        w = self.codes[i, s:s + self.length]
        if len(w) < self.length:
            w = np.concatenate([w, np.full(self.length - len(w), 4, np.uint8)])
        return self._augment(torch.from_numpy(codes_to_one_hot(w).copy()), generator), self._label(i)


def read_labelled(path: str | Path, data) -> SequenceTable:
    """A labelled sequence table from any supported input (``data`` is the DataConfig):

    * CSV/TSV ``sequence,label`` (+ optional ``id``, ``task``): :func:`read_sequence_table`;
    * FASTA (``.fa``, ``.fasta``, ``.fna``, optionally ``.gz``) with labels from ``data.labels`` (CSV/TSV with
      ``id`` and ``label`` columns);
    * BED (``.bed``, ``.bed.gz``) + ``data.reference``: :func:`read_bed_sequences`.

    Raises GenotorchError for a FASTA without ``data.labels`` or an id without a label.
    """
    name = str(path).lower()
    if name.endswith((".bed", ".bed.gz")):
        return read_bed_sequences(path, data.reference, int(data.sequence_length))
    if not name.endswith(FASTA_SUFFIXES):
        return read_sequence_table(path)
    if not data.labels:
        raise GenotorchError(f"{path}: FASTA inputs need data.labels, a CSV/TSV with id and label columns")
    ids, seqs = read_fasta(path)
    lab = read_id_labels(data.labels)
    missing = [i for i in ids if i not in lab]
    if missing:
        raise GenotorchError(f"{data.labels}: no label for {len(missing)} sequences of {path} (first: {missing[0]})")
    return SequenceTable(str(path), seqs, [lab[i] for i in ids], None, ids)


def linked_groups(seqs: Sequence[str], given: Sequence[str]) -> np.ndarray:
    """``(N,)`` int64 group ids: rows are linked when they share a non-empty ``given`` group or the same sequence up
    to reverse complement and case; groups are the connected components (union-find)."""
    parent = list(range(len(seqs)))

    def find(i: int) -> int:
        while parent[i] != i:
            parent[i] = parent[parent[i]]
            i = parent[i]
        return i

    first: dict = {}
    for i, (q, g) in enumerate(zip(seqs, given)):
        u = q.upper()
        for key in (("seq", min(u, reverse_complement(u))), ("group", g) if g else None):
            if key is None:
                continue
            j = first.setdefault(key, i)
            parent[find(i)] = find(j)
    return np.array([find(i) for i in range(len(seqs))], dtype=np.int64)


class SequenceDataModule(TaskDataModule):
    """Train/val/test one-hot sets for task: sequence.

    Inputs (``data.train``/``data.val``/``data.test``): the tables of :func:`read_labelled`, or one peak HDF5 of
    :mod:`genotorch.data.peaks` in ``data.train`` (its train/valid/test splits are used; multi-label).

    Labels:

    * single-label: classes are ``data.classes`` when given (a list of label strings), else the sorted labels of
      the training table;
    * multi-label: a peak HDF5 (targets = its ``target_labels``), or tables with a ``task`` column naming more
      than one task (targets = the sorted task names or ``data.classes``; labels 0/1; a row is labelled only for
      its own task, -1 elsewhere, and the loss ignores the -1 entries).

    Splits: without ``data.test`` (``data.val``), ``data.test_fraction`` (``data.val_fraction``) of ``data.train``
    is held out (0 turns it off), seeded, stratified and grouped (:func:`linked_groups`: a ``group`` column, and a
    sequence with its reverse complement), so no source sequence, nor its windows, crosses splits.

    Sequences longer than ``data.sequence_length`` (when set) are cut at training time into a random window per
    draw (:class:`RandomWindowDataset`) and at validation time to their centre window; the test report after
    training tiles them like ``predict`` (``test_sequences`` keeps them whole).

    Raises GenotorchError for a label not among the classes (file and label named), a single-class training set,
    multi-label labels other than 0/1, or an HDF5 given with separate val/test files.
    """

    def __init__(self, data, seed: int, log=None):
        from genotorch.encode.onehot import base_codes, one_hot

        super().__init__(data, seed)
        log = log or logger.info
        if not data.train:
            raise GenotorchError("data.train: give the training CSV (sequence,label), FASTA, BED or peak HDF5")
        if str(data.train[0]).lower().endswith((".h5", ".hdf5")):
            self._from_hdf5(data)
        else:
            self._from_tables(data, seed)
        self.report = leakage_report({k: v[0] for k, v in self.sets.items() if len(v[0])})
        log("leakage (sequences of the later split found in the earlier): " + "; ".join(
            f"{k} exact {v['exact']}, reverse complement {v['reverse_complement']} of {v['of']}"
            for k, v in self.report.items() if k != "within"))
        length = self.length

        def centre(seqs):
            return [q if len(q) <= length else q[(len(q) - length) // 2:][:length] for q in seqs]

        def make(name, train):
            seqs, y = self.sets[name]
            if not len(seqs):
                return None
            aug = (train and data.rc_augment, data.shift_augment if train else 0)
            longest = max(len(q) for q in seqs)
            if train and longest > length:
                return RandomWindowDataset(base_codes(seqs, longest), y, [len(q) for q in seqs], length, *aug)
            return OneHotDataset(one_hot(centre(seqs), length), y, *aug)

        self.train_set, self.val_set, self.test_set = make("train", True), make("val", False), make("test", False)
        self.train_labels = self.train_set.labels
        self.test_ids = [f"test:{i}" for i in range(len(self.sets["test"][0]))]
        self.test_sequences = list(self.sets["test"][0])
        self.val_sequences = list(self.sets["val"][0])
        self.info = {"kind": "sequence", "shape": [4, length], "channels": ["A", "C", "G", "T"],
                     "multilabel": self.multilabel,
                     "encodings": {"one_hot": "A,C,G,T channels; N and other IUPAC codes all-zero; right-padded"},
                     "config": {"length": length, "alphabet": "ACGT"}}

    def _from_hdf5(self, data) -> None:
        from genotorch.data.peaks import read_peak_hdf5
        from genotorch.encode.onehot import decode_one_hot

        if len(data.train) > 1 or data.val or data.test:
            raise GenotorchError(f"data.train {data.train[0]} is a peak HDF5 with its own train/valid/test splits: "
                                 "leave data.val and data.test empty")
        h = read_peak_hdf5(data.train[0])
        self.classes, self.multilabel = h["targets"], True
        self.length = h["train"][0].shape[-1]
        empty = (np.zeros((0, 4, self.length), np.float32), np.zeros((0, len(self.classes)), np.float32))
        self.sets = {k: (decode_one_hot(x), y) for k, (x, y) in
                     (("train", h["train"]), ("val", h["valid"] or empty), ("test", h["test"] or empty))}

    def _from_tables(self, data, seed: int) -> None:
        tables = {k: [read_labelled(p, data) for p in paths]
                  for k, paths in (("train", data.train), ("val", data.val), ("test", data.test))}
        tasks = sorted({t for ts in tables.values() for tb in ts for t in (tb.tasks or [])})
        self.multilabel = len(tasks) > 1
        train_labels = [lab for t in tables["train"] for lab in t.labels]
        if self.multilabel:
            classes = [str(c) for c in data.classes] if isinstance(data.classes, (list, tuple)) and data.classes \
                else tasks
        else:
            classes = [str(c) for c in data.classes] if isinstance(data.classes, (list, tuple)) and data.classes \
                else sorted(set(train_labels), key=lambda v: (len(v), v))
            if len(set(train_labels)) < 2:
                raise GenotorchError(f"{data.train[0]}: the training set has a single class ({train_labels[0]!r}); "
                                     "a classifier needs at least two")
        self.classes = classes
        self.length = int(data.sequence_length) or max(len(s) for t in tables["train"] for s in t.sequences)
        index = {c: i for i, c in enumerate(classes)}
        self.sets = {}
        for name, ts in tables.items():
            seqs = [s for t in ts for s in t.sequences]
            labels = []
            for t in ts:
                for j, lab in enumerate(t.labels):
                    if self.multilabel:
                        if t.tasks[j] not in index or lab not in ("0", "1"):
                            raise GenotorchError(f"{t.path} row {j + 1}: task {t.tasks[j]!r} label {lab!r}: tasks must "
                                                 f"be among {classes} and labels 0 or 1")
                        row = np.full(len(classes), -1.0, dtype=np.float32)
                        row[index[t.tasks[j]]] = float(lab)
                        labels.append(row)
                        continue
                    if lab not in index:
                        raise GenotorchError(f"{t.path}: label {lab!r} is not one of the classes {classes} "
                                             "(set data.classes or fix the table)")
                    labels.append(index[lab])
            y = np.array(labels, dtype=np.float32 if self.multilabel else np.int64)
            self.sets[name] = (seqs, y.reshape(len(seqs), len(classes)) if self.multilabel else y)
        hold_val = 0.0 if data.val else float(data.val_fraction)
        hold_test = 0.0 if data.test else float(data.test_fraction)
        if hold_val > 0 or hold_test > 0:
            self._split(tables["train"], hold_val, hold_test, seed)

    def _split(self, tables, val_fraction: float, test_fraction: float, seed: int) -> None:
        """Hold out ``test_fraction`` then ``val_fraction`` of the training rows, stratified by class
        (multi-label: by task) and grouped: rows sharing a ``group`` value, or else the same sequence up to reverse
        complement (case-insensitive), stay together (:func:`linked_groups`)."""
        from genotorch.data.splits import hold_out_groups

        seqs, y = self.sets["train"]
        given = [g for t in tables for g in (t.groups or [""] * len(t.sequences))]
        groups = linked_groups(seqs, given)
        strata = (y >= 0).argmax(1) if self.multilabel else y
        rng = np.random.default_rng(seed)
        idx = np.arange(len(seqs))
        test = hold_out_groups(idx, strata, groups, test_fraction, rng)
        rest = np.setdiff1d(idx, test)
        val = hold_out_groups(rest, strata, groups, val_fraction / max(1e-9, 1 - test_fraction), rng)
        train = np.setdiff1d(rest, val)
        parts = {"train": train}
        parts.update({"val": val} if val_fraction > 0 else {})
        parts.update({"test": test} if test_fraction > 0 else {})
        self.sets.update({k: ([seqs[i] for i in v], y[v]) for k, v in parts.items()})
        self.split_groups = {k: sorted(set(groups[v])) for k, v in parts.items()}

