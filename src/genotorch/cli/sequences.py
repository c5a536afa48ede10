"""peaks-to-hdf5: Basset-style preprocessing of peak BED files into a multi-task one-hot HDF5."""

from __future__ import annotations

import json
from pathlib import Path
from typing import List, Optional

import typer

from genotorch.cli.common import console, user_errors


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
    report_path.write_text(json.dumps(report, indent=2) + "\n")
    console.print(f"wrote {output}, {output}.activity.tsv and {report_path}")
