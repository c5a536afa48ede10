"""Per-task metrics and ROC / precision-recall curves (scikit-learn), for multi-label (multi-task) models and for
the classes of single-label ones.

* :func:`multilabel_metrics`: for every target, over the examples whose label is known (0/1; -1 is skipped):
  AUROC, AUPRC (average precision), and at probability 0.5: MCC, F1, accuracy; plus their means over targets
  (keys ``auroc``, ``auprc``, ``mcc``, ``f1``, ``accuracy``). A target with one class only gets NaN AUROC/AUPRC.
* :func:`mcc_threshold` / :func:`predicted_classes`: the decision threshold of a binary model chosen on a
  validation split (the cut of the positive class's probability that maximises MCC; ``trainer.decision_threshold:
  val_mcc``), and class calls under it.
* :func:`plot_roc_pr`: one PNG with the ROC curves (false vs true positive rate) and the precision-recall curves of
  every target (multi-label) or every class one-vs-rest (single-label), AUROC/AUPRC in the legends.
"""

from __future__ import annotations

from pathlib import Path
from typing import Sequence

import numpy as np
from genotorch.io.files import atomic_savefig


def multilabel_metrics(y: np.ndarray, probs: np.ndarray, targets: Sequence[str]) -> dict:
    """``y`` (N, T) 0/1/-1, ``probs`` (N, T) sigmoid probabilities -> the dict of the module docstring."""
    from sklearn.metrics import (accuracy_score, average_precision_score, f1_score, matthews_corrcoef,
                                 roc_auc_score)

    per = {}
    for j, t in enumerate(targets):
        known = y[:, j] >= 0
        yt, pt = y[known, j].astype(int), probs[known, j]
        both = len(np.unique(yt)) == 2
        pred = (pt >= 0.5).astype(int)
        per[t] = {
            "n": int(known.sum()), "positives": int(yt.sum()),
            "auroc": float(roc_auc_score(yt, pt)) if both else float("nan"),
            "auprc": float(average_precision_score(yt, pt)) if both else float("nan"),
            "mcc": float(matthews_corrcoef(yt, pred)) if len(yt) else float("nan"),
            "f1": float(f1_score(yt, pred, zero_division=0)) if len(yt) else float("nan"),
            "accuracy": float(accuracy_score(yt, pred)) if len(yt) else float("nan"),
        }
    out = {"n": int(len(y)), "multilabel": True, "targets": list(targets), "per_target": per}
    for k in ("auroc", "auprc", "mcc", "f1", "accuracy"):
        out[k] = float(np.nanmean([v[k] for v in per.values()])) if per else float("nan")
    return out


def mcc_threshold(y: np.ndarray, p: np.ndarray) -> tuple[float, float]:
    """The cut on the positive class's probability that maximises the Matthews correlation coefficient.

    ``y`` (N,) 0/1 true classes, ``p`` (N,) float probabilities of class 1. Every distinct probability is a
    candidate cut (a sequence is called positive when ``p >= cut``); the cut returned is the midpoint between the
    best candidate and the next lower probability, and among equally good cuts the one nearest 0.5 wins.
    Returns ``(threshold, mcc)``; ``(0.5, 0.0)`` when ``y`` holds one class only.
    """
    y = np.asarray(y).astype(int)
    p = np.asarray(p, dtype=np.float64)
    pos, n = int(y.sum()), len(y)
    if pos == 0 or pos == n:
        return 0.5, 0.0
    order = np.argsort(-p, kind="stable")
    ps, ys = p[order], y[order]
    last = np.r_[ps[1:] != ps[:-1], True]      # a cut can only fall after the last of tied probabilities
    tp = np.cumsum(ys)[last].astype(np.float64)
    called = np.arange(1, n + 1)[last].astype(np.float64)
    fp = called - tp
    fn, tn = pos - tp, (n - pos) - fp
    den = np.sqrt((tp + fp) * (tp + fn) * (tn + fp) * (tn + fn))
    mcc = np.divide(tp * tn - fp * fn, den, out=np.zeros_like(den), where=den > 0)
    cut_at = ps[last]
    cuts = (cut_at + np.r_[cut_at[1:], 0.0]) / 2  # midway to the next lower probability (0 below the lowest)
    best = np.flatnonzero(mcc >= mcc.max() - 1e-12)
    i = best[np.argmin(np.abs(cuts[best] - 0.5))]
    return float(cuts[i]), float(mcc[i])


def predicted_classes(probs: np.ndarray, threshold: float | None = None) -> np.ndarray:
    """Class index per row of ``probs`` (N, K): the argmax, or for a binary model with a ``threshold`` (the
    decision threshold stored in its checkpoint) class 1 where ``probs[:, 1] >= threshold``. (N,) int64."""
    probs = np.asarray(probs)
    if threshold is None or probs.shape[1] != 2:
        return probs.argmax(1)
    return (probs[:, 1] >= threshold).astype(np.int64)


def decision_threshold(meta: dict) -> float | None:
    """The decision threshold stored in a checkpoint's meta (``meta["decision"]["threshold"]``), or None."""
    return (meta.get("decision") or {}).get("threshold")


def format_multilabel(m: dict, title: str = "") -> str:
    """Per-target metrics of :func:`multilabel_metrics` as a text table."""
    lines = [title] if title else []
    lines.append(f"n {m['n']}  mean over {len(m['targets'])} targets: AUROC {m['auroc']:.4f}  AUPRC {m['auprc']:.4f}  "
                 f"MCC {m['mcc']:.4f}  F1 {m['f1']:.4f}  accuracy {m['accuracy']:.4f}")
    lines.append(f"{'target':16s} {'n':>6s} {'pos':>6s} {'AUROC':>7s} {'AUPRC':>7s} {'MCC':>7s} {'F1':>7s} {'acc':>7s}")
    for t, r in m["per_target"].items():
        lines.append(f"{t:16s} {r['n']:6d} {r['positives']:6d} {r['auroc']:7.4f} {r['auprc']:7.4f} {r['mcc']:7.4f} "
                     f"{r['f1']:7.4f} {r['accuracy']:7.4f}")
    return "\n".join(lines)


def plot_roc_pr(y: np.ndarray, probs: np.ndarray, names: Sequence[str], path: str | Path, title: str = "") -> None:
    """ROC and PR curves to ``path`` (PNG, written under a temporary name then renamed). ``y``: (N, T) 0/1/-1
    for multi-label, or (N,) class indices (each class one-vs-rest; with two classes only the second)."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    from sklearn.metrics import average_precision_score, precision_recall_curve, roc_auc_score, roc_curve

    if y.ndim == 1:
        cols = [1] if probs.shape[1] == 2 else list(range(probs.shape[1]))
        curves = [(names[j], (y == j).astype(int), probs[:, j]) for j in cols]
    else:
        curves = [(names[j], y[y[:, j] >= 0, j].astype(int), probs[y[:, j] >= 0, j]) for j in range(y.shape[1])]
    fig, (a, b) = plt.subplots(1, 2, figsize=(10, 4.5))
    for name, yt, pt in curves:
        if len(np.unique(yt)) < 2:
            continue
        fpr, tpr, _ = roc_curve(yt, pt)
        prec, rec, _ = precision_recall_curve(yt, pt)
        a.plot(fpr, tpr, label=f"{name} AUROC {roc_auc_score(yt, pt):.3f}")
        b.plot(rec, prec, label=f"{name} AUPRC {average_precision_score(yt, pt):.3f}")
    a.plot([0, 1], [0, 1], color="grey", lw=0.8, ls="--")
    a.set(xlabel="false positive rate", ylabel="true positive rate", title="ROC")
    b.set(xlabel="recall", ylabel="precision", title="precision-recall", ylim=(0, 1.02))
    for ax in (a, b):
        ax.legend(fontsize=7, loc="lower right" if ax is a else "lower left")
    if title:
        fig.suptitle(title)
    fig.tight_layout()
    atomic_savefig(fig, path, "--output")
