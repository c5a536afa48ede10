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
    labels: list[str]
    tasks: list[str] | None = None


def read_sequence_table(path: str | Path) -> SequenceTable:
    """Read a ``sequence,label`` CSV/TSV.

    Raises
    ------
    GenotorchError
        A missing file, no ``sequence``/``label`` column, or an empty sequence (its line is named).
    """
    path = Path(path)
    if not path.exists():
        raise GenotorchError(f"sequence table {path} does not exist")
    with open(path, newline="") as f:
        head = f.readline()
        f.seek(0)
        reader = csv.DictReader(f, delimiter="\t" if "\t" in head else ",")
        cols = reader.fieldnames or []
        if "sequence" not in cols or "label" not in cols:
            raise GenotorchError(f"{path}: needs 'sequence' and 'label' columns (it has: {', '.join(cols)})")
        seqs, labels, tasks = [], [], []
        for line, row in enumerate(reader, start=2):
            s = (row["sequence"] or "").strip()
            if not s:
                raise GenotorchError(f"{path} line {line}: empty sequence")
            seqs.append(s)
            labels.append((row["label"] or "").strip())
            tasks.append(row.get("task") or "")
    return SequenceTable(str(path), seqs, labels, tasks if "task" in cols else None)


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
