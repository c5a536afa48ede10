"""The train command (every modality's harness)."""

from __future__ import annotations

from pathlib import Path
from typing import Optional

import typer

from genotorch.cli.common import console, user_errors


@user_errors
def train_cmd(
    config: Path = typer.Argument(..., help="YAML config: data, model, optimizer, trainer (see configs/)."),
    resume: Optional[Path] = typer.Option(None, "--resume", help="Continue from a checkpoint (optimizer, scheduler, epoch, step)."),
    init_from: Optional[Path] = typer.Option(None, "--init-from", help="Start from another model's weights (matching tensors only)."),
    output_dir: Optional[Path] = typer.Option(None, "--output-dir", help="Override the config's output_dir."),
    max_epochs: Optional[int] = typer.Option(None, "--max-epochs", help="Override trainer.max_epochs."),
):
    """Train a model from a YAML config with early stopping, best/last checkpoints, metrics CSV and curves PNG.

    CUDA is used when present (with mixed precision), otherwise the CPU.
    """
    from genotorch.config import load_train_config
    from genotorch.train.run import train

    overrides = {}
    if output_dir:
        overrides["output_dir"] = str(output_dir)
    if max_epochs is not None:
        overrides["trainer.max_epochs"] = max_epochs
    cfg = load_train_config(config, overrides)
    res = train(cfg, str(resume) if resume else None, str(init_from) if init_from else None)
    console.print(f"best checkpoint: {res.best_checkpoint} (score {res.best_score})\n"
                  f"last checkpoint: {res.last_checkpoint} (step {res.global_step}, epoch {res.epochs})\n"
                  f"metrics: {Path(cfg.output_dir) / 'logs' / 'metrics.csv'}, curves: {Path(cfg.output_dir) / 'curves.png'}")
