"""predict (images: a folder -> CSV; sequences: FASTA/CSV -> TSV of class probabilities, + metrics when the truth
is known), embed (sequences -> one embedding row each) and audit-images."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Optional

import typer

from genotorch.cli.common import console, user_errors


@user_errors
def predict_cmd(
    inputs: Path = typer.Argument(..., help="Image model: an image or a folder of images (loose or in class "
                                  "sub-folders). Sequence model: FASTA, or CSV/TSV with a sequence column."),
    model: Path = typer.Option(..., "--model", help="Checkpoint of an image or sequence classifier (`genotorch train`)."),
    output: Path = typer.Option(..., "--output", "-o", help="Images: CSV path, predicted, p_<class>... (, true). "
                                "Sequences: TSV id, predicted, p_<class>... (, true)."),
    batch_size: int = typer.Option(64, help="Images or windows per batch."),
    rc_average: bool = typer.Option(False, "--rc-average", help="Sequences: average with the reverse complement."),
):
    """Class probabilities for every image, decoded as in training (size, grey/RGB, top-left crop).

    When the images sit in sub-folders named after the model's classes (or the folders its config merged into
    them), a `true` column is added and accuracy, MCC, per-class precision/recall and the confusion matrix are
    printed and saved beside the CSV (.metrics.json, .confusion.png)."""
    from genotorch.data.images import scan_loose
    from genotorch.errors import GenotorchError
    from genotorch.models.checkpoint import load_classifier
    from genotorch.predict.images import plot_confusion, predict_paths, write_predictions

    net, meta = load_classifier(model)
    if meta["example_info"].get("kind") == "sequence":
        return _predict_sequences(net, meta, inputs, output, rc_average)
    if meta["example_info"].get("kind") != "image":
        raise GenotorchError(f"{model} is a {meta['example_info'].get('kind', 'pileup')} model, not an image "
                             "classifier: check --model")
    paths = scan_loose(inputs)
    classes = meta["classes"]
    folder_map = {c: c for c in classes}
    for cls, subs in (meta["config"]["data"].get("classes") or {}).items():
        for s in subs if isinstance(subs, list) else [subs]:
            folder_map[str(s)] = cls
    true = [folder_map.get(Path(p).parent.name) for p in paths]
    probs = predict_paths(net, meta, paths, batch_size)
    known = all(t is not None for t in true)
    write_predictions(output, paths, probs, classes, true if known else None)
    console.print(f"wrote {len(paths)} predictions to {output}")
    if known:
        m = _score(true, probs, classes, f"{inputs} (true class from the sub-folder names)")
        Path(str(output) + ".metrics.json").write_text(json.dumps(m, indent=2) + "\n")
        plot_confusion(m, str(output) + ".confusion.png")


def _score(true: list[str], probs, classes: list[str], title: str) -> dict:
    """Metrics of predictions whose true class names are known; printed and returned."""
    import numpy as np

    from genotorch.predict.images import classification_metrics, format_metrics

    m = classification_metrics(np.array([classes.index(t) for t in true]), probs, classes)
    console.print(format_metrics(m, title), highlight=False)
    return m


def _predict_sequences(net, meta, inputs: Path, output: Path, rc_average: bool) -> None:
    import numpy as np

    from genotorch.errors import GenotorchError
    from genotorch.predict.images import write_multilabel_predictions, write_predictions
    from genotorch.predict.sequences import predict_sequences, read_inputs

    ids, seqs, labels = read_inputs(inputs)
    classes = meta["classes"]
    multilabel = bool(meta["example_info"].get("multilabel"))
    probs = predict_sequences(net, meta["example_info"]["shape"][1], seqs, rc_average, multilabel=multilabel)
    if multilabel:
        y = _task_labels(inputs, classes) if labels is not None else None
        write_multilabel_predictions(output, ids, probs, classes, y)
        console.print(f"wrote {len(ids)} rows of {len(classes)} target probabilities to {output}")
        if y is not None:
            _report(_score_multilabel(y, probs, classes, inputs), y, probs, classes, output)
        return
    known = labels is not None and all(lab in classes for lab in labels)
    if labels is not None and not known:
        bad = next(lab for lab in labels if lab not in classes)
        raise GenotorchError(f"{inputs}: label {bad!r} is not one of the model's classes {classes}")
    write_predictions(output, ids, probs, classes, labels if known else None, delimiter="\t", id_name="id")
    console.print(f"wrote {len(ids)} predictions to {output}")
    if known:
        m = _score(labels, probs, classes, f"{inputs} (true class from its label column)")
        _report(m, np.array([classes.index(t) for t in labels]), probs, classes, output)


def _task_labels(inputs: Path, targets: list[str]):
    """(N, T) 0/1/-1 labels of a table with task and label columns, for a multi-label model."""
    import numpy as np

    from genotorch.data.sequences import read_sequence_table
    from genotorch.errors import GenotorchError

    t = read_sequence_table(inputs)
    if t.tasks is None:
        raise GenotorchError(f"{inputs}: a multi-label model's labels need a task column naming one of {targets}")
    y = np.full((len(t.sequences), len(targets)), -1.0, dtype=np.float32)
    for i, (task, lab) in enumerate(zip(t.tasks, t.labels)):
        if task not in targets or lab not in ("0", "1"):
            raise GenotorchError(f"{inputs} row {i + 1}: task {task!r} label {lab!r}: tasks must be among {targets} "
                                 "and labels 0 or 1")
        y[i, targets.index(task)] = float(lab)
    return y


def _score_multilabel(y, probs, targets, inputs) -> dict:
    from genotorch.predict.metrics import format_multilabel, multilabel_metrics

    m = multilabel_metrics(y, probs, targets)
    console.print(format_multilabel(m, f"{inputs} (labels from its task and label columns)"), highlight=False)
    return m


def _report(m: dict, y, probs, names, output: Path) -> None:
    """Metrics JSON and ROC/PR curves beside the predictions."""
    from genotorch.predict.metrics import plot_roc_pr

    Path(str(output) + ".metrics.json").write_text(json.dumps(m, indent=2) + "\n")
    plot_roc_pr(y, probs, names, str(output) + ".roc_pr.png", Path(output).name)
    console.print(f"metrics: {output}.metrics.json, curves: {output}.roc_pr.png")


@user_errors
def evaluate_sequences_cmd(
    inputs: Path = typer.Argument(..., help="Labelled CSV/TSV: sequence,label (+ task for a multi-label model)."),
    model: Path = typer.Option(..., "--model", help="Checkpoint of a sequence model (`genotorch train`)."),
    out_dir: Path = typer.Option(..., "--out-dir", "-o", help="Folder for predictions.tsv, predictions.tsv.metrics.json "
                                 "and predictions.tsv.roc_pr.png."),
    rc_average: bool = typer.Option(False, "--rc-average", help="Average with the reverse complement's probabilities."),
):
    """Score a sequence model on a labelled table: accuracy, F1, MCC, AUROC, AUPRC (per class, or per task for a
    multi-label model), ROC and precision-recall curves as PNG, and the per-sequence probabilities."""
    from genotorch.errors import GenotorchError
    from genotorch.models.checkpoint import load_classifier
    from genotorch.predict.sequences import read_inputs

    net, meta = load_classifier(model)
    if meta["example_info"].get("kind") != "sequence":
        raise GenotorchError(f"{model} is a {meta['example_info'].get('kind', 'pileup')} model, not a sequence model: "
                             "check --model")
    if read_inputs(inputs)[2] is None:
        raise GenotorchError(f"{inputs} has no label column: evaluation needs the true labels (use predict)")
    out_dir.mkdir(parents=True, exist_ok=True)
    _predict_sequences(net, meta, inputs, out_dir / "predictions.tsv", rc_average)


@user_errors
def embed_cmd(
    inputs: Path = typer.Argument(..., help="FASTA, or CSV/TSV with a sequence column (and optional id)."),
    model: Path = typer.Option(..., "--model", help="Checkpoint of a sequence model (`genotorch train`, task: sequence)."),
    output: Path = typer.Option(..., "--output", "-o", help=".npy (ids in .ids.txt and settings in .json beside "
                                "it) or .h5/.hdf5 (datasets embeddings and ids)."),
    pooling: Optional[str] = typer.Option(None, help="k-mer BERT only: mean (default of the model) or cls."),
    rc_average: bool = typer.Option(False, "--rc-average", help="Average with the reverse complement's embedding."),
    batch_size: int = typer.Option(256, help="Windows per batch."),
):
    """One embedding row per sequence: a k-mer BERT's pooled last hidden states (mean over the tokens by
    default), or a CNN's penultimate layer. Sequences longer than the model's length are cut into tiled windows
    and their embeddings averaged."""
    import genotorch
    from genotorch.errors import GenotorchError
    from genotorch.models.checkpoint import load_classifier
    from genotorch.predict.sequences import embed_sequences, read_inputs, write_embeddings

    if pooling not in (None, "mean", "cls"):
        raise GenotorchError(f"--pooling {pooling}: use mean or cls")
    net, meta = load_classifier(model)
    if meta["example_info"].get("kind") != "sequence":
        raise GenotorchError(f"{model} is a {meta['example_info'].get('kind', 'pileup')} model; embed needs a "
                             "sequence model: check --model")
    ids, seqs, _ = read_inputs(inputs)
    emb = embed_sequences(net, meta["example_info"]["shape"][1], seqs, rc_average, pooling, batch_size)
    attrs = {"model": str(model), "model_name": meta["config"]["model"]["name"], "inputs": str(inputs),
             "pooling": pooling or getattr(net, "pooling", "penultimate layer"), "rc_average": rc_average,
             "genotorch_version": genotorch.__version__}
    written = write_embeddings(output, ids, emb, attrs)
    console.print(f"wrote {emb.shape[0]} x {emb.shape[1]} embeddings to {', '.join(map(str, written))}")


@user_errors
def audit_cmd(
    root: Path = typer.Argument(..., help="Folder of class sub-folders."),
    json_out: Optional[Path] = typer.Option(None, "--json", help="Write the full report (every path) as JSON."),
    near_duplicate_bits: int = typer.Option(0, help="Difference-hash bits within which two images are near-identical."),
):
    """Data hygiene before training: images per class, blank images, byte-identical and near-identical images
    filed under two classes."""
    from genotorch.data.images import audit, format_audit, prepare, scan_folder

    items = scan_folder(root)
    prep = prepare(items, (64, 96), True, None, near_duplicate_bits)
    rep = audit(prep)
    console.print(format_audit(rep), highlight=False)
    if json_out:
        json_out.write_text(json.dumps(rep, indent=2) + "\n")
