"""The tools of Illumina read simulation, and art_illumina quality profiles built from a user's own reads (for
``simulate-training-data --profile-from``).

art_illumina draws base qualities from a per-cycle empirical profile and sequencing errors from those qualities.
Its built-in profiles (HS20, HS25, HSXt, ...) come from other runs; a profile built by ART's own profiler from the
reads a model will be used on makes simulated training reads carry that run's quality distribution (HiSeq X's eight
quality bins, for example).
"""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path
from typing import Sequence

from genotorch.errors import GenotorchError


TOOLS = {  # tool -> the Debian package that installs it
    "art_illumina": "art-nextgen-simulation-tools", "art_profiler_illumina": "art-nextgen-simulation-tools",
    "bwa": "bwa", "samtools": "samtools",
}


def check_tools(tools: Sequence[str] = ("art_illumina", "bwa", "samtools")) -> None:
    """Raise a GenotorchError naming the Debian package of every missing tool (names from :data:`TOOLS`)."""
    missing = [t for t in tools if shutil.which(t) is None]
    if missing:
        pkgs = " ".join(TOOLS[t] for t in missing)
        raise GenotorchError(f"{', '.join(missing)} not found on PATH: install with `apt-get install {pkgs}`")


def check_profile_reads(reads: str, technology: str = "illumina") -> None:
    """Refuse ``--profile-from`` for long reads or naming a file that does not exist (GenotorchError)."""
    if technology != "illumina":
        raise GenotorchError(f"--profile-from applies to --technology illumina (art_illumina), not {technology}")
    if not Path(reads).is_file():
        raise GenotorchError(f"--profile-from {reads} does not exist: give a BAM/CRAM of real paired reads")


def build_art_profile(reads: str, out_prefix: Path, threads: int = 1, commands: list[str] | None = None
                      ) -> tuple[Path, Path, int]:
    """art_illumina's empirical quality profile of real paired reads, built by ART's own profiler.

    The primary reads of ``reads`` (BAM/CRAM, indexed or not) are written as FASTQ pairs (``samtools collate`` +
    ``samtools fastq``) and ``art_profiler_illumina`` (Huang et al. 2012, Bioinformatics 28:593) tabulates their
    base qualities per cycle, base and read of the pair (one above their Phred value: ``_art`` shifts them back).
    Where the mates' lengths differ, the longer profile is cut to the shorter. Returns the first- and second-read
    profile files (``<out_prefix>R1.txt``, ``R2.txt``, for art_illumina's ``-1``/``-2``) and the longest read
    length they cover (bp): art cannot simulate longer reads from them. The commands run are appended to
    ``commands``.

    Raises
    ------
    GenotorchError
        ``reads`` missing or not paired, or a tool failing (its last stderr lines quoted).
    """
    check_profile_reads(reads)
    commands = [] if commands is None else commands
    check_tools(["samtools", "art_profiler_illumina"])
    out_prefix = Path(out_prefix).resolve()
    fq = out_prefix.parent / f"{out_prefix.name}_fastq"
    fq.mkdir(parents=True, exist_ok=True)
    collate = ["samtools", "collate", "-u", "-O", str(reads), str(fq / "collate")]
    to_fastq = ["samtools", "fastq", "-F", "0x900", "-n", "-1", str(fq / "r_1.fq"), "-2", str(fq / "r_2.fq"),
                "-0", "/dev/null", "-s", "/dev/null", "-"]
    commands += [" ".join(collate), " ".join(to_fastq)]
    c = subprocess.Popen(collate, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    f = subprocess.run(to_fastq, stdin=c.stdout, capture_output=True, text=True, errors="replace")
    c.stdout.close()
    c_err = c.stderr.read().decode(errors="replace")
    if c.wait() != 0 or f.returncode != 0:
        tail = " | ".join((c_err + f.stderr).strip().splitlines()[-3:])
        raise GenotorchError(f"--profile-from {reads}: samtools could not read it as paired reads ({tail})")
    if (fq / "r_1.fq").stat().st_size == 0:
        raise GenotorchError(f"--profile-from {reads} holds no read pairs: ART's profile needs paired-end reads")
    prof = ["art_profiler_illumina", str(out_prefix), str(fq), "fq", str(max(1, threads))]
    commands.append(" ".join(prof))
    p = subprocess.run(prof, capture_output=True, text=True, errors="replace")
    r1, r2 = Path(f"{out_prefix}R1.txt"), Path(f"{out_prefix}R2.txt")
    if p.returncode != 0 or not r1.exists() or not r2.exists():
        tail = " | ".join((p.stdout + p.stderr).strip().splitlines()[-3:])
        raise GenotorchError(f"art_profiler_illumina failed on the reads of {reads}: {tail}")
    shutil.rmtree(fq)
    rows = [[line for line in r.read_text().splitlines(keepends=True) if line.strip()] for r in (r1, r2)]
    length = min(1 + max(int(line.split("\t")[1]) for line in lines) for lines in rows)
    for r, lines in zip((r1, r2), rows):  # art wants both profiles equally long (mates may be trimmed differently)
        r.write_text("".join(line for line in lines if int(line.split("\t")[1]) < length))
    return r1, r2, length
