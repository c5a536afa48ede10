"""genotorch call vs bcftools on two library properties the shipped model was not trained for, side by side.

1. **Duplicate-marked reads.** The HG002 HiSeq X BAMs in ../shared carry no duplicate flags (about 20% of their
   reads are PCR or optical duplicates), and the shipped model's real training reads are those BAMs. Pipelines
   mark duplicates (Picard MarkDuplicates, ``samtools markdup``) and both callers skip flagged reads, so here each
   region is marked (``samtools collate | fixmate -m | sort | markdup``) and called as in
   ``call_vs_bcftools.py``: leave-one-region-out models, full depth and 30% (seed 8). Fewer reads remain, so the
   figures mix the effect of marking with that of depth.
2. **PCR stutter.** 1 Mb of simulated 30x 150-bp reads (HG001 haplotypes over chr20:10,095,001-11,095,000, the
   benchmark's own slice; seed 123) with ``simulate-training-data --stutter-rate`` 0, 0.015 and 0.03 (per read and
   repeat tract, probability rate x (length - 5) of one unit more or less: a PCR-amplified library's repeats),
   called by the shipped model. The model's simulated training reads had no stutter.
3. **Binned base qualities (NovaSeq 6000 style).** NovaSeq writes four quality levels (2, 11, 25, 37; FASTQ ``#``,
   ``,``, ``:``, ``F``); the test reads here have 8 HiSeq X levels (HG002), 9 levels up to 30 (the HG001 second
   library) or 38 (NA12878). Every base quality of the seven Illumina test BAMs is binned (below 3 -> 2, 3-14 -> 11,
   15-29 -> 25, 30 and up -> 37; nothing else changes) and all 12 rows of ``call_vs_bcftools.py`` are called as
   there (shipped model for HG001, leave-one-region-out for HG002).

Nothing here chose a model or a setting. One run of each caller per set (accuracy only; speed is in ``speed.py``).

    python benchmarks/library_robustness.py [--cache runs/robustness] [--parts markdup,stutter,binned]
"""

from __future__ import annotations

import argparse
import subprocess
import sys
import tempfile
from array import array
from pathlib import Path

import pysam

sys.path.insert(0, str(Path(__file__).resolve().parent))
import call_vs_bcftools as cb  # noqa: E402
from speed import simulated_bam  # noqa: E402

STUTTER_RATES = (0.0, 0.015, 0.03)
NOVASEQ_BINS = ((3, 2), (15, 11), (30, 25), (256, 37))  # (upper bound, exclusive; level) of each quality bin


def novaseq_quality_table() -> bytes:
    """The 256-entry table (index: base quality, Phred; value: its NovaSeq 6000 level) of ``NOVASEQ_BINS``."""
    return bytes(next(level for upper, level in NOVASEQ_BINS if q < upper) for q in range(256))


def bin_qualities(bam: Path, out: Path) -> Path:
    """A copy of ``bam`` with every base quality binned by :func:`novaseq_quality_table`, indexed, at ``out``; kept
    if present. Reads without qualities are copied as they are."""
    if not out.exists():
        out.parent.mkdir(parents=True, exist_ok=True)
        table = novaseq_quality_table()
        partial = out.with_suffix(".partial.bam")
        with pysam.AlignmentFile(str(bam)) as src, pysam.AlignmentFile(str(partial), "wb", template=src) as dst:
            for read in src:
                quals = read.query_qualities
                if quals is not None:
                    read.query_qualities = array("B", bytes(quals).translate(table))
                dst.write(read)
        partial.rename(out)
        pysam.index(str(out))
    return out


def mark_duplicates(bam: Path, out: Path) -> Path:
    """``samtools markdup`` of ``bam`` (after collate + fixmate -m + sort), indexed, at ``out``; kept if present."""
    if not out.exists():
        out.parent.mkdir(parents=True, exist_ok=True)
        with tempfile.TemporaryDirectory() as tmp:
            fixed = Path(tmp) / "fixmate.bam"
            subprocess.run(f"samtools collate -O -u {bam} {tmp}/collate | samtools fixmate -m -u - - | "
                           f"samtools sort -u -o {fixed} -", shell=True, check=True, stderr=subprocess.DEVNULL)
            subprocess.run(["samtools", "markdup", "-s", str(fixed), str(out)], check=True,
                           stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        subprocess.run(["samtools", "index", str(out)], check=True)
    return out


def run_rows(rows: list[dict], transform, label: str, title: str) -> None:
    """Call ``rows`` (``call_vs_bcftools`` data sets) on ``transform(reads BAM)`` with both callers, one run each,
    printing each row (its name followed by ``label``) and the pooled figures under ``title``."""
    results = []
    with tempfile.TemporaryDirectory() as tmp:
        for d in rows:
            d = {**d, "reads": transform(Path(d["reads"])), "name": f"{d['name']}, {label}"}
            r = cb.run_set(d, 1, Path(tmp))
            cb.print_row(r)
            results.append(r)
    cb.print_pooled(results, title)


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--shared", type=Path, default=cb.ROOT.parent / "shared")
    ap.add_argument("--cache", type=Path, default=cb.ROOT / "runs" / "robustness")
    ap.add_argument("--parts", default="markdup,stutter,binned", help="comma-separated: markdup, stutter, binned")
    args = ap.parse_args(argv)
    parts = set(args.parts.split(","))
    if "markdup" in parts:
        rows = [d for d in cb.datasets(args.shared, None) if d["group"] == "hg002"]
        run_rows(rows, lambda bam: mark_duplicates(bam, args.cache / "markdup" / bam.name), "duplicates marked",
                 "Pooled over the 10 HG002 rows, duplicates marked (leave-one-region-out)")
    if "stutter" in parts:
        ref = args.shared / "data/variants/hg001_illumina_grch37/ucsc.hg19.chr20.unittest.fasta.gz"
        with tempfile.TemporaryDirectory() as tmp:
            for rate in STUTTER_RATES:
                sim = simulated_bam(args.cache, args.shared, seed=123, stutter_rate=rate).parent
                d = dict(name=f"simulated 1 Mb 30x, PCR stutter rate {rate}", ref=ref, reads=sim / "reads.bam",
                         truth=sim / "truth.vcf.gz", bed=sim / "confident.bed", model=None, test=False,
                         protocol="shipped model (its simulated training reads had no stutter)")
                cb.print_row(cb.run_set(d, 1, Path(tmp)))
    if "binned" in parts:
        rows = [d for d in cb.datasets(args.shared, None) if d["test"]]
        run_rows(rows, lambda bam: bin_qualities(bam, args.cache / "binned" / bam.name), "NovaSeq-binned BQ",
                 "Pooled over the 12 Illumina test rows, NovaSeq-binned base qualities")
    return 0


if __name__ == "__main__":
    sys.exit(main())
