"""Callbacks Lightning lacks: learning curves redrawn after every validation, and exact resume."""

from __future__ import annotations

import logging
import random
import time
from pathlib import Path

import lightning as L
import numpy as np
import torch

from genotorch.data.loaders import EpochSampler
from genotorch.train.plots import plot_curves

RESUME_KEY = "genotorch_resume"
logger = logging.getLogger(__name__)


class CurvePlotter(L.Callback):
    """Flush the CSV metrics and redraw ``curves.png`` after every validation and at the end of training."""

    def __init__(self, out_png: str | Path):
        self.out_png = Path(out_png)

    def _plot(self, trainer: L.Trainer) -> None:
        logger = trainer.logger
        if logger is None:
            return
        logger.save()
        csv = Path(logger.log_dir) / "metrics.csv"
        if csv.exists():
            plot_curves(csv, self.out_png)

    def on_validation_end(self, trainer, pl_module):
        if not trainer.sanity_checking:
            self._plot(trainer)

    def on_train_end(self, trainer, pl_module):
        self._plot(trainer)


def _rng_state() -> dict:
    """torch, numpy and Python global generator states, as tensors and plain numbers (``weights_only`` loads them)."""
    name, keys, pos, has_gauss, gauss = np.random.get_state()
    version, internal, gauss_next = random.getstate()
    return {"torch": torch.get_rng_state(),
            "numpy": {"name": name, "keys": torch.from_numpy(keys.astype(np.int64)), "pos": int(pos),
                      "has_gauss": int(has_gauss), "gauss": float(gauss)},
            "python": {"version": version, "internal": list(internal), "gauss_next": gauss_next}}


def _set_rng_state(state: dict) -> None:
    torch.set_rng_state(state["torch"])
    n = state["numpy"]
    np.random.set_state((n["name"], n["keys"].numpy().astype(np.uint32), n["pos"], n["has_gauss"], n["gauss"]))
    p = state["python"]
    random.setstate((p["version"], tuple(p["internal"]), p["gauss_next"]))


class ProgressLog(L.Callback):
    """A log line every ``every_s`` seconds of training (epoch, step, loss), for runs whose output goes to a file
    where a progress bar would not show."""

    def __init__(self, every_s: float = 30.0):
        self.every_s = every_s
        self._last = None

    def on_train_batch_end(self, trainer, pl_module, outputs, batch, batch_idx):
        now = time.monotonic()
        if self._last is None:
            self._last = now
        if now - self._last < self.every_s:
            return
        self._last = now
        loss = trainer.callback_metrics.get("train_loss")
        total = trainer.estimated_stepping_batches
        logger.info(f"train: epoch {trainer.current_epoch + 1}/{trainer.max_epochs}, step {trainer.global_step}"
                    f"/{int(total) if total != float('inf') else '?'}"
                    + (f", train_loss {float(loss):.4f}" if loss is not None else ""))


class ExactResume(L.Callback):
    """Make ``--resume`` continue exactly where the checkpoint was taken.

    Every checkpoint gets, under ``"genotorch_resume"``: the training sampler's epoch, the batches of that epoch
    already trained on, the batch size, and the global random generators' states (dropout draws from torch's).
    On resume, the sampler re-enters its epoch after those batches (:meth:`EpochSampler.resume_at`) and the
    generators are restored, so the resumed run trains on the same batches with the same dropout masks as the run
    that was never stopped: on the CPU its final weights are bit-identical. The CSV log is flushed at every
    checkpoint, so a run killed after it loses no logged row.
    """

    def __init__(self, sampler: EpochSampler, batch_size: int):
        self.sampler, self.batch_size = sampler, batch_size

    def on_save_checkpoint(self, trainer, pl_module, checkpoint: dict) -> None:
        done = trainer.fit_loop.epoch_loop.batch_progress.current.processed
        checkpoint[RESUME_KEY] = {"epoch": self.sampler.epoch, "batches_done": int(done),
                                  "batches_per_epoch": int(trainer.num_training_batches),
                                  "batch_size": self.batch_size, "rng": _rng_state()}
        if trainer.logger is not None:
            trainer.logger.save()

    def on_load_checkpoint(self, trainer, pl_module, checkpoint: dict) -> None:
        state = checkpoint.get(RESUME_KEY)
        if state is None:  # a checkpoint from before exact resume: Lightning's own (approximate) resume
            return
        epoch, done = state["epoch"], state["batches_done"]
        if done >= state["batches_per_epoch"]:
            self.sampler.resume_at(epoch + 1, 0)
        else:
            self.sampler.resume_at(epoch, done * state["batch_size"])
        _set_rng_state(state["rng"])
