"""One-hot DNA and reverse complements (the sequence models' encoders; issue 4 builds on these).

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


def reverse_complement(seq: str) -> str:
    """Reverse complement, IUPAC-aware (R<->Y, K<->M, B<->V, D<->H; S, W, N unchanged); case kept."""
    return seq.translate(_COMPLEMENT)[::-1]


def one_hot(seqs: Sequence[str], length: int | None = None) -> np.ndarray:
    """``(N, 4, L)`` float32 one-hot of ``seqs`` (see the module docstring); ``L`` = ``length`` or the longest.

    Raises
    ------
    GenotorchError
        A character outside IUPAC DNA codes (named, with its 1-based position), or a sequence longer than
        ``length``.
    """
    L = length if length is not None else max((len(s) for s in seqs), default=0)
    out = np.zeros((len(seqs), 4, L), dtype=np.float32)
    for i, s in enumerate(seqs):
        if len(s) > L:
            raise GenotorchError(f"sequence {i} is {len(s)} bp, longer than the model's {L} bp")
        codes = _LUT[np.frombuffer(s.encode("ascii", "replace"), dtype=np.uint8)]
        bad = np.nonzero(codes == 255)[0]
        if len(bad):
            raise GenotorchError(f"sequence {i} has {s[bad[0]]!r} at position {bad[0] + 1}: only A, C, G, T and "
                                 "IUPAC codes (N R Y S W K M B D H V, any case) are DNA")
        ok = codes < 4
        out[i, codes[ok], np.nonzero(ok)[0]] = 1.0
    return out


def decode_one_hot(x: np.ndarray) -> list[str]:
    """Strings of one-hot DNA ``(N, 4, L)`` (any numeric dtype): A, C, G, T, and ``N`` for all-zero columns
    (the inverse of :func:`one_hot` up to IUPAC codes and padding, which both come back as ``N``)."""
    x = np.asarray(x)
    codes = x.argmax(1).astype(np.uint8)
    codes[x.sum(1) == 0] = 4
    lut = np.frombuffer(b"ACGTN", dtype=np.uint8)
    return [r.tobytes().decode("ascii") for r in lut[codes]]
