"""The train command (every modality's harness)."""

from __future__ import annotations

import os
import sys
from pathlib import Path
from typing import Optional

import typer

from genotorch.cli.common import console, user_errors


@user_errors
def train_cmd(
    config: Path = typer.Argument(..., help="YAML config: data, model, optimizer, trainer (see configs/)."),
    resume: Optional[Path] = typer.Option(None, "--resume", help="Continue from a checkpoint (optimizer, scheduler, epoch, step)."),
    init_from: Optional[Path] = typer.Option(None, "--init-from", help="Start from another model's weights (matching tensors only)."),
    output_dir: Optional[Path] = typer.Option(None, "--output", "-o", "--output-dir", help="The run's folder "
                                              "(overrides the config's output_dir)."),
    overwrite: bool = typer.Option(False, "--overwrite", help="Replace a run of another config in the output folder "
                                   "(without it such a folder is refused; --resume continues it)."),
    max_epochs: Optional[int] = typer.Option(None, "--max-epochs", help="Override trainer.max_epochs."),
    set_: Optional[list[str]] = typer.Option(None, "--set", help="Override any config key: KEY=VALUE, the value read "
                                             "as YAML (e.g. --set 'data.train=[a.h5, b.h5]' --set optimizer.lr=0.001)."),
):
    """Train a model from a YAML config with early stopping, best/last checkpoints, metrics CSV and curves PNG.

    CUDA is used when present (with mixed precision), otherwise the CPU.
    """
    import yaml

    from genotorch.config import load_train_config
    from genotorch.errors import GenotorchError

    overrides = {}
    for item in set_ or []:
        key, sep, value = item.partition("=")
        if not sep or not key.strip():
            raise GenotorchError(f"--set {item!r}: write KEY=VALUE, e.g. --set optimizer.lr=0.001")
        try:
            overrides[key.strip()] = yaml.safe_load(value)
        except yaml.YAMLError as e:
            raise GenotorchError(f"--set {item!r}: the value is not valid YAML ({e})") from None
    if output_dir:
        overrides["output_dir"] = str(output_dir)
    if max_epochs is not None:
        overrides["trainer.max_epochs"] = max_epochs
    cfg = load_train_config(config, overrides)  # checked before the training stack (torch, Lightning) is imported
    from genotorch.train.run import train

    tty = sys.stderr.isatty()
    res = train(cfg, str(resume) if resume else None, str(init_from) if init_from else None, progress_bar=tty,
                overwrite=overwrite, log_every_s=None if tty else 30.0)
    if res.best_checkpoint is None and res.last_checkpoint and os.environ.get("LOCAL_RANK", "0") != "0":
        return  # DDP: a process other than rank 0, which reports
    out = Path(cfg.output_dir).resolve()
    best = Path(res.best_checkpoint).resolve() if res.best_checkpoint else None
    console.print(f"best checkpoint: {best} (score {res.best_score})\n"
                  f"last checkpoint: {Path(res.last_checkpoint).resolve()} (step {res.global_step}, epoch {res.epochs})"
                  f"\nmetrics: {out / 'logs' / 'metrics.csv'}, curves: {out / 'curves.png'}", highlight=False)
    if res.test:
        t = res.test
        console.print(f"test MCC {t['mcc']:.4f}\ntest AUROC {t['auroc']:.4f}\ntest accuracy {t['accuracy']:.4f}")
