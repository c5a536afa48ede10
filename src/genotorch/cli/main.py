"""``genotorch``: one entry point, a subcommand per stage."""

from __future__ import annotations

import typer

import genotorch
from genotorch.cli.images import audit_cmd, predict_cmd
from genotorch.cli.sequences import (
    attribute_cmd, embed_cmd, evaluate_sequences_cmd, motifs_cmd, peaks_to_hdf5_cmd, score_variants_cmd,
)
from genotorch.cli.render import igv_batch_cmd, negative_sites_cmd, render_cmd
from genotorch.cli.train import train_cmd
from genotorch.cli.variants import call_cmd, evaluate_cmd, make_examples_cmd, simulate_cmd

app = typer.Typer(
    name="genotorch",
    help="Deep learning on genomic data, straight from BAM/CRAM, FASTA, VCF and BED.",
    no_args_is_help=True,
    pretty_exceptions_enable=False,
    add_completion=False,
    context_settings={"help_option_names": ["-h", "--help"], "max_content_width": 120},
)
app.command("make-examples")(make_examples_cmd)
app.command("train")(train_cmd)
app.command("call")(call_cmd)
app.command("evaluate")(evaluate_cmd)
app.command("simulate-training-data")(simulate_cmd)
app.command("predict")(predict_cmd)
app.command("embed")(embed_cmd)
app.command("evaluate-sequences")(evaluate_sequences_cmd)
app.command("peaks-to-hdf5")(peaks_to_hdf5_cmd)
app.command("score-variants")(score_variants_cmd)
app.command("attribute")(attribute_cmd)
app.command("motifs")(motifs_cmd)
app.command("audit-images")(audit_cmd)
app.command("render")(render_cmd)
app.command("igv-batch")(igv_batch_cmd)
app.command("negative-sites")(negative_sites_cmd)


def _version(value: bool):
    if value:
        typer.echo(f"genotorch {genotorch.__version__}")
        raise typer.Exit()


@app.callback()
def _root(version: bool = typer.Option(False, "--version", callback=_version, is_eager=True, help="Print the version.")):
    pass


GC_THRESHOLD = 100_000  # allocations between young-generation collections (Python's default: 700)


def main(argv: list[str] | None = None) -> None:
    """Entry point of the ``genotorch`` command: arguments normalised (:mod:`genotorch.cli.conventions`), then
    dispatched to the command."""
    import gc
    import sys

    from genotorch.cli.common import err_console
    from genotorch.cli.conventions import normalize_argv

    # The command's own objects are freed by reference counting; Python's default collector thresholds (700
    # allocations) would walk every live object (torch's among them) thousands of times over a run.
    gc.set_threshold(GC_THRESHOLD, 50, 100)

    args, notes = normalize_argv(sys.argv[1:] if argv is None else argv, typer.main.get_command(app))
    for note in notes:
        err_console.print(note, highlight=False, soft_wrap=True)
    app(args=args, prog_name="genotorch")


if __name__ == "__main__":
    main()
