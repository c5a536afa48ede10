"""Learning curves from Lightning's ``metrics.csv`` as a PNG (matplotlib, Agg backend)."""

from __future__ import annotations

import csv
from pathlib import Path

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
from genotorch.io.files import atomic_savefig


def read_metrics(path: str | Path) -> dict[str, list[tuple[int, float]]]:
    """``metric -> [(step, value), ...]`` from a CSVLogger file (empty cells skipped)."""
    series: dict[str, list[tuple[int, float]]] = {}
    with open(path) as fh:
        for row in csv.DictReader(fh):
            step = int(float(row.get("step") or 0))
            for k, v in row.items():
                if k in ("step", "epoch") or v in ("", None):
                    continue
                series.setdefault(k, []).append((step, float(v)))
    return series


def plot_curves(metrics_csv: str | Path, out_png: str | Path) -> Path:
    """Loss (left) and accuracy/F1 (right) against training step. Written atomically."""
    series = read_metrics(metrics_csv)
    fig, (ax_loss, ax_acc) = plt.subplots(1, 2, figsize=(11, 4))
    for name, pts in sorted(series.items()):
        ax = ax_loss if "loss" in name else ax_acc if ("acc" in name or "f1" in name) else None
        if ax is None or not pts:
            continue
        xs, ys = zip(*pts)
        ax.plot(xs, ys, marker="o" if name.startswith("val") else None, ms=3, label=name)
    for ax, t in ((ax_loss, "loss"), (ax_acc, "accuracy / F1")):
        ax.set_xlabel("step")
        ax.set_title(t)
        ax.grid(alpha=0.3)
        if ax.lines:
            ax.legend()
    fig.tight_layout()
    return atomic_savefig(fig, out_png, "curves.png", quiet=True)
