"""Read DeepVariant's example files (TFRecord of tf.train.Example, gzip) without TensorFlow.

Used to check genotorch's pileup encoder against DeepVariant's own tensors, channel by channel. Only the fields
genotorch needs are decoded: the image (``[H, W, C]`` uint8), its shape, the label, and the candidate variant
(contig, 0-based start, REF, ALTs) with the alt indices the image is for.
"""

from __future__ import annotations

import gzip
import struct
from dataclasses import dataclass
from pathlib import Path
from typing import Iterator

import numpy as np


def _varint(b: bytes, i: int) -> tuple[int, int]:
    r = s = 0
    while True:
        x = b[i]
        i += 1
        r |= (x & 0x7F) << s
        s += 7
        if x < 0x80:
            return r, i


def _fields(b: bytes) -> list[tuple[int, int, object]]:
    i, out = 0, []
    while i < len(b):
        key, i = _varint(b, i)
        f, t = key >> 3, key & 7
        if t == 0:
            v, i = _varint(b, i)
        elif t == 2:
            n, i = _varint(b, i)
            v, i = b[i : i + n], i + n
        elif t == 5:
            v, i = b[i : i + 4], i + 4
        elif t == 1:
            v, i = b[i : i + 8], i + 8
        else:
            raise ValueError(f"unsupported protobuf wire type {t}")
        out.append((f, t, v))
    return out


def _features(record: bytes) -> dict[str, list]:
    feats: dict[str, list] = {}
    for _, _, features in _fields(record):
        for _, _, entry in _fields(features):
            kv = {f: v for f, _, v in _fields(entry)}
            kind, _, payload = _fields(kv[2])[0]
            values: list = []
            for _, t, v in _fields(payload):
                if kind == 3 and t == 2:  # packed int64
                    j = 0
                    while j < len(v):
                        x, j = _varint(v, j)
                        values.append(x)
                else:
                    values.append(v)
            feats[kv[1].decode()] = values
    return feats


@dataclass
class DeepVariantExample:
    """One DeepVariant example. ``image`` is ``(H, W, C)`` uint8 as DeepVariant stores it; ``start`` 0-based."""

    contig: str
    start: int
    ref: str
    alts: list[str]
    alt_indices: list[int]
    image: np.ndarray
    label: int | None

    @property
    def alt(self) -> str:
        """The alt allele the image is for (first of ``alt_indices``)."""
        return self.alts[self.alt_indices[0]]


def _variant(b: bytes) -> tuple[str, int, str, list[str]]:
    contig, start, ref, alts = "", 0, "", []
    for f, _, v in _fields(b):
        if f == 14:
            contig = v.decode()
        elif f == 16:
            start = v
        elif f == 6:
            ref = v.decode()
        elif f == 7:
            alts.append(v.decode())
    return contig, start, ref, alts


def read_deepvariant_examples(path: str | Path) -> Iterator[DeepVariantExample]:
    """Iterate over the examples of a (gzipped) DeepVariant TFRecord file."""
    opener = gzip.open if str(path).endswith(".gz") else open
    with opener(path, "rb") as fh:
        while True:
            head = fh.read(12)
            if len(head) < 12:
                return
            n = struct.unpack("<Q", head[:8])[0]
            data = fh.read(n)
            fh.read(4)
            feats = _features(data)
            contig, start, ref, alts = _variant(feats["variant/encoded"][0])
            indices = [x for _, _, x in _fields(feats["alt_allele_indices/encoded"][0])]
            packed = indices[0] if indices else b""
            alt_idx = list(packed) if isinstance(packed, bytes) else [packed]
            shape = tuple(feats["image/shape"])
            image = np.frombuffer(feats["image/encoded"][0], dtype=np.uint8).reshape(shape)
            label = feats["label"][0] if "label" in feats else None
            yield DeepVariantExample(contig, start, ref, alts, alt_idx, image, label)
