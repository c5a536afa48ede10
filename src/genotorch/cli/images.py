"""predict (images: a folder -> CSV; sequences are handed to :mod:`genotorch.cli.sequences`; metrics when the
truth is known) and audit-images."""

from __future__ import annotations

from pathlib import Path
from typing import Optional

import typer

from genotorch.cli.common import console, print_scores, user_errors
from genotorch.io.files import atomic_write_json


@user_errors
def predict_cmd(
    inputs: Path = typer.Argument(..., help="Image model: an image or a folder of images (loose or in class "
                                  "sub-folders). Sequence model: FASTA, or CSV/TSV with a sequence column."),
    model: Optional[Path] = typer.Option(None, "--model", help="Checkpoint of an image or sequence classifier "
                                         "(`genotorch train`). Default for images: the shipped overlap-chart "
                                         "classifier (chimeric / non_chimeric; its card: "
                                         "src/genotorch/models/default/MODEL_CARD_charts.md)."),
    output: Path = typer.Option(..., "--output", "-o", help="Images: CSV path, predicted, p_<class>... (, true). "
                                "Sequences: TSV id, predicted, p_<class>... (, true)."),
    batch_size: int = typer.Option(64, help="Images or windows per batch."),
    rc_average: Optional[bool] = typer.Option(None, "--rc-average/--no-rc-average", help="Sequences: average with the reverse complement's probabilities (default: as the model was trained to be used, its data.rc_average)."),
):
    """Class probabilities for every image, decoded as in training (size, grey/RGB, top-left crop).

    When the images sit in sub-folders named after the model's classes (or the folders its config merged into
    them), a `true` column is added and accuracy, MCC, per-class precision/recall and the confusion matrix are
    printed and saved beside the CSV (.metrics.json, .confusion.png). Without --model, images are classified by
    the shipped overlap-chart classifier (it reads the chart's curve back, so any depth, read length or line style
    of a pile-o-gram drawn as one dark line on white will do)."""
    from genotorch.io.images import IMAGE_SUFFIXES, scan_loose
    from genotorch.errors import GenotorchError
    from genotorch.models.checkpoint import load_classifier
    from genotorch.predict.images import plot_confusion, predict_paths, write_predictions

    if model is None:
        from genotorch.models.default.shipped import default_model_path

        if inputs.is_file() and inputs.suffix.lower() not in IMAGE_SUFFIXES:
            raise GenotorchError(f"{inputs} is not an image: genotorch ships no sequence model, so give --model "
                                 "(a checkpoint from `genotorch train`)")
        model = default_model_path("chart_classifier.pt")
        console.print(f"model: the shipped overlap-chart classifier ({model.name})")
    net, meta = load_classifier(model)
    if meta["example_info"].get("kind") == "sequence":
        from genotorch.cli.sequences import predict_sequences_to

        return predict_sequences_to(net, meta, inputs, output, rc_average)
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
    from genotorch.predict.metrics import decision_threshold

    threshold = decision_threshold(meta)
    write_predictions(output, paths, probs, classes, true if known else None, threshold=threshold)
    console.print(f"wrote {len(paths)} predictions to {output}")
    if known:
        m = print_scores(true, probs, classes, f"{inputs} (true class from the sub-folder names)", threshold)
        atomic_write_json(str(output) + ".metrics.json", m, "--output")
        plot_confusion(m, str(output) + ".confusion.png")


@user_errors
def audit_cmd(
    root: Path = typer.Argument(..., help="Folder of class sub-folders."),
    json_out: Optional[Path] = typer.Option(None, "--json", help="Write the full report (every path) as JSON."),
    config: Optional[Path] = typer.Option(None, "--config", help="A training config (task: image): decode and group "
                                          "the images exactly as training on it does (size, grey/RGB, crop, "
                                          "near-duplicate bits), so the counts match its report."),
    near_duplicate_bits: int = typer.Option(0, help="Difference-hash bits within which two images are near-identical "
                                            "(without --config)."),
):
    """Data hygiene before training: images per class, blank images, byte-identical and near-identical images
    filed under two classes. Without --config, images are decoded grey at 64 x 96."""
    from genotorch.config import load_train_config
    from genotorch.data.images import audit, format_audit, prepare
    from genotorch.errors import GenotorchError
    from genotorch.io.images import scan_folder

    size, grey, crop, bits, class_map = (64, 96), True, None, near_duplicate_bits, None
    if config:
        cfg = load_train_config(config)
        if cfg.task != "image":
            raise GenotorchError(f"--config {config} is a {cfg.task} config: give an image one (task: image)")
        d = cfg.data
        size, grey, crop, bits = tuple(d.image_size), d.grayscale, tuple(d.crop) or None, d.near_duplicate_bits
        class_map = {k: [str(x) for x in (v if isinstance(v, (list, tuple)) else [v])]
                     for k, v in d.classes.items()} or None
    prep = prepare(scan_folder(root, class_map), size, grey, crop, bits)
    rep = audit(prep)
    console.print(format_audit(rep), highlight=False)
    if json_out:
        atomic_write_json(json_out, rep, "--json")
