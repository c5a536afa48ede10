"""Basset-style preprocessing (Kelley et al. 2016, Genome Research 26:990): peak BED files, one per cell type or
assay (a *target*) -> fixed-length merged peaks -> a 0/1 activity table (multi-task labels) -> one-hot HDF5 with
train/valid/test splits.

Steps (:func:`build_peak_dataset`):

1. Each peak's centre is its summit for narrowPeak files (``start + column 10`` when column 10 is not -1), else
   its midpoint ``(start + end) // 2`` (0-based). The peak is extended to ``length`` bp around the centre:
   ``[centre - length // 2, centre - length // 2 + length)``.
2. Extended peaks that overlap (by at least 1 bp, over all targets) are merged into one; the merged peak is
   re-centred on the mean of its members' centres (rounded down) and has ``length`` bp again. A chain of
   overlapping peaks becomes one merged peak. (Basset's ``preprocess_features.py`` also merges overlapping
   extended peaks; this re-centring rule is ours, stated here rather than claimed identical to Basset's.)
3. The merged peak's activity is 1 for every target with a member peak, 0 for the others.
4. Merged peaks that run off a contig end are dropped (counted in the report).
5. Splits: whole chromosomes (``valid_chroms``/``test_chroms``: no sequence is shared between splits), or a seeded
   random split of the merged peaks by fraction. A leakage report (exact and reverse-complement duplicates between
   splits) is printed and stored.

HDF5 layout (Basset's dataset names; our one-hot layout, see :mod:`genotorch.encode.onehot`):
``{train,valid,test}_in`` ``(N, 4, L)`` uint8 one-hot (A, C, G, T; N all-zero), ``{train,valid,test}_out``
``(N, T)`` uint8 activity, ``{train,valid,test}_headers`` ``(N,)`` ``contig:start-end`` (1-based, closed) strings,
``target_labels`` ``(T,)`` strings; attributes ``config`` (JSON: inputs, length, split, seed), ``leakage`` (JSON),
``genotorch_version``. Beside it ``<out>.activity.tsv``: contig, start, end (BED coordinates), split and one 0/1
column per target.
"""

from __future__ import annotations

import logging

import json
from dataclasses import dataclass
from pathlib import Path
from typing import Mapping, Sequence

import numpy as np

from genotorch.errors import GenotorchError
from genotorch.io.intervals import Interval, read_bed_records
from genotorch.io.files import atomic_output, prepare_output

SPLITS = ("train", "valid", "test")


@dataclass
class MergedPeaks:
    """Merged peaks (0-based half-open intervals of one length) and their 0/1 activity per target."""
    intervals: list[Interval]  # 0-based half-open, all ``length`` bp
    activity: np.ndarray  # (N, T) uint8
    targets: list[str]
    dropped_at_contig_ends: int

logger = logging.getLogger(__name__)


def peak_centres(path: str | Path, contig_lengths: Mapping[str, int]) -> list[tuple[str, int]]:
    """``(contig, 0-based centre)`` of every peak in a BED/narrowPeak file (summit when given, else midpoint)."""
    out = []
    for iv, fields in read_bed_records(path, contig_lengths):
        summit = int(fields[9]) if len(fields) >= 10 and fields[9].lstrip("-").isdigit() else -1
        out.append((iv.contig, iv.start + summit if summit >= 0 else (iv.start + iv.end) // 2))
    return out


def merge_peaks(centres: Mapping[str, Sequence[tuple[str, int]]], length: int,
                contig_lengths: Mapping[str, int]) -> MergedPeaks:
    """Extend, merge and label peaks (steps 1-4 of the module docstring); ``centres`` maps target -> peaks."""
    if length < 1:
        raise GenotorchError(f"--length {length}: give the sequence length in bp (Basset used 600)")
    targets = list(centres)
    half = length // 2
    allp = [(c, x, t) for t, name in enumerate(targets) for c, x in centres[name]]
    order = {c: i for i, c in enumerate(contig_lengths)}
    allp.sort(key=lambda p: (order.get(p[0], len(order)), p[1]))
    intervals, rows, dropped = [], [], 0
    i = 0
    while i < len(allp):
        contig, x, t = allp[i]
        members, hit = [x], {t}
        end = x - half + length
        j = i + 1
        while j < len(allp) and allp[j][0] == contig and allp[j][1] - half < end:
            members.append(allp[j][1])
            hit.add(allp[j][2])
            end = max(end, allp[j][1] - half + length)
            j += 1
        i = j
        start = sum(members) // len(members) - half
        if start < 0 or start + length > contig_lengths[contig]:
            dropped += 1
            continue
        intervals.append(Interval(contig, start, start + length))
        row = np.zeros(len(targets), dtype=np.uint8)
        row[sorted(hit)] = 1
        rows.append(row)
    act = np.array(rows, dtype=np.uint8).reshape(len(rows), len(targets))
    return MergedPeaks(intervals, act, targets, dropped)


def assign_splits(intervals: Sequence[Interval], valid_fraction: float, test_fraction: float, seed: int,
                  valid_chroms: Sequence[str] = (), test_chroms: Sequence[str] = ()) -> np.ndarray:
    """``(N,)`` array of "train"/"valid"/"test": by chromosome when chromosome lists are given, else a seeded
    random split (``numpy.random.default_rng(seed)``) with ``round(N * fraction)`` peaks in valid and test."""
    n = len(intervals)
    out = np.array(["train"] * n, dtype=object)
    if valid_chroms or test_chroms:
        both = set(valid_chroms) & set(test_chroms)
        if both:
            raise GenotorchError(f"--valid-chroms and --test-chroms share {sorted(both)}")
        contigs = [iv.contig for iv in intervals]
        out[np.isin(contigs, list(valid_chroms))] = "valid"
        out[np.isin(contigs, list(test_chroms))] = "test"
        return out
    if not 0 <= valid_fraction + test_fraction < 1:
        raise GenotorchError("--valid and --test fractions must sum to less than 1")
    perm = np.random.default_rng(seed).permutation(n)
    nv, nt = round(n * valid_fraction), round(n * test_fraction)
    out[perm[:nv]] = "valid"
    out[perm[nv:nv + nt]] = "test"
    return out


def build_peak_dataset(beds: Mapping[str, str | Path], reference: str | Path, out: str | Path, length: int = 600,
                       valid_fraction: float = 0.1, test_fraction: float = 0.1, seed: int = 0,
                       valid_chroms: Sequence[str] = (), test_chroms: Sequence[str] = (), log=None) -> dict:
    """Peak BEDs (target name -> path) + reference FASTA -> the HDF5 and activity table of the module docstring.

    Returns the report (counts per split and target, dropped peaks, leakage). Outputs are written under temporary
    names and renamed when complete.

    Raises
    ------
    GenotorchError
        Missing files, fewer than one target, no peaks on the reference's contigs, bad split settings, or a
        chromosome in ``valid_chroms``/``test_chroms`` that is not in the reference.
    """
    import h5py

    import genotorch
    from genotorch.data.splits import leakage_report
    from genotorch.encode.onehot import one_hot
    from genotorch.io.reference import Reference

    log = log or logger.info
    if not beds:
        raise GenotorchError("give at least one peak BED file")
    ref = Reference(reference)
    for c in [*valid_chroms, *test_chroms]:
        if c not in ref.lengths:
            raise GenotorchError(f"chromosome {c!r} (--valid-chroms/--test-chroms) is not in {reference}")
    centres = {name: peak_centres(p, ref.lengths) for name, p in beds.items()}
    empty = [n for n, c in centres.items() if not c]
    if empty:
        raise GenotorchError(f"no peaks of {beds[empty[0]]} lie on the contigs of {reference} (contigs: "
                             f"{', '.join(ref.contigs[:5])}...)")
    mp = merge_peaks(centres, length, ref.lengths)
    split = assign_splits(mp.intervals, valid_fraction, test_fraction, seed, valid_chroms, test_chroms)
    seqs = [ref.fetch(iv.contig, iv.start, iv.end) for iv in mp.intervals]
    by_split = {s: np.nonzero(split == s)[0] for s in SPLITS}
    leakage = leakage_report({s: [seqs[i] for i in idx] for s, idx in by_split.items() if len(idx)})
    report = {
        "peaks_per_target": {n: len(c) for n, c in centres.items()},
        "merged_peaks": len(mp.intervals), "dropped_at_contig_ends": mp.dropped_at_contig_ends,
        "per_split": {s: {"n": int(len(idx)), "active": dict(zip(mp.targets, mp.activity[idx].sum(0).tolist()))}
                      for s, idx in by_split.items()},
        "leakage": leakage,
    }
    config = {"beds": {k: str(v) for k, v in beds.items()}, "reference": str(reference), "length": length,
              "valid_fraction": valid_fraction, "test_fraction": test_fraction, "seed": seed,
              "valid_chroms": list(valid_chroms), "test_chroms": list(test_chroms)}
    out = prepare_output(out, "--output")
    table = out.with_name(out.name + ".activity.tsv")
    with atomic_output(out, "--output") as tmp, h5py.File(tmp, "w") as f:
        for s, idx in by_split.items():
            x = one_hot([seqs[i] for i in idx], length).astype(np.uint8)
            f.create_dataset(f"{s}_in", data=x, compression="gzip", chunks=(min(max(len(x), 1), 256), 4, length))
            f.create_dataset(f"{s}_out", data=mp.activity[idx])
            f.create_dataset(f"{s}_headers", data=[mp.intervals[i].to_region_string() for i in idx],
                             dtype=h5py.string_dtype())
        f.create_dataset("target_labels", data=mp.targets, dtype=h5py.string_dtype())
        f.attrs["config"] = json.dumps(config)
        f.attrs["leakage"] = json.dumps(leakage)
        f.attrs["genotorch_version"] = genotorch.__version__
    with atomic_output(table, "--output") as ttmp, open(ttmp, "w") as fh:
        fh.write("\t".join(["contig", "start", "end", "split", *mp.targets]) + "\n")
        for iv, s, row in zip(mp.intervals, split, mp.activity):
            fh.write("\t".join([iv.contig, str(iv.start), str(iv.end), s, *map(str, row.tolist())]) + "\n")
    log(f"{sum(report['peaks_per_target'].values())} peaks of {len(beds)} targets -> {len(mp.intervals)} merged "
        f"{length} bp peaks ({mp.dropped_at_contig_ends} dropped at contig ends); "
        + ", ".join(f"{s} {v['n']}" for s, v in report["per_split"].items()))
    log("leakage between splits: " + "; ".join(f"{k} exact {v['exact']}, reverse complement "
                                                f"{v['reverse_complement']} of {v['of']}"
                                                for k, v in leakage.items() if k != "within"))
    return report


def read_peak_hdf5(path: str | Path) -> dict:
    """``{"targets": [...], "train"/"valid"/"test": (x float32 (N, 4, L), y float32 (N, T)) or None}`` from a
    file written by :func:`build_peak_dataset` (or Basset's ``seq_hdf5.py`` with 4-D ``(N, 4, 1, L)`` inputs).

    Raises GenotorchError when the file lacks ``train_in``/``train_out``/``target_labels``.
    """
    import h5py

    path = Path(path)
    if not path.exists():
        raise GenotorchError(f"{path} does not exist")
    with h5py.File(path, "r") as f:
        missing = [k for k in ("train_in", "train_out", "target_labels") if k not in f]
        if missing:
            raise GenotorchError(f"{path} is not a peak HDF5 (no {', '.join(missing)}): make one with "
                                 "`genotorch peaks-to-hdf5`")
        out = {"targets": [t.decode() if isinstance(t, bytes) else str(t) for t in f["target_labels"][:]]}
        for s in SPLITS:
            if f"{s}_in" in f and len(f[f"{s}_in"]):
                x = f[f"{s}_in"][:].astype(np.float32)
                out[s] = (x.reshape(x.shape[0], 4, -1), f[f"{s}_out"][:].astype(np.float32))
            else:
                out[s] = None
    return out
