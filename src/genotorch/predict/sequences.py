"""Predict with a sequence classifier: FASTA or CSV/TSV in, one row of class probabilities per sequence out.

* Sequences longer than the model's length ``L`` are cut into tiled windows of ``L`` (stride ``L // 2``, the last
  window ending at the sequence end) and the window probabilities are averaged; shorter ones are right-padded with
  all-zero columns (see :mod:`genotorch.encode.onehot`).
* ``rc_average``: the probabilities of the sequence and of its reverse complement are averaged.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import torch

from genotorch.encode.onehot import one_hot, reverse_complement
from genotorch.errors import GenotorchError


def read_inputs(path: str | Path) -> tuple[list[str], list[str], list[str] | None]:
    """(ids, sequences, labels or None) from FASTA (``>id``) or a CSV/TSV with a ``sequence`` column (and optional
    ``id``/``label`` columns; ids default to ``row<N>``)."""
    from genotorch.data.sequences import read_sequence_table

    path = Path(path)
    if not path.exists():
        raise GenotorchError(f"{path} does not exist")
    text = path.read_text()
    if not text.lstrip().startswith(">"):
        t = read_sequence_table(path, require_label=False)
        return t.ids, t.sequences, t.labels
    ids, seqs = [], []
    for block in text.split(">")[1:]:
        head, _, body = block.partition("\n")
        ids.append(head.split()[0] if head.split() else f"seq{len(ids)}")
        seqs.append("".join(body.split()))
    empty = [i for i, s in zip(ids, seqs) if not s]
    if empty:
        raise GenotorchError(f"{path}: empty sequence for {empty[0]}")
    return ids, seqs, None


def windows(seq: str, length: int) -> list[str]:
    """Tiled windows of ``length`` (stride length // 2, last one flush with the end); the sequence itself if short."""
    if len(seq) <= length:
        return [seq]
    step = max(1, length // 2)
    starts = list(range(0, len(seq) - length + 1, step))
    if starts[-1] != len(seq) - length:
        starts.append(len(seq) - length)
    return [seq[s:s + length] for s in starts]


def predict_sequences(model: torch.nn.Module, length: int, seqs: list[str], rc_average: bool = False,
                      batch_size: int = 512) -> np.ndarray:
    """``(N, K)`` float64 class probabilities (see the module docstring)."""
    from genotorch.predict.images import predict_array

    tiles, owner = [], []
    for i, s in enumerate(seqs):
        for w in windows(s, length):
            tiles.append(w)
            owner.append(i)
    strands = [tiles] + ([[reverse_complement(t) for t in tiles]] if rc_average else [])
    probs = np.mean([predict_array(model, one_hot(t, length), batch_size) for t in strands], axis=0)
    owner = np.array(owner)
    out = np.zeros((len(seqs), probs.shape[1]))
    np.add.at(out, owner, probs)
    return out / np.bincount(owner, minlength=len(seqs))[:, None]
