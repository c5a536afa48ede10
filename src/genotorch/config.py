"""Typed training configuration: YAML in, frozen dataclasses out, unknown keys rejected.

A config file looks like ``configs/demo_pileup.yaml``::

    task: pileup
    seed: 0
    output_dir: runs/demo
    data: {train: [a.h5], val: [b.h5], batch_size: 64, balance: class_weights}
    model: {name: pileup_resnet, params: {widths: [32, 64, 128]}}
    optimizer: {name: adamw, lr: 0.001, weight_decay: 0.0001, scheduler: cosine}
    trainer: {max_epochs: 20, val_every_n_steps: 100, limit_val_batches: 20, early_stopping_patience: 5}

Relative paths in a config file are taken relative to the file's folder (``configs/demo_pileup.yaml`` names
``../runs/demo/train.h5``); paths given with ``--set`` on the command line, relative to the working directory.
"""

from __future__ import annotations

import dataclasses
import os
import typing
from dataclasses import dataclass, field
from pathlib import Path

import yaml

from genotorch.errors import GenotorchError


@dataclass(frozen=True)
class DataConfig:
    """The data settings every task shares (``data:``): example files, batch size, loader workers, class balance."""
    train: tuple[str, ...] = ()
    val: tuple[str, ...] = ()
    batch_size: int = 64
    num_workers: int = 0
    balance: str = "none"  # none | class_weights | sampler


@dataclass(frozen=True)
class PileupDataConfig(DataConfig):
    """``task: pileup``: make-examples HDF5 files in ``train`` and ``val``."""
    # training only: the probability that a het example loses some of its alt-supporting reads, to an alt fraction
    # drawn in [0.15, 0.45] (genotorch.data.pileups.drop_alt_reads): low-fraction hets as sampling makes them
    het_downsample: float = 0.0


@dataclass(frozen=True)
class SequenceDataConfig(DataConfig):
    """``task: sequence`` (see :mod:`genotorch.data.sequences`): tables, FASTA + labels, BED + reference, or a peak
    HDF5; test files scored after training; augmentation; the held-out fractions when val/test files are absent."""
    test: tuple[str, ...] = ()
    sequence_length: int = 0  # 0: the longest training sequence
    rc_augment: bool = False
    shift_augment: int = 0
    # predictions average the sequence and its reverse complement: the test report, the decision threshold
    # (trainer.decision_threshold: val_mcc) and, by default, predict / evaluate-sequences with this model
    rc_average: bool = False
    labels: str = ""  # FASTA inputs: a CSV/TSV of id,label
    reference: str = ""  # BED inputs: the reference FASTA the intervals are cut from (label = BED column 4)
    classes: tuple[str, ...] = ()  # the labels, in order (default: the training table's, sorted)
    val_fraction: float = 0.1
    test_fraction: float = 0.25


@dataclass(frozen=True)
class ImageDataConfig(DataConfig):
    """``task: image`` (see :mod:`genotorch.data.images`): a folder of class sub-folders and how images are decoded,
    augmented and split."""
    root: str = ""  # folder of class sub-folders
    classes: dict = field(default_factory=dict)  # class -> [sub-folders] (classes merged); default: the sub-folders
    image_size: tuple[int, ...] = (224, 224)  # H, W after the crop
    grayscale: bool = True
    crop: tuple[int, ...] = ()  # [height, width] from the top-left corner, in source pixels
    hflip: bool = False  # random horizontal flips in training
    val_fraction: float = 0.1
    test_fraction: float = 0.25
    kfold: int = 0
    fold: int = 0
    split_file: str = ""  # default: output_dir/split.csv (re-used when present)
    duplicates: str = "drop_conflicting"  # drop_conflicting | keep
    near_duplicate_bits: int = 0  # dHash Hamming distance for "near-identical"; 2 chains 760 charts into one group
    representation: str = "pixels"  # pixels (the picture) | profile (the curve of an overlap chart, read back)
    profile_length: int = 256  # bins of a chart profile (representation: profile)
    depth_augment: float = 0.0  # profile: redraw each training curve at a random depth scale in [this, 1] (0: off)
    stretch_augment: float = 0.0  # profile: cut up to this fraction off each end and stretch back (0: off)
    line_augment: int = 0  # profile: thicken the line by 0..this many pixels at random (0: off)


DATA_CONFIGS: dict[str, type] = {"pileup": PileupDataConfig, "sequence": SequenceDataConfig, "image": ImageDataConfig}


@dataclass(frozen=True)
class ModelConfig:
    """``model.name`` (a key of :data:`genotorch.models.registry.MODELS`) and its ``params``."""
    name: str = "pileup_resnet"
    params: dict = field(default_factory=dict)


@dataclass(frozen=True)
class OptimizerConfig:
    """Optimiser (``adam``, ``adamw``, ``sgd``, ``rmsprop``), learning rate, weight decay and scheduler."""
    name: str = "adamw"  # adam | adamw | sgd | rmsprop
    lr: float = 1e-3
    weight_decay: float = 1e-4
    momentum: float = 0.9
    scheduler: str = "none"  # none | cosine


@dataclass(frozen=True)
class TrainerConfig:
    """Lightning trainer settings: epochs, steps, validation and checkpoint cadence (in optimizer steps), early
    stopping, precision."""
    max_epochs: int = 20
    max_steps: int = -1
    val_every_n_steps: int = 200
    limit_val_batches: int = 50
    early_stopping_patience: int = 5
    monitor: str = "val_loss"
    monitor_mode: str = "min"
    checkpoint_every_n_steps: int = 500
    log_every_n_steps: int = 10
    accelerator: str = "auto"
    devices: int = 1  # training processes (one per GPU, or CPU processes); > 1 trains with DDP
    strategy: str = "auto"  # auto = ddp when devices > 1 (gloo on the CPU, nccl on GPUs)
    precision: str = "auto"  # auto = bf16/16 mixed on CUDA, 32 on CPU
    gradient_clip_val: float = 0.0
    # binary single-label tasks: "argmax" (p >= 0.5), or "val_mcc" = the probability cut that maximises the
    # validation split's MCC, chosen after training and stored in the checkpoint (predict and reports use it)
    decision_threshold: str = "argmax"


@dataclass(frozen=True)
class TrainConfig:
    """A whole training config: task, seed, output folder and the data, model, optimizer and trainer sections."""
    task: str = "pileup"
    seed: int = 0
    output_dir: str = "runs/train"
    data: DataConfig = field(default_factory=PileupDataConfig)  # PileupDataConfig, SequenceDataConfig or ImageDataConfig
    model: ModelConfig = field(default_factory=ModelConfig)
    optimizer: OptimizerConfig = field(default_factory=OptimizerConfig)
    trainer: TrainerConfig = field(default_factory=TrainerConfig)

    def to_dict(self) -> dict:
        """The config as plain dicts and lists (what ``config.yaml`` and checkpoints store)."""
        return _plain(dataclasses.asdict(self))


_CHOICES = {
    ("data", "balance"): ("none", "class_weights", "sampler"),
    ("optimizer", "name"): ("adam", "adamw", "sgd", "rmsprop"),
    ("optimizer", "scheduler"): ("none", "cosine"),
    ("trainer", "monitor_mode"): ("min", "max"),
    ("trainer", "decision_threshold"): ("argmax", "val_mcc"),
    ("trainer", "strategy"): ("auto", "ddp", "ddp_spawn"),
    ("", "task"): ("pileup", "image", "sequence"),
    ("data", "duplicates"): ("drop_conflicting", "keep"),
    ("data", "representation"): ("pixels", "profile"),
}


# (section, key) -> (lowest, highest) allowed, None = unbounded; checked with the key named in the error
_RANGES = {
    ("data", "batch_size"): (1, None),
    ("data", "num_workers"): (0, None),
    ("data", "sequence_length"): (0, None),
    ("data", "shift_augment"): (0, None),
    ("data", "val_fraction"): (0, 0.9),
    ("data", "profile_length"): (8, None),
    ("data", "depth_augment"): (0, 1),
    ("data", "stretch_augment"): (0, 0.4),
    ("data", "line_augment"): (0, 20),
    ("data", "test_fraction"): (0, 0.9),
    ("data", "kfold"): (0, None),
    ("data", "fold"): (0, None),
    ("data", "near_duplicate_bits"): (0, 64),
    ("optimizer", "lr"): (1e-12, None),
    ("optimizer", "weight_decay"): (0, None),
    ("trainer", "max_epochs"): (1, None),
    ("trainer", "devices"): (1, None),
    ("trainer", "val_every_n_steps"): (1, None),
    ("trainer", "limit_val_batches"): (1, None),
    ("trainer", "early_stopping_patience"): (0, None),
    ("trainer", "checkpoint_every_n_steps"): (1, None),
    ("trainer", "log_every_n_steps"): (1, None),
    ("trainer", "gradient_clip_val"): (0, None),
}


def _check_range(section: str, name: str, value, source: str) -> None:
    lo, hi = _RANGES.get((section, name), (None, None))
    if (lo is not None and value < lo) or (hi is not None and value > hi):
        bounds = f">= {lo}" if hi is None else f"between {lo} and {hi}"
        raise GenotorchError(f"{source}: {section + '.' if section else ''}{name} = {value!r}; it must be {bounds}")


def _plain(x):
    if isinstance(x, dict):
        return {k: _plain(v) for k, v in x.items()}
    if isinstance(x, (list, tuple)):
        return [_plain(v) for v in x]
    return x


def from_dict(cls, data: dict, where: str = "", source: str = "config"):
    """Build dataclass ``cls`` from ``data``, rejecting unknown keys and wrongly typed values.

    Raises
    ------
    GenotorchError
        Naming the key path (``trainer.max_epoch``) and the known keys.
    """
    if not isinstance(data, dict):
        raise GenotorchError(f"{source}: {where or 'top level'} must be a mapping, got {type(data).__name__}")
    hints = typing.get_type_hints(cls)
    known = {f.name for f in dataclasses.fields(cls)}
    unknown = sorted(set(data) - known)
    if unknown:
        raise GenotorchError(
            f"{source}: unknown key(s) {', '.join(where + k for k in unknown)}; known keys: {', '.join(sorted(known))}"
        )
    kwargs = {}
    for name, value in data.items():
        hint = hints[name]
        key = where + name
        if cls is TrainConfig and name == "data":  # its type follows the task
            task = data.get("task", "pileup")
            hint = DATA_CONFIGS.get(task, PileupDataConfig)
            try:
                kwargs[name] = from_dict(hint, value or {}, key + ".", source)
            except GenotorchError as e:
                raise GenotorchError(f"{e} (for task: {task})") from None
            continue
        if dataclasses.is_dataclass(hint):
            kwargs[name] = from_dict(hint, value or {}, key + ".", source)
            continue
        kwargs[name] = _coerce(value, hint, key, source)
        _check_range(where.rstrip("."), name, kwargs[name], source)
        choices = _CHOICES.get((where.rstrip("."), name))
        if choices and kwargs[name] not in choices:
            raise GenotorchError(f"{source}: {key} = {value!r}; choose one of {', '.join(choices)}")
    if cls is TrainConfig and "data" not in kwargs:
        kwargs["data"] = DATA_CONFIGS.get(kwargs.get("task", "pileup"), PileupDataConfig)()
    return cls(**kwargs)


def _coerce(value, hint, key: str, source: str):
    origin = typing.get_origin(hint)
    if origin is tuple:
        if isinstance(value, (str, int)) and not isinstance(value, bool):
            value = [value]
        if not isinstance(value, (list, tuple)):
            raise GenotorchError(f"{source}: {key} must be a list")
        item = typing.get_args(hint)[0]
        return tuple(_coerce(v, item, f"{key}[{i}]", source) if item is int else str(v) for i, v in enumerate(value))
    if hint is dict or origin is dict:
        if not isinstance(value, dict):
            raise GenotorchError(f"{source}: {key} must be a mapping")
        return dict(value)
    if hint is bool:
        if not isinstance(value, bool):
            raise GenotorchError(f"{source}: {key} must be true or false")
        return value
    if hint in (int, float):
        if isinstance(value, bool) or not isinstance(value, (int, float, str)):
            raise GenotorchError(f"{source}: {key} must be a number, got {value!r}")
        try:
            v = float(value)
        except ValueError:
            raise GenotorchError(f"{source}: {key} must be a number, got {value!r}") from None
        if hint is int:
            if v != int(v):
                raise GenotorchError(f"{source}: {key} must be an integer, got {value!r}")
            return int(v)
        return v
    if hint is str:
        return str(value)
    return value


PATH_KEYS = (("output_dir",), ("data", "train"), ("data", "val"), ("data", "test"), ("data", "labels"),
             ("data", "reference"), ("data", "root"), ("data", "split_file"), ("model", "params", "pretrained"))


def _resolve_paths(data: dict, base: Path) -> None:
    """Make the relative paths of a config file (:data:`PATH_KEYS`) relative to the file's folder, so a config runs
    the same from any working directory. Absolute paths, ``~`` paths and empty values are kept."""

    def fix(v):
        if isinstance(v, str) and v and not v.startswith(("/", "~")):
            return os.path.normpath(base / v)
        return v

    for keys in PATH_KEYS:
        node = data
        for k in keys[:-1]:
            node = node.get(k) if isinstance(node, dict) else None
        if isinstance(node, dict) and keys[-1] in node:
            v = node[keys[-1]]
            node[keys[-1]] = [fix(x) for x in v] if isinstance(v, list) else fix(v)


def load_train_config(path: str | Path, overrides: dict | None = None) -> TrainConfig:
    """Read a YAML training config.

    Raises
    ------
    GenotorchError
        Missing file, YAML syntax error, unknown key or bad value (the key is named).
    """
    path = Path(path)
    if not path.exists():
        raise GenotorchError(f"config {path} does not exist")
    try:
        data = yaml.safe_load(path.read_text()) or {}
    except yaml.YAMLError as e:
        raise GenotorchError(f"config {path} is not valid YAML: {e}") from None
    if isinstance(data, dict):
        _resolve_paths(data, path.resolve().parent)
    for dotted, value in (overrides or {}).items():
        node = data
        *parents, last = dotted.split(".")
        for p in parents:
            node = node.setdefault(p, {})
        node[last] = value
    cfg = from_dict(TrainConfig, data, source=str(path))
    if cfg.trainer.decision_threshold == "val_mcc" and cfg.task == "pileup":
        raise GenotorchError(f"{path}: trainer.decision_threshold val_mcc is for binary sequence or image models; "
                             "a pileup model calls genotypes from all three probabilities (leave it at argmax)")
    return cfg
