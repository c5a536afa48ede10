"""Speed of make-examples and call, per base and per candidate, against DeepVariant's published cost and bcftools.

Two inputs, so that start-up cost does not hide the per-base cost:
  * the real NA12878 slice, chr20:10,000,001-10,100,000 (100 kb, 101 bp reads, ~52x);
  * a simulated 1 Mb BAM at 30x (150 bp pairs, HG001 haplotypes over chr20:10,100,001-11,095,000, made once by
    `genotorch simulate-training-data` and cached under --cache).

For each input: `genotorch make-examples` and `genotorch call` (1 worker, the shipped model; and the same model with
realignment switched off, to price it) and `bcftools mpileup | bcftools call`, each as a separate command run
--repeats times; the median wall time, CPU time
(user + sys of the command and its children), peak RSS. Derived: candidates/s, reference bp per CPU-second,
CPU-seconds per 100 kb, examples/s through the model alone (call's CPU batch of 8, weights loaded once), and the start-up cost
(`import genotorch.variants.call` + loading the model).

Anchor: DeepVariant's published whole-genome run (HG003 30x on 96 vCPUs: make_examples 45 min, call_variants 16 min,
postprocess 7 min) costs (45 + 16 + 7) x 60 x 96 / 31,000 = 12.6 vCPU-seconds per 100 kb of a 3.1 Gb genome.

    python benchmarks/speed.py [--repeats 3] [--cache runs/bench]
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import statistics
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
DV_VCPU_S_PER_100KB = (45 + 16 + 7) * 60 * 96 / 31_000


def run(cmd: list[str] | str) -> dict:
    """Wall s, CPU s (children user + sys) and peak RSS (MB, of the largest child) of one command."""
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    t0 = time.perf_counter()
    p = subprocess.run(["/usr/bin/time", "-f", "%M", "--", *(["bash", "-c", cmd] if isinstance(cmd, str) else cmd)],
                       capture_output=True, text=True)
    wall = time.perf_counter() - t0
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    if p.returncode != 0:
        raise SystemExit(f"command failed: {cmd}\n{p.stderr[-2000:]}")
    rss_kb = int(p.stderr.strip().splitlines()[-1])  # GNU time: peak RSS of the command (the largest process)
    cpu = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
    return {"wall": wall, "cpu": cpu, "rss_mb": rss_kb / 1024, "stdout": p.stdout}


def median_run(cmd, repeats: int) -> dict:
    runs = [run(cmd) for _ in range(repeats)]
    return {k: statistics.median(r[k] for r in runs) for k in ("wall", "cpu", "rss_mb")}


def simulated_bam(cache: Path, shared: Path, seed: int = 99, stutter_rate: float = 0.0) -> Path:
    """reads.bam of 1 Mb of simulated 30x 150-bp pairs (HG001 haplotypes over chr20:10,095,001-11,095,000), made once
    under ``cache``; ``stutter_rate``: ``simulate-training-data --stutter-rate`` (0: none)."""
    tag = "" if (seed, stutter_rate) == (99, 0.0) else f"_seed{seed}_stutter{stutter_rate}"
    out = cache / f"sim_1mb_30x{tag}"
    if not (out / "reads.bam").exists():
        d = shared / "data/variants/hg001_illumina_grch37"
        truth = next(d.glob("HG001_*PGandRTGphasetransfer.vcf.gz"))
        subprocess.run([sys.executable, "-m", "genotorch.cli.main", "simulate-training-data", "--ref",
                        str(d / "ucsc.hg19.chr20.unittest.fasta.gz"), "--truth", str(truth), "--regions",
                        "chr20:10095001-11095000", "--exclude", "chr20:10000001-10100000", "--depth", "30",
                        "--read-length", "150", "--seed", str(seed), "--stutter-rate", str(stutter_rate), "-o",
                        str(out)], check=True)
    return out / "reads.bam"


def model_without_realignment(cache: Path) -> Path:
    """The shipped model with realignment switched off in its make-examples settings: the same calls as before
    realignment existed, to price it."""
    import torch

    from genotorch.models.default import default_model_path

    blob = torch.load(default_model_path(), weights_only=True)
    blob["hyper_parameters"]["meta"]["example_info"]["config"]["realign"] = {"enabled": False}
    out = cache / "shipped_no_realign.pt"
    torch.save(blob, out)
    return out


def model_throughput(examples: Path, repeats: int) -> tuple[float, float]:
    """Examples/s through the shipped model (weights loaded once), and the start-up seconds of `call`."""
    code = f"""
import time, json; t0 = time.perf_counter()
import h5py, torch
from genotorch.variants.call import predict_probs
from genotorch.models.checkpoint import load_classifier
from genotorch.models.default import default_model_path
torch.set_num_threads(1)
m, _ = load_classifier(default_model_path()); t1 = time.perf_counter()
x = h5py.File({str(examples)!r})["pileups"][:]
t2 = time.perf_counter(); predict_probs(m, x); t3 = time.perf_counter()
print(json.dumps({{"startup": t1 - t0, "n": len(x), "model_s": t3 - t2}}))
"""
    rs = [json.loads(subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout)
          for _ in range(repeats)]
    return statistics.median(r["n"] / r["model_s"] for r in rs), statistics.median(r["startup"] for r in rs)


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--repeats", type=int, default=3)
    ap.add_argument("--cache", type=Path, default=ROOT / "runs/bench")
    ap.add_argument("--shared", type=Path, default=ROOT.parent / "shared")
    args = ap.parse_args(argv)
    args.cache.mkdir(parents=True, exist_ok=True)
    hg1 = args.shared / "data/variants/hg001_illumina_grch37"
    ref = hg1 / "ucsc.hg19.chr20.unittest.fasta.gz"
    v = args.shared / "data/variants"
    inputs = [("real NA12878 100 kb ~52x", hg1 / "NA12878_S1.chr20.10_10p1mb.bam", "chr20:10000001-10100000", 100_000,
               ref, None, ""),
              ("simulated 1 Mb 30x", simulated_bam(args.cache, args.shared), "chr20:10095501-11094500", 999_000, ref,
               None, "")]
    for name, folder, bam, fa, region, bp, preset, x in (
            ("real HG002 HiFi ~20x", "hg002_pacbio_hifi_grch38", "HG002_hifi_sequel2.chr20_60k_167k.bam",
             "GRCh38.chr20_0_200000.fa.gz", "chr20:63841-151660", 87_820, "hifi", "-X pacbio-ccs"),
            ("real HG002 ONT R10 ~50x", "hg002_ont_r10_grch38", "HG002_R10_chr20_5050000_5075000.bam",
             "grch38.chr20_5050000_5075000.masked.fa.gz", "chr20:5050001-5075000", 25_000, "ont", "-X ont")):
        if (ROOT / "src/genotorch/models/default" / f"pileup_{preset}.pt").exists():  # a shipped long-read model
            inputs.append((name, v / folder / bam, region, bp, v / folder / fa, preset, x))
    gt = [sys.executable, "-m", "genotorch.cli.main"]
    no_realign = model_without_realignment(args.cache)
    env_note = f"{os.cpu_count()} cores; call runs its model on 1 torch thread, its default"
    print(f"# genotorch speed, median of {args.repeats} ({env_note}); DeepVariant anchor {DV_VCPU_S_PER_100KB:.1f} "
          "vCPU-s per 100 kb")
    rows = []
    for name, bam, region, bp, ref, preset, x in inputs:
        p_args = ["--preset", preset] if preset else []
        ex = args.cache / f"{bam.parent.name}_{bp}.h5"
        vcf = args.cache / f"{bam.parent.name}_{bp}.vcf.gz"
        me = median_run([*gt, "make-examples", "--ref", str(ref), "--reads", str(bam), "--regions", region,
                         "-o", str(ex), *p_args], args.repeats)
        n = json.loads(ex.with_name(ex.name + ".example_info.json").read_text())["n_examples"] if \
            ex.with_name(ex.name + ".example_info.json").exists() else _count(ex)
        call = median_run([*gt, "call", "--ref", str(ref), "--reads", str(bam), "--regions", region, "-o", str(vcf),
                           *p_args], args.repeats)
        call_nr = call if preset else median_run([*gt, "call", "--ref", str(ref), "--reads", str(bam), "--regions",
                                                  region, "--model", str(no_realign), "-o", str(vcf)], args.repeats)
        bc = median_run(f"bcftools mpileup {x} -f {ref} -r {region} {bam} 2>/dev/null | bcftools call -mv -Oz -o "
                        f"{args.cache / 'bc.vcf.gz'} 2>/dev/null", args.repeats)
        eps, startup = model_throughput(ex, args.repeats)
        rows.append((name, bp, n, me, call, bc, eps, startup, call_nr, preset))
    print(f"\n{'input':26s} {'step':14s} {'wall s':>7s} {'CPU s':>7s} {'cand/s':>7s} {'bp/CPU-s':>9s} "
          f"{'CPU-s/100kb':>11s} {'peak MB':>8s}")
    for name, bp, n, me, call, bc, eps, startup, call_nr, preset in rows:
        steps = [("make-examples", me), ("call", call)] + ([] if preset else [("call, no realign", call_nr)])
        for step, r in steps + [("bcftools", bc)]:
            print(f"{name:26s} {step:14s} {r['wall']:7.2f} {r['cpu']:7.2f} {n / r['wall']:7.0f} "
                  f"{bp / r['cpu']:9.0f} {r['cpu'] * 100_000 / bp:11.2f} {r['rss_mb']:8.0f}")
        per = call["cpu"] * 100_000 / bp
        print(f"{name:26s} make-examples {n / me['cpu']:.0f} candidates per CPU-s; call {n / call['cpu']:.0f} "
              f"candidates per CPU-s")
        print(f"{name:26s} candidates {n}; model alone {eps:.0f} examples/s on 1 thread; start-up (imports + model) "
              f"{startup:.2f} s; call/bcftools CPU ratio {call['cpu'] / bc['cpu']:.1f}; call {per:.2f} CPU-s/100 kb "
              f"= {per / DV_VCPU_S_PER_100KB:.2f} x DeepVariant's {DV_VCPU_S_PER_100KB:.1f}")
        if not preset:
            print(f"{name:26s} realignment's cost: call CPU {call['cpu']:.2f} s with it, {call_nr['cpu']:.2f} s without "
                  f"(ratio {call['cpu'] / call_nr['cpu']:.2f}; wall ratio {call['wall'] / call_nr['wall']:.2f})")
    _, sim_bam, sim_region, _, ref, _, _ = inputs[1]
    profile_call(ref, sim_bam, sim_region, args.cache / "profile.vcf.gz")
    return 0


STAGES = [  # (label, function name as cProfile reports it: file suffix, function)
    ("read fetch + filter (pysam)", "alignments.py", "fetch_reads"),
    ("CIGAR walk (read_events)", "read_events.py", "read_events"),
    ("local realignment", "realign.py", "realign_reads"),
    ("allele counting", "candidates.py", "count_alleles"),
    ("candidate finding", "candidates.py", "find_candidates"),
    ("read encoding (encode_reads)", "pileup.py", "encode_reads"),
    ("pileup assembly (build_pileup)", "pileup.py", "build_pileup"),
    ("model forward (predict_probs)", "call.py", "predict_probs"),
    ("genotypes + VCF records (postprocess)", "postprocess.py", "postprocess"),
    ("VCF write + tabix", "variants.py", "write_vcf"),
]


def profile_call(ref: Path, bam: Path, region: str, out: Path) -> None:
    """Where `call` spends its time: cProfile of one in-process run (1 worker), cumulative seconds per stage, plus
    the import and model-loading cost measured in a fresh interpreter."""
    code = f"""
import cProfile, pstats, time, json
t0 = time.perf_counter()
from genotorch.variants.call import call_variants
from genotorch.models.default import default_model_path
t1 = time.perf_counter()
pr = cProfile.Profile(); pr.enable()
call_variants({str(ref)!r}, {str(bam)!r}, str(default_model_path()), {str(out)!r}, [{region!r}])
pr.disable(); t2 = time.perf_counter()
st = pstats.Stats(pr).stats
rows = {{}}
for (file, line, fn), (cc, nc, tt, ct, callers) in st.items():
    rows.setdefault(file.split('/')[-1] + ':' + fn, 0.0)
    rows[file.split('/')[-1] + ':' + fn] += ct
print(json.dumps({{"import": t1 - t0, "call": t2 - t1, "rows": rows}}))
"""
    r = json.loads(subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
                   .stdout.strip().splitlines()[-1])
    print(f"\nwhere `call` spends its time on {region} (cProfile, 1 worker; profiled run {r['call']:.1f} s, "
          f"+ {r['import']:.2f} s of imports before it):")
    for label, file, fn in STAGES:
        t = r["rows"].get(f"{file}:{fn}", 0.0)
        print(f"  {label:40s} {t:7.2f} s  {100 * t / r['call']:5.1f}%")


def _count(path: Path) -> int:
    import h5py

    with h5py.File(path) as h5:
        return len(h5["labels"])


if __name__ == "__main__":
    sys.exit(main())
