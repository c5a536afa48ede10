"""``genotorch train CONFIG.yaml``: build data, model and Lightning Trainer from a config and fit.

Outputs in ``output_dir``: ``config.yaml`` (resolved), ``checkpoints/best.ckpt`` (by the monitored metric),
``checkpoints/last.ckpt`` (refreshed every ``checkpoint_every_n_steps`` and at the end, so an interrupted run resumes
from it with ``--resume``), ``logs/metrics.csv`` and ``curves.png``.
"""

from __future__ import annotations

import json

from dataclasses import dataclass
from pathlib import Path

import lightning as L
import torch
from lightning.pytorch.callbacks import EarlyStopping, ModelCheckpoint
from lightning.pytorch.loggers import CSVLogger

from genotorch.config import TrainConfig, dump_yaml
from genotorch.data.loaders import class_weights, eval_loader, positive_weights, train_loader
from genotorch.data.pileups import PileupDataModule
from genotorch.errors import GenotorchError
from genotorch.train.callbacks import CurvePlotter
from genotorch.models.checkpoint import load_matching_weights
from genotorch.train.module import Classifier, build_meta

GENOTYPE_CLASSES = ["hom-ref", "het", "hom-alt"]


@dataclass
class TrainResult:
    best_checkpoint: Path | None
    last_checkpoint: Path
    best_score: float | None
    global_step: int
    epochs: int
    test: dict | None = None  # held-out test metrics (image task)


def _precision(cfg: TrainConfig) -> str:
    if cfg.trainer.precision != "auto":
        return cfg.trainer.precision
    if torch.cuda.is_available():
        return "bf16-mixed" if torch.cuda.is_bf16_supported() else "16-mixed"
    return "32-true"


def train(cfg: TrainConfig, resume: str | None = None, init_from: str | None = None,
          progress_bar: bool = True) -> TrainResult:
    """Train a classifier as ``cfg`` says.

    Parameters
    ----------
    resume: checkpoint to continue from (optimizer, scheduler, epoch and step restored)
    init_from: checkpoint whose weights initialise the model where names and shapes match (heads may differ)

    Raises
    ------
    GenotorchError
        Bad data files, a missing checkpoint, or ``resume`` and ``init_from`` together.
    """
    if resume and init_from:
        raise GenotorchError("--resume and --init-from exclude each other: resume continues a run, init-from starts one")
    if resume and not Path(resume).exists():
        raise GenotorchError(f"--resume {resume}: no such checkpoint")
    L.seed_everything(cfg.seed, workers=True, verbose=False)
    out = Path(cfg.output_dir)
    out.mkdir(parents=True, exist_ok=True)
    d = cfg.data
    if cfg.task == "image":
        from genotorch.data.images import ImageDataModule

        dm = ImageDataModule(d, cfg.seed, out, log=print)
        classes = dm.classes
    elif cfg.task == "sequence":
        from genotorch.data.sequences import SequenceDataModule

        dm = SequenceDataModule(d, cfg.seed, log=print)
        classes = dm.classes
        (out / "leakage.json").write_text(json.dumps(dm.report, indent=2) + "\n")
    else:
        dm = PileupDataModule(d.train, d.val, d.batch_size, d.num_workers, d.balance, cfg.seed,
                              len(GENOTYPE_CLASSES))
        classes = GENOTYPE_CLASSES
    train_dl = train_loader(dm.train_set, dm.train_labels, d.batch_size, d.num_workers, d.balance, cfg.seed,
                            len(classes))
    val_dl = eval_loader(dm.val_set, d.batch_size, d.num_workers)
    meta = build_meta(cfg.to_dict(), dm.info, classes)
    multilabel = bool(dm.info.get("multilabel"))
    weights = None
    if d.balance == "class_weights":
        weights = (positive_weights(dm.train_labels) if multilabel else class_weights(dm.train_labels, len(classes)))
        weights = weights.tolist()
    module = Classifier(meta, weights)
    if init_from:
        loaded, skipped = load_matching_weights(module.model, init_from, meta)
        print(f"[init-from] {init_from}: loaded {len(loaded)} tensors, kept {len(skipped)} fresh: {skipped[:6]}")
    dump_yaml(cfg.to_dict(), out / "config.yaml")
    t = cfg.trainer
    has_val = dm.val_set is not None
    monitor = t.monitor if has_val else "train_loss"
    ckpt_dir = out / "checkpoints"
    best_cb = ModelCheckpoint(ckpt_dir, filename="best", monitor=monitor, mode=t.monitor_mode, save_top_k=1,
                              enable_version_counter=False)
    last_cb = ModelCheckpoint(ckpt_dir, filename="last", every_n_train_steps=t.checkpoint_every_n_steps,
                              save_top_k=1, save_on_train_epoch_end=True, enable_version_counter=False)
    callbacks = [best_cb, last_cb, CurvePlotter(out / "curves.png")]
    if has_val and t.early_stopping_patience > 0:
        callbacks.append(EarlyStopping(monitor=monitor, mode=t.monitor_mode, patience=t.early_stopping_patience))
    n_batches = max(1, len(train_dl))
    trainer = L.Trainer(
        default_root_dir=out,
        accelerator=t.accelerator,
        devices=1,
        precision=_precision(cfg),
        max_epochs=t.max_epochs,
        max_steps=t.max_steps,
        val_check_interval=min(t.val_every_n_steps, n_batches) if has_val else None,
        check_val_every_n_epoch=None if has_val and t.val_every_n_steps < n_batches else 1,
        limit_val_batches=t.limit_val_batches if has_val else 0,
        num_sanity_val_steps=0,
        callbacks=callbacks,
        logger=CSVLogger(out, name="logs", version=""),
        log_every_n_steps=min(t.log_every_n_steps, n_batches),
        gradient_clip_val=t.gradient_clip_val or None,
        enable_progress_bar=progress_bar,
        enable_model_summary=False,
        deterministic=False,
    )
    trainer.fit(module, train_dataloaders=train_dl, val_dataloaders=val_dl, ckpt_path=resume)
    last = ckpt_dir / "last.ckpt"
    trainer.save_checkpoint(last)
    best = Path(best_cb.best_model_path) if best_cb.best_model_path else None
    score = float(best_cb.best_model_score) if best_cb.best_model_score is not None else None
    test = None
    if cfg.task in ("image", "sequence") and dm.test_set is not None:
        from genotorch.predict.images import test_report

        test = test_report(best or last, dm, out)
    return TrainResult(best, last, score, trainer.global_step, trainer.current_epoch, test)
