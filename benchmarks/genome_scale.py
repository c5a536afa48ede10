"""Genome scale: the Snakemake workflow (workflow/Snakefile) over >= 10 Mb of simulated 30x reads with 1, 2 and 4
shards, beside bcftools, and the extrapolation to a 30x human genome.

Input (made once, cached under --cache): a synthetic reference of ``--span-mb`` Mb, built from copies of the real
GRCh37 chr20:9,995,001-11,095,000 sequence (the shared HG001 reference), each copy after the first with 2% random
substitutions so that reads map uniquely; HG001's phased GIAB v3.3.2 variants of that span placed on every copy
(the truth); 30x 150 bp pairs from ``genotorch simulate-training-data`` (art_illumina, bwa mem). Nothing here is
used to train or choose a model: the shipped Illumina model calls it.

For each shard count n: ``snakemake --cores min(n, CPUs)`` with ``shards: n`` from an empty output folder; wall time,
CPU-s per 100 kb (every process under snakemake, itself included), peak RSS per process (the largest job, from
Snakemake's per-job benchmark files), and
the merged VCF's F1 (the same for every n: the merge equals one call). Then one ``genotorch call`` over 1 Mb and
over the whole span (memory must not grow with the region: records are streamed), and ``bcftools mpileup | call``
over the whole span. Extrapolation: the whole-span call's CPU-s per 100 kb x 31,000 (3.1 Gb) / cores (perfect scaling assumed), for 16 and 96 cores, beside
DeepVariant's published 82 min for HG003 30x on 96 vCPUs (make_examples + call_variants + postprocess).

    python benchmarks/genome_scale.py [--span-mb 10] [--cache runs/bench_genome] [--shards 1 2 4]
"""

from __future__ import annotations

import argparse
import csv
import json
import math
import os
import random
import shutil
import subprocess
import sys
import time
from pathlib import Path

import pysam

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "benchmarks"))
from speed import run  # noqa: E402

SPAN = ("chr20", 9_995_000, 11_095_000)  # 0-based half-open piece of real sequence that is copied
DV_MIN_96 = 82  # DeepVariant 1.x, HG003 30x WGS on 96 vCPUs (make_examples 45 + call_variants 16 + postprocess 7
# + start-up; published run time table)
GENOME_100KB = 31_000


def synthetic_genome(cache: Path, shared: Path, span_mb: float, seed: int = 11) -> tuple[Path, Path]:
    """The synthetic reference ``syn`` and its phased truth VCF (see the module docstring)."""
    fa, vcf = cache / "syn.fa", cache / "syn_truth.vcf.gz"
    if (cache / "syn.fa.fai").exists() and vcf.exists():
        return fa, vcf
    d = shared / "data/variants/hg001_illumina_grch37"
    piece = pysam.FastaFile(str(d / "ucsc.hg19.chr20.unittest.fasta.gz")).fetch(*SPAN).upper()
    truth = pysam.VariantFile(str(next(d.glob("HG001_*PGandRTGphasetransfer.vcf.gz"))))
    sample = next(iter(truth.header.samples))
    piece = piece[:int(span_mb * 1e6)]  # a span under 1.1 Mb (a quick check of this script) uses part of it
    recs = [r for r in truth.fetch(SPAN[0].removeprefix("chr"), SPAN[1], SPAN[1] + len(piece))
            if r.stop <= SPAN[1] + len(piece) and r.samples[sample].phased]
    protected = set()
    for r in recs:
        protected.update(range(r.start - SPAN[1] - 5, r.stop - SPAN[1] + 5))
    copies = max(1, math.ceil(span_mb * 1e6 / len(piece)))  # at least span_mb
    rng = random.Random(seed)
    seq = []
    for k in range(copies):
        s = list(piece)
        if k:
            for i in rng.sample(range(len(s)), int(0.02 * len(s))):
                if i not in protected and s[i] in "ACGT":
                    s[i] = rng.choice([b for b in "ACGT" if b != s[i]])
        seq.append("".join(s))
    genome = "".join(seq)
    with open(fa, "w") as f:
        f.write(">syn\n")
        for i in range(0, len(genome), 60):
            f.write(genome[i:i + 60] + "\n")
    pysam.faidx(str(fa))
    header = pysam.VariantHeader()
    header.contigs.add("syn", length=len(genome))
    header.formats.add("GT", 1, "String", "Genotype")
    header.add_sample(sample)
    plain = cache / "syn_truth.vcf"
    with pysam.VariantFile(str(plain), "w", header=header) as out:
        for k in range(copies):
            for r in recs:
                rec = out.new_record(contig="syn", start=r.start - SPAN[1] + k * len(piece), alleles=r.alleles)
                rec.samples[sample]["GT"] = r.samples[sample]["GT"]
                rec.samples[sample].phased = True
                out.write(rec)
    pysam.tabix_index(str(plain), preset="vcf", force=True)
    return fa, vcf


def simulate(cache: Path, fa: Path, vcf: Path, length: int) -> Path:
    out = cache / "sim"
    if not (out / "reads.bam").exists():
        subprocess.run([sys.executable, "-m", "genotorch.cli.main", "simulate-training-data", "--ref", str(fa),
                        "--truth", str(vcf), "--regions", f"syn:1-{length}", "--depth", "30", "--read-length", "150",
                        "--seed", "5", "-j", str(os.cpu_count() or 1), "-o", str(out)], check=True)
    return out


def workflow(cache: Path, fa: Path, sim: Path, region: str, shards: int) -> dict:
    out = cache / f"wf_{shards}"
    shutil.rmtree(out, ignore_errors=True)
    out.mkdir(parents=True)
    cfg = {"ref": str(fa), "samples": {"SYN": str(sim / "reads.bam")}, "regions": [region], "shards": shards,
           "genotorch": str(Path(sys.executable).parent / "genotorch"), "outdir": str(out / "results"),
           "truth": {"SYN": {"vcf": str(sim / "truth.vcf.gz"), "confident": str(sim / "confident.bed")}}}
    (out / "config.json").write_text(json.dumps(cfg))
    cores = min(shards, os.cpu_count() or 1)
    r = run([str(Path(sys.executable).parent / "snakemake"), "-s", str(ROOT / "workflow/Snakefile"), "--configfile",
             str(out / "config.json"), "--cores", str(cores), "--directory", str(out), "-q"])
    jobs = []
    for tsv in sorted((out / "results/SYN/benchmarks").glob("*.tsv")):
        with open(tsv) as f:
            jobs.append(next(csv.DictReader(f, delimiter="\t")))
    ev = json.loads((out / "results/SYN.eval.json").read_text())
    return {"wall": r["wall"], "cpu": r["cpu"],  # every process under snakemake, itself included (getrusage)
            "rss_mb": max(float(j["max_rss"]) for j in jobs), "cores": cores, "eval": ev}


def f1(ev: dict, kind: str) -> float:
    return ev[kind]["f1"]


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--span-mb", type=float, default=10.0)
    ap.add_argument("--shards", type=int, nargs="+", default=[1, 2, 4])
    ap.add_argument("--cache", type=Path, default=ROOT / "runs/bench_genome")
    ap.add_argument("--shared", type=Path, default=ROOT.parent / "shared")
    args = ap.parse_args(argv)
    args.cache.mkdir(parents=True, exist_ok=True)
    t0 = time.perf_counter()
    fa, vcf = synthetic_genome(args.cache, args.shared, args.span_mb)
    length = pysam.FastaFile(str(fa)).get_reference_length("syn")
    sim = simulate(args.cache, fa, vcf, length)
    region = f"syn:1001-{length - 1000}"
    bp = length - 2000
    print(f"# genotorch genome scale: synthetic {length / 1e6:.2f} Mb, 30x 150 bp pairs, {os.cpu_count()} CPUs "
          f"(input ready in {time.perf_counter() - t0:.0f} s)")
    rows = [(n, workflow(args.cache, fa, sim, region, n)) for n in args.shards]
    gt = [sys.executable, "-m", "genotorch.cli.main", "call", "--ref", str(fa), "--reads", str(sim / "reads.bam")]
    one_mb_bp = min(1_000_000, bp)
    one_mb = run([*gt, "--regions", f"syn:1001-{1000 + one_mb_bp}", "-o", str(args.cache / "one_mb.vcf.gz")])
    whole = run([*gt, "--regions", region, "-o", str(args.cache / "whole.vcf.gz")])
    bc = run(f"bcftools mpileup -f {fa} -r {region} {sim / 'reads.bam'} 2>/dev/null | bcftools call -mv -Oz -o "
             f"{args.cache / 'bc.vcf.gz'} 2>/dev/null")
    print(f"\n{'run':28s} {'cores':>5s} {'wall s':>8s} {'CPU s':>8s} {'CPU-s/100kb':>11s} {'peak MB/proc':>12s} "
          f"{'SNP F1':>7s} {'INDEL F1':>8s}")
    for n, r in rows:
        print(f"{'workflow, ' + str(n) + ' shard(s)':28s} {r['cores']:5d} {r['wall']:8.1f} {r['cpu']:8.1f} "
              f"{r['cpu'] * 1e5 / bp:11.2f} {r['rss_mb']:12.0f} {f1(r['eval'], 'SNP'):7.4f} "
              f"{f1(r['eval'], 'INDEL'):8.4f}")
    for name, r, b in ((f"call, {one_mb_bp / 1e6:.1f} Mb", one_mb, one_mb_bp), ("call, whole span", whole, bp),
                       ("bcftools mpileup | call", bc, bp)):
        print(f"{name:28s} {1:5d} {r['wall']:8.1f} {r['cpu']:8.1f} {r['cpu'] * 1e5 / b:11.2f} {r['rss_mb']:12.0f}")
    per = whole["cpu"] * 1e5 / bp
    print(f"\npeak memory of one call: {one_mb['rss_mb']:.0f} MB over {one_mb_bp / 1e6:.1f} Mb, {whole['rss_mb']:.0f} MB over "
          f"{bp / 1e6:.1f} Mb (streamed records)")
    print(f"call/bcftools CPU ratio over {bp / 1e6:.1f} Mb: {whole['cpu'] / bc['cpu']:.2f}")
    for cores in (16, 96):
        print(f"30x human genome (3.1 Gb) on {cores} cores, from one call's {per:.2f} CPU-s/100 kb, "
              f"perfect scaling assumed: "
              f"{per * GENOME_100KB / cores / 60:.0f} min (DeepVariant: {DV_MIN_96} min on 96 vCPUs)")
    if len(rows) > 1:
        base = rows[0][1]["wall"]
        print("scaling: " + ", ".join(f"{n} shard(s) {base / r['wall']:.2f}x of 1 shard's speed on {r['cores']} "
                                      f"core(s)" for n, r in rows))
    return 0


if __name__ == "__main__":
    sys.exit(main())
