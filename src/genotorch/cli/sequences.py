"""Sequence commands: peaks-to-hdf5 (Basset-style preprocessing of peak BED files into a multi-task one-hot HDF5),
evaluate-sequences, embed, and the sequence side of predict (FASTA/CSV -> TSV of probabilities)."""

from __future__ import annotations

from pathlib import Path
from typing import List, Optional

import typer

from genotorch.cli.common import chunk_progress, console, print_scores, user_errors
from genotorch.io.files import atomic_write_json


@user_errors
def peaks_to_hdf5_cmd(
    beds: List[str] = typer.Argument(..., help="Peak BED/narrowPeak files, one per target (cell type or assay); "
                                     "NAME=PATH names the target, else the file name without suffixes."),
    ref: Path = typer.Option(..., "--ref", help="Reference FASTA (indexed) the peaks lie on."),
    output: Path = typer.Option(..., "--output", "-o", help="HDF5 to write (Basset's train_in/train_out/... "
                                "names); the activity table goes beside it as <output>.activity.tsv."),
    length: int = typer.Option(600, help="Sequence length in bp around each peak's summit or midpoint (Basset: 600)."),
    valid: float = typer.Option(0.1, help="Fraction of merged peaks for validation (random split)."),
    test: float = typer.Option(0.1, help="Fraction of merged peaks for test (random split)."),
    valid_chroms: Optional[str] = typer.Option(None, help="Comma-separated chromosomes held out for validation "
                                               "(replaces the random split: nothing shared between splits)."),
    test_chroms: Optional[str] = typer.Option(None, help="Comma-separated chromosomes held out for test."),
    seed: int = typer.Option(0, help="Seed of the random split."),
):
    """Peaks -> fixed-length merged peaks -> 0/1 activity table (one column per target) -> one-hot HDF5 with
    train/valid/test splits and a leakage report; train on it with `data.train: [OUTPUT]` (multi-label)."""
    from genotorch.data.peaks import build_peak_dataset
    from genotorch.errors import GenotorchError

    named = {}
    for b in beds:
        name, _, path = b.rpartition("=") if "=" in b else ("", "", b)
        name = name or Path(path).name.split(".")[0]
        if name in named:
            raise GenotorchError(f"two BED files are named {name!r}: name them with NAME=PATH")
        named[name] = path
    split = lambda s: [c.strip() for c in s.split(",") if c.strip()] if s else []
    report = build_peak_dataset(named, ref, output, length, valid, test, seed, split(valid_chroms),
                                split(test_chroms), log=console.print)
    report_path = Path(str(output) + ".report.json")
    atomic_write_json(report_path, report, "--output")
    console.print(f"wrote {output}, {output}.activity.tsv and {report_path}")


def predict_sequences_to(net, meta, inputs: Path, output: Path, rc_average: bool | None,
                         require_labels: bool = False) -> None:
    """Probabilities of every sequence of ``inputs`` to ``output``; with labels, metrics and curves beside it.
    ``require_labels``: an input without a label column is an error (evaluation), raised before any prediction.
    ``rc_average`` None: the model's own ``data.rc_average``."""
    import numpy as np

    from genotorch.errors import GenotorchError
    from genotorch.predict.images import write_multilabel_predictions, write_predictions
    from genotorch.predict.sequences import model_rc_average, predict_sequences, read_inputs

    if rc_average is None:
        rc_average = model_rc_average(meta)

    ids, seqs, labels = read_inputs(inputs)
    if require_labels and labels is None:
        raise GenotorchError(f"{inputs} has no label column: evaluation needs the true labels (use predict)")
    classes = meta["classes"]
    multilabel = bool(meta["example_info"].get("multilabel"))
    with chunk_progress("predict", "windows") as update:
        probs = predict_sequences(net, meta["example_info"]["shape"][1], seqs, rc_average, multilabel=multilabel,
                                  progress=update)
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
    from genotorch.predict.metrics import decision_threshold

    threshold = decision_threshold(meta)
    write_predictions(output, ids, probs, classes, labels if known else None, delimiter="\t", id_name="id",
                      threshold=threshold)
    console.print(f"wrote {len(ids)} predictions to {output}")
    if known:
        m = print_scores(labels, probs, classes, f"{inputs} (true class from its label column)", threshold)
        _report(m, np.array([classes.index(t) for t in labels]), probs, classes, output)


def _task_labels(inputs: Path, targets: list[str]):
    """(N, T) 0/1/-1 labels of a table with task and label columns, for a multi-label model."""
    import numpy as np

    from genotorch.io.sequences import read_sequence_table
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

    atomic_write_json(str(output) + ".metrics.json", m, "--output")
    plot_roc_pr(y, probs, names, str(output) + ".roc_pr.png", Path(output).name)
    console.print(f"metrics: {output}.metrics.json, curves: {output}.roc_pr.png")


def _sequence_model(path: Path):
    """(model, meta) of a sequence-model checkpoint; GenotorchError for any other kind."""
    from genotorch.models.checkpoint import load_classifier

    return load_classifier(path, kind="sequence")


@user_errors
def evaluate_sequences_cmd(
    inputs: Path = typer.Argument(..., help="Labelled CSV/TSV: sequence,label (+ task for a multi-label model)."),
    model: Path = typer.Option(..., "--model", help="Checkpoint of a sequence model (`genotorch train`)."),
    out_dir: Path = typer.Option(..., "--output", "-o", help="Folder for predictions.tsv, predictions.tsv.metrics.json "
                                 "and predictions.tsv.roc_pr.png."),
    rc_average: Optional[bool] = typer.Option(None, "--rc-average/--no-rc-average", help="Average with the reverse complement's probabilities (default: as the model was trained to be used, its data.rc_average)."),
):
    """Score a sequence model on a labelled table: accuracy, F1, MCC, AUROC, AUPRC (per class, or per task for a
    multi-label model), ROC and precision-recall curves as PNG, and the per-sequence probabilities."""
    net, meta = _sequence_model(model)
    predict_sequences_to(net, meta, inputs, out_dir / "predictions.tsv", rc_average, require_labels=True)


@user_errors
def embed_cmd(
    inputs: Path = typer.Argument(..., help="FASTA, or CSV/TSV with a sequence column (and optional id)."),
    model: Path = typer.Option(..., "--model", help="Checkpoint of a sequence model (`genotorch train`, task: sequence)."),
    output: Path = typer.Option(..., "--output", "-o", help=".npy (ids in .ids.txt and settings in .json beside "
                                "it) or .h5/.hdf5 (datasets embeddings and ids)."),
    pooling: Optional[str] = typer.Option(None, help="k-mer BERT only: mean (default of the model) or cls."),
    rc_average: bool = typer.Option(False, "--rc-average/--no-rc-average", help="Average with the reverse complement's embedding."),
    batch_size: int = typer.Option(256, help="Windows per batch."),
):
    """One embedding row per sequence: a k-mer BERT's pooled last hidden states (mean over the tokens by
    default), or a CNN's penultimate layer. Sequences longer than the model's length are cut into tiled windows
    and their embeddings averaged."""
    import genotorch
    from genotorch.errors import GenotorchError
    from genotorch.predict.sequences import embed_sequences, read_inputs, write_embeddings

    if pooling not in (None, "mean", "cls"):
        raise GenotorchError(f"--pooling {pooling}: use mean or cls")
    net, meta = _sequence_model(model)
    ids, seqs, _ = read_inputs(inputs)
    with chunk_progress("embed", "windows") as update:
        emb = embed_sequences(net, meta["example_info"]["shape"][1], seqs, rc_average, pooling, batch_size, update)
    attrs = {"model": str(model), "model_name": meta["config"]["model"]["name"], "inputs": str(inputs),
             "pooling": pooling or getattr(net, "pooling", "penultimate layer"), "rc_average": rc_average,
             "genotorch_version": genotorch.__version__}
    written = write_embeddings(output, ids, emb, attrs)
    console.print(f"wrote {emb.shape[0]} x {emb.shape[1]} embeddings to {', '.join(map(str, written))}")


@user_errors
def score_variants_cmd(
    vcf: Path = typer.Option(..., "--vcf", help="Variants to score (VCF/BCF; multi-allelic records are scored per ALT)."),
    ref: Path = typer.Option(..., "--ref", help="Reference FASTA the VCF was made on, indexed."),
    model: Path = typer.Option(..., "--model", help="Checkpoint of a sequence model (`genotorch train`, task: sequence)."),
    output: Path = typer.Option(..., "--output", "-o", help="Output VCF (.vcf.gz, indexed): the input records with "
                                "REFP_/ALTP_/SAD_/LOG2R_<class> INFO fields."),
    tsv: Optional[Path] = typer.Option(None, "--tsv", help="Also a TSV, one row per ALT allele."),
    batch_size: int = typer.Option(512, help="Windows per batch."),
):
    """Variant effects (Basset's SAD): the model on a window centred on each variant, with the REF and with the ALT
    allele, both strands averaged; ALTP - REFP and log2(ALTP / REFP) per class. The left flank is fixed: an indel
    shifts only the sequence downstream of it. Records with a REF that differs from the FASTA, on a contig the FASTA
    lacks, or with a symbolic ALT get a FILTER (RefMismatch, NoContig, NotScored) and no score."""
    from genotorch.predict.variant_effects import score_variants

    net, meta = _sequence_model(model)
    with chunk_progress("score-variants", "windows") as update:
        c = score_variants(net, meta, vcf, ref, output, tsv, batch_size, update)
    console.print(f"scored {c['scored']} of {c['alleles']} ALT alleles in {c['records']} records to {output}"
                  + (f" and {tsv}" if tsv else "") + "".join(f"; {c[k]} {k}" for k in
                                                             ("RefMismatch", "NoContig", "NotScored") if c[k]),
                  highlight=False)


@user_errors
def attribute_cmd(
    inputs: Path = typer.Argument(..., help="FASTA, or CSV/TSV with a sequence column (and optional id)."),
    model: Path = typer.Option(..., "--model", help="Checkpoint of a one-hot sequence CNN (`genotorch train`)."),
    output: Path = typer.Option(..., "--output", "-o", help="Output .npz: attributions (N, 4, L) float32, one_hot "
                                "(N, 4, L), ids, and the settings."),
    method: str = typer.Option("ism", help="ism (in-silico saturation mutagenesis) or deep_lift_shap (tangermeme)."),
    target: Optional[str] = typer.Option(None, help="Class or target to explain (name or index; default: the last "
                                         "class, the positive one of a binary model)."),
    logos: Optional[Path] = typer.Option(None, "--logos", help="Folder for sequence-logo PNGs (logomaker)."),
    n_logos: int = typer.Option(10, help="How many sequences get a logo."),
    batch_size: int = typer.Option(64, help="Sequences per batch."),
    seed: int = typer.Option(0, help="Seed of the shuffled references (deep_lift_shap)."),
):
    """Per-base attributions of a sequence CNN (tangermeme's ISM or DeepLIFT/SHAP), projected on the observed bases;
    sequences longer than the model are cut to their centre."""
    import numpy as np

    import genotorch
    from genotorch.errors import GenotorchError
    from genotorch.io.files import atomic_output
    from genotorch.predict.attributions import attribute, draw_logos
    from genotorch.predict.sequences import read_inputs

    if not str(output).endswith(".npz"):
        raise GenotorchError(f"--output {output} must end in .npz")
    net, meta = _sequence_model(model)
    classes = [str(c) for c in meta["classes"]]
    k = len(classes) - 1 if target is None else classes.index(target) if target in classes else \
        int(target) if target.lstrip("-").isdigit() else -1
    if not 0 <= k < len(classes):
        raise GenotorchError(f"--target {target}: give one of {classes} or an index 0..{len(classes) - 1}")
    ids, seqs, _ = read_inputs(inputs)
    length = meta["example_info"]["shape"][1]
    attr, x = attribute(net, length, seqs, k, method, batch_size, seed)
    with atomic_output(output, "--output", ".npz") as tmp:
        np.savez_compressed(tmp, attributions=attr, one_hot=x, ids=np.array(ids), method=method,
                            target=classes[k], model=str(model), genotorch_version=genotorch.__version__)
    console.print(f"wrote {attr.shape[0]} x 4 x {attr.shape[2]} {method} attributions for {classes[k]!r} to {output}",
                  highlight=False)
    if logos:
        paths = draw_logos(attr, ids, logos, n_logos)
        console.print(f"wrote {len(paths)} sequence logos to {logos}", highlight=False)


@user_errors
def motifs_cmd(
    inputs: Path = typer.Argument(..., help="Sequences that activate the filters: FASTA, or CSV/TSV with a sequence "
                                  "column (e.g. the training or test set)."),
    model: Path = typer.Option(..., "--model", help="Checkpoint of a one-hot sequence CNN (`genotorch train`)."),
    output: Path = typer.Option(..., "--output", "-o", help="Folder for motifs.tsv, motifs.meme and logos/."),
    threshold: float = typer.Option(0.5, help="A site: activation above this fraction of the filter's maximum."),
    min_sites: int = typer.Option(10, help="Filters with fewer sites get no motif."),
    n_logos: int = typer.Option(10, help="Logos of this many motifs (highest information content first)."),
):
    """Motifs from a CNN's first-layer filters (Basset's method: PPMs from the windows that activate each filter),
    matched to JASPAR CORE vertebrates (pyjaspar, offline) by Tomtom (memelite); a TSV sorted by q-value, the PPMs
    in MEME format and sequence logos; ``motifs_by_jaspar.tsv`` lists each JASPAR motif matched (q <= 0.05) once,
    with the filters that match it."""
    from genotorch.errors import GenotorchError
    from genotorch.io.files import atomic_write_text
    from genotorch.predict.attributions import draw_logos
    from genotorch.predict.motifs import column_bits, consensus, filter_ppms, match_jaspar, matches_by_motif
    from genotorch.predict.sequences import read_inputs

    if not 0 < threshold < 1:
        raise GenotorchError(f"--threshold {threshold}: give a fraction between 0 and 1")
    net, meta = _sequence_model(model)
    ids, seqs, _ = read_inputs(inputs)
    rows = match_jaspar(filter_ppms(net, meta["example_info"]["shape"][1], seqs, threshold, min_sites))
    found = sorted([r for r in rows if "ppm" in r], key=lambda r: (r["q"], -r["ic"]))
    out = Path(output)
    out.mkdir(parents=True, exist_ok=True)
    lines = ["filter\tsites\tic_bits\tconsensus\tjaspar_id\tjaspar_name\tp\tq\ttop5"]
    lines += [f"{r['filter']}\t{r['sites']}\t{r['ic']:.2f}\t{consensus(r['ppm'])}\t{r['jaspar_id']}\t"
              f"{r['jaspar_name']}\t{r['p']:.3g}\t{r['q']:.3g}\t{','.join(r['top5'])}" for r in found]
    lines += [f"{r['filter']}\t{r['sites']}\t\t\t\t\t\t\t" for r in rows if "ppm" not in r]
    atomic_write_text(out / "motifs.tsv", "\n".join(lines) + "\n", "--output")
    by_motif = matches_by_motif(rows)
    atomic_write_text(out / "motifs_by_jaspar.tsv", "\n".join(
        ["jaspar_id\tjaspar_name\tq\tn_filters\tfilters\tconsensus"]
        + [f"{m['jaspar_id']}\t{m['jaspar_name']}\t{m['q']:.3g}\t{len(m['filters'])}\t"
           f"{','.join(map(str, m['filters']))}\t{m['consensus']}" for m in by_motif]) + "\n", "--output")
    meme = ["MEME version 4", "", "ALPHABET= ACGT", "", "strands: + -", ""]
    for r in found:
        meme += [f"MOTIF filter{r['filter']} {r['jaspar_name']}", "",
                 f"letter-probability matrix: alength= 4 w= {r['ppm'].shape[1]} nsites= {r['sites']}"]
        meme += [" ".join(f"{v:.4f}" for v in col) for col in r["ppm"].T] + [""]
    atomic_write_text(out / "motifs.meme", "\n".join(meme) + "\n", "--output")
    by_ic = sorted(found, key=lambda r: -r["ic"])[:n_logos]
    if by_ic:
        import numpy as np

        ppm_bits = np.stack([r["ppm"] * column_bits(r["ppm"]) for r in by_ic])
        draw_logos(ppm_bits, [f"filter{r['filter']} {r['jaspar_name']}" for r in by_ic], out / "logos", n_logos)
    console.print(f"{len(found)} of {len(rows)} filters gave a motif; best matches in {out / 'motifs.tsv'}",
                  highlight=False)
    for r in found[:5]:
        console.print(f"  filter {r['filter']}: {consensus(r['ppm'])}  {r['jaspar_name']} ({r['jaspar_id']}) "
                      f"q {r['q']:.2g}", highlight=False)
    console.print(f"{len(by_motif)} JASPAR motifs are some filter's best match at q <= 0.05 "
                  f"({out / 'motifs_by_jaspar.tsv'}): " + ", ".join(m["jaspar_name"] for m in by_motif[:15])
                  + (" ..." if len(by_motif) > 15 else ""), highlight=False)
