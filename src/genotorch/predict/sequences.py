"""Predict with a sequence classifier: FASTA or CSV/TSV in, one row of class probabilities per sequence out.

* Sequences longer than the model's length ``L`` are cut into tiled windows of ``L`` (stride ``L // 2``, the last
  window ending at the sequence end) and the window probabilities are averaged; shorter ones are right-padded with
  all-zero columns (see :mod:`genotorch.encode.onehot`).
* ``rc_average``: the probabilities of the sequence and of its reverse complement are averaged.

Embeddings (:func:`embed_sequences`) are averaged over windows and strands the same way.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import torch

from genotorch.models.inference import run_batches
from genotorch.encode.onehot import one_hot, reverse_complement
from genotorch.errors import GenotorchError


def read_inputs(path: str | Path) -> tuple[list[str], list[str], list[str] | None]:
    """(ids, sequences, labels or None) from FASTA (``>id``; :func:`genotorch.data.sequences.read_fasta`) or a
    CSV/TSV with a ``sequence`` column (and optional ``id``/``label`` columns; ids default to ``row<N>``)."""
    from genotorch.io.sequences import FASTA_SUFFIXES, read_fasta, read_sequence_table

    path = Path(path)
    if not path.exists():
        raise GenotorchError(f"{path} does not exist")
    if path.is_dir():
        raise GenotorchError(f"{path} is a folder, but a sequence model reads a FASTA or CSV/TSV file of sequences "
                             f"(an image model reads folders): check the inputs and --model")
    with open(path, "rb") as fh:
        head = fh.read(2)
    if path.name.lower().endswith(FASTA_SUFFIXES) or head[:1] == b">" or head == b"\x1f\x8b":
        return (*read_fasta(path), None)
    t = read_sequence_table(path, require_label=False)
    return t.ids, t.sequences, t.labels


def windows(seq: str, length: int) -> list[str]:
    """Tiled windows of ``length`` (stride length // 2, last one flush with the end); the sequence itself if short."""
    if len(seq) <= length:
        return [seq]
    step = max(1, length // 2)
    starts = list(range(0, len(seq) - length + 1, step))
    if starts[-1] != len(seq) - length:
        starts.append(len(seq) - length)
    return [seq[s:s + length] for s in starts]


def _per_sequence(model: torch.nn.Module, fn, length: int, seqs: list[str], rc_average: bool, batch_size: int,
                  progress=None) -> np.ndarray:
    """``fn`` (one-hot batch -> ``(n, D)`` tensor, using ``model``) applied to every window of every sequence (both
    strands when ``rc_average``) through the shared inference runner (:mod:`genotorch.models.inference`); rows
    averaged per sequence: ``(N, D)`` float64. ``progress(done, total, windows)`` is called after every batch."""
    tiles, owner = [], []
    for i, s in enumerate(seqs):
        for w in windows(s, length):
            tiles.append(w)
            owner.append(i)
    strands = [tiles] + ([[reverse_complement(t) for t in tiles]] if rc_average else [])
    outs = []
    total = sum(-(-len(t) // batch_size) for t in strands)
    done = n = 0
    for t in strands:
        rows = []
        batches = (one_hot(t[i:i + batch_size], length) for i in range(0, len(t), batch_size))
        for out in run_batches(model, batches, lambda m, x: fn(x)):
            rows.append(out)
            done, n = done + 1, n + len(out)
            if progress:
                progress(done, total, n)
        outs.append(np.concatenate(rows).astype(np.float64))
    rows = np.mean(outs, axis=0)
    owner = np.array(owner)
    out = np.zeros((len(seqs), rows.shape[1]))
    np.add.at(out, owner, rows)
    return out / np.bincount(owner, minlength=len(seqs))[:, None]


def model_rc_average(meta: dict) -> bool:
    """Whether a sequence model's predictions average both strands by default (its config's
    ``data.rc_average``, the setting its decision threshold and test report were made with)."""
    return bool(meta["config"].get("data", {}).get("rc_average", False))


def predict_sequences(model: torch.nn.Module, length: int, seqs: list[str], rc_average: bool = False,
                      batch_size: int = 512, multilabel: bool = False, progress=None) -> np.ndarray:
    """``(N, K)`` float64 class probabilities (softmax), or per-target probabilities (sigmoid) of a multi-label
    model (see the module docstring)."""
    act = torch.sigmoid if multilabel else (lambda z: torch.softmax(z, 1))
    return _per_sequence(model, lambda x: act(model(x).float()), length, seqs, rc_average, batch_size, progress)


def embedding_function(model: torch.nn.Module, pooling: str | None = None):
    """One-hot batch ``(n, 4, L)`` -> ``(n, D)`` embeddings: the model's own ``embed`` (k-mer BERT: pooled last
    hidden states; ``pooling`` "mean" or "cls"), else the input of its last linear layer (CNNs: the penultimate
    features, e.g. Basset's last 1000-unit layer or the pooled convolution channels).

    Raises GenotorchError when ``pooling`` is given for a model without token embeddings.
    """
    if hasattr(model, "embed"):
        return lambda x: model.embed(x, pooling)
    if pooling:
        raise GenotorchError(f"--pooling {pooling}: only k-mer transformers pool token embeddings; a CNN's "
                             "embedding is its penultimate layer (leave --pooling out)")
    last = [m for m in model.modules() if isinstance(m, torch.nn.Linear)][-1]

    def fn(x):
        grabbed = []
        hook = last.register_forward_hook(lambda mod, inp, out: grabbed.append(inp[0]))
        try:
            model(x)
        finally:
            hook.remove()
        return grabbed[0].flatten(1)

    return fn


def embed_sequences(model: torch.nn.Module, length: int, seqs: list[str], rc_average: bool = False,
                    pooling: str | None = None, batch_size: int = 512, progress=None) -> np.ndarray:
    """``(N, D)`` float32 embeddings, one row per sequence: windows (and strands, with ``rc_average``) averaged
    like the probabilities of :func:`predict_sequences`; ``D`` and the layer as in :func:`embedding_function`."""
    return _per_sequence(model, embedding_function(model, pooling), length, seqs, rc_average, batch_size,
                         progress).astype(np.float32)


def write_embeddings(path: str | Path, ids: list[str], emb: np.ndarray, attrs: dict) -> list[Path]:
    """Write ``emb`` (N, D) with its ids, atomically (temporary name, then rename).

    * ``.h5``/``.hdf5``: datasets ``embeddings`` (N, D) float32 and ``ids`` (N,) UTF-8 strings; ``attrs`` as
      HDF5 attributes (model, genotorch version, pooling...).
    * ``.npy``: the array; ids one per line in ``<path minus .npy>.ids.txt``, ``attrs`` in ``.json`` beside it.

    Returns the paths written. Raises GenotorchError for another suffix.
    """
    import json

    from genotorch.io.files import atomic_output, atomic_write_json, atomic_write_text

    path = Path(path)
    if path.suffix in (".h5", ".hdf5"):
        import h5py

        with atomic_output(path, "--output") as tmp, h5py.File(tmp, "w") as f:
            f.create_dataset("embeddings", data=emb.astype(np.float32))
            f.create_dataset("ids", data=np.array(ids, dtype=object), dtype=h5py.string_dtype())
            for k, v in attrs.items():
                f.attrs[k] = json.dumps(v) if isinstance(v, (dict, list)) else v
        return [path]
    if path.suffix != ".npy":
        raise GenotorchError(f"--output {path}: use .npy (ids and settings written beside it) or .h5/.hdf5")
    side = [path.with_suffix(".ids.txt"), path.with_suffix(".json")]
    atomic_write_text(side[0], "".join(f"{i}\n" for i in ids), "--output")
    atomic_write_json(side[1], attrs, "--output")
    with atomic_output(path, "--output") as tmp, open(tmp, "wb") as f:
        np.save(f, emb.astype(np.float32))
    return [path, *side]
