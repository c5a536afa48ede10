"""Labelled DNA sequences from CSV/TSV (the GUE / DNABERT-2 format) and a leakage report between splits
(a building block of issue 4's sequence models).

Format: a header with ``sequence`` and ``label`` columns (comma or tab separated; an optional ``task`` column is
kept). Labels stay strings here; the caller maps them to classes.

Leakage (:func:`leakage_report`): for every pair of splits, how many sequences of the second also occur in the
first exactly (case-insensitive) and how many occur there only as a reverse complement. A model sees both strands,
so either kind leaks.
"""

from __future__ import annotations

import csv
from dataclasses import dataclass
from itertools import combinations
from pathlib import Path
from typing import Mapping, Sequence

from genotorch.encode.onehot import reverse_complement
from genotorch.errors import GenotorchError


@dataclass
class SequenceTable:
    path: str
    sequences: list[str]
    labels: list[str] | None  # None only when read with require_label=False from a table without labels
    tasks: list[str] | None = None
    ids: list[str] | None = None  # the ``id`` column, else ``row<N>`` (1-based data rows)


def read_sequence_table(path: str | Path, require_label: bool = True) -> SequenceTable:
    """Read a ``sequence,label`` CSV/TSV (``label`` optional when ``require_label`` is false, e.g. for predict).

    Raises
    ------
    GenotorchError
        A missing file, no ``sequence`` (or required ``label``) column, or an empty sequence (its line is named).
    """
    path = Path(path)
    if not path.exists():
        raise GenotorchError(f"sequence table {path} does not exist")
    with open(path, newline="") as f:
        head = f.readline()
        f.seek(0)
        reader = csv.DictReader(f, delimiter="\t" if "\t" in head else ",")
        cols = reader.fieldnames or []
        if "sequence" not in cols or (require_label and "label" not in cols):
            need = "'sequence' and 'label' columns" if require_label else "a 'sequence' column (or give FASTA)"
            raise GenotorchError(f"{path}: needs {need} (it has: {', '.join(cols)})")
        seqs, labels, tasks, ids = [], [], [], []
        for line, row in enumerate(reader, start=2):
            s = (row["sequence"] or "").strip()
            if not s:
                raise GenotorchError(f"{path} line {line}: empty sequence")
            seqs.append(s)
            labels.append((row.get("label") or "").strip())
            tasks.append(row.get("task") or "")
            ids.append(row.get("id") or f"row{line - 1}")
    return SequenceTable(str(path), seqs, labels if "label" in cols else None, tasks if "task" in cols else None,
                         ids)


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


class OneHotDataset:
    """``(float32 (4, L) one-hot, class index)`` items. Training augmentation: ``rc`` flips a sequence to its
    reverse complement with probability 0.5 (both axes of the one-hot); ``shift`` moves it by up to that many bp
    either way (zero columns fill the gap). Attributes ``inputs`` (tensor) and ``labels``."""

    def __init__(self, x, y, rc: bool = False, shift: int = 0):
        import torch

        self.inputs = torch.from_numpy(x)
        self.labels = y
        self.rc, self.shift = rc, shift

    def __len__(self) -> int:
        return len(self.labels)

    def __getitem__(self, i: int):
        import torch

        x = self.inputs[i]
        if self.rc and torch.rand(()) < 0.5:
            x = torch.flip(x, dims=(0, 1))
        if self.shift:
            s = int(torch.randint(-self.shift, self.shift + 1, ()))
            if s:
                x = torch.roll(x, s, dims=1)
                if s > 0:
                    x[:, :s] = 0
                else:
                    x[:, s:] = 0
        return x, int(self.labels[i])


class SequenceDataModule:
    """Train/val/test one-hot sets from ``data.train``/``data.val``/``data.test`` CSVs (task: sequence).

    Classes are ``data.classes`` when given (a list of label strings), else the sorted labels of the training table.
    Raises GenotorchError for a label not among the classes (file and label named) or a single-class training set.
    """

    def __init__(self, data, seed: int, log=print):
        import numpy as np

        from genotorch.encode.onehot import one_hot

        if not data.train:
            raise GenotorchError("data.train: give the training CSV (sequence,label)")
        tables = {"train": [read_sequence_table(p) for p in data.train],
                  "val": [read_sequence_table(p) for p in data.val],
                  "test": [read_sequence_table(p) for p in data.test]}
        train_labels = [lab for t in tables["train"] for lab in t.labels]
        classes = [str(c) for c in data.classes] if isinstance(data.classes, (list, tuple)) and data.classes else \
            sorted(set(train_labels), key=lambda v: (len(v), v))
        if len(set(train_labels)) < 2:
            raise GenotorchError(f"{data.train[0]}: the training set has a single class ({train_labels[0]!r}); "
                                 "a classifier needs at least two")
        length = int(data.sequence_length) or max(len(s) for t in tables["train"] for s in t.sequences)
        self.classes, self.length = classes, length
        index = {c: i for i, c in enumerate(classes)}
        sets = {}
        for name, ts in tables.items():
            seqs = [s for t in ts for s in t.sequences]
            labels = []
            for t in ts:
                for lab in t.labels:
                    if lab not in index:
                        raise GenotorchError(f"{t.path}: label {lab!r} is not one of the classes {classes} "
                                             "(set data.classes or fix the table)")
                    labels.append(index[lab])
            sets[name] = (seqs, np.array(labels, dtype=np.int64))
        self.report = leakage_report({k: v[0] for k, v in sets.items() if v[0]})
        log("leakage (sequences of the later split found in the earlier): " + "; ".join(
            f"{k} exact {v['exact']}, reverse complement {v['reverse_complement']} of {v['of']}"
            for k, v in self.report.items() if k != "within"))
        mk = lambda name, aug: (OneHotDataset(one_hot(sets[name][0], length), sets[name][1],
                                              aug and data.rc_augment, data.shift_augment if aug else 0)
                                if len(sets[name][0]) else None)
        self.train_set, self.val_set, self.test_set = mk("train", True), mk("val", False), mk("test", False)
        self.train_labels = self.train_set.labels
        self.test_ids = [f"test:{i}" for i in range(len(sets["test"][0]))]
        self.info = {"kind": "sequence", "shape": [4, length], "channels": ["A", "C", "G", "T"],
                     "encodings": {"one_hot": "A,C,G,T channels; N and other IUPAC codes all-zero; right-padded"},
                     "config": {"length": length, "alphabet": "ACGT"}}
