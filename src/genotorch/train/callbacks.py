"""Callbacks Lightning lacks: redraw the learning-curve PNG after every validation and at the end."""

from __future__ import annotations

from pathlib import Path

import lightning as L

from genotorch.train.plots import plot_curves


class CurvePlotter(L.Callback):
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
