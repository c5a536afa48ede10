"""The IGV-picture variant classifier, end to end on the shared real Illumina reads, beside the pileup CNN and
bcftools on the same held-out sites.

    .venv/bin/python scripts/igv_pictures.py [--out runs/igv_pictures] [--folds r18.78,...|none] [--no-final]
                                             [--negatives-per-kind N] [--max-epochs N] [--seed 0]

The seed pipeline of the IGV-screenshot classifiers (ResNet-34 on pictures of GIAB sites), with genotorch's parts:

1. **Sites** per read set, inside its confident regions: every truth variant (class ``variant``) and negatives of
   the three kinds (class ``no_variant``; :func:`genotorch.variants.negative_sites.negative_sites`): ``random``
   covered positions >= 50 bp from any truth variant, ``near`` positions 2-50 bp from a truth variant, and
   ``lookalike`` candidate sites (reads show an alt allele) that the truth does not hold. As many of each kind as
   the set has truth variants (at least ``--negatives-per-kind``), seeded.
2. **Pictures**: ``genotorch render``'s IGV-like drawing (:func:`genotorch.render.reads.render_site`), 41 bases
   (20 each side), 4 px per base, 32 read rows: 164 x 200 RGB PNGs in ``OUT/pictures/<class>/``.
3. **Training**: ``configs/igv_pictures.yaml`` (ResNet-34's block layout [3, 4, 6, 3], plain torch, at a quarter
   of its width for 2 CPU cores; ``model.params.width: 1.0`` is the original), one run per split below.
4. **Held-out sites, split by region** (no site and no neighbourhood in both train and test):

   * **HG002 HiSeq X, leave-one-region-out**: five picture models, each trained on four of the five regions (15%
     of their sites, at random, for early stopping) and tested on the fifth. The pileup CNN on the same sites is the
     leave-one-region-out model that never saw that region (``benchmarks/models/loro_<region>.pt``).
   * **HG001 (NA12878 101 bp ~52x, and the HG001 second library 151 bp ~23x)**: a picture model trained on all five
     HG002 regions; the pileup CNN is the shipped model. Neither ever saw an HG001 read.

   ``bcftools mpileup | bcftools call -mv`` runs on the same reads and confident regions. A caller "calls a
   variant" at a site when a non-reference PASS record starts within 1 bp of it
   (:mod:`genotorch.variants.site_calls`).

Printed (and written to ``OUT/report.json``, with every site's three answers in ``OUT/sites.tsv``): precision and
recall of both classes for the three callers, recall by kind of site (SNP, indel, and each negative kind), and
the sites where the picture classifier and the pileup CNN disagree. Nothing here chose a setting on the test
regions: the recipe (picture size, network, epochs) was set before the first run and not changed after it.

``OUT/sites/<set>.<class>.bed`` lists the same sites for ``genotorch igv-batch``, so a user with IGV can take real
screenshots of them and train on those instead (``data.crop`` in the config cuts IGV's read panel out first).

About 9 min on 2 cores (rendering ~1,300 pictures, six trainings of about a minute each, 14 caller runs).
"""

from __future__ import annotations

import argparse
import csv
import json
import shutil
import subprocess
import sys
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
CONFIG = ROOT / "configs" / "igv_pictures.yaml"
V332 = ("HG001_chr20_GRCh37_GIAB_highconf_CG-IllFB-IllGATKHC-Ion-10X-SOLID_CHROM1-X_v.3.3.2_highconf_"
        "PGandRTGphasetransfer.vcf.gz")
KINDS = ("random", "near", "lookalike")


def read_sets(shared: Path) -> list[dict]:
    """The labelled real Illumina sets: HG002 regions (LORO) and the two HG001 libraries (final model)."""
    v = shared / "data" / "variants"
    hg1, trio, hg2 = v / "hg001_illumina_grch37", v / "hg001_trio_illumina_grch37", v / "hg002_illumina_hiseqx_grch37"
    sets = []
    for line in (hg2 / "regions.bed").read_text().splitlines():
        c, s, e = line.split("\t")[:3]
        name = f"r{int(s) // 10_000 / 100:.2f}"
        sets.append(dict(name=name, group="hg002", label=f"HG002 HiSeq X 20:{int(s) + 1:,}-{int(e):,}",
                         ref=hg2 / "GRCh37_chr20_vardict_slices.fa.gz",
                         reads=hg2 / f"NA24385_chr_20_{int(s) + 1}_{e}.bam",
                         truth=hg2 / "HG002_GRCh37_v4.2.1_truth.regions.vcf.gz",
                         bed=hg2 / "HG002_GRCh37_v4.2.1_confident.approx.bed", clip=(int(s), int(e)),
                         pileup_model=ROOT / "benchmarks" / "models" / f"loro_{name}.pt"))
    sets += [
        dict(name="na12878", group="hg001", label="HG001 NA12878 101 bp ~52x (NIST BED)",
             ref=hg1 / "ucsc.hg19.chr20.unittest.fasta.gz", reads=hg1 / "NA12878_S1.chr20.10_10p1mb.bam",
             truth=hg1 / "test_nist.b37_chr20_100kbp_at_10mb.vcf.gz",
             bed=hg1 / "test_nist.b37_chr20_100kbp_at_10mb.bed",
             clip=(0, 1 << 40), pileup_model=None),
        dict(name="hg001_lib2", group="hg001", label="HG001 second library 151 bp ~23x (v3.3.2)",
             ref=trio / "hs37d5.chr20.fa.gz", reads=trio / "HG001.chr20.10_10p1mb_sorted.bam", truth=hg1 / V332,
             bed=trio / "test_giab.b37_chr20_100kbp_at_10mb.bed", clip=(10_000_000, 10_010_000), pileup_model=None),
    ]
    return sets


def confident(d: dict, lengths) -> list:
    """The set's confident intervals, clipped to where its reads are, with the reference's contig names."""
    from genotorch.io.intervals import Interval, match_contig, read_bed

    lo, hi = d["clip"]
    out = []
    for iv in read_bed(d["bed"]):
        a, b = max(iv.start, lo), min(iv.end, hi)
        if a < b:
            out.append(Interval(match_contig(iv.contig, lengths, f"{d['bed']} contig"), a, b))
    return out


def truth_sites(d: dict, conf) -> tuple[list[tuple[str, int]], list[tuple[str, int, str]]]:
    """All truth variant starts (negatives keep away from them) and those inside ``conf`` with their kind."""
    import pysam

    from genotorch.io.intervals import IntervalIndex, strip_chr

    names = {strip_chr(iv.contig): iv.contig for iv in conf}
    index = IntervalIndex(conf)
    every, inside = [], []
    with pysam.VariantFile(str(d["truth"])) as vf:
        for r in vf:
            c = names.get(strip_chr(r.contig))
            if c is None:
                continue
            every.append((c, r.start))
            if index.contains(c, r.start):
                snp = len(r.ref) == 1 and all(len(a) == 1 for a in r.alts or ())
                inside.append((c, r.start, "snp" if snp else "indel"))
    return every, inside


def build_set(d: dict, ref, conf: list, out: Path, n_min: int, seed: int, render_cfg) -> list[dict]:
    """Sites of one read set (truth + three kinds of negatives, inside its confident intervals ``conf``, from
    :func:`confident`), rendered from ``ref`` (a :class:`genotorch.io.reference.Reference`)."""
    from genotorch.io.alignments import open_alignments
    from genotorch.io.intervals import IntervalIndex
    from genotorch.render.reads import render_site, save_png
    from genotorch.variants.negative_sites import negative_sites

    every, inside = truth_sites(d, conf)
    index = IntervalIndex(conf)
    n = max(n_min, len(inside))
    sites = [(c, p, kind, "variant") for c, p, kind in inside]
    taken = {(c, p) for c, p, _ in inside}
    for k, kind in enumerate(KINDS):
        truth_for_kind = every if kind != "near" else [(c, p) for c, p, _ in inside]  # near: confident variants only
        pool = negative_sites(kind, n, seed + k, truth_sites=truth_for_kind,
                              regions=conf, reads=str(d["reads"]), ref=str(d["ref"]))
        for c, p in pool:
            if index.contains(c, p) and (c, p) not in taken:
                taken.add((c, p))
                sites.append((c, p, kind, "no_variant"))
    bam = open_alignments(str(d["reads"]), ref)
    rows = []
    for c, p, kind, cls in sites:
        path = out / cls / f"{d['name']}__{kind}__{c}_{p + 1}.png"
        if not path.exists():
            save_png(render_site(bam, ref, c, p, render_cfg), path, f"{c}:{p + 1} {d['reads'].name}")
        rows.append(dict(set=d["name"], group=d["group"], kind=kind, cls=cls, contig=c, pos=p, path=str(path)))
    return rows


def caller_answers(d: dict, conf: list, rows: list[dict], work: Path) -> dict[str, np.ndarray]:
    """Per site of ``rows``: whether the pileup CNN (``genotorch call``) and bcftools call a variant there, both
    run over the confident intervals ``conf``."""
    import pysam

    from genotorch.variants.site_calls import called_at, variant_starts

    work.mkdir(parents=True, exist_ok=True)
    with pysam.AlignmentFile(str(d["reads"])) as bam:
        names = {n.removeprefix("chr"): n for n in bam.references}
    bed = work / "confident.bed"
    bed.write_text("".join(f"{names.get(iv.contig.removeprefix('chr'), iv.contig)}\t{iv.start}\t{iv.end}\n"
                           for iv in conf))
    gt_vcf, bc_vcf = work / "genotorch.vcf.gz", work / "bcftools.vcf.gz"
    model = ["--model", str(d["pileup_model"])] if d["pileup_model"] else []
    subprocess.run([sys.executable, "-m", "genotorch.cli.main", "call", "--ref", str(d["ref"]), "--reads",
                    str(d["reads"]), *model, "--regions", str(bed), "-o", str(gt_vcf)], check=True,
                   stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    subprocess.run(f"bcftools mpileup -f {d['ref']} -R {bed} {d['reads']} 2>/dev/null | "
                   f"bcftools call -mv -Oz -o {bc_vcf} 2>/dev/null && bcftools index -t -f {bc_vcf}", shell=True,
                   check=True)
    sites = [(r["contig"], r["pos"]) for r in rows]
    return {"pileup_cnn": called_at(sites, variant_starts(gt_vcf)),
            "bcftools": called_at(sites, variant_starts(bc_vcf))}


def train_split(rows: list[dict], split: list[str], run_dir: Path, overrides: dict) -> dict[str, bool]:
    """Train ``configs/igv_pictures.yaml`` on ``split`` (train/val/test/dropped per row); per test picture path:
    whether the picture model says ``variant``."""
    from genotorch.config import load_train_config
    from genotorch.train.run import train

    run_dir.parent.mkdir(parents=True, exist_ok=True)
    split_file = run_dir.parent / f"{run_dir.name}.split.csv"  # beside the run: train() clears the run's folder
    with open(split_file, "w", newline="") as f:
        w = csv.writer(f)
        w.writerow(["path", "class", "folder", "split", "fold"])
        for r, s in zip(rows, split):
            w.writerow([r["path"], r["cls"], r["cls"], s, -1])
    cfg = load_train_config(CONFIG, {**overrides, "output_dir": str(run_dir), "data.split_file": str(split_file)})
    train(cfg, progress_bar=False, overwrite=True, log_every_s=60)
    with open(run_dir / "test_predictions.csv") as f:
        return {str(Path(r["path"]).resolve()): r["predicted"] == "variant" for r in csv.DictReader(f)}


def with_val(split: np.ndarray, rng: np.random.Generator, fraction: float = 0.15) -> list[str]:
    """Move ``fraction`` of the training sites, at random, to validation (early stopping)."""
    train_ix = np.nonzero(split == "train")[0]
    split[rng.choice(train_ix, size=max(1, int(len(train_ix) * fraction)), replace=False)] = "val"
    return list(split)


def summarise(rows: list[dict], answers: dict[str, np.ndarray], mask: np.ndarray) -> dict:
    """Per caller: both classes' precision/recall and accuracy, and recall per kind of site."""
    from genotorch.variants.site_calls import site_metrics

    truth = np.array([r["cls"] == "variant" for r in rows])
    kinds = np.array([r["kind"] for r in rows])
    out = {}
    for caller, said in answers.items():
        m = site_metrics(truth[mask], said[mask])
        m["by_kind"] = {k: {"n": int((mask & (kinds == k)).sum()),
                            "correct": int((mask & (kinds == k) & (said == truth)).sum())}
                        for k in ("snp", "indel", *KINDS)}
        out[caller] = m
    return out


def print_table(title: str, summary: dict) -> None:
    print(f"\n{title}")
    kinds = ("snp", "indel", *KINDS)
    print(f"{'caller':12s} {'n':>5s} {'acc':>6s} {'var P':>6s} {'var R':>6s} {'novar P':>7s} {'novar R':>7s}   "
          + " ".join(f"{k:>10s}" for k in kinds))
    for caller, m in summary.items():
        per = " ".join(f"{m['by_kind'][k]['correct']:>4d}/{m['by_kind'][k]['n']:<5d}" for k in kinds)
        v, nv = m["variant"], m["no_variant"]
        print(f"{caller:12s} {m['n']:5d} {m['accuracy']:6.3f} {v['precision']:6.3f} {v['recall']:6.3f} "
              f"{nv['precision']:7.3f} {nv['recall']:7.3f}   {per}")
    print("(per kind: sites answered correctly / sites; snp and indel are truth variants, random / near / "
          "lookalike are negatives)")


def write_sites(out: Path, sets: list[dict], rows: list[dict], answers: dict[str, np.ndarray],
                tested: np.ndarray) -> None:
    """``sites.tsv`` (every site, with the three answers where it was held out) and one BED per set and class."""
    with open(out / "sites.tsv", "w", newline="") as f:
        w = csv.writer(f, delimiter="\t")
        w.writerow(["set", "contig", "pos1", "class", "kind", "tested", *answers, "path"])
        for i, r in enumerate(rows):
            w.writerow([r["set"], r["contig"], r["pos"] + 1, r["cls"], r["kind"], int(tested[i]),
                        *(("variant" if answers[k][i] else "no_variant") if tested[i] else "" for k in answers),
                        r["path"]])
    (out / "sites").mkdir(exist_ok=True)
    for d in sets:
        for cls in ("variant", "no_variant"):
            (out / "sites" / f"{d['name']}.{cls}.bed").write_text("".join(
                f"{r['contig']}\t{r['pos']}\t{r['pos'] + 1}\t{r['kind']}\n" for r in rows
                if r["set"] == d["name"] and r["cls"] == cls))


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--out", type=Path, default=ROOT / "runs" / "igv_pictures")
    ap.add_argument("--shared", type=Path, default=ROOT.parent / "shared")
    ap.add_argument("--folds", default="all", help="HG002 regions to hold out, comma-separated (r18.78, ...), "
                    "'all' or 'none'")
    ap.add_argument("--no-final", action="store_true", help="skip the HG001 test (model trained on all HG002)")
    ap.add_argument("--negatives-per-kind", type=int, default=20, help="at least this many negatives of each kind "
                    "per set (more where the set has more truth variants)")
    ap.add_argument("--max-epochs", type=int, default=None, help="override the config's trainer.max_epochs")
    ap.add_argument("--seed", type=int, default=0)
    args = ap.parse_args()
    from genotorch.render.reads import RenderConfig

    out = args.out.resolve()
    if not (args.shared / "data" / "variants").is_dir():
        print(f"error: --shared {args.shared}: no data/variants folder there (the shared data beside the "
              f"repository)", file=sys.stderr)
        return 2
    if not shutil.which("bcftools"):
        print("error: bcftools is not on PATH (scripts/install.sh installs it)", file=sys.stderr)
        return 2
    sets = read_sets(args.shared)
    names = [d["name"] for d in sets if d["group"] == "hg002"]
    folds = names if args.folds == "all" else [] if args.folds == "none" else args.folds.split(",")
    for f in folds:
        if f not in names:
            print(f"error: --folds {f}: choose among {', '.join(names)}", file=sys.stderr)
            return 2
    render_cfg = RenderConfig(flank=20, px_per_base=4, row_px=4, gap_px=1, max_rows=32, seed=args.seed)
    print(f"1-2. sites and pictures ({render_cfg.size[1]} x {render_cfg.size[0]} px) -> {out / 'pictures'}",
          flush=True)
    from genotorch.io.reference import Reference

    rows, answers = [], {"pileup_cnn": [], "bcftools": []}
    for d in sets:
        ref = Reference(str(d["ref"]))
        conf = confident(d, ref.lengths)
        r = build_set(d, ref, conf, out / "pictures", args.negatives_per_kind, args.seed, render_cfg)
        a = caller_answers(d, conf, r, out / "callers" / d["name"])
        rows += r
        for k in answers:
            answers[k].append(a[k])
        n_var = sum(x["cls"] == "variant" for x in r)
        print(f"   {d['label']}: {n_var} truth variants, {len(r) - n_var} negatives", flush=True)
    answers = {k: np.concatenate(v) for k, v in answers.items()}
    answers = {"pictures": np.zeros(len(rows), dtype=bool), **answers}
    tested = np.zeros(len(rows), dtype=bool)
    set_of = np.array([r["set"] for r in rows])
    group_of = np.array([r["group"] for r in rows])
    overrides = {"seed": args.seed, "data.root": str(out / "pictures")}
    if args.max_epochs:
        overrides["trainer.max_epochs"] = args.max_epochs
    rng = np.random.default_rng(args.seed)
    runs = [(f"loro_{f}", set_of == f, (group_of == "hg002") & (set_of != f)) for f in folds]
    if not args.no_final:
        runs.append(("final_hg002", group_of == "hg001", group_of == "hg002"))
    for name, test, train_mask in runs:
        split = np.where(test, "test", np.where(train_mask, "train", "dropped")).astype(object)
        print(f"3-4. training {name}: {int(train_mask.sum())} training pictures, {int(test.sum())} test", flush=True)
        said = train_split(rows, with_val(split, rng), out / "train" / name, overrides)
        for i in np.nonzero(test)[0]:
            answers["pictures"][i] = said[str(Path(rows[i]["path"]).resolve())]
        tested |= test
    import genotorch

    report = {"genotorch": genotorch.__version__, "command": sys.argv, "config": CONFIG.read_text(),
              "render": render_cfg.__dict__, "seed": args.seed, "folds": folds, "final": not args.no_final}
    loro = tested & (group_of == "hg002")
    if loro.any():
        report["hg002_loro"] = summarise(rows, answers, loro)
        print_table(f"HG002 HiSeq X, leave-one-region-out ({', '.join(folds)}): each region's sites by the picture "
                    "model and the pileup CNN trained without it", report["hg002_loro"])
    hg1 = tested & (group_of == "hg001")
    if hg1.any():
        report["hg001"] = summarise(rows, answers, hg1)
        print_table("HG001 (two libraries): picture model trained on the five HG002 regions; the shipped pileup CNN; "
                    "neither saw HG001", report["hg001"])
    truth = np.array([r["cls"] == "variant" for r in rows])
    pic_ok, cnn_ok = answers["pictures"] == truth, answers["pileup_cnn"] == truth
    report["disagreements"] = {"pictures_right_cnn_wrong": int((tested & pic_ok & ~cnn_ok).sum()),
                               "cnn_right_pictures_wrong": int((tested & ~pic_ok & cnn_ok).sum())}
    print(f"\nheld-out sites where only the picture model is right: "
          f"{report['disagreements']['pictures_right_cnn_wrong']}; only the pileup CNN: "
          f"{report['disagreements']['cnn_right_pictures_wrong']} (listed in sites.tsv)")
    write_sites(out, sets, rows, answers, tested)
    (out / "report.json").write_text(json.dumps(report, indent=1, default=str))
    print(f"report: {out / 'report.json'}; every site: {out / 'sites.tsv'}")
    return 0


if __name__ == "__main__":
    sys.path.insert(0, str(ROOT / "src"))
    sys.exit(main())
