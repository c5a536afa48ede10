"""One-hot DNA and reverse complements (the sequence models' encoders).

Contract (``../shared/ARCHITECTURE.md``): ``(N, 4, L)`` float32, channel order A, C, G, T. Lowercase (soft-masked)
bases are encoded like uppercase ones. ``N`` and the other IUPAC ambiguity codes (R Y S W K M B D H V) are all-zero
columns, as in Basset (Kelley et al. 2016) and gReLU; any other character raises an error naming it and its
position. Sequences shorter than ``length`` are padded with all-zero columns on the right; longer ones raise.
"""

from __future__ import annotations

from typing import Sequence

import numpy as np

from genotorch.errors import GenotorchError

ALPHABET = "ACGT"
IUPAC = set("ACGTNRYSWKMBDHV")
_COMPLEMENT = str.maketrans("ACGTNRYSWKMBDHVacgtnryswkmbdhv", "TGCANYRSWMKVHDBtgcanyrswmkvhdb")
_LUT = np.full(256, 255, dtype=np.uint8)
for _i, _b in enumerate(ALPHABET):
    _LUT[ord(_b)] = _LUT[ord(_b.lower())] = _i
for _b in IUPAC - set(ALPHABET):
    _LUT[ord(_b)] = _LUT[ord(_b.lower())] = 4
_EYE = np.eye(5, 4, dtype=np.float32)  # code -> one-hot row; code 4 (N, IUPAC, padding) -> zeros


def reverse_complement(seq: str) -> str:
    """Reverse complement, IUPAC-aware (R<->Y, K<->M, B<->V, D<->H; S, W, N unchanged); case kept."""
    return seq.translate(_COMPLEMENT)[::-1]


def base_codes(seqs: Sequence[str], length: int | None = None) -> np.ndarray:
    """``(N, L)`` uint8 base codes: A=0, C=1, G=2, T=3, and 4 for N, other IUPAC codes and right padding (the
    compact form of :func:`one_hot`, 16x smaller than its float32). Same ``L``, errors and case rules."""
    L = length if length is not None else max((len(s) for s in seqs), default=0)
    out = np.full((len(seqs), L), 4, dtype=np.uint8)
    for i, s in enumerate(seqs):
        if len(s) > L:
            raise GenotorchError(f"sequence {i} is {len(s)} bp, longer than the model's {L} bp")
        codes = _LUT[np.frombuffer(s.encode("ascii", "replace"), dtype=np.uint8)]
        bad = np.nonzero(codes == 255)[0]
        if len(bad):
            raise GenotorchError(f"sequence {i} has {s[bad[0]]!r} at position {bad[0] + 1}: only A, C, G, T and "
                                 "IUPAC codes (N R Y S W K M B D H V, any case) are DNA")
        out[i, :len(s)] = codes
    return out


def codes_to_one_hot(codes: np.ndarray) -> np.ndarray:
    """``(..., L)`` base codes of :func:`base_codes` -> ``(..., 4, L)`` float32 one-hot (code 4: all-zero)."""
    return np.moveaxis(_EYE[codes], -1, -2)


def one_hot(seqs: Sequence[str], length: int | None = None) -> np.ndarray:
    """``(N, 4, L)`` float32 one-hot of ``seqs`` (see the module docstring); ``L`` = ``length`` or the longest.

    Raises
    ------
    GenotorchError
        A character outside IUPAC DNA codes (named, with its 1-based position), or a sequence longer than
        ``length``.
    """
    return np.ascontiguousarray(codes_to_one_hot(base_codes(seqs, length)))


def decode_one_hot(x: np.ndarray) -> list[str]:
    """Strings of one-hot DNA ``(N, 4, L)`` (any numeric dtype): A, C, G, T, and ``N`` for all-zero columns
    (the inverse of :func:`one_hot` up to IUPAC codes and padding, which both come back as ``N``)."""
    x = np.asarray(x)
    codes = x.argmax(1).astype(np.uint8)
    codes[x.sum(1) == 0] = 4
    lut = np.frombuffer(b"ACGTN", dtype=np.uint8)
    return [r.tobytes().decode("ascii") for r in lut[codes]]
