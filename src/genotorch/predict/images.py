"""Predict and evaluate image classifiers.

* :func:`predict_paths`: images decoded exactly as in training (the checkpoint's ``example_info.config``: size,
  grey/RGB, crop) -> softmax probabilities ``(N, K)`` float64.
* :func:`classification_metrics`: accuracy, per-class precision / recall / F1 (scikit-learn), Matthews correlation
  coefficient, macro one-vs-rest AUROC, and the confusion matrix (rows = true class, columns = predicted).
* :func:`write_predictions`: CSV ``path,predicted,p_<class>...`` (plus ``true`` when known), written to a temporary
  name and renamed.
"""

from __future__ import annotations

import csv
import logging
from pathlib import Path
from typing import Sequence

import numpy as np
import torch

from genotorch.io.images import load_image
from genotorch.models.inference import predict_array as run_model
from genotorch.io.files import atomic_output, atomic_savefig, atomic_write_json

logger = logging.getLogger(__name__)


def predict_array(model: torch.nn.Module, images: np.ndarray | torch.Tensor, batch_size: int = 64,
                  multilabel: bool = False) -> np.ndarray:
    """``(N, K)`` float64 probabilities: softmax over classes, or per-target sigmoid when ``multilabel``
    (:func:`genotorch.models.inference.predict_array`)."""
    return run_model(model, images, batch_size, "sigmoid" if multilabel else "softmax")


def predict_paths(model: torch.nn.Module, meta: dict, paths: Sequence[str], batch_size: int = 64,
                  progress=None) -> np.ndarray:
    """Class probabilities ``(N, n_classes)`` float64 of image files, decoded as the model was trained (size,
    grey/RGB, crop; or the chart's curve read back as a profile, for a model trained with ``representation:
    profile``).

    Raises
    ------
    GenotorchError
        An unreadable image, or (profile models) a picture without a curve, named.
    """
    c = meta["example_info"]["config"]
    if c.get("representation") == "profile":
        from genotorch.encode.chart_profile import chart_profile

        def decode(p):
            return chart_profile(load_image(p, None, True, c["crop"]), c["profile_length"], name=p)
    else:
        def decode(p):
            return load_image(p, c["image_size"], c["grayscale"], c["crop"])
    probs = []
    for i in range(0, len(paths), batch_size):
        batch = np.stack([decode(p) for p in paths[i:i + batch_size]])
        probs.append(predict_array(model, batch, batch_size))
        if progress:
            progress(min(i + batch_size, len(paths)), len(paths))
    return np.concatenate(probs)


def classification_metrics(y_true: np.ndarray, probs: np.ndarray, classes: Sequence[str],
                           threshold: float | None = None) -> dict:
    """Accuracy, MCC, per-class precision/recall/F1, AUROC/AUPRC and the confusion matrix of probabilities ``(N,
    K)`` against class indices ``y`` (binary: the second class is the positive one). Classes are called by argmax,
    or for a binary model with ``threshold`` where the positive class's probability is >= it
    (:func:`genotorch.predict.metrics.predicted_classes`); the threshold is recorded in the result."""
    from sklearn.metrics import (accuracy_score, average_precision_score, confusion_matrix, matthews_corrcoef,
                                 precision_recall_fscore_support, roc_auc_score)

    import warnings

    from sklearn.exceptions import UndefinedMetricWarning

    from genotorch.predict.metrics import predicted_classes

    y_pred = predicted_classes(probs, threshold)
    k = len(classes)
    p, r, f, n = precision_recall_fscore_support(y_true, y_pred, labels=list(range(k)), zero_division=0)
    try:
        with warnings.catch_warnings():  # one class present: the curves are undefined, reported as n/a
            warnings.simplefilter("ignore", UndefinedMetricWarning)
            auroc = float(roc_auc_score(y_true, probs[:, 1]) if k == 2 else
                          roc_auc_score(y_true, probs, multi_class="ovr", labels=list(range(k))))
            auprc = float(average_precision_score(y_true == 1, probs[:, 1]) if k == 2 else
                          average_precision_score(np.eye(k)[y_true], probs, average="macro"))
    except ValueError:
        auroc = auprc = float("nan")
    return {
        "n": int(len(y_true)),
        "accuracy": float(accuracy_score(y_true, y_pred)),
        "mcc": float(matthews_corrcoef(y_true, y_pred)),
        "f1": float(f[1] if k == 2 else f.mean()),
        "auroc": auroc,
        "auprc": auprc,
        "per_class": {c: {"precision": float(p[i]), "recall": float(r[i]), "f1": float(f[i]), "support": int(n[i])}
                      for i, c in enumerate(classes)},
        "confusion_matrix": confusion_matrix(y_true, y_pred, labels=list(range(k))).tolist(),
        "classes": list(classes),
        "decision_threshold": threshold if threshold is not None and k == 2 else "argmax",
    }


def format_metrics(m: dict, title: str = "") -> str:
    """A :func:`classification_metrics` result as a text table."""
    lines = [title] if title else []
    if m.get("multilabel"):
        from genotorch.predict.metrics import format_multilabel

        return format_multilabel(m, title)
    def num(x):
        return "n/a" if x != x else f"{x:.4f}"  # NaN: a metric undefined on this data (one class present)

    f1_name = f"F1({m['classes'][1]})" if len(m["classes"]) == 2 else "macro F1"
    lines.append(f"n {m['n']}  accuracy {m['accuracy']:.4f}  MCC {m['mcc']:.4f}  AUROC {num(m['auroc'])}  "
                 f"AUPRC {num(m['auprc'])}  {f1_name} {m['f1']:.4f}")
    if isinstance(m.get("decision_threshold"), float):
        lines.append(f"{m['classes'][1]} called where its probability >= {m['decision_threshold']:.4f} (the "
                     "decision threshold stored in the model)")
    lines.append(f"{'class':14s} {'precision':>9s} {'recall':>7s} {'F1':>7s} {'n':>6s}")
    for c, r in m["per_class"].items():
        lines.append(f"{c:14s} {r['precision']:9.4f} {r['recall']:7.4f} {r['f1']:7.4f} {r['support']:6d}")
    w = max(len(c) for c in m["classes"])
    lines.append("confusion matrix (rows true, columns predicted): " + " | ".join(m["classes"]))
    for c, row in zip(m["classes"], m["confusion_matrix"]):
        lines.append(f"  {c:{w}s} " + " ".join(f"{v:6d}" for v in row))
    return "\n".join(lines)


def plot_confusion(m: dict, path: str | Path, title: str = "") -> None:
    """The confusion matrix of a metrics dict as a PNG."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    cm = np.array(m["confusion_matrix"])
    fig, ax = plt.subplots(figsize=(1.6 + 1.2 * len(cm), 1.2 + 1.2 * len(cm)))
    ax.imshow(cm, cmap="Blues")
    for i in range(len(cm)):
        for j in range(len(cm)):
            ax.text(j, i, str(cm[i, j]), ha="center", va="center", color="black" if cm[i, j] < cm.max() / 2 else "white")
    ax.set_xticks(range(len(cm)), m["classes"], rotation=30)
    ax.set_yticks(range(len(cm)), m["classes"])
    ax.set_xlabel("predicted")
    ax.set_ylabel("true")
    ax.set_title(title or f"accuracy {m['accuracy']:.3f}")
    fig.tight_layout()
    atomic_savefig(fig, path, "--output")


def write_predictions(path: str | Path, paths: Sequence[str], probs: np.ndarray, classes: Sequence[str],
                      true: Sequence[str] | None = None, delimiter: str = ",", id_name: str = "path",
                      threshold: float | None = None) -> None:
    """Predictions as CSV/TSV: id, predicted class (argmax, or the binary ``threshold`` of
    :func:`genotorch.predict.metrics.predicted_classes`), one probability column per class (and the true class),
    written atomically."""
    from genotorch.predict.metrics import predicted_classes

    called = predicted_classes(probs, threshold)
    with atomic_output(path, "--output") as tmp, open(tmp, "w", newline="") as f:
        w = csv.writer(f, delimiter=delimiter)
        w.writerow([id_name, "predicted", *[f"p_{c}" for c in classes], *(["true"] if true is not None else [])])
        for i, p in enumerate(paths):
            w.writerow([p, classes[int(called[i])], *[f"{v:.6f}" for v in probs[i]],
                        *([true[i]] if true is not None else [])])


def test_report(checkpoint: str | Path, dm, out_dir: str | Path) -> dict:
    """Evaluate ``checkpoint`` on the held-out test split of an Image- or SequenceDataModule; writes
    test_metrics.json, test_predictions.csv (image paths, or ``test:<row>`` for sequences), confusion_matrix.png
    (single-label) and roc_pr.png in ``out_dir`` and prints the table. Multi-label models are scored per target
    (:func:`genotorch.predict.metrics.multilabel_metrics`)."""
    from genotorch.models.checkpoint import load_classifier
    from genotorch.predict.metrics import decision_threshold, multilabel_metrics, plot_roc_pr

    model, meta = load_classifier(checkpoint)
    multilabel = bool(meta["example_info"].get("multilabel"))
    probs = _split_probabilities(model, meta, dm, "test")
    threshold = decision_threshold(meta)
    y = np.asarray(dm.test_set.labels)
    m = multilabel_metrics(y, probs, meta["classes"]) if multilabel else \
        classification_metrics(y, probs, meta["classes"], threshold)
    m["checkpoint"] = str(checkpoint)
    out_dir = Path(out_dir)
    atomic_write_json(out_dir / "test_metrics.json", m, "test_metrics.json")
    if multilabel:
        write_multilabel_predictions(out_dir / "test_predictions.csv", dm.test_ids, probs, meta["classes"], y)
    else:
        write_predictions(out_dir / "test_predictions.csv", dm.test_ids, probs, meta["classes"],
                          [dm.classes[int(v)] for v in y],
                          id_name="id" if meta["example_info"].get("kind") == "sequence" else "path",
                          threshold=threshold)
        plot_confusion(m, out_dir / "confusion_matrix.png", f"held-out test: accuracy {m['accuracy']:.3f}")
    plot_roc_pr(y, probs, meta["classes"], out_dir / "roc_pr.png", f"held-out test ({m['n']} examples)")
    logger.info(format_metrics(m, f"held-out test split ({m['n']} examples), best checkpoint"))
    return m


def _split_probabilities(model, meta: dict, dm, split: str) -> np.ndarray:
    """Probabilities ``(N, K)`` of one split (``"val"`` or ``"test"``) of a data module; sequences are tiled (and
    with ``data.rc_average`` both strands averaged) exactly as ``predict`` does."""
    multilabel = bool(meta["example_info"].get("multilabel"))
    if meta["example_info"].get("kind") == "sequence":
        from genotorch.predict.sequences import model_rc_average, predict_sequences

        seqs = dm.test_sequences if split == "test" else dm.val_sequences
        return predict_sequences(model, meta["example_info"]["shape"][1], seqs, rc_average=model_rc_average(meta),
                                 multilabel=multilabel)
    data = dm.test_set if split == "test" else dm.val_set
    return predict_array(model, data.inputs, 256, multilabel)


def choose_decision_threshold(checkpoints: Sequence[str | Path], dm) -> dict | None:
    """``trainer.decision_threshold: val_mcc``: the cut on the positive class's probability that maximises MCC
    on the validation split (:func:`genotorch.predict.metrics.mcc_threshold`), scored with the first of
    ``checkpoints`` (the best one) and written into the meta of every checkpoint given (``meta["decision"]``:
    threshold, positive class, the validation MCC at that cut and at argmax, and the split it was chosen on), so
    ``predict``, ``evaluate-sequences`` and the test report use it. Binary single-label models with a validation
    split only; returns the decision dict, or None when there is nothing to choose."""
    import torch

    from genotorch.io.files import atomic_output
    from genotorch.models.checkpoint import load_classifier, read_checkpoint
    from genotorch.predict.metrics import mcc_threshold

    model, meta = load_classifier(checkpoints[0])
    if len(meta["classes"]) != 2 or meta["example_info"].get("multilabel") or dm.val_set is None:
        logger.warning("trainer.decision_threshold val_mcc needs a binary single-label task with a validation "
                       "split; the model calls classes by argmax")
        return None
    from sklearn.metrics import matthews_corrcoef

    y = np.asarray(dm.val_set.labels).astype(int)
    p = _split_probabilities(model, meta, dm, "val")[:, 1]
    t, mcc = mcc_threshold(y, p)
    decision = {"threshold": t, "positive_class": meta["classes"][1], "chosen_on": "validation split",
                "n": int(len(y)), "val_mcc": mcc, "val_mcc_at_argmax": float(matthews_corrcoef(y, p >= 0.5))}
    for path in checkpoints:
        ckpt = read_checkpoint(path, "checkpoint")
        ckpt["hyper_parameters"]["meta"]["decision"] = decision
        with atomic_output(path, "checkpoint", quiet=True) as tmp:
            torch.save(ckpt, tmp)
    logger.info(f"decision threshold {t:.4f} on {meta['classes'][1]}'s probability (validation MCC {mcc:.4f}, "
                f"{decision['val_mcc_at_argmax']:.4f} at 0.5), stored in the checkpoints")
    return decision


def write_multilabel_predictions(path: Path, ids, probs: np.ndarray, targets, y: np.ndarray | None = None) -> None:
    """CSV ``id, p_<target>... (, true_<target>...)`` written atomically."""
    with atomic_output(path, "--output") as tmp, open(tmp, "w", newline="") as f:
        w = csv.writer(f, delimiter="\t" if Path(path).suffix == ".tsv" else ",")
        w.writerow(["id", *[f"p_{t}" for t in targets], *([f"true_{t}" for t in targets] if y is not None else [])])
        for i, r in enumerate(probs):
            w.writerow([ids[i], *[f"{v:.6f}" for v in r], *([str(int(v)) for v in y[i]] if y is not None else [])])
