"""Image datasets for genome-plot classifiers (overlap charts, IGV screenshots, rendered pileups).

Contract
--------
* Input: a folder of class sub-folders of PNG/JPEG files (``root/<class>/<file>``). Sub-folders can be merged into
  one class by the config (``classes: {non_chimeric: [regular, repeat], chimeric: [chimeric]}``) without copying.
* Decoding (:func:`load_image`): RGBA is composited on white (a transparent background reads as paper, not black);
  an optional crop box is taken **from the top-left corner** (``crop: [height, width]`` in source pixels, so every
  image is cut the same way whatever its size; an image smaller than the box is padded with white); then greyscale
  (ITU-R 601 luma, PIL's ``L``) or RGB; then resized to ``image_size: [H, W]`` (bilinear). Output: ``uint8`` tensor
  ``(C, H, W)`` with C = 1 (grey) or 3; models scale by 1/255.
* Splits (:func:`make_split`): seeded and stratified by class; images with the same content hash (byte-identical)
  or near-identical (difference hash within ``near_duplicate_bits`` bits) are grouped so they land in the same split
  (no leak). Byte-identical images filed under two different classes are contradictory labels: by default
  (``duplicates: drop_conflicting``) they are left out of every split and listed in the report. The split is saved
  to a CSV (``path,class,folder,split,fold``) and re-used when it exists, so a run can be repeated exactly.
  ``kfold: k`` assigns folds with scikit-learn's StratifiedGroupKFold; ``fold: i`` picks the validation fold.
* Hygiene (:func:`audit`): per-class counts, blank images (grey standard deviation < 1 level: no signal),
  byte-identical and near-identical images across classes and across splits.

Errors: a missing folder, no images, an unknown class sub-folder in the merge map, or an unreadable image raise
:class:`genotorch.errors.GenotorchError` naming the file and the config key.
"""

from __future__ import annotations

import logging

import csv
import hashlib
from collections import Counter, defaultdict
from dataclasses import dataclass
from pathlib import Path
from typing import Iterable, Mapping, Sequence

import numpy as np
import torch
from torch.utils.data import Dataset

from genotorch.errors import GenotorchError
from genotorch.io.files import atomic_output
from genotorch.data.base import TaskDataModule
from genotorch.io.images import ImageItem, decode_image, scan_folder

logger = logging.getLogger(__name__)


def difference_hash(img: np.ndarray) -> int:
    """64-bit difference hash (Krawetz's dHash) of a ``(C, H, W)`` uint8 image: near-identical images differ by few
    bits."""
    from PIL import Image

    g = img.mean(axis=0).astype(np.uint8)
    small = np.asarray(Image.fromarray(g).resize((9, 8), Image.BILINEAR), dtype=np.int16)
    bits = (small[:, 1:] > small[:, :-1]).flatten()
    return int("".join("1" if b else "0" for b in bits), 2)


def _groups(hashes: Sequence[str], dhashes: Sequence[int], near_bits: int) -> np.ndarray:
    """Union-find groups of byte-identical and near-identical (dHash Hamming distance <= near_bits) images."""
    parent = list(range(len(hashes)))

    def find(i):
        while parent[i] != i:
            parent[i] = parent[parent[i]]
            i = parent[i]
        return i

    def union(a, b):
        ra, rb = find(a), find(b)
        if ra != rb:
            parent[max(ra, rb)] = min(ra, rb)

    def union_equal(keys) -> None:
        first: dict = {}
        for i, k in enumerate(keys):
            if k in first:
                union(first[k], i)
            else:
                first[k] = i

    union_equal(hashes)
    if near_bits == 0:
        union_equal(dhashes)  # distance 0 = equal hashes: no pairwise scan
    elif near_bits > 0:
        d = np.array(dhashes, dtype=np.uint64)
        for i in range(len(d) - 1):
            for j in np.nonzero(np.bitwise_count(np.bitwise_xor(d[i + 1:], d[i])) <= near_bits)[0]:
                union(i, i + 1 + int(j))
    return np.array([find(i) for i in range(len(hashes))])


@dataclass
class Prepared:
    """Decoded images of a folder and what the split and the audit need."""

    items: list[ImageItem]
    images: np.ndarray          # (N, C, H, W) uint8, or (N, 2, L) float32 chart profiles
    hashes: list[str]
    dhashes: list[int]
    groups: np.ndarray          # group id per image (identical / near-identical together)


def prepare(items: Sequence[ImageItem], image_size, grayscale: bool, crop, near_bits: int = 0,
            progress=None, representation: str = "pixels", profile_length: int = 256) -> Prepared:
    """Decode every image once (size, grey/RGB, crop) and hash it: the arrays, byte hashes and dHash groups of
    :class:`Prepared`. With ``representation="profile"`` the arrays are chart profiles ``float32 (N, 2,
    profile_length)`` (:func:`genotorch.encode.chart_profile.chart_profile`, read at the native size, after the
    crop) instead of pixels."""
    from genotorch.encode.chart_profile import chart_profile

    imgs, hashes, dh = [], [], []
    for k, it in enumerate(items):
        data = Path(it.path).read_bytes()  # read once: hashed and decoded
        if representation == "profile":
            img = decode_image(data, None, True, crop, name=it.path)
            imgs.append(chart_profile(img, profile_length, name=it.path))
        else:
            img = decode_image(data, image_size, grayscale, crop, name=it.path)
            imgs.append(img)
        hashes.append(hashlib.sha1(data).hexdigest())
        dh.append(difference_hash(img))
        if progress:
            progress(k + 1, len(items))
    return Prepared(list(items), np.stack(imgs), hashes, dh, _groups(hashes, dh, near_bits))


def make_split(prep: Prepared, fractions: Mapping[str, float], seed: int, duplicates: str = "drop_conflicting",
               kfold: int = 0) -> tuple[list[str], list[int]]:
    """A split name per image (``train``/``val``/``test``, or ``dropped``) and a fold per image (-1 without k-fold).

    Stratified by class over groups (identical images share a group and a split). ``fractions`` gives ``val`` and
    ``test`` (train is the rest).
    """
    from sklearn.model_selection import StratifiedGroupKFold

    from genotorch.data.splits import hold_out_groups

    labels = np.array([it.label for it in prep.items])
    split = np.array(["train"] * len(labels), dtype=object)
    if duplicates == "drop_conflicting":
        by_hash = defaultdict(set)
        for h, lab in zip(prep.hashes, labels):
            by_hash[h].add(lab)
        bad = np.array([len(by_hash[h]) > 1 for h in prep.hashes])
        split[bad] = "dropped"
    elif duplicates != "keep":
        raise GenotorchError(f"data.duplicates = {duplicates!r}: choose drop_conflicting or keep")
    keep = np.nonzero(split != "dropped")[0]
    rng = np.random.default_rng(seed)
    folds = np.full(len(labels), -1)

    def assign(idx: np.ndarray, frac: float, name: str) -> np.ndarray:
        """Move about ``frac`` of ``idx`` (whole groups, stratified by class) to split ``name``; return the rest."""
        held = hold_out_groups(idx, labels, prep.groups, frac, rng)
        split[held] = name
        return np.setdiff1d(idx, held)

    rest = assign(keep, fractions.get("test", 0.0), "test")
    if kfold >= 2:
        sgkf = StratifiedGroupKFold(n_splits=kfold, shuffle=True, random_state=seed)
        for f, (_, held) in enumerate(sgkf.split(rest, labels[rest], prep.groups[rest])):
            folds[rest[held]] = f
    else:
        rest = assign(rest, fractions.get("val", 0.0) / max(1e-9, 1 - fractions.get("test", 0.0)), "val")
    return list(split), folds.tolist()


def save_split(path: str | Path, items: Sequence[ImageItem], split: Sequence[str], folds: Sequence[int]) -> None:
    """Write the split (path, class, split, fold) as CSV, atomically, so a later run re-uses it."""
    with atomic_output(path, "data.split_file") as tmp, open(tmp, "w", newline="") as f:
        w = csv.writer(f)
        w.writerow(["path", "class", "folder", "split", "fold"])
        for it, s, k in zip(items, split, folds):
            w.writerow([it.path, it.label, it.folder, s, k])


def load_split(path: str | Path, items: Sequence[ImageItem]) -> tuple[list[str], list[int]]:
    """Re-use a saved split. Raises GenotorchError when it does not list exactly these images and classes."""
    rows = {}
    with open(path, newline="") as f:
        for r in csv.DictReader(f):
            rows[(r["path"], r["folder"])] = r
    out_s, out_f = [], []
    for it in items:
        r = rows.get((it.path, it.folder))
        if r is None or r["class"] != it.label:
            raise GenotorchError(f"split file {path} does not match the images ({it.path} "
                                 f"{'missing' if r is None else 'has another class'}): delete it to make a new split "
                                 "or point data.split_file elsewhere")
        out_s.append(r["split"])
        out_f.append(int(r["fold"]))
    if len(rows) != len(items):
        raise GenotorchError(f"split file {path} lists {len(rows)} images, the folder has {len(items)}: delete it to "
                             "make a new split")
    return out_s, out_f


def audit(prep: Prepared, split: Sequence[str] | None = None, blank_std: float = 1.0) -> dict:
    """Data-hygiene report: per-class counts and blanks, duplicates across classes and across splits."""
    labels = [it.label for it in prep.items]
    folders = [it.folder for it in prep.items]
    std = prep.images.reshape(len(prep.images), -1).std(axis=1)
    blank = [prep.items[i].path for i in np.nonzero(std < blank_std)[0]]
    by_hash: dict[str, list[int]] = defaultdict(list)
    for i, h in enumerate(prep.hashes):
        by_hash[h].append(i)
    exact_cross_class = [[prep.items[i].path for i in ix] for ix in by_hash.values()
                         if len({folders[i] for i in ix}) > 1]
    by_group: dict[int, list[int]] = defaultdict(list)
    for i, g in enumerate(prep.groups):
        by_group[int(g)].append(i)
    near_cross_class = [[prep.items[i].path for i in ix] for ix in by_group.values()
                        if len({folders[i] for i in ix}) > 1 and len({prep.hashes[i] for i in ix}) > 1]
    cross_split = []
    if split is not None:
        cross_split = [[prep.items[i].path for i in ix] for ix in by_group.values()
                       if len({split[i] for i in ix if split[i] != "dropped"}) > 1]
    per_class = {}
    for c in sorted(set(labels)):
        ix = [i for i, lab in enumerate(labels) if lab == c]
        per_class[c] = {"images": len(ix), "blank": int(sum(std[i] < blank_std for i in ix)),
                        "folders": dict(Counter(folders[i] for i in ix))}
        if split is not None:
            per_class[c]["split"] = dict(Counter(split[i] for i in ix))
    return {"n_images": len(labels), "per_class": per_class, "blank": blank,
            "exact_duplicates_across_classes": exact_cross_class,
            "near_duplicates_across_classes": near_cross_class,
            "duplicate_groups_across_splits": cross_split,
            "duplicate_groups": sum(1 for ix in by_group.values() if len(ix) > 1)}


def format_audit(rep: dict) -> str:
    """An :func:`audit` report as text: images per class, blanks, duplicates across classes and splits."""
    lines = [f"{rep['n_images']} images; {rep['duplicate_groups']} groups of identical/near-identical images"]
    for c, r in rep["per_class"].items():
        s = ", ".join(f"{k} {v}" for k, v in sorted(r.get("split", {}).items()))
        lines.append(f"  {c:14s} {r['images']:6d} images (folders: {', '.join(f'{k} {v}' for k, v in r['folders'].items())})"
                     f"; blank {r['blank']}" + (f"; {s}" if s else ""))
    lines.append(f"  byte-identical across classes: {len(rep['exact_duplicates_across_classes'])} groups; "
                 f"near-identical across classes: {len(rep['near_duplicates_across_classes'])}; "
                 f"groups spanning splits: {len(rep['duplicate_groups_across_splits'])}; blank: {len(rep['blank'])}")
    return "\n".join(lines)


class ImageTensorDataset(Dataset):
    """In-memory ``(uint8 (C, H, W) tensor, class index)`` items (``inputs``, ``labels``); ``hflip`` flips at random
    (train only)."""

    def __init__(self, images: np.ndarray, labels: np.ndarray, hflip: bool = False):
        self.inputs = torch.from_numpy(images)
        self.labels = np.asarray(labels, dtype=np.int64)
        self.hflip = hflip

    def __len__(self) -> int:
        return len(self.labels)

    def __getitem__(self, i: int):
        return self.draw(i)

    def draw(self, i: int, generator: torch.Generator | None = None):
        """Item ``i``, flipped (``hflip``) by a draw from ``generator`` (torch's global generator when None)."""
        x = self.inputs[i]
        if self.hflip and torch.rand((), generator=generator) < 0.5:
            x = torch.flip(x, dims=(2,))
        return x, int(self.labels[i])


class ProfileDataset(Dataset):
    """In-memory ``(float32 (2, L) chart profile, class index)`` items (``inputs``, ``labels``), with the training
    augmentations that model what differs between chart datasets (each drawn from the ``generator`` of
    :meth:`draw`, so a resumed run redraws them exactly):

    * ``depth_augment = a`` (0 < a <= 1): the curve redrawn at a random depth scale ``s`` in ``[a, 1]``
      (log-uniform): heights times ``s``, rounded to whole pixels, so a deep chart also shows the pixel steps and
      the near-zero dips of a shallow one (the model divides by the curve's own median, so the scale itself is
      invisible to it; the rounding is not);
    * ``stretch_augment = f``: up to ``f`` of the profile cut off each end (at random) and the rest stretched back
      to ``L`` bins (linear interpolation): other read lengths and x extents;
    * ``line_augment = k``: the line drawn thicker: the top raised and the bottom lowered (not below 0) by the same
      random whole number of pixels in ``[0, k]`` (other line widths and anti-aliasing);
    * ``hflip``: the profile reversed with probability 0.5 (a read read from its other end).
    """

    def __init__(self, profiles: np.ndarray, labels: np.ndarray, hflip: bool = False, depth_augment: float = 0.0,
                 stretch_augment: float = 0.0, line_augment: int = 0):
        self.inputs = torch.from_numpy(np.ascontiguousarray(profiles, dtype=np.float32))
        self.labels = np.asarray(labels, dtype=np.int64)
        self.hflip, self.depth_augment, self.stretch_augment = hflip, float(depth_augment), float(stretch_augment)
        self.line_augment = int(line_augment)

    def __len__(self) -> int:
        return len(self.labels)

    def __getitem__(self, i: int):
        return self.draw(i)

    def draw(self, i: int, generator: torch.Generator | None = None):
        """Item ``i``, augmented as the class docstring says, from draws of ``generator`` (torch's global one when
        None)."""
        x = self.inputs[i]
        if self.depth_augment > 0:
            lo = float(np.log(self.depth_augment))
            s = float(torch.exp(lo * torch.rand((), generator=generator)))  # log-uniform in [a, 1]
            x = torch.round(x * s)
        if self.line_augment > 0:
            k = float(torch.randint(0, self.line_augment + 1, (), generator=generator))
            x = torch.stack([x[0] + k, (x[1] - k).clamp(min=0)])
        if self.stretch_augment > 0:
            n = x.shape[1]
            cut = (torch.rand(2, generator=generator) * self.stretch_augment * n).tolist()
            src = torch.linspace(cut[0], n - 1 - cut[1], n)
            lo_i = src.floor().long().clamp(0, n - 1)
            hi_i = (lo_i + 1).clamp(max=n - 1)
            w = (src - lo_i.float())[None]
            x = x[:, lo_i] * (1 - w) + x[:, hi_i] * w
        if self.hflip and torch.rand((), generator=generator) < 0.5:
            x = torch.flip(x, dims=(1,))
        return x, int(self.labels[i])


def class_names(items: Iterable[ImageItem], class_map: Mapping[str, Sequence[str]] | None) -> list[str]:
    """The class names: the config's merged classes in their order, else the sorted sub-folder names."""
    return list(class_map) if class_map else sorted({it.label for it in items})


class ImageDataModule(TaskDataModule):
    """Train/val/test image sets from a :class:`genotorch.config.DataConfig` with ``root`` set (task: image).

    Attributes: ``classes``, ``train_set``, ``val_set`` (None when empty), ``test_set``, ``train_labels``,
    ``test_ids`` (image paths), ``info`` (kind, shape, channels and decoding config, stored in checkpoints),
    ``report`` (the audit), ``split``.
    """

    def __init__(self, data, seed: int, output_dir: str | Path, log=None):
        super().__init__(data, seed)
        log = log or logger.info
        class_map = {k: [str(x) for x in (v if isinstance(v, (list, tuple)) else [v])] for k, v in data.classes.items()}
        items = scan_folder(data.root, class_map or None)
        self.classes = class_names(items, class_map or None)
        size = tuple(int(v) for v in data.image_size)
        crop = tuple(int(v) for v in data.crop) if data.crop else None
        profile = data.representation == "profile"
        if profile:
            log(f"reading the curves of {len(items)} charts from {data.root} as profiles of {data.profile_length} "
                f"bins{f' (top-left crop {crop[0]}x{crop[1]})' if crop else ''}")
        else:
            log(f"decoding {len(items)} images from {data.root} ({'grey' if data.grayscale else 'RGB'}, "
                f"{size[0]}x{size[1]}{f', top-left crop {crop[0]}x{crop[1]}' if crop else ''})")
        prep = prepare(items, size, data.grayscale, crop, data.near_duplicate_bits,
                       representation=data.representation, profile_length=data.profile_length)
        split_file = Path(data.split_file) if data.split_file else Path(output_dir) / "split.csv"
        if split_file.exists():
            split, folds = load_split(split_file, items)
            log(f"re-using the split in {split_file}")
        else:
            split, folds = make_split(prep, {"val": data.val_fraction, "test": data.test_fraction}, seed,
                                      data.duplicates, data.kfold)
            save_split(split_file, items, split, folds)
            log(f"split saved to {split_file} (seed {seed}); delete it for a new one")
        if data.kfold >= 2:
            split = ["val" if f == data.fold else s for s, f in zip(split, folds)]
        self.split, self.split_file = split, split_file
        self.report = audit(prep, split)
        log(format_audit(self.report))
        y = np.array([self.classes.index(it.label) for it in items])
        s = np.array(split)

        def subset(name, train=False):
            ix = np.nonzero(s == name)[0]
            if not len(ix):
                return None
            if profile:
                return ProfileDataset(prep.images[ix], y[ix], data.hflip and train,
                                      data.depth_augment if train else 0.0, data.stretch_augment if train else 0.0,
                                      data.line_augment if train else 0)
            return ImageTensorDataset(prep.images[ix], y[ix], data.hflip and train)

        self.train_set, self.val_set, self.test_set = subset("train", True), subset("val"), subset("test")
        self.test_ids = [items[i].path for i in np.nonzero(s == "test")[0]]
        if self.train_set is None or len(set(self.train_set.labels.tolist())) < 2:
            raise GenotorchError(f"{data.root}: the training split needs images of at least two classes")
        self.train_labels = self.train_set.labels
        c = prep.images.shape[1]
        if profile:
            from genotorch.encode.chart_profile import CHANNELS

            self.info = {"kind": "image", "shape": list(prep.images.shape[1:]), "channels": list(CHANNELS),
                         "encodings": {"profile": "float32 pixels above the chart's baseline: top and bottom of the "
                                                  "curve per bin (genotorch.encode.chart_profile)"},
                         "config": {"representation": "profile", "profile_length": int(data.profile_length),
                                    "crop": list(crop) if crop else None}}
            return
        self.info = {"kind": "image", "shape": list(prep.images.shape[1:]),
                     "channels": ["grey"] if c == 1 else ["red", "green", "blue"],
                     "encodings": {"pixel": "uint8 0-255; RGBA composited on white"},
                     "config": {"image_size": list(size), "grayscale": bool(data.grayscale),
                                "crop": list(crop) if crop else None}}
