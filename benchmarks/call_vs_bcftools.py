"""genotorch call vs `bcftools mpileup | bcftools call -mv` on every labelled real read set, side by side.

Each row names the model that called it and the training protocol behind the figure:

* HG001 sets (NA12878 101 bp ~52x, the HG001 second library 151 bp ~23x): the shipped model, which never saw them
  (nor any HG001 read: its HG001 data are simulated, with chr20:10,000,001-10,100,000 left out).
* HG002 HiSeq X regions: leave-one-region-out (LORO): each region is called by the model trained without it
  (``benchmarks/models/loro_<region>.pt``, made by ``scripts/train_default_model.py`` together with the shipped
  model); at the region's own depth (59-96x) and subsampled to 30% (18-29x, seeded ``samtools view -s 8.3``).
* HG002 ONT R10 and PacBio HiFi: ``--preset ont|hifi`` (models trained on simulated long reads only,
  ``scripts/train_long_read_model.py``) beside ``bcftools mpileup -X ont|pacbio-ccs``.

For each row: TP/FP/FN and F1 for SNPs and indels (``genotorch evaluate``: hap.py counting, confident regions
only), and the median wall time of ``--repeats`` runs of each caller (whole command lines, start-up included). At
the end the rows that are tests of the shipped recipe (HG001 + LORO, Illumina) are pooled.

    python benchmarks/call_vs_bcftools.py [--repeats 3] [--model CKPT | --models-dir DIR] [--sets hg001,hg002,long]
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
V332 = ("HG001_chr20_GRCh37_GIAB_highconf_CG-IllFB-IllGATKHC-Ion-10X-SOLID_CHROM1-X_v.3.3.2_highconf_"
        "PGandRTGphasetransfer.vcf.gz")
SHIPPED = "shipped model (never saw HG001)"


def datasets(shared: Path, model: Path | None, models_dir: Path | None = None) -> list[dict]:
    v = shared / "data/variants"
    if models_dir and not model:  # a candidate recipe: its final model for HG001, its folds for HG002
        hg001_model = models_dir / "pileup_illumina.pt"
        hg001_protocol = "candidate recipe's final model (never saw HG001)"
    else:
        hg001_model, hg001_protocol = model, SHIPPED
    hg1, trio, hg2 = v / "hg001_illumina_grch37", v / "hg001_trio_illumina_grch37", v / "hg002_illumina_hiseqx_grch37"
    rows = [
        dict(group="hg001", name="NA12878 101bp ~52x, NIST BED (9 kb)", ref=hg1 / "ucsc.hg19.chr20.unittest.fasta.gz",
             reads=hg1 / "NA12878_S1.chr20.10_10p1mb.bam", truth=hg1 / "test_nist.b37_chr20_100kbp_at_10mb.vcf.gz",
             bed=hg1 / "test_nist.b37_chr20_100kbp_at_10mb.bed", model=hg001_model, protocol=hg001_protocol,
             test=True),
        dict(group="hg001", name="HG001 2nd library 151bp ~23x, v3.3.2", ref=trio / "hs37d5.chr20.fa.gz",
             reads=trio / "HG001.chr20.10_10p1mb_sorted.bam", truth=hg1 / V332,
             bed=trio / "test_giab.b37_chr20_100kbp_at_10mb.bed", clip=(10_000_000, 10_010_000), model=hg001_model,
             protocol=hg001_protocol, test=True),
    ]
    for line in (hg2 / "regions.bed").read_text().splitlines():
        c, s, e = line.split("\t")[:3]
        name = f"r{int(s) // 10_000 / 100:.2f}"
        fold = (models_dir or ROOT / "benchmarks" / "models") / f"loro_{name}.pt"
        for frac in (None, 0.3):
            rows.append(dict(group="hg002", name=f"HG002 HiSeq X 20:{int(s) + 1:,}-{int(e):,}"
                             f"{' at 30% depth' if frac else ''}", ref=hg2 / "GRCh37_chr20_vardict_slices.fa.gz",
                             reads=hg2 / f"NA24385_chr_20_{int(s) + 1}_{e}.bam", subsample=frac,
                             truth=hg2 / "HG002_GRCh37_v4.2.1_truth.regions.vcf.gz",
                             bed=hg2 / "HG002_GRCh37_v4.2.1_confident.approx.bed", clip=(int(s), int(e)),
                             model=model or fold, protocol=f"LORO: {fold.name} (trained without this region)",
                             test=True))
    ont, hifi = v / "hg002_ont_r10_grch38", v / "hg002_pacbio_hifi_grch38"
    rows += [
        dict(group="long", name="HG002 ONT R10 ~50x", preset="ont", bcftools_x="ont",
             ref=ont / "grch38.chr20_5050000_5075000.masked.fa.gz", reads=ont / "HG002_R10_chr20_5050000_5075000.bam",
             truth=ont / "HG002_GRCh38_v4.2.1_benchmark.chr20_5050000_5080000.vcf.gz",
             bed=ont / "HG002_GRCh38_v4.2.1_benchmark.chr20_5050000_5080000.bed", model=model,
             protocol="--preset ont: trained on simulated reads only (never on real long reads)", test=False),
        dict(group="long", name="HG002 PacBio HiFi ~20x", preset="hifi", bcftools_x="pacbio-ccs",
             ref=hifi / "GRCh38.chr20_0_200000.fa.gz",
             reads=hifi / "HG002_hifi_sequel2.chr20_60k_167k.bam",
             truth=hifi / "HG002_GRCh38_v4.2.1_truth.chr20_0_200000.vcf.gz",
             bed=hifi / "HG002_GRCh38_v4.2.1_confident.covered.bed", model=model,
             protocol="--preset hifi: trained on simulated reads only (never on real long reads)", test=False),
    ]
    return rows


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


def subsampled(d: dict, tmp: Path) -> Path:
    if not d.get("subsample"):
        return d["reads"]
    out = tmp / "sub.bam"
    subprocess.run(["samtools", "view", "-b", "-s", f"8{str(d['subsample'])[1:]}", "-o", str(out), str(d["reads"])],
                   check=True)
    subprocess.run(["samtools", "index", str(out)], check=True)
    return out


def run_set(d: dict, repeats: int, tmp: Path) -> dict:
    gt_vcf, bc_vcf = tmp / "gt.vcf.gz", tmp / "bc.vcf.gz"
    d = {**d, "bed": bed_for(d, tmp), "reads": subsampled(d, tmp)}
    model = f"--model {d['model']} " if d["model"] else ""
    preset = f"--preset {d['preset']} " if d.get("preset") else ""
    gt_cmd = (f"{sys.executable} -m genotorch.cli.main call --ref {d['ref']} --reads {d['reads']} {model}{preset}"
              f"--regions {d['bed']} -o {gt_vcf}")
    x = f"-X {d['bcftools_x']} " if d.get("bcftools_x") else ""  # bcftools' documented long-read settings
    bc_cmd = (f"bcftools mpileup {x}-f {d['ref']} -R {d['bed']} {d['reads']} | bcftools call -mv -Oz -o {bc_vcf} && "
              f"bcftools index -t -f {bc_vcf}")
    gt_t = statistics.median(timed(gt_cmd) for _ in range(repeats))
    bc_t = statistics.median(timed(bc_cmd) for _ in range(repeats))
    ev = {k: evaluate(str(v), str(d["truth"]), str(d["bed"]), str(d["ref"])) for k, v in
          (("genotorch", gt_vcf), ("bcftools", bc_vcf))}
    return {"name": d["name"], "protocol": d["protocol"], "eval": ev, "test": d["test"],
            "time": {"genotorch": gt_t, "bcftools": bc_t}, "gq": gq_table(gt_vcf, d)}


def gq_table(vcf: Path, d: dict) -> list[dict]:
    """GQ reliability of genotorch's call records (PASS and RefCall) against the truth, inside the set's BED."""
    from genotorch.io.intervals import IntervalIndex, read_bed
    from genotorch.io.reference import Reference
    from genotorch.variants.error_report import gq_reliability, read_call_sites
    from genotorch.variants.evaluate import vcf_alleles

    ref = Reference(d["ref"])
    confident = IntervalIndex(read_bed(d["bed"], ref.lengths))
    truth = vcf_alleles(d["truth"], ref, confident, pass_only=False, flag="--truth")
    _, records = read_call_sites(vcf, ref, confident)
    return gq_reliability(records, truth)


def pool_gq(tables: list[list[dict]]) -> list[dict]:
    """Sum GQ reliability tables bin by bin (observed rate, Wilson interval and mean claimed rate recomputed)."""
    from genotorch.variants.error_report import _wilson

    out = []
    for rows in zip(*tables):
        calls = sum(r["calls"] for r in rows)
        errors = sum(r["errors"] for r in rows)
        claimed = sum(r["claimed"] * r["calls"] for r in rows) / calls if calls else 0.0
        lo, hi = _wilson(errors, calls)
        obs = errors / calls if calls else 0.0
        out.append({"gq": rows[0]["gq"], "calls": calls, "errors": errors, "observed": obs, "observed_low": lo,
                    "observed_high": hi, "claimed": claimed, "ratio": obs / claimed if claimed else None,
                    "expected_errors": claimed * calls})
    return out


def f1(tp: int, fp: int, fn: int) -> float:
    return 2 * tp / (2 * tp + fp + fn) if tp else 0.0


def print_row(r: dict) -> None:
    print(f"\n{r['name']}  [{r['protocol']}]")
    print(f"{'caller':10s} {'SNP TP/FP/FN':>14s} {'SNP F1':>7s} {'INDEL TP/FP/FN':>15s} {'INDEL F1':>8s} {'wall s':>7s}")
    for caller in ("genotorch", "bcftools"):
        s, i = r["eval"][caller]["SNP"], r["eval"][caller]["INDEL"]
        print(f"{caller:10s} {s['tp']:>4d}/{s['fp']:>3d}/{s['fn']:>3d}   {s['f1']:7.4f} "
              f"{i['tp']:>5d}/{i['fp']:>3d}/{i['fn']:>3d}   {i['f1']:8.4f} {r['time'][caller]:7.2f}")
    print(f"wall-time ratio genotorch/bcftools: {r['time']['genotorch'] / r['time']['bcftools']:.1f}")


def print_pooled(results: list[dict], title: str | None = None) -> None:
    """Both callers' TP/FP/FN and F1 summed over the test rows of ``results``, under ``title``, and the rows where
    genotorch is not strictly above bcftools."""
    tests = [r for r in results if r["test"]]
    title = title or (f"Pooled over the {len(tests)} Illumina test rows (HG001 by the shipped model, HG002 "
                      f"leave-one-region-out)")
    print(f"\n{title}:")
    for caller in ("genotorch", "bcftools"):
        parts = []
        for t in ("SNP", "INDEL"):
            tp, fp, fn = (sum(r["eval"][caller][t][k] for r in tests) for k in ("tp", "fp", "fn"))
            parts.append(f"{t} {tp}/{fp}/{fn} F1 {f1(tp, fp, fn):.4f}")
        print(f"  {caller:10s} " + "   ".join(parts))
    wins = [(r["name"], t) for r in tests for t in ("SNP", "INDEL")
            if r["eval"]["genotorch"][t]["f1"] <= r["eval"]["bcftools"][t]["f1"]
            and r["eval"]["genotorch"][t]["tp"] + r["eval"]["genotorch"][t]["fn"] > 0]
    print(f"  rows where genotorch is not strictly above bcftools (with variants of that type): "
          f"{'none' if not wins else '; '.join(f'{n} {t}' for n, t in wins)}")


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--model", type=Path, default=None, help="one checkpoint for every row (default: the shipped "
                    "model for HG001 and long reads, the leave-one-region-out models for HG002)")
    ap.add_argument("--shared", type=Path, default=ROOT.parent / "shared")
    ap.add_argument("--repeats", type=int, default=3)
    ap.add_argument("--sets", default="hg001,hg002,long", help="comma-separated groups: hg001, hg002, long")
    ap.add_argument("--plot", type=Path, default=None, help="write the pooled GQ calibration plot here (PNG)")
    ap.add_argument("--models-dir", type=Path, default=None, help="a candidate recipe's models "
                    "(scripts/train_default_model.py --export-dir): loro_<region>.pt for the HG002 rows and "
                    "pileup_illumina.pt for the HG001 rows, instead of benchmarks/models and the shipped model")
    args = ap.parse_args(argv)

    groups = set(args.sets.split(","))
    results = []
    with tempfile.TemporaryDirectory() as tmp:
        for d in datasets(args.shared, args.model, args.models_dir):
            if d["group"] not in groups:
                continue
            r = run_set(d, args.repeats, Path(tmp))
            print_row(r)
            results.append(r)
    print_pooled(results)
    tests = [r for r in results if r["test"]]
    if tests:
        from genotorch.variants.error_report import format_reliability, plot_reliability

        table = pool_gq([r["gq"] for r in tests])
        print("\nGQ calibration of genotorch's call records (PASS and RefCall) over the test rows (genotype wrong = "
              "any allele's copies differ from the truth's):")
        print(format_reliability(table))
        if args.plot:
            plot_reliability(table, args.plot, "genotorch GQ vs observed genotype error (test rows pooled)")
            print(f"calibration plot: {args.plot}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
