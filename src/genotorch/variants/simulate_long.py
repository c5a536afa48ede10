"""Long-read simulation for ``simulate-training-data --technology hifi|ont``: PacBio-HiFi-like and Oxford-Nanopore-
like reads from the sample's haplotypes, with the homopolymer-length errors that dominate both technologies.

1. ``pbsim`` (Ono et al. 2013, Bioinformatics 29:119; Debian's ``pbsim`` 1.0.3, model-based CLR mode with its
   quality model) draws reads from every haplotype at ``depth / 2``, with a length and an accuracy model per
   technology (:data:`LONG_READ_MODELS`: HiFi ~15 kb at ~99.9%; ONT R10 ~20 kb at ~98.5%) and a seeded generator.
2. Base qualities are set to the technology's (pbsim's CLR model gives a flat Q20; real HiFi reports Q40-93, ONT
   R10 about Q30), then homopolymer and STR length errors are added to the reads (:func:`genotorch.variants.simulate_errors.add_stutter`,
   at the technology's rate: pbsim's own errors are uniform and miss them).
3. Reads are renamed to a hash of pbsim's name (pbsim's ``S<k>_<n>`` names say which haplotype a read came from, and
   pileup rows sorted by name would hand that to a model) and, with ``haplotype_tags``, tagged ``HP:i:1``/``HP:i:2``
   by the haplotype they were drawn from, as WhatsHap's ``haplotag`` tags real reads.
4. ``minimap2 -ax map-hifi|map-ont -y`` (Li 2018, Bioinformatics 34:3094) aligns them, copying the HP tags.
"""

from __future__ import annotations

import glob
import hashlib
import shutil
import subprocess
from pathlib import Path

import numpy as np

from genotorch.errors import GenotorchError
from genotorch.variants.simulate_errors import add_stutter

PBSIM_MODEL = "/usr/share/pbsim/models/model_qc_clr"
LONG_READ_MODELS = {
    "hifi": {"length_mean": 15000, "length_sd": 4000, "accuracy_mean": 0.999, "accuracy_sd": 0.001,
             "accuracy_min": 0.99, "ratio": "10:45:45", "stutter": 0.01, "minimap2": "map-hifi", "platform": "PACBIO",
             "quality": (60.0, 0.0)},
    "ont": {"length_mean": 20000, "length_sd": 10000, "accuracy_mean": 0.985, "accuracy_sd": 0.01,
            "accuracy_min": 0.9, "ratio": "20:40:40", "stutter": 0.03, "minimap2": "map-ont", "platform": "ONT",
            "quality": (30.0, 10.0)},
}


def simulate_long_reads(haplotypes: Path, depth: float, seed: int, out_fq: Path, technology: str,
                        commands: list[str], haplotype_tags: bool = True) -> int:
    """Long reads of every record of ``haplotypes`` at ``depth`` each, written to ``out_fq`` with homopolymer
    errors, hashed names and (``haplotype_tags``) ``HP:i:1|2`` comments from the record names' ``h1``/``h2``
    suffix; returns how many reads the homopolymer errors changed.

    Raises
    ------
    GenotorchError
        pbsim or its quality model missing, or pbsim failing (its last stderr lines quoted).
    """
    m = LONG_READ_MODELS[technology]
    if shutil.which("pbsim") is None or not Path(PBSIM_MODEL).exists():
        raise GenotorchError("pbsim not found: install with `apt-get install pbsim` (long-read simulation)")
    prefix = out_fq.with_name("pbsim")
    cmd = ["pbsim", "--prefix", str(prefix), "--data-type", "CLR", "--depth", f"{depth:g}", "--model_qc",
           PBSIM_MODEL, "--length-mean", str(m["length_mean"]), "--length-sd", str(m["length_sd"]),
           "--length-min", "1000", "--length-max", str(m["length_mean"] * 4), "--accuracy-mean",
           str(m["accuracy_mean"]), "--accuracy-sd", str(m["accuracy_sd"]), "--accuracy-min", str(m["accuracy_min"]),
           "--difference-ratio", m["ratio"], "--seed", str(seed), str(haplotypes)]
    commands.append(" ".join(cmd))
    p = subprocess.run(cmd, capture_output=True, text=True, errors="replace")
    if p.returncode != 0:
        tail = " | ".join(p.stderr.strip().splitlines()[-3:])
        raise GenotorchError(f"pbsim failed: {tail}")
    raw = out_fq.with_name("long_reads_raw.fq")
    with open(raw, "wb") as dst:
        for part in sorted(glob.glob(f"{prefix}_[0-9]*.fastq")):
            with open(part, "rb") as src:
                shutil.copyfileobj(src, dst)
    requal = out_fq.with_name("long_reads_requal.fq")
    records = [line[1:].split()[0] for line in open(haplotypes) if line.startswith(">")]
    haplotype = {f"S{k}": int(name[-1]) for k, name in enumerate(records, 1) if name[-2:] in ("h1", "h2")}
    _set_qualities(raw, requal, m["quality"], np.random.default_rng([seed, 17]), seed,
                   haplotype if haplotype_tags else None)
    return add_stutter(requal, out_fq, m["stutter"], np.random.default_rng([seed, 13]), max_probability=0.5)


def _set_qualities(src: Path, dst: Path, quality: tuple[float, float], rng: np.random.Generator, seed: int = 0,
                   haplotype: dict[str, int] | None = None) -> None:
    """Replace pbsim's base qualities (a flat Q20 with its CLR model) by the technology's: per-base phred drawn
    from Normal(mean, sd), clipped to 5-60 (HiFi: a flat Q60, as CCS reports Q40-93; ONT R10: ~Q30 +- 10).
    Read names become a 16-hex hash of (seed, pbsim's name); ``haplotype`` (pbsim's ``S<k>`` -> 1 or 2) adds an
    ``HP:i:`` comment, which ``minimap2 -y`` copies into the alignment."""
    mean, sd = quality
    with open(src) as fin, open(dst, "w") as fout:
        while True:
            head = fin.readline()
            if not head:
                break
            name = head[1:].split()[0]
            head = "@" + hashlib.blake2b(f"{seed}:{name}".encode(), digest_size=8).hexdigest()
            if haplotype is not None and name.split("_")[0] in haplotype:
                head += f"\tHP:i:{haplotype[name.split('_')[0]]}"
            head += "\n"
            seq, plus = fin.readline(), fin.readline()
            fin.readline()
            n = len(seq.rstrip("\n"))
            q = np.clip(rng.normal(mean, sd, n) if sd else np.full(n, mean), 5, 60).astype(np.int64) + 33
            fout.write(f"{head}{seq}{plus}{q.astype(np.uint8).tobytes().decode()}\n")


def minimap2_command(technology: str, reference: Path, reads: Path, read_group: str, threads: int) -> list[str]:
    """The ``minimap2`` command aligning long reads of ``technology`` (SAM on stdout, with the read group).

    Raises
    ------
    GenotorchError
        minimap2 missing.
    """
    if shutil.which("minimap2") is None:
        raise GenotorchError("minimap2 not found: install with `apt-get install minimap2` (long-read alignment)")
    return ["minimap2", "-ax", LONG_READ_MODELS[technology]["minimap2"], "--MD", "-y", "-t", str(threads), "-R",
            read_group, str(reference), str(reads)]
