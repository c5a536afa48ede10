"""Overlapping k-mer tokens with DNABERT's vocabulary (Ji et al. 2021, Bioinformatics 37:2112).

Vocabulary (DNABERT's ``vocab.txt``): ``[PAD] [UNK] [CLS] [SEP] [MASK]`` (ids 0-4), then the ``4**k`` k-mers in
the product order of ``A T C G`` (``AAA, AAT, AAC, AAG, ATA, ...`` for k = 3). A local DNABERT checkpoint directory
brings its own ``vocab.txt``, which is used as it is.

A sequence of length L gives ``[CLS]``, its ``L - k + 1`` overlapping k-mers (stride 1), ``[SEP]``:
``L - k + 3`` tokens ([SEP] follows the last k-mer that is not padding). Lowercase bases are tokenized like uppercase. A k-mer with any base other than A, C, G, T
(N or another IUPAC code) is ``[UNK]``. A one-hot cannot tell N from padding, so all-zero columns before the
first or after the last A/C/G/T count as padding: k-mers touching them are ``[PAD]`` and masked out of attention. Batches are right-padded with ``[PAD]``.

Two entry points give identical ids: :func:`tokenize` for strings and :func:`tokenize_one_hot` for the
``(N, 4, L)`` one-hot tensors of :mod:`genotorch.encode.onehot` (A, C, G, T channels), so a k-mer model trains on
the same data pipeline, augmentation (reverse complement, shifts, windows) included, as the CNNs.
"""

from __future__ import annotations

from itertools import product
from pathlib import Path
from typing import Sequence

import numpy as np
import torch

from genotorch.encode.onehot import one_hot
from genotorch.errors import GenotorchError

SPECIAL_TOKENS = ["[PAD]", "[UNK]", "[CLS]", "[SEP]", "[MASK]"]
PAD, UNK, CLS, SEP, MASK = range(5)
MIN_K, MAX_K = 3, 6


def dnabert_vocab(k: int) -> list[str]:
    """DNABERT's vocabulary for ``k`` (3-6): the special tokens, then the k-mers in A, T, C, G product order."""
    if not MIN_K <= k <= MAX_K:
        raise GenotorchError(f"k = {k}: DNABERT k-mer models use k from {MIN_K} to {MAX_K}")
    return SPECIAL_TOKENS + ["".join(p) for p in product("ATCG", repeat=k)]


def read_vocab(path: str | Path) -> tuple[list[str], int]:
    """``(tokens, k)`` of a DNABERT ``vocab.txt`` (one token per line).

    Raises
    ------
    GenotorchError
        A missing file, missing special tokens, or k-mers of mixed or unsupported lengths, or not all ``4**k``.
    """
    path = Path(path)
    if not path.exists():
        raise GenotorchError(f"{path} does not exist: a DNABERT checkpoint directory has a vocab.txt")
    tokens = [t.strip() for t in path.read_text().splitlines() if t.strip()]
    missing = [t for t in SPECIAL_TOKENS if t not in tokens]
    kmers = [t for t in tokens if t not in SPECIAL_TOKENS]
    sizes = {len(t) for t in kmers}
    if missing or len(sizes) != 1:
        raise GenotorchError(f"{path} is not a DNABERT k-mer vocabulary (special tokens missing: {missing}; "
                             f"k-mer lengths {sorted(sizes)})")
    k = sizes.pop()
    if not MIN_K <= k <= MAX_K or set(kmers) != {"".join(p) for p in product("ACGT", repeat=k)}:
        raise GenotorchError(f"{path}: expected all {4 ** k} k-mers of A, C, G, T for k = {k} (k from {MIN_K} to "
                             f"{MAX_K}); it has {len(kmers)}")
    return tokens, k


def kmer_lookup(vocab: Sequence[str], k: int) -> np.ndarray:
    """``(4**k,)`` int64: vocabulary id of each k-mer indexed by its base-4 code in A=0, C=1, G=2, T=3 order."""
    pos = {t: i for i, t in enumerate(vocab)}
    return np.array([pos["".join(p)] for p in product("ACGT", repeat=k)], dtype=np.int64)


def tokenize_one_hot(x: torch.Tensor, k: int, lookup: torch.Tensor) -> torch.Tensor:
    """Token ids ``(N, L - k + 3)`` int64 of one-hot DNA ``(N, 4, L)`` (see the module docstring).

    ``lookup`` is :func:`kmer_lookup` as a tensor on ``x``'s device.

    Raises
    ------
    GenotorchError
        ``L < k``.
    """
    n, _, length = x.shape
    if length < k:
        raise GenotorchError(f"a {length} bp sequence has no {k}-mer")
    base = x.argmax(1)  # (N, L)
    known = x.sum(1) > 0.5
    codes = torch.zeros(n, length - k + 1, dtype=torch.int64, device=x.device)
    for j in range(k):
        codes = codes * 4 + base[:, j:length - k + 1 + j]
    # padding = the all-zero columns before the first and after the last A/C/G/T (right padding, shifts)
    idx = torch.arange(length, device=x.device)
    first = torch.where(known, idx, length).amin(1, keepdim=True)
    last = torch.where(known, idx, -1).amax(1, keepdim=True)
    start = idx[:length - k + 1].unsqueeze(0)
    inside = (start >= first) & (start + k - 1 <= last)
    ids = torch.where(known.unfold(1, k, 1).all(-1), lookup[codes], UNK)  # (N, L-k+1)
    ids = torch.where(inside, ids, PAD)
    out = torch.full((n, length - k + 3), PAD, dtype=torch.int64, device=x.device)
    out[:, 0] = CLS
    out[:, 1:-1] = ids
    # [SEP] right after the last k-mer that is not padding (so right-padded sequences end like DNABERT's)
    pos = torch.arange(1, length - k + 2, device=x.device)
    end = torch.where(ids != PAD, pos, 0).amax(1) + 1
    out[torch.arange(n, device=x.device), end] = SEP
    return out


def tokenize(seqs: Sequence[str], k: int, vocab: Sequence[str] | None = None,
             length: int | None = None) -> torch.Tensor:
    """Token ids ``(N, T)`` int64 of DNA strings; ``T = max(len) - k + 3`` (or from ``length``), right-padded with
    ``[PAD]``. Raises GenotorchError for characters that are not IUPAC DNA (see :func:`genotorch.encode.onehot.one_hot`).
    """
    vocab = vocab or dnabert_vocab(k)
    return tokenize_one_hot(torch.from_numpy(one_hot(seqs, length)), k, torch.from_numpy(kmer_lookup(vocab, k)))
