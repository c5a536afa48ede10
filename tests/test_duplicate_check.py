"""Unflagged duplicates in the reads (io/alignments.check_duplicates) and call's warning about them, on the real
HG002 HiSeq X slice (no duplicate flags), the same reads duplicate-marked, and the HG001 second library (marked by
Picard)."""

from pathlib import Path

import pysam
from typer.testing import CliRunner

from genotorch.cli.main import app
from genotorch.io.alignments import DuplicateCheck, check_duplicates
from genotorch.io.intervals import Interval
from genotorch.variants.call import warn_unflagged_duplicates

ROOT = Path(__file__).resolve().parents[1]


def _marked(bam: Path, out: Path) -> Path:
    """samtools collate | fixmate -m | sort | markdup of ``bam``, through pysam's samtools."""
    collated, fixed, ordered = (out.with_suffix(f".{k}.bam") for k in ("collate", "fixmate", "sort"))
    pysam.collate("-o", str(collated), str(bam), catch_stdout=False)
    pysam.fixmate("-m", str(collated), str(fixed), catch_stdout=False)
    pysam.sort("-o", str(ordered), str(fixed), catch_stdout=False)
    pysam.markdup(str(ordered), str(out), catch_stdout=False)
    pysam.index(str(out))
    return out


def test_unflagged_duplicates_counted_on_real_reads(shared, tmp_path):
    h = shared / "variants/hg002_illumina_hiseqx_grch37"
    sub = tmp_path / "slice.bam"  # the reads of 20:36,030,001-36,034,000
    pysam.view("-b", "-o", str(sub), str(h / "NA24385_chr_20_36018823_36039513.bam"), "20:36030001-36034000",
               catch_stdout=False)
    pysam.index(str(sub))
    with pysam.AlignmentFile(str(sub)) as bam:
        raw = check_duplicates(bam, "20", 36030000, 36034000)
    assert raw == DuplicateCheck(1447, 0, 249)  # 17% copies, none flagged
    with pysam.AlignmentFile(str(_marked(sub, tmp_path / "marked.bam"))) as bam:
        marked = check_duplicates(bam, "20", 36030000, 36034000)
    assert marked == DuplicateCheck(1447, 293, 4)  # samtools markdup: 0.3% left (mates outside the slice)
    trio = shared / "variants/hg001_trio_illumina_grch37/HG001.chr20.10_10p1mb_sorted.bam"
    with pysam.AlignmentFile(str(trio)) as bam:  # Picard MarkDuplicates in its header
        assert check_duplicates(bam, "20", 10000000, 10100000) == DuplicateCheck(1812, 240, 0)


def test_warning_thresholds():
    iv = Interval("20", 36030000, 36034000)
    assert warn_unflagged_duplicates(DuplicateCheck(1447, 0, 249), "x.bam", iv)
    assert not warn_unflagged_duplicates(DuplicateCheck(1447, 0, 72), "x.bam", iv)  # 4.98%
    assert not warn_unflagged_duplicates(DuplicateCheck(900, 0, 300), "x.bam", iv)  # too few reads to tell


def test_call_warns_and_still_calls(shared, tmp_path, caplog):
    h = shared / "variants/hg002_illumina_hiseqx_grch37"
    args = ["call", "--ref", str(h / "GRCh37_chr20_vardict_slices.fa.gz"), "--regions", "20:36030001-36034000",
            "--model", str(ROOT / "benchmarks/models/loro_r36.01.pt")]
    r = CliRunner().invoke(app, [*args, "--reads", str(h / "NA24385_chr_20_36018823_36039513.bam"), "-o",
                                 str(tmp_path / "raw.vcf.gz")])
    assert r.exit_code == 0, r.output
    warned = [m for m in caplog.messages if "not flagged as duplicates" in m]
    assert len(warned) == 1 and "249 of 1,447 paired reads" in warned[0] and "in 20:36030001-36034000 repeat" in warned[0]
    assert "mark duplicates first (samtools markdup, Picard MarkDuplicates)" in warned[0]
    assert (tmp_path / "raw.vcf.gz").exists()
