"""``genotorch train CONFIG.yaml``: build data, model and Lightning Trainer from a config and fit.

Outputs in ``output_dir``: ``config.yaml`` (resolved), ``checkpoints/best.ckpt`` (by the monitored metric),
``checkpoints/last.ckpt`` (refreshed every ``checkpoint_every_n_steps`` and at the end, so an interrupted run resumes
from it with ``--resume``), ``logs/metrics.csv`` and ``curves.png``.

Every input is checked before the output folder is touched; a run that fails before its first checkpoint removes
the folder it created. A folder that already holds a run of another config is refused unless the run is resumed
(``--resume``) or replaced (``--overwrite``). A resumed run is exact (see :class:`genotorch.train.callbacks.ExactResume`)
and appends to ``logs/metrics.csv``.
"""

from __future__ import annotations

import csv
import logging
import shutil
import warnings
from dataclasses import dataclass
from pathlib import Path

import lightning as L
import torch
import yaml
from lightning.pytorch.callbacks import EarlyStopping, ModelCheckpoint
from lightning.pytorch.loggers import CSVLogger

from genotorch.config import TrainConfig
from genotorch.data.loaders import KeyedDraws, class_weights, positive_weights
from genotorch.data.modules import build_datamodule
from genotorch.errors import GenotorchError
from genotorch.models.checkpoint import checkpoint_kind, load_matching_weights, read_checkpoint
from genotorch.train.callbacks import CurvePlotter, ExactResume, ProgressLog
from genotorch.train.module import Classifier, build_meta
from genotorch.io.files import atomic_write_json, atomic_write_text

logger = logging.getLogger(__name__)

RUN_OUTPUTS = ("checkpoints", "logs", "curves.png", "config.yaml", "leakage.json", "split.csv", "test_metrics.json",
               "test_predictions.csv", "confusion_matrix.png", "roc_pr.png")


@dataclass
class TrainResult:
    """Checkpoints, best monitored score, steps and epochs of a finished run, and the held-out test metrics (image
    and sequence tasks)."""
    best_checkpoint: Path | None
    last_checkpoint: Path
    best_score: float | None
    global_step: int
    epochs: int
    test: dict | None = None  # held-out test metrics (image and sequence tasks)


class _QuietLightning(logging.Filter):
    """Drop Lightning's lines that say nothing about this run (accelerators not present, advertisements)."""

    NOISE = ("GPU available", "TPU available", "HPU available", "💡 Tip", "`weights_only` was not set")

    def filter(self, record: logging.LogRecord) -> bool:
        return not str(record.getMessage()).startswith(self.NOISE)


def quiet_lightning() -> None:
    """Silence Lightning's noise (see :class:`_QuietLightning`) and two warnings about its own internals or a
    validation loop genotorch skips on purpose; real warnings still show."""
    # a logger's filters do not see records propagated from its children: name the emitting loggers too
    for name in ("lightning.pytorch", "lightning.pytorch.utilities.rank_zero", "lightning.fabric",
                 "lightning.pytorch.trainer.connectors.checkpoint_connector"):
        lg = logging.getLogger(name)
        if not any(isinstance(f, _QuietLightning) for f in lg.filters):
            lg.addFilter(_QuietLightning())
    warnings.filterwarnings("ignore", message=r".*isinstance\(treespec, LeafSpec\).*")
    warnings.filterwarnings("ignore", message=r".*You defined a `validation_step` but have no `val_dataloader`.*")


def _precision(cfg: TrainConfig) -> str:
    if cfg.trainer.precision != "auto":
        return cfg.trainer.precision
    if torch.cuda.is_available():
        return "bf16-mixed" if torch.cuda.is_bf16_supported() else "16-mixed"
    return "32-true"


def _check_input_fits_model(module: Classifier, dataset, shape) -> None:
    """One example through the model (eval mode, no gradient): a size the model cannot read is a config error."""
    x, _ = KeyedDraws(dataset)[(0, 0)]
    model = module.model
    model.eval()
    try:
        with torch.no_grad():
            model(x.unsqueeze(0))
    except (RuntimeError, ValueError) as e:
        raise GenotorchError(f"model {module.hparams.meta['config']['model']['name']} cannot read inputs of shape "
                             f"{list(shape)} ({str(e).splitlines()[0][:120]}): make the inputs larger (e.g. "
                             f"data.image_size) or choose another model.name") from None
    finally:
        model.train()


def _check_resumable(ckpt: dict, meta: dict, path: str) -> None:
    """A checkpoint can resume this run only if it trained the same task, model and classes."""
    old = ckpt["hyper_parameters"]["meta"]
    if checkpoint_kind(old) != meta["example_info"].get("kind", "pileup"):
        raise GenotorchError(f"--resume {path} trained a {checkpoint_kind(old)} model; this config trains a "
                             f"{meta['example_info'].get('kind', 'pileup')} model: resume with its own config")
    if old["config"]["model"] != meta["config"]["model"] or list(old["classes"]) != list(meta["classes"]):
        raise GenotorchError(f"--resume {path} trained model {old['config']['model']} on classes {old['classes']}; "
                             f"this config has {meta['config']['model']} on {meta['classes']}: resume with the "
                             f"config it was trained with, or start a new run with --init-from")
    if "loops" not in ckpt or "optimizer_states" not in ckpt:
        raise GenotorchError(f"--resume {path} holds weights only (no optimizer or loop state): start a new run "
                             f"with --init-from {path}")


def _check_output_dir(out: Path, cfg: TrainConfig, resume: bool, overwrite: bool) -> None:
    """Check that ``out`` may take this run, and with ``overwrite`` remove the previous run's outputs (before the
    data are read: the image task writes its new split.csv there). Creates nothing.

    Raises
    ------
    GenotorchError
        ``out`` is a file, or holds a run of another config (and neither resume nor overwrite).
    """
    old_cfg = out / "config.yaml"
    if out.exists() and not out.is_dir():
        raise GenotorchError(f"output_dir {out} is a file: choose a folder (--output-dir)")
    if out.is_dir() and any(out.iterdir()) and not resume:
        if overwrite:
            for name in RUN_OUTPUTS:
                p = out / name
                shutil.rmtree(p) if p.is_dir() else p.unlink(missing_ok=True)
            logger.info(f"--overwrite: the previous run in {out} was removed")
        elif old_cfg.exists() and (yaml.safe_load(old_cfg.read_text()) or {}) != cfg.to_dict():
            raise GenotorchError(f"output_dir {out} holds a run of another config ({old_cfg}): give --resume "
                                 f"{out}/checkpoints/last.ckpt to continue it, --overwrite to replace it, or another "
                                 f"--output-dir")
        elif old_cfg.exists():
            logger.info(f"output_dir {out} holds a run of the same config: its outputs are replaced")


def _make_output_dir(out: Path) -> None:
    """Create ``out`` and check it is writable. Raises GenotorchError naming it."""
    try:
        out.mkdir(parents=True, exist_ok=True)
        probe = out / f".write-test-{id(out)}"
        probe.touch()
        probe.unlink()
    except OSError as e:
        raise GenotorchError(f"output_dir {out} cannot be written ({e.strerror}): choose another --output-dir") from None


def _old_metrics(out: Path, before_step: int) -> tuple[list[str], list[dict]]:
    """Header and rows of a run's metrics.csv logged before ``before_step`` (what a resumed run keeps)."""
    path = out / "logs" / "metrics.csv"
    if not path.exists():
        return [], []
    with open(path, newline="") as fh:
        reader = csv.DictReader(fh)
        rows = [r for r in reader if r.get("step") not in (None, "") and int(float(r["step"])) < before_step]
        return list(reader.fieldnames or []), rows


def _csv_logger(out: Path, carried: tuple[list[str], list[dict]]) -> CSVLogger:
    """Lightning's CSV logger; on resume the earlier rows are written back first (Lightning would delete them)."""
    log = CSVLogger(out, name="logs", version="")
    header, rows = carried
    if rows:
        writer = log.experiment  # creating it deletes the old file
        with open(writer.metrics_file_path, "w", newline="") as fh:
            w = csv.DictWriter(fh, fieldnames=sorted(header))
            w.writeheader()
            w.writerows(rows)
        writer.metrics_keys = sorted(header)
    return log


def train(cfg: TrainConfig, resume: str | None = None, init_from: str | None = None,
          progress_bar: bool = True, overwrite: bool = False, log_every_s: float | None = None) -> TrainResult:
    """Train a classifier as ``cfg`` says.

    Parameters
    ----------
    resume: checkpoint to continue from (weights, optimizer, scheduler, loop, sampler and random states restored)
    init_from: checkpoint whose weights initialise the model where names and shapes match (heads may differ)
    overwrite: replace a run of another config in ``cfg.output_dir``
    log_every_s: log a progress line this often (for output to a file, where no progress bar shows)

    Raises
    ------
    GenotorchError
        Bad data files, a missing or foreign checkpoint, ``resume`` and ``init_from`` together, an output folder
        holding another run, or inputs the model cannot read. Nothing is left in a folder this call created.
    """
    if resume and init_from:
        raise GenotorchError("--resume and --init-from exclude each other: resume continues a run, init-from starts one")
    resume_ckpt = read_checkpoint(resume, "--resume") if resume else None
    out = Path(cfg.output_dir)
    existed = out.exists()
    try:
        return _checked_fit(cfg, out, resume, resume_ckpt, init_from, progress_bar, overwrite, log_every_s)
    except BaseException:
        if not existed and not any((out / "checkpoints").glob("*.ckpt")):
            shutil.rmtree(out, ignore_errors=True)  # e.g. the image task's split.csv, written while reading data
        raise


def _checked_fit(cfg: TrainConfig, out: Path, resume: str | None, resume_ckpt: dict | None, init_from: str | None,
                 progress_bar: bool, overwrite: bool, log_every_s: float | None = None) -> TrainResult:
    L.seed_everything(cfg.seed, workers=True, verbose=False)
    d = cfg.data
    _check_output_dir(out, cfg, bool(resume), overwrite)  # before the data: --overwrite must not remove the split
    dm = build_datamodule(cfg.task, d, cfg.seed, out)     # file the data module has just written
    dm.world_size = cfg.trainer.devices
    classes = dm.classes
    train_dl = dm.train_dataloader()
    val_dl = dm.val_dataloader() or None
    meta = build_meta(cfg.to_dict(), dm.info, classes)
    if resume_ckpt is not None:
        _check_resumable(resume_ckpt, meta, resume)
    multilabel = bool(dm.info.get("multilabel"))
    weights = None
    if d.balance == "class_weights":
        weights = (positive_weights(dm.train_labels) if multilabel else class_weights(dm.train_labels, len(classes)))
        weights = weights.tolist()
    module = Classifier(meta, weights)
    _check_input_fits_model(module, dm.train_set, dm.info["shape"])
    if init_from:
        loaded, skipped = load_matching_weights(module.model, init_from, meta)
        logger.info(f"[init-from] {init_from}: loaded {len(loaded)} tensors, kept {len(skipped)} fresh: {skipped[:6]}")
    carried = _old_metrics(out, int(resume_ckpt.get("global_step", 0))) if resume_ckpt else ([], [])
    _make_output_dir(out)
    if cfg.task == "sequence":
        atomic_write_json(out / "leakage.json", dm.report, "leakage.json")
    atomic_write_text(out / "config.yaml", yaml.safe_dump(cfg.to_dict(), sort_keys=False), "config.yaml")
    return _fit(cfg, out, module, dm, train_dl, val_dl, resume, progress_bar, carried, log_every_s)


def _fit(cfg: TrainConfig, out: Path, module: Classifier, dm, train_dl, val_dl, resume: str | None,
         progress_bar: bool, carried, log_every_s: float | None = None) -> TrainResult:
    t = cfg.trainer
    has_val = dm.val_set is not None
    monitor = t.monitor if has_val else "train_loss"
    ckpt_dir = out / "checkpoints"
    best_cb = ModelCheckpoint(ckpt_dir, filename="best", monitor=monitor, mode=t.monitor_mode, save_top_k=1,
                              enable_version_counter=False)
    last_cb = ModelCheckpoint(ckpt_dir, filename="last", every_n_train_steps=t.checkpoint_every_n_steps,
                              save_top_k=1, save_on_train_epoch_end=True, enable_version_counter=False)
    callbacks = [best_cb, last_cb, CurvePlotter(out / "curves.png"),
                 ExactResume(train_dl.sampler, cfg.data.batch_size // t.devices)]
    if log_every_s:
        callbacks.append(ProgressLog(log_every_s))
    if has_val and t.early_stopping_patience > 0:
        callbacks.append(EarlyStopping(monitor=monitor, mode=t.monitor_mode, patience=t.early_stopping_patience))
    quiet_lightning()
    n_batches = max(1, len(train_dl))
    trainer = L.Trainer(
        default_root_dir=out,
        accelerator=t.accelerator,
        devices=t.devices,
        strategy=("ddp" if t.devices > 1 else "auto") if t.strategy == "auto" else t.strategy,
        sync_batchnorm=t.devices > 1 and t.accelerator != "cpu" and torch.cuda.is_available(),  # CUDA only
        use_distributed_sampler=False,  # the sampler shares the global batches itself (EpochSampler)
        precision=_precision(cfg),
        max_epochs=t.max_epochs,
        max_steps=t.max_steps,
        val_check_interval=min(t.val_every_n_steps, n_batches) if has_val else None,
        check_val_every_n_epoch=None if has_val and t.val_every_n_steps < n_batches else 1,
        limit_val_batches=t.limit_val_batches if has_val else 0,
        num_sanity_val_steps=0,
        callbacks=callbacks,
        logger=_csv_logger(out, carried),
        log_every_n_steps=min(t.log_every_n_steps, n_batches),
        gradient_clip_val=t.gradient_clip_val or None,
        enable_progress_bar=progress_bar,
        enable_model_summary=False,
        deterministic=False,
    )
    trainer.fit(module, train_dataloaders=train_dl, val_dataloaders=val_dl, ckpt_path=resume, weights_only=True)
    last = ckpt_dir / "last.ckpt"
    trainer.save_checkpoint(last)  # the full state (optimizer, loops, sampler, RNG): what --resume needs
    if not trainer.is_global_zero:  # DDP: the other processes stop here; rank 0 reports
        return TrainResult(None, last, None, trainer.global_step, trainer.current_epoch, None)
    best = Path(best_cb.best_model_path) if best_cb.best_model_path else None
    score = float(best_cb.best_model_score) if best_cb.best_model_score is not None else None
    if t.decision_threshold == "val_mcc" and cfg.task in ("image", "sequence"):
        from genotorch.predict.images import choose_decision_threshold

        choose_decision_threshold([p for p in (best, last) if p is not None and p.exists()], dm)
    test = None
    if cfg.task in ("image", "sequence") and dm.test_set is not None:
        from genotorch.predict.images import test_report

        test = test_report(best or last, dm, out)
    return TrainResult(best, last, score, trainer.global_step, trainer.current_epoch, test)
