"""Sequence files: labelled tables (CSV/TSV), FASTA, BED intervals cut from a reference, and id,label tables.

A table has a ``sequence`` column and, for training and evaluation, a ``label`` column (optional ``id``,
``task`` and ``group`` columns); a missing label (empty, ``nan``, ``NA``, ``null``, ``None``) is an error naming its
line. Sequences are kept as written (upper/lower case); encoding is :mod:`genotorch.encode.onehot`'s business.
"""

from __future__ import annotations

import csv
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

from genotorch.errors import GenotorchError


@dataclass
class SequenceTable:
    """Sequences read from a table or FASTA: ids, sequences, labels (None when absent), tasks and groups."""
    path: str
    sequences: list[str]
    labels: list[str] | None  # None only when read with require_label=False from a table without labels
    tasks: list[str] | None = None
    ids: list[str] | None = None  # the ``id`` column, else ``row<N>`` (1-based data rows)
    groups: list[str] | None = None  # the ``group`` column (e.g. the source sequence of windows), if any


@contextmanager
def _table(path: Path, what: str):
    """A csv.DictReader over a CSV or TSV (tab-separated when the header has a tab). Raises for a missing file."""
    if not path.exists():
        raise GenotorchError(f"{what} {path} does not exist")
    with open(path, newline="") as f:
        head = f.readline()
        f.seek(0)
        yield csv.DictReader(f, delimiter="\t" if "\t" in head else ",")

MISSING_LABELS = ("", "nan", "na", "n/a", "null", "none")


def read_sequence_table(path: str | Path, require_label: bool = True) -> SequenceTable:
    """Read a ``sequence,label`` CSV/TSV (``label`` optional when ``require_label`` is false, e.g. for predict).

    Raises
    ------
    GenotorchError
        A missing file, no ``sequence`` (or required ``label``) column, an empty sequence, or a missing label
        (empty, ``nan``, ``NA``, ``null``, ``None``; its line is named).
    """
    path = Path(path)
    with _table(path, "sequence table") as reader:
        cols = reader.fieldnames or []
        if "sequence" not in cols or (require_label and "label" not in cols):
            need = "'sequence' and 'label' columns" if require_label else "a 'sequence' column (or give FASTA)"
            raise GenotorchError(f"{path}: needs {need} (it has: {', '.join(cols)})")
        seqs, labels, tasks, ids, groups = [], [], [], [], []
        for line, row in enumerate(reader, start=2):
            s = (row["sequence"] or "").strip()
            if not s:
                raise GenotorchError(f"{path} line {line}: empty sequence")
            seqs.append(s)
            label = (row.get("label") or "").strip()
            if "label" in cols and label.lower() in MISSING_LABELS:
                raise GenotorchError(f"{path} line {line}: missing label ({label!r}): give every row a label, or "
                                     f"drop the label column to predict")
            labels.append(label)
            tasks.append(row.get("task") or "")
            ids.append(row.get("id") or f"row{line - 1}")
            groups.append(row.get("group") or "")
    return SequenceTable(str(path), seqs, labels if "label" in cols else None, tasks if "task" in cols else None,
                         ids, groups if "group" in cols else None)

FASTA_SUFFIXES = (".fa", ".fasta", ".fna", ".fa.gz", ".fasta.gz", ".fna.gz")


def read_fasta(path: str | Path) -> tuple[list[str], list[str]]:
    """``(ids, sequences)`` of a FASTA file (plain or gzip; pysam.FastxFile); the id is the name up to the first
    space. Raises GenotorchError for a missing file or an empty sequence (its id is named)."""
    import pysam

    path = Path(path)
    if not path.exists():
        raise GenotorchError(f"{path} does not exist")
    ids, seqs = [], []
    with pysam.FastxFile(str(path)) as fh:
        for rec in fh:
            if not rec.sequence:
                raise GenotorchError(f"{path}: empty sequence for {rec.name}")
            ids.append(rec.name)
            seqs.append(rec.sequence)
    if not seqs:
        raise GenotorchError(f"{path} holds no FASTA record (empty, or not FASTA)")
    return ids, seqs


def read_bed_sequences(path: str | Path, reference: str | Path, length: int) -> SequenceTable:
    """Sequences cut from ``reference`` for the intervals of a BED file, centred: ``length`` bp around each
    interval's midpoint ``(start + end) // 2`` (0-based; ``N`` beyond a contig end). The label is BED column 4
    (name); ids are ``contig:start-end`` of the cut (1-based, closed).

    Raises GenotorchError without ``data.reference`` or ``data.sequence_length``, or for a line without a name.
    """
    from genotorch.io.intervals import Interval, read_bed_records
    from genotorch.io.reference import Reference

    if not reference or length <= 0:
        raise GenotorchError(f"{path}: BED inputs need data.reference (the FASTA to cut from) and "
                             "data.sequence_length (bp around each interval's midpoint)")
    ref = Reference(reference)
    ids, seqs, labels = [], [], []
    for iv, fields in read_bed_records(path, ref.lengths):
        if len(fields) < 4 or not fields[3].strip():
            raise GenotorchError(f"{path}: {iv.to_region_string()} has no label: put it in BED column 4 (name)")
        start = (iv.start + iv.end) // 2 - length // 2
        ids.append(Interval(iv.contig, start, start + length).to_region_string())
        seqs.append(ref.fetch(iv.contig, start, start + length))
        labels.append(fields[3].strip())
    return SequenceTable(str(path), seqs, labels, None, ids)

def read_id_labels(path: str | Path) -> dict[str, str]:
    """``id -> label`` from a CSV/TSV with ``id`` and ``label`` columns (``data.labels`` of FASTA inputs); a missing
    label is an error naming its line."""
    path = Path(path)
    with _table(path, "data.labels") as reader:
        if not {"id", "label"} <= set(reader.fieldnames or []):
            raise GenotorchError(f"data.labels {path}: needs 'id' and 'label' columns (it has: {reader.fieldnames})")
        out = {}
        for line, row in enumerate(reader, start=2):
            label = (row["label"] or "").strip()
            if label.lower() in MISSING_LABELS:
                raise GenotorchError(f"data.labels {path} line {line}: missing label ({label!r}) for "
                                     f"{row['id']!r}: give every id a label")
            out[(row["id"] or "").strip()] = label
        return out
