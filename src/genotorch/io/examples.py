"""HDF5 example files (one per shard) and their ``example_info.json``.

Layout of an example file::

    /pileups     uint8  (N, C, H, W)   chunked (1 example), gzip
    /labels      int8   (N,)           genotype class 0/1/2, -1 = no label (outside confident regions / calling)
    /variants/contig   str  (N,)
    /variants/pos      int64 (N,)      0-based position of the first REF base
    /variants/ref, /variants/alt   str (N,)
    /variants/depth, /variants/ref_count, /variants/alt_count   int32 (N,)
    attrs["example_info"]  the same JSON as the sidecar file

``<file>.example_info.json`` beside it records the shape, channel names and encodings, the config and the
genotorch version. Loaders refuse files whose info does not match the model (:func:`check_compatible`).
Files are written to a temporary name and renamed when complete.
"""

from __future__ import annotations

import json
import os
from dataclasses import dataclass
from pathlib import Path
from typing import Sequence

import h5py
import numpy as np

from genotorch.errors import GenotorchError
from genotorch.io.files import prepare_output, temporary_name

@dataclass(frozen=True, order=True)
class Candidate:
    """One candidate alternate allele, or one example's row of the variant table.

    ``pos`` is 0-based (VCF POS - 1), ``ref``/``alt`` in VCF convention (a multi-allelic example lists its
    alleles in ``alt`` separated by commas, padded to ``ref``); ``depth`` = reads with a counted base at ``pos``;
    ``ref_count``/``alt_count`` the reads supporting REF and the alt allele(s). With spanning-read indel pileups
    (``pileup.spanning_indel_reads``), an indel's ``depth`` and ``ref_count`` count only the reads informative
    about it (:func:`genotorch.variants.candidates.informative_indel_depths`)."""

    contig: str
    pos: int
    ref: str
    alt: str
    depth: int
    ref_count: int
    alt_count: int

    @property
    def end(self) -> int:
        """0-based end (exclusive) of the REF span."""
        return self.pos + len(self.ref)

    @property
    def is_snv(self) -> bool:
        """True for a single-base substitution."""
        return len(self.ref) == 1 and len(self.alt) == 1

    @property
    def vaf(self) -> float:
        """``alt_count / depth`` (0 at depth 0)."""
        return self.alt_count / self.depth if self.depth else 0.0


VARIANT_FIELDS = ("contig", "pos", "ref", "alt", "depth", "ref_count", "alt_count")
_STR = h5py.string_dtype()


def info_path(path: str | Path) -> Path:
    """The example_info.json path beside an example file."""
    return Path(str(path) + ".example_info.json")


class ExampleWriter:
    """Append examples chunk by chunk; ``close()`` renames the temporary file into place.

    Use as a context manager: on an exception the temporary file is removed and nothing is left behind.
    """

    def __init__(self, path: str | Path, info: dict):
        self.path = prepare_output(path, "--output")
        self.info = dict(info)
        self._tmp = temporary_name(self.path)
        self._h5 = h5py.File(self._tmp, "w")
        c, h, w = info["shape"]
        self._h5.create_dataset("pileups", shape=(0, c, h, w), maxshape=(None, c, h, w), dtype=np.uint8,
                                chunks=(1, c, h, w), compression="gzip", compression_opts=4, shuffle=True)
        self._h5.create_dataset("labels", shape=(0,), maxshape=(None,), dtype=np.int8, chunks=(4096,))
        g = self._h5.create_group("variants")
        for f in VARIANT_FIELDS:
            dt = _STR if f in ("contig", "ref", "alt") else (np.int64 if f == "pos" else np.int32)
            g.create_dataset(f, shape=(0,), maxshape=(None,), dtype=dt, chunks=(4096,))
        self.n = 0

    def append(self, pileups: np.ndarray, labels: Sequence[int], candidates: Sequence[Candidate]) -> None:
        """Append the examples of one chunk: pileups ``(N, C, H, W)`` uint8, labels (N,), variant-table rows."""
        k = len(candidates)
        if k == 0:
            return
        n0, n1 = self.n, self.n + k
        for name in ("pileups", "labels"):
            self._h5[name].resize(n1, axis=0)
        self._h5["pileups"][n0:n1] = pileups
        self._h5["labels"][n0:n1] = np.asarray(labels, dtype=np.int8)
        for f in VARIANT_FIELDS:
            ds = self._h5["variants"][f]
            ds.resize(n1, axis=0)
            ds[n0:n1] = [getattr(c, f) for c in candidates]
        self.n = n1

    def close(self) -> None:
        """Write the label counts and example_info, close, and rename the temporary files into place."""
        self.info["n_examples"] = self.n
        labels = self._h5["labels"][:]
        self.info["label_counts"] = {str(k): int((labels == k).sum()) for k in (-1, 0, 1, 2)}
        text = json.dumps(self.info, indent=2, sort_keys=True)
        self._h5.attrs["example_info"] = text
        self._h5.close()
        tmp_info = info_path(self._tmp)
        tmp_info.write_text(text + "\n")
        os.replace(self._tmp, self.path)
        os.replace(tmp_info, info_path(self.path))

    def abort(self) -> None:
        """Close and delete the temporary files (nothing is left under the output name)."""
        try:
            self._h5.close()
        finally:
            for p in (self._tmp, info_path(self._tmp)):
                if p.exists():
                    p.unlink()

    def __enter__(self) -> "ExampleWriter":
        return self

    def __exit__(self, exc_type, exc, tb) -> None:
        if exc_type is None:
            self.close()
        else:
            self.abort()


def read_example_info(path: str | Path, flag: str = "--examples") -> dict:
    """The example_info of an example file (from the HDF5 attribute; the sidecar JSON is for humans and tools).

    Raises
    ------
    GenotorchError
        Missing or unreadable file, or a file without example_info (not made by genotorch make-examples).
    """
    path = Path(path)
    if not path.exists():
        raise GenotorchError(f"{flag}: example file {path} does not exist: make it with `genotorch make-examples` "
                             f"(the training demo's: `bash scripts/demo_train.sh`)")
    try:
        with h5py.File(path, "r") as h5:
            text = h5.attrs.get("example_info")
    except OSError as e:
        raise GenotorchError(f"example file {path} cannot be read as HDF5 ({e})") from None
    if text is None:
        raise GenotorchError(f"{path} has no example_info: make it with `genotorch make-examples`")
    return json.loads(text)


def check_compatible(info: dict, expected_channels: Sequence[str], expected_shape: Sequence[int], path, flag: str):
    """Refuse examples whose channels or shape differ from what a model was trained on.

    Raises
    ------
    GenotorchError
        Naming both channel lists/shapes and the flag to fix.
    """
    if list(info["channels"]) != list(expected_channels):
        raise GenotorchError(
            f"{path} has channels {info['channels']} but the model expects {list(expected_channels)}: "
            f"make the examples with the model's channels or pass a matching {flag}"
        )
    if list(info["shape"]) != list(expected_shape):
        raise GenotorchError(
            f"{path} has pileup shape {info['shape']} but the model expects {list(expected_shape)}: "
            f"make the examples with the model's pileup height/width or pass a matching {flag}"
        )


def variant_candidates(v: dict[str, np.ndarray]) -> list[Candidate]:
    """The rows of a variant table (:func:`read_variants`) as :class:`Candidate`, in file order."""
    return [Candidate(str(v["contig"][i]), int(v["pos"][i]), str(v["ref"][i]), str(v["alt"][i]), int(v["depth"][i]),
                      int(v["ref_count"][i]), int(v["alt_count"][i])) for i in range(len(v["pos"]))]


def read_variants(path: str | Path) -> dict[str, np.ndarray]:
    """The variant table of an example file as column arrays (strings decoded)."""
    with h5py.File(path, "r") as h5:
        out = {}
        for f in VARIANT_FIELDS:
            a = h5["variants"][f][:]
            out[f] = a.astype(str) if a.dtype.kind in "OS" else a
        return out
