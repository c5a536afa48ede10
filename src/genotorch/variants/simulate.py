"""Simulated Illumina training data whose truth is known everywhere: a phased VCF + reference -> a sample's two
haplotypes -> ``art_illumina`` paired reads -> ``bwa mem`` -> sorted, indexed BAM, with the truth VCF and
confident-regions BED that label it.

Pipeline (the tools' own defaults unless stated):

1. ``regions`` minus ``exclude`` gives the simulated pieces (a held-out window gets no read at all, so a real read
   set there stays a fair test). Each piece's two haplotypes come from
   :func:`genotorch.variants.haplotypes.build_haplotypes`.
2. ``art_illumina -p`` (Huang et al. 2012, *Bioinformatics* 28:593) simulates paired reads from both haplotypes of
   every piece at ``depth / 2`` each, with the built-in Illumina profile for the read length (HS20 for <= 100 bp,
   HS25 for <= 150 bp, MSv3 above) and a seeded random generator.
3. Reads are aligned with ``bwa mem`` (Li 2013, arXiv:1303.3997) to the reference over the span of the pieces
   (plus ``pad`` bp each side) rather than to the whole genome: indexing 1 Mb takes a second where a 63 Mb
   chromosome takes minutes. The alignments are shifted back to the full reference's coordinates and header, so
   the BAM reads against the original FASTA like any other. Mapping ambiguity with the rest of the genome is
   therefore not simulated.
4. ``samtools sort`` + ``samtools index``.

Optional random variants (``random_variant_spacing`` > 0): seeded random variants, one per that many bp on
average and at least 20 bp from any truth record and from each other, are added to the sample with phased
genotypes (60% heterozygous, split evenly between 1|0 and 0|1; 40% homozygous), 85% SNVs, 15% insertions and
deletions of 1-10 bp. They enter the truth VCF like the real ones. A phased truth holds ~1,300 variants per Mb: a
model trained on one sample's sites can learn those loci by heart; random ones give new loci on every seed.

Optional contamination (``contamination`` > 0): that fraction of the depth comes from a haploid contaminant genome
made from the reference with seeded random variants (one per ``contaminant_spacing`` bp on average; 80% SNVs,
10% insertions and 10% deletions of 1-4 bp). Its variants appear at an allele fraction near ``contamination`` and
are hom-ref in the truth: the low-fraction, non-germline candidates real data is full of and clean simulated reads
lack (without them a model sees almost no hom-ref candidate, e.g. 10 of 1,320 at 30x over 1 Mb).

Outputs in ``out_dir`` (written under temporary names, then renamed): ``reads.bam`` (+ ``.bai``), ``truth.vcf.gz``
(+ ``.tbi``; exactly the alleles put on the haplotypes, phased, so unphased hets that could not be placed are
absent, i.e. hom-ref, as they are in the reads), ``confident.bed`` (the pieces less ``margin`` bp at each end,
where coverage falls off) and ``run_info.json`` (settings, tool versions, commands, counts, genotorch version); with
``profile_reads``, also ``art_profile_R1.txt``/``R2.txt``, the quality profile art drew the reads with.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import tempfile
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Callable, Sequence

import numpy as np

import genotorch
from genotorch.errors import GenotorchError
from genotorch.io.intervals import Interval, contig_alias, merge_intervals, parse_regions
from genotorch.io.reference import Reference
from genotorch.variants.haplotypes import PlacedVariant, build_haplotypes
from genotorch.variants.simulate_long import LONG_READ_MODELS, minimap2_command, simulate_long_reads
from genotorch.variants.simulate_art import build_art_profile, check_profile_reads, check_tools
from genotorch.variants.simulate_errors import add_stutter, repeat_indel, repeat_indel_pair, repeat_tracts
from genotorch.io.variants import open_vcf, write_genotype_vcf


@dataclass(frozen=True)
class SimulationConfig:
    """Read-simulation settings.

    depth: mean fold coverage in all (the sample's two haplotypes get (1 - contamination) / 2 each). read_length in bp.
    fragment_mean / fragment_sd: insert size in bp. profile: art's sequencing-system id, "auto" picks from the
    read length. quality_shift: added to every simulated quality (art ``-qs``/``-qs2``); negative values raise the
    error rate 10^(-x/10)-fold. margin: bp removed from each end of a piece in the confident BED. pad: bp of
    reference either side of the pieces in the alignment index. seed: art's ``-rs`` (and the contaminant's).
    contamination / contaminant_spacing / random_variant_spacing: see the module docstring. profile_reads: a BAM/CRAM
    of real paired reads; art's quality profile is built from them (:func:`build_art_profile`) instead of
    ``profile``.
    repeat_indel_fraction: of the random indels, the fraction placed as unit expansions/contractions of a nearby
    homopolymer or STR (a fifth of those as multi-allelic 1|2 sites); technology: illumina (art + bwa) or hifi/ont
    (pbsim + minimap2, :mod:`genotorch.variants.simulate_long`); stutter_rate: PCR stutter in the reads' repeats
    (:mod:`genotorch.variants.simulate_errors`; 0 = none).
    """

    depth: float = 30.0
    read_length: int = 150
    fragment_mean: int = 400
    fragment_sd: int = 50
    profile: str = "auto"
    quality_shift: int = 0
    margin: int = 500
    pad: int = 2000
    seed: int = 0
    sample: str | None = None
    threads: int = 1
    contamination: float = 0.0
    contaminant_spacing: int = 300
    random_variant_spacing: int = 0
    repeat_indel_fraction: float = 0.0
    stutter_rate: float = 0.0
    technology: str = "illumina"
    haplotype_tags: bool = True  # long reads: HP:i:1|2 tags by the haplotype a read was drawn from
    profile_reads: str | None = None  # real paired reads (BAM/CRAM): art's quality profile is built from them


def art_profile(read_length: int) -> str:
    """art_illumina's built-in profile for a read length (HS20 up to 100 bp, HS25 up to 150 bp, MSv3 to 250 bp)."""
    if read_length <= 100:
        return "HS20"
    if read_length <= 150:
        return "HS25"
    if read_length <= 250:
        return "MSv3"
    raise GenotorchError(f"--read-length {read_length}: art_illumina's profiles stop at 250 bp")


def subtract(regions: Sequence[Interval], exclude: Sequence[Interval]) -> list[Interval]:
    """``regions`` minus ``exclude`` (both 0-based half-open), merged and sorted."""
    out: list[Interval] = []
    for r in merge_intervals(regions):
        pieces = [r]
        for x in exclude:
            nxt = []
            for p in pieces:
                if x.contig != p.contig or x.end <= p.start or x.start >= p.end:
                    nxt.append(p)
                    continue
                if x.start > p.start:
                    nxt.append(Interval(p.contig, p.start, x.start))
                if x.end < p.end:
                    nxt.append(Interval(p.contig, x.end, p.end))
            pieces = nxt
        out.extend(pieces)
    return out


def simulate_training_data(ref_path: str | Path, truth_path: str | Path, regions: Sequence[str],
                           out_dir: str | Path, cfg: SimulationConfig = SimulationConfig(),
                           exclude: Sequence[str] = (), log: Callable[[str], None] = lambda s: None) -> dict:
    """Simulate, align and label one read set (see the module docstring). Returns the run info written.

    ``regions`` and ``exclude`` are region strings (1-based closed ``chr:start-end``) or BED files.

    Raises
    ------
    GenotorchError
        A missing tool (with its Debian package), an unreadable reference or VCF, regions that leave nothing to
        simulate, a sample not in the VCF, or a tool that fails (its last stderr lines are quoted).
    """
    if cfg.technology not in ("illumina", "hifi", "ont"):
        raise GenotorchError(f"--technology {cfg.technology}: choose illumina, hifi or ont")
    check_tools(["art_illumina", "bwa", "samtools"] if cfg.technology == "illumina" else ["samtools"])
    if cfg.depth <= 0 or cfg.read_length < 30:
        raise GenotorchError("--depth must be > 0 and --read-length >= 30")
    profile = art_profile(cfg.read_length) if cfg.profile == "auto" else cfg.profile
    if cfg.profile_reads:
        check_profile_reads(cfg.profile_reads, cfg.technology)
    if cfg.fragment_mean < cfg.read_length:
        raise GenotorchError(f"--fragment-mean {cfg.fragment_mean} is shorter than --read-length {cfg.read_length}")
    if not 0 <= cfg.contamination < 0.5:
        raise GenotorchError(f"--contamination {cfg.contamination}: give a fraction in [0, 0.5)")
    if not 0 <= cfg.repeat_indel_fraction <= 1:
        raise GenotorchError(f"--repeat-indel-fraction {cfg.repeat_indel_fraction}: give a fraction in [0, 1]")
    if not 0 <= cfg.stutter_rate <= 0.1:
        raise GenotorchError(f"--stutter-rate {cfg.stutter_rate}: give a rate in [0, 0.1] (per bp of repeat)")
    ref = Reference(ref_path)
    pieces = subtract(parse_regions(list(regions), ref.lengths),
                      parse_regions(list(exclude), ref.lengths) if exclude else [])
    pieces = [p for p in pieces if len(p) > 2 * cfg.margin + cfg.fragment_mean]
    if not pieces:
        raise GenotorchError("--regions minus --exclude leaves nothing long enough to simulate "
                             f"(each piece must exceed 2 x margin + fragment mean = {2 * cfg.margin + cfg.fragment_mean} bp)")
    sample = _sample(truth_path, cfg.sample)
    out_dir = Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    info: dict = {"genotorch_version": genotorch.__version__, "config": asdict(cfg), "profile": profile,
                  "reference": str(ref_path), "truth": str(truth_path), "sample": sample,
                  "regions": list(regions), "exclude": list(exclude),
                  "pieces": [p.to_region_string() for p in pieces], "tools": _versions(), "commands": []}
    with tempfile.TemporaryDirectory(prefix=".sim-", dir=out_dir) as tmp:
        tmp = Path(tmp)
        placed: list[PlacedVariant] = []
        counts = {"applied_hap1": 0, "applied_hap2": 0, "skipped_unphased": 0, "skipped_overlap": 0,
                  "random_variants": 0}
        if cfg.random_variant_spacing > 0:
            truth_path, counts["random_variants"] = _add_random_variants(
                truth_path, sample, ref, pieces, cfg.random_variant_spacing, cfg.seed, tmp / "with_random.vcf",
                cfg.repeat_indel_fraction)
            log(f"added {counts['random_variants']} random variants to the sample")
        with open(tmp / "haplotypes.fa", "w") as fa:
            for i, p in enumerate(pieces):
                b = build_haplotypes(ref, truth_path, p, sample)
                placed += b.placed
                counts["applied_hap1"] += b.applied[0]
                counts["applied_hap2"] += b.applied[1]
                counts["skipped_unphased"] += b.skipped_unphased
                counts["skipped_overlap"] += b.skipped_overlap
                for h, seq in enumerate(b.sequences):
                    _fasta_record(fa, f"p{i}h{h + 1}", seq)
        log(f"haplotypes: {len(pieces)} piece(s), {counts['applied_hap1']} + {counts['applied_hap2']} alleles placed, "
            f"{counts['skipped_unphased']} unphased het(s) left out")
        if cfg.technology == "illumina":
            if cfg.profile_reads:
                r1, r2, longest = build_art_profile(cfg.profile_reads, tmp / "art_profile_", cfg.threads,
                                                    info["commands"])
                if cfg.read_length > longest:
                    raise GenotorchError(f"--read-length {cfg.read_length} exceeds the {longest}-bp reads of "
                                         f"--profile-from {cfg.profile_reads}: give --read-length {longest} or less")
                profile = (r1, r2)
                info["profile"] = f"built from {cfg.profile_reads} by art_profiler_illumina ({r1.name}, {r2.name})"
                log(f"art quality profile from {cfg.profile_reads}: {r1.name}, {r2.name} ({longest} cycles)")
            fastqs = _illumina_reads(tmp, pieces, ref, cfg, profile, info, counts, log)
        else:
            log(f"pbsim {cfg.technology}: {cfg.depth:g}x, with homopolymer-length errors")
            fastqs = [tmp / "reads.fq"]
            counts["homopolymer_error_reads"] = simulate_long_reads(tmp / "haplotypes.fa", cfg.depth / 2, cfg.seed,
                                                                    fastqs[0], cfg.technology, info["commands"],
                                                                    cfg.haplotype_tags)
        # Alignment index over the span of the pieces, per contig.
        spans = _spans(pieces, ref, cfg.pad)
        with open(tmp / "span.fa", "w") as fa:
            for name, (contig, start, end) in spans.items():
                _fasta_record(fa, name, ref.fetch(contig, start, end))
        platform = "ILLUMINA" if cfg.technology == "illumina" else LONG_READ_MODELS[cfg.technology]["platform"]
        rg = f"@RG\\tID:sim\\tSM:{sample}\\tPL:{platform}\\tLB:sim"
        bam_tmp = tmp / "reads.bam"
        if cfg.technology == "illumina":
            _run(["bwa", "index", str(tmp / "span.fa")], info)
            log("bwa mem + samtools sort")
            bwa = ["bwa", "mem", "-v", "1", "-t", str(cfg.threads), "-R", rg, str(tmp / "span.fa"), *map(str, fastqs)]
        else:
            log("minimap2 + samtools sort")
            bwa = minimap2_command(cfg.technology, tmp / "span.fa", fastqs[0], rg, cfg.threads)
        sort = ["samtools", "sort", "-@", str(max(0, cfg.threads - 1)), "-o", str(bam_tmp), "-"]
        info["commands"] += [" ".join(bwa), " ".join(sort)]
        info["n_reads"] = _align_and_shift(bwa, sort, spans, ref)
        _run(["samtools", "index", str(bam_tmp)], info)
        _write_truth(tmp / "truth.vcf", placed, ref, sample)
        with open(tmp / "confident.bed", "w") as bed:
            for p in pieces:
                bed.write(f"{p.contig}\t{p.start + cfg.margin}\t{p.end - cfg.margin}\n")
        info["counts"] = {**counts, "truth_records": len(placed),
                          "confident_bp": sum(len(p) - 2 * cfg.margin for p in pieces)}
        with open(tmp / "run_info.json", "w") as f:
            json.dump(info, f, indent=2)
        kept = ["art_profile_R1.txt", "art_profile_R2.txt"] if cfg.profile_reads else []  # the profile art used
        for name in kept + ["reads.bam.bai", "reads.bam", "truth.vcf.gz.tbi", "truth.vcf.gz", "confident.bed",
                            "run_info.json"]:
            os.replace(tmp / name, out_dir / name)
    return info


def _add_random_variants(truth_path, sample: str, ref: Reference, pieces: Sequence[Interval], spacing: int, seed: int,
                         out: Path, repeat_fraction: float = 0.0) -> tuple[str, int]:
    """Write ``out``.gz: the truth's records inside ``pieces`` plus random phased variants (see the module
    docstring; ``repeat_fraction`` of the indels in homopolymers and STRs); returns its path and the number of
    random variants."""
    rng = np.random.default_rng([seed, 7])
    rows: list[tuple[str, int, tuple[str, ...], tuple[int, int], bool]] = []
    with open_vcf(truth_path, "phased truth VCF", "--truth") as vf:
        for p in pieces:
            name = contig_alias(p.contig, vf.header.contigs)
            for rec in vf.fetch(name, p.start, p.end) if name else ():
                s = rec.samples[sample]
                gt = s.get("GT") or ()
                if len(gt) == 2 and None not in gt and all(a is not None for a in rec.alleles):
                    rows.append((p.contig, rec.start, tuple(a.upper() for a in rec.alleles), (gt[0], gt[1]),
                                 bool(s.phased)))
    n_random = 0
    for p in pieces:
        seq = ref.fetch(p.contig, p.start, p.end)
        taken = np.array(sorted(r[1] for r in rows if r[0] == p.contig), dtype=np.int64)
        tracts = repeat_tracts(seq)
        tract_starts = np.array([t[0] for t in tracts], dtype=np.int64)
        pos = p.start + 30
        while True:
            pos += int(rng.geometric(1 / spacing)) + 20
            if pos >= p.end - 30:
                break
            i = int(np.searchsorted(taken, pos))
            if (i < len(taken) and taken[i] - pos < 20) or (i > 0 and pos - taken[i - 1] < 20):
                continue
            base = seq[pos - p.start]
            if base not in "ACGT":
                continue
            kind, size = rng.random(), int(min(10, rng.geometric(0.4)))
            if kind >= 0.85 and rng.random() < repeat_fraction:  # an indel: in the next repeat tract
                j = int(np.searchsorted(tract_starts, pos - p.start))
                pair = rng.random() < 0.2  # a multi-allelic STR site (1|2)
                make = repeat_indel_pair if pair else repeat_indel
                placed = make(seq, p.start, tracts[j], rng) if j < len(tracts) and \
                    tract_starts[j] - (pos - p.start) < 300 and tracts[j][1] + p.start < p.end - 30 else None
                if placed is None:
                    continue
                pos, alleles = placed
                i = int(np.searchsorted(taken, pos))
                if (i < len(taken) and taken[i] - pos < 20) or (i > 0 and pos - taken[i - 1] < 20) or \
                        (rows and rows[-1][0] == p.contig and pos <= rows[-1][1] + len(rows[-1][2][0])):
                    continue
            elif kind < 0.85:
                alleles = (base, "ACGT".replace(base, "")[int(rng.integers(0, 3))])
            elif kind < 0.925:
                alleles = (base, base + "".join("ACGT"[int(k)] for k in rng.integers(0, 4, size)))
            else:
                dele = seq[pos - p.start:pos - p.start + 1 + size]
                if "N" in dele or len(dele) < 2:
                    continue
                alleles = (dele, base)
            u = rng.random()
            gt = (1, 2) if len(alleles) == 3 else (1, 1) if u < 0.4 else ((1, 0) if u < 0.7 else (0, 1))
            rows.append((p.contig, pos, alleles, gt, True))
            n_random += 1
    return write_genotype_vcf(out, rows, ref.lengths, sample, "Genotype", "simulate-training-data"), n_random


def random_variants(seq: str, spacing: int, rng: np.random.Generator) -> str:
    """``seq`` with random variants about every ``spacing`` bp: 80% SNVs, 10% insertions, 10% deletions (1-4 bp)."""
    out, cursor = [], 0
    pos = int(rng.geometric(1 / spacing))
    while pos < len(seq):
        out.append(seq[cursor:pos])
        kind, size = rng.random(), int(rng.integers(1, 5))
        if kind < 0.8:
            out.append("ACGT".replace(seq[pos], "")[int(rng.integers(0, 3))] if seq[pos] in "ACGT" else seq[pos])
            cursor = pos + 1
        elif kind < 0.9:
            out.append(seq[pos] + "".join("ACGT"[int(i)] for i in rng.integers(0, 4, size)))
            cursor = pos + 1
        else:
            out.append(seq[pos])
            cursor = min(len(seq), pos + 1 + size)
        pos = cursor + int(rng.geometric(1 / spacing))
    out.append(seq[cursor:])
    return "".join(out)


def _illumina_reads(tmp: Path, pieces, ref: Reference, cfg: "SimulationConfig", profile: str | tuple[Path, Path],
                    info: dict, counts: dict, log) -> list[Path]:
    """art_illumina paired reads of the haplotypes (and the contaminant, and PCR stutter, as configured): the two
    FASTQ paths."""
    name = profile if isinstance(profile, str) else "with the reads' own quality profile"
    log(f"art_illumina {name}: {cfg.depth:g}x, {cfg.read_length} bp pairs"
        + (f", {cfg.contamination:.0%} contamination" if cfg.contamination else ""))
    _art(tmp / "haplotypes.fa", cfg.depth * (1 - cfg.contamination) / 2, cfg.seed, tmp / "reads", profile, cfg,
         info)
    if cfg.contamination:
        rng = np.random.default_rng(cfg.seed)
        with open(tmp / "contaminant.fa", "w") as fa:
            for i, p in enumerate(pieces):
                seq = random_variants(ref.fetch(p.contig, p.start, p.end), cfg.contaminant_spacing, rng)
                _fasta_record(fa, f"p{i}c", seq)
        _art(tmp / "contaminant.fa", cfg.depth * cfg.contamination, cfg.seed + 1, tmp / "cont", profile, cfg, info)
        for k in (1, 2):
            with open(tmp / f"reads{k}.fq", "ab") as dst, open(tmp / f"cont{k}.fq", "rb") as src:
                shutil.copyfileobj(src, dst)
    if cfg.stutter_rate > 0:
        rng = np.random.default_rng([cfg.seed, 11])
        for k in (1, 2):
            counts[f"stutter_reads{k}"] = add_stutter(tmp / f"reads{k}.fq", tmp / f"stutter{k}.fq", cfg.stutter_rate,
                                                      rng)
            os.replace(tmp / f"stutter{k}.fq", tmp / f"reads{k}.fq")
        log(f"PCR stutter: {counts['stutter_reads1'] + counts['stutter_reads2']} reads changed")
    return [tmp / "reads1.fq", tmp / "reads2.fq"]


def _art(fasta: Path, depth: float, seed: int, prefix: Path, profile: str | tuple[Path, Path], cfg: SimulationConfig,
         info: dict) -> None:
    """art_illumina paired reads; ``profile``: a built-in sequencing system, or (R1, R2) profile files."""
    system = ["-ss", profile] if isinstance(profile, str) else ["-1", str(profile[0]), "-2", str(profile[1])]
    art = ["art_illumina", *system, "-i", str(fasta), "-p", "-l", str(cfg.read_length), "-f", f"{depth:g}",
           "-m", str(cfg.fragment_mean), "-s", str(cfg.fragment_sd), "-rs", str(seed), "-na", "-q", "-o", str(prefix)]
    # art_profiler_illumina tabulates every quality one above its Phred+33 value (measured: HiSeq X's bins 2, 7,
    # 11, ..., 42 come back as 3, 8, 12, ..., 43), so reads drawn from such a profile are shifted back by one
    shift = cfg.quality_shift - (0 if isinstance(profile, str) else 1)
    if shift:
        art += ["-qs", str(shift), "-qs2", str(shift)]
    _run(art, info)


def _fasta_record(f, name: str, seq: str) -> None:
    f.write(f">{name}\n")
    for j in range(0, len(seq), 80):
        f.write(seq[j:j + 80] + "\n")


def _sample(truth_path, sample: str | None) -> str:
    with open_vcf(truth_path, "phased truth VCF", "--truth") as vf:
        names = list(vf.header.samples)
    if not names:
        raise GenotorchError(f"{truth_path} has no sample column: the phased truth needs a genotype (GT) column")
    if sample is None:
        return names[0]
    if sample not in names:
        raise GenotorchError(f"--sample {sample} is not in {truth_path} (it has: {', '.join(names)})")
    return sample


def _versions() -> dict:
    out = {}
    for tool, args in (("bwa", []), ("samtools", ["--version"]), ("art_illumina", [])):
        try:
            p = subprocess.run([tool, *args], capture_output=True, text=True, errors="replace", timeout=30)
        except (OSError, subprocess.TimeoutExpired):
            continue
        m = re.search(r"Version:?\s*([^\s]+)|samtools ([^\s]+)", p.stdout + p.stderr)
        out[tool] = next((g for g in m.groups() if g), "?") if m else "?"
    return out


def _run(cmd: list[str], info: dict) -> None:
    info["commands"].append(" ".join(cmd))
    p = subprocess.run(cmd, capture_output=True, text=True)
    if p.returncode != 0:
        tail = " | ".join((p.stderr or p.stdout).strip().splitlines()[-3:])
        raise GenotorchError(f"{cmd[0]} failed (exit {p.returncode}): {tail}")


def _spans(pieces: Sequence[Interval], ref: Reference, pad: int) -> dict[str, tuple[str, int, int]]:
    by_contig: dict[str, list[Interval]] = {}
    for p in pieces:
        by_contig.setdefault(p.contig, []).append(p)
    return {f"span{i}": (c, max(0, min(p.start for p in ps) - pad), min(ref.lengths[c], max(p.end for p in ps) + pad))
            for i, (c, ps) in enumerate(by_contig.items())}


def _align_and_shift(bwa: list[str], sort: list[str], spans: dict, ref: Reference) -> int:
    """Run ``bwa | shift | samtools sort``: rename span contigs to the reference's and add their offsets."""
    where = {name: (contig, start) for name, (contig, start, _) in spans.items()}

    def shift_list(tag: str) -> str:  # SA:Z:rname,pos,strand,... ; XA:Z:rname,+pos,CIGAR,NM;...
        head, body = tag[:5], tag[5:]
        items = []
        for item in body.split(";"):
            if not item:
                continue
            f = item.split(",")
            contig, off = where.get(f[0], (f[0], 0))
            sign = f[1][0] if f[1][:1] in "+-" else ""
            f[0], f[1] = contig, f"{sign}{int(f[1].lstrip('+-')) + off}"
            items.append(",".join(f))
        return head + ";".join(items) + ";"

    bwa_p = subprocess.Popen(bwa, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, bufsize=1 << 20)
    sort_p = subprocess.Popen(sort, stdin=subprocess.PIPE, stderr=subprocess.PIPE, text=True, bufsize=1 << 20)
    n = 0
    try:
        out = sort_p.stdin
        header_done = False
        for line in bwa_p.stdout:
            if line.startswith("@"):
                if line.startswith("@SQ"):
                    if not header_done:
                        out.write("".join(f"@SQ\tSN:{c}\tLN:{n_}\n" for c, n_ in ref.lengths.items()))
                        header_done = True
                    continue
                out.write(line)
                continue
            f = line.rstrip("\n").split("\t")
            mate = f[2] if f[6] == "=" else f[6]
            if f[2] in where:
                contig, off = where[f[2]]
                f[2], f[3] = contig, str(int(f[3]) + off)
            if mate in where:
                contig, off = where[mate]
                f[7] = str(int(f[7]) + off)
                if f[6] != "=":
                    f[6] = contig
            for k in range(11, len(f)):
                if f[k].startswith(("SA:Z:", "XA:Z:")):
                    f[k] = shift_list(f[k])
            out.write("\t".join(f) + "\n")
            n += 1
    finally:
        sort_p.stdin.close()
        bwa_err = bwa_p.stderr.read()
        rc_bwa, rc_sort = bwa_p.wait(), sort_p.wait()
    if rc_bwa != 0 or rc_sort != 0:
        err = bwa_err if rc_bwa else sort_p.stderr.read()
        tail = " | ".join(err.strip().splitlines()[-3:])
        raise GenotorchError(f"{'bwa mem' if rc_bwa else 'samtools sort'} failed: {tail}")
    return n


def _write_truth(path: Path, placed: Sequence[PlacedVariant], ref: Reference, sample: str) -> None:
    """The truth of the simulation: each placed record with only the alleles it put on a haplotype, phased."""
    rows = []
    for v in placed:
        used = sorted({a for a in v.gt if a})
        remap = {0: 0, **{a: i + 1 for i, a in enumerate(used)}}
        rows.append((v.contig, v.start, (v.alleles[0], *(v.alleles[a] for a in used)),
                     (remap[v.gt[0]], remap[v.gt[1]]), True))
    write_genotype_vcf(path, rows, ref.lengths, sample, "Genotype placed on the simulated haplotypes (phased)",
                       "simulate-training-data")
