"""One set of command-line conventions: -h, -o/--output, --regions (one parser, samtools semantics), boolean flags
that take a value, old spellings with a deprecation note."""

import pytest
import typer
from typer.testing import CliRunner

from genotorch.cli.conventions import normalize_argv
from genotorch.cli.main import app
from genotorch.io.intervals import Interval, parse_regions, split_region_specs

runner = CliRunner()
GROUP = typer.main.get_command(app)
COMMANDS = sorted(GROUP.commands)


def invoke(*args):
    argv, notes = normalize_argv([str(a) for a in args], GROUP)
    return runner.invoke(app, argv, env={"COLUMNS": "300"}), notes


@pytest.mark.parametrize("command", COMMANDS)
def test_every_command_takes_dash_h_and_names_its_output_dash_o(command):
    res, _ = invoke(command, "-h")
    assert res.exit_code == 0 and "Usage: " in res.output
    if command not in ("evaluate", "audit-images"):  # these print their result (evaluate: --json for a file)
        assert "--output" in res.output and "-o" in res.output


def test_old_spellings_still_work_with_a_note():
    argv, notes = normalize_argv(["render", "--out-dir", "pics", "--region", "chr1:5", "-o2"], GROUP)
    assert argv == ["render", "--output", "pics", "--regions", "chr1:5", "-o2"]
    assert notes == ["note: render --out-dir is deprecated (removed in 0.3): use --output",
                     "note: render --region is deprecated (removed in 0.3): use --regions"]
    argv, _ = normalize_argv(["simulate-training-data", "-t", "4", "--out-dir=sim"], GROUP)
    assert argv == ["simulate-training-data", "-j", "4", "--output=sim"]


def test_boolean_flags_take_the_values_the_help_shows():
    assert normalize_argv(["predict", "x.fa", "--rc-average", "true"], GROUP)[0] == ["predict", "x.fa",
                                                                                    "--rc-average"]
    assert normalize_argv(["predict", "x.fa", "--rc-average=no"], GROUP)[0] == ["predict", "x.fa",
                                                                               "--no-rc-average"]
    assert normalize_argv(["make-examples", "--realign", "0"], GROUP)[0] == ["make-examples", "--no-realign"]
    assert normalize_argv(["make-examples", "--no-realign", "false"], GROUP)[0] == ["make-examples", "--realign"]


LENGTHS = {"chr20": 63_025_520, "chr21": 48_129_895}


def test_regions_one_parser_samtools_semantics():
    assert split_region_specs(["chr20:10,000,001-10,100,000,chr21:5-10 chr21:20-30", "chr20:1-2"]) == [
        "chr20:10,000,001-10,100,000", "chr21:5-10", "chr21:20-30", "chr20:1-2"]
    # chr:pos runs to the contig's end, as in samtools; a site (render) is that one base
    assert parse_regions(["chr20:10,000,001"], LENGTHS) == [Interval("chr20", 10_000_000, 63_025_520)]
    assert parse_regions(["chr20:10,000,001"], LENGTHS, single_base=True) == [Interval("chr20", 10_000_000,
                                                                                        10_000_001)]
    assert parse_regions(["chr20:1-10,chr20:5-20"], LENGTHS) == [Interval("chr20", 0, 20)]  # merged
