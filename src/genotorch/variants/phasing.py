"""Phasing long reads for haplotype-sorted pileups, inside ``call``: first-pass calls -> ``whatshap phase`` ->
``whatshap haplotag`` -> HP-tagged reads for the second pass (DeepVariant does the same for PacBio and ONT with its
own phaser; WhatsHap is Martin et al. 2016, bioRxiv 085050, and Patterson et al. 2015, J Comput Biol 22:498).

Both WhatsHap steps read the reference through pyfaidx, which is slow on a bgzipped FASTA: the contigs the regions
touch are first written uncompressed into the work folder (whole contigs, so coordinates stay).
"""

from __future__ import annotations

import logging
import shutil
import subprocess
import sys
from pathlib import Path
from typing import Sequence

import pysam

from genotorch.errors import GenotorchError
from genotorch.io.intervals import Interval, contig_alias

logger = logging.getLogger(__name__)


def whatshap_executable() -> str:
    """The ``whatshap`` command: beside this Python (a venv) or on PATH.

    Raises
    ------
    GenotorchError
        WhatsHap not installed.
    """
    here = Path(sys.executable).parent / "whatshap"
    found = str(here) if here.exists() else shutil.which("whatshap")
    if not found:
        raise GenotorchError("whatshap not found (it phases long reads that have no HP tags): `pip install whatshap`, "
                             "or give --no-phase")
    return found


def _run(cmd: list[str], step: str) -> None:
    p = subprocess.run(cmd, capture_output=True, text=True, errors="replace")
    if p.returncode != 0:
        tail = " | ".join(p.stderr.strip().splitlines()[-3:])
        raise GenotorchError(f"whatshap {step} failed: {tail}")


def phase_reads(reference: str, reads: str, calls_vcf: str | Path, work: Path, regions: Sequence[Interval],
                threads: int = 1) -> tuple[Path | None, int]:
    """Phase the het calls of ``calls_vcf`` with ``reads`` and tag the reads: returns (the HP-tagged, indexed BAM
    in ``work``, or None when no het could be phased; the number of phased hets).

    Raises
    ------
    GenotorchError
        WhatsHap missing or failing (its last stderr lines quoted).
    """
    exe = whatshap_executable()
    ref_plain = work / "reference.fa"
    with pysam.FastaFile(reference) as fa, open(ref_plain, "w") as out:
        for contig in dict.fromkeys(iv.contig for iv in regions):
            name = contig_alias(contig, fa.references) or contig
            seq = fa.fetch(name)
            out.write(f">{name}\n")
            for i in range(0, len(seq), 80):
                out.write(seq[i:i + 80] + "\n")
    pysam.faidx(str(ref_plain))
    phased = work / "phased.vcf.gz"
    _run([exe, "phase", "--ignore-read-groups", "-o", str(phased), "--reference", str(ref_plain), str(calls_vcf),
          reads], "phase")
    pysam.tabix_index(str(phased), preset="vcf", force=True)
    n = 0
    with pysam.VariantFile(str(phased)) as vf:
        for rec in vf:
            n += any(s.phased and len(s["GT"]) == 2 and s["GT"][0] != s["GT"][1] for s in rec.samples.values())
    logger.info(f"phasing: {n} het calls phased by whatshap")
    if n == 0:
        return None, 0
    tagged = work / "haplotagged.bam"
    cmd = [exe, "haplotag", "--ignore-read-groups", "-o", str(tagged), "--reference", str(ref_plain)]
    spans: dict[str, list[int]] = {}  # one span per contig: several overlapping ones would repeat long reads
    for iv in regions:
        lo, hi = spans.setdefault(iv.contig, [iv.start, iv.end])
        spans[iv.contig] = [min(lo, iv.start), max(hi, iv.end)]
    for contig, (lo, hi) in spans.items():
        cmd += ["--regions", f"{contig}:{lo + 1}-{hi}"]
    _run(cmd + [str(phased), reads], "haplotag")
    pysam.sort("-o", str(work / "sorted.bam"), str(tagged))  # spans on several contigs come out in region order
    (work / "sorted.bam").replace(tagged)
    pysam.index(str(tagged))
    return tagged, n
