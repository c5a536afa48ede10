"""genotorch call vs `bcftools mpileup | bcftools call -mv` on every labelled real read set, side by side.

For each set: F1 for SNPs and indels (genotorch evaluate, hap.py counting, confident regions only) and the median
wall time of several runs of each caller (whole command lines, start-up included), with their ratio.

    python benchmarks/call_vs_bcftools.py [--model CKPT] [--repeats 3]      (default: the shipped model)

The ONT set is there because it is labelled; the shipped model was trained on simulated Illumina reads only.
"""

from __future__ import annotations

import argparse
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from genotorch.variants.evaluate import evaluate

ROOT = Path(__file__).resolve().parents[1]


def datasets(shared: Path) -> list[dict]:
    hg1 = shared / "data/variants/hg001_illumina_grch37"
    trio = shared / "data/variants/hg001_trio_illumina_grch37"
    ont = shared / "data/variants/hg002_ont_r10_grch38"
    v332 = hg1 / "HG001_chr20_GRCh37_GIAB_highconf_CG-IllFB-IllGATKHC-Ion-10X-SOLID_CHROM1-X_v.3.3.2_highconf_PGandRTGphasetransfer.vcf.gz"
    return [
        dict(name="NA12878 101bp ~52x (confident BED, 9 kb)", ref=hg1 / "ucsc.hg19.chr20.unittest.fasta.gz",
             reads=hg1 / "NA12878_S1.chr20.10_10p1mb.bam", truth=hg1 / "test_nist.b37_chr20_100kbp_at_10mb.vcf.gz",
             bed=hg1 / "test_nist.b37_chr20_100kbp_at_10mb.bed"),
        dict(name="HG001 2nd library 151bp ~23x (v3.3.2, BED clipped to the reads' 20:10,000,000-10,010,000)",
             ref=trio / "hs37d5.chr20.fa.gz", reads=trio / "HG001.chr20.10_10p1mb_sorted.bam", truth=v332,
             bed=trio / "test_giab.b37_chr20_100kbp_at_10mb.bed", clip=(10_000_000, 10_010_000)),
        dict(name="NA12878 101bp ~52x (v3.3.2, 8.5 kb)", ref=hg1 / "ucsc.hg19.chr20.unittest.fasta.gz",
             reads=hg1 / "NA12878_S1.chr20.10_10p1mb.bam", truth=v332,
             bed=trio / "test_giab.b37_chr20_100kbp_at_10mb.bed"),
        dict(name="HG002 ONT R10 (v4.2.1, GRCh38; Illumina model)", ref=ont / "grch38.chr20_5050000_5075000.masked.fa.gz",
             reads=ont / "HG002_R10_chr20_5050000_5075000.bam",
             truth=ont / "HG002_GRCh38_v4.2.1_benchmark.chr20_5050000_5080000.vcf.gz",
             bed=ont / "HG002_GRCh38_v4.2.1_benchmark.chr20_5050000_5080000.bed"),
    ]


def timed(cmd: str) -> float:
    t0 = time.perf_counter()
    subprocess.run(cmd, shell=True, check=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    return time.perf_counter() - t0


def bed_for(d: dict, tmp: Path) -> Path:
    """The set's BED, clipped to where its reads are (``clip``), with the reads' contig names (bcftools -R needs
    them; genotorch matches 'chr20' and '20' itself)."""
    import pysam

    with pysam.AlignmentFile(str(d["reads"])) as bam:
        names = {n.removeprefix("chr"): n for n in bam.references}
    lo, hi = d.get("clip", (0, 1 << 40))
    out = tmp / "regions.bed"
    with open(d["bed"]) as src, open(out, "w") as dst:
        for line in src:
            f = line.split("\t")
            if len(f) < 3 or line.startswith(("#", "track")):
                continue
            a, b = max(int(f[1]), lo), min(int(f[2]), hi)
            if a < b:
                dst.write(f"{names.get(f[0].removeprefix('chr'), f[0])}\t{a}\t{b}\n")
    return out


def run_set(d: dict, model: Path, repeats: int, tmp: Path) -> dict:
    gt_vcf, bc_vcf = tmp / "gt.vcf.gz", tmp / "bc.vcf.gz"
    d = {**d, "bed": bed_for(d, tmp)}
    gt_cmd = (f"{sys.executable} -m genotorch.cli.main call --ref {d['ref']} --reads {d['reads']} "
              f"{f'--model {model} ' if model else ''}"
              f"--regions {d['bed']} -o {gt_vcf}")
    bc_cmd = (f"bcftools mpileup -f {d['ref']} -R {d['bed']} {d['reads']} | bcftools call -mv -Oz -o {bc_vcf} && "
              f"bcftools index -t -f {bc_vcf}")
    gt_t = statistics.median(timed(gt_cmd) for _ in range(repeats))
    bc_t = statistics.median(timed(bc_cmd) for _ in range(repeats))
    ev = {k: evaluate(str(v), str(d["truth"]), str(d["bed"]), str(d["ref"])) for k, v in
          (("genotorch", gt_vcf), ("bcftools", bc_vcf))}
    return {"name": d["name"], "eval": ev, "time": {"genotorch": gt_t, "bcftools": bc_t}}


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--model", type=Path, default=None, help="checkpoint (default: the shipped model)")
    ap.add_argument("--shared", type=Path, default=ROOT.parent / "shared")
    ap.add_argument("--repeats", type=int, default=3)
    args = ap.parse_args(argv)
    with tempfile.TemporaryDirectory() as tmp:
        for d in datasets(args.shared):
            r = run_set(d, args.model, args.repeats, Path(tmp))
            print(f"\n{r['name']}")
            print(f"{'caller':10s} {'SNP TP/FP/FN':>14s} {'SNP F1':>7s} {'INDEL TP/FP/FN':>15s} {'INDEL F1':>8s} {'wall s':>7s}")
            for caller in ("genotorch", "bcftools"):
                s, i = r["eval"][caller]["SNP"], r["eval"][caller]["INDEL"]
                print(f"{caller:10s} {s['tp']:>4d}/{s['fp']:>3d}/{s['fn']:>3d}   {s['f1']:7.4f} "
                      f"{i['tp']:>5d}/{i['fp']:>3d}/{i['fn']:>3d}   {i['f1']:8.4f} {r['time'][caller]:7.2f}")
            print(f"wall-time ratio genotorch/bcftools: {r['time']['genotorch'] / r['time']['bcftools']:.1f} "
                  f"(median of {args.repeats}; genotorch includes Python/torch start-up)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
