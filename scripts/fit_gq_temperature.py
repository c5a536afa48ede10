"""Fit the Illumina models' temperatures to the genotype qualities they write, cross-fitted over the HG002 regions.

    .venv/bin/python scripts/fit_gq_temperature.py [--out runs/gq_temperature] [--models benchmarks/models]
                                                   [--shipped src/genotorch/models/default/pileup_illumina.pt]
                                                   [--final-records] [--write]

Why: ``train_default_model.py`` fits one temperature to the out-of-fold *example* logits (3-class NLL). GQ, though,
is a claim about a *call record* (the genotype chosen after DeepVariant's multi-allelic merging):
GQ = -10 log10 P(genotype wrong). With the example-level temperature (2.08) the pooled test rows were 2.3x (GQ 0-9)
and 8x (GQ 10-19) more cautious than their GQs said. This script fits the temperature to what GQ claims:

1. For each HG002 region j, its leave-one-region-out model (``loro_<j>.pt``, which never saw j) scores the region's
   examples (spanning-read indel pileups, as ``call`` makes them) at full depth, 50% and 30% (seeded subsamples as
   in ``train_default_model.py``): out-of-fold logits.
2. For each temperature T of a grid (0.6-3.0 by 0.05), the logits / T give probabilities, ``postprocess`` makes the
   call records (``call``'s own code), and each record inside the GIAB confident regions is right or wrong (every
   normalised allele's copies equal the truth's; the rule of ``evaluate``'s GQ table). The loss of a region at T is
   the binary log-loss of "wrong" under the record's claimed 10^(-GQ/10) (clipped to [1e-6, 0.99]).
3. Cross-fitting: region k's model gets the T minimising the summed loss of the *other four* regions; the shipped
   model the T minimising all five. So no region's GQ table is ever scored with a temperature fitted on it, and
   the HG001 test rows chose nothing.

``--final-records`` (stop 29) scores the records ``call`` itself writes instead: at each temperature of
``FINAL_GRID`` (0.6-1.6 by 0.05) each region, at full depth and the two subsamples, is called by its
leave-one-region-out model with that temperature, through every step that reads the BAM (repeat lengths, allele
balance, mate overlap, read linkage), whose corrections the examples alone cannot show; the loss and the
cross-fitting are as above. Without it the example-level records are scored (the stop-26 fit).

``--write`` stores the temperatures in the checkpoints' ``meta.calibration`` (weights untouched); without it the
script only prints them and the per-region losses.
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "scripts"))
from train_default_model import (  # noqa: E402
    FRACTIONS, HG2_BED, HG2_REF, HG2_TRUTH, real_examples, regions, store_in_meta, subsample,
)

GRID = np.round(np.arange(0.6, 3.0001, 0.05), 2)


def gq_log_loss(gq: int, wrong: bool) -> float:
    """Binary log-loss (nats) of one call record: its GQ claims P(wrong) = 10^(-GQ/10), clipped to [1e-6, 0.99]."""
    p = min(max(10 ** (-gq / 10), 1e-6), 0.99)
    return float(-np.log(p) if wrong else -np.log1p(-p))


def hg002_truth():
    """(the HG002 reference, its GIAB confident regions as an ``IntervalIndex``, the truth's normalised allele copies
    inside them) for scoring records."""
    from genotorch.io.intervals import IntervalIndex, read_bed
    from genotorch.io.reference import Reference
    from genotorch.variants.evaluate import vcf_alleles

    ref = Reference(str(HG2_REF))
    confident = IntervalIndex(read_bed(str(HG2_BED), ref.lengths))
    return ref, confident, vcf_alleles(str(HG2_TRUTH), ref, confident, pass_only=False, flag="--truth")


def record_losses(model_path: Path, example_files: list[Path], grid=GRID) -> np.ndarray:
    """Summed binary log-loss of the call records' GQ claims at each temperature of ``grid``; shape (len(grid),)."""
    import h5py
    import tempfile

    import torch

    from genotorch.io.examples import read_variants, variant_candidates
    from genotorch.io.variants import write_vcf
    from genotorch.models.calibration import TemperatureScaled
    from genotorch.models.checkpoint import load_classifier
    from genotorch.models.inference import predict_array
    from genotorch.variants.postprocess import postprocess

    net, _ = load_classifier(model_path, kind="pileup")
    if isinstance(net, TemperatureScaled):
        net = net.model  # the uncalibrated network: logits
    ref, confident, truth = hg002_truth()
    losses = np.zeros(len(grid))
    for path in example_files:
        v = read_variants(path)
        cands = variant_candidates(v)
        rank = sorted(range(len(cands)), key=lambda i: cands[i].pos)  # one contig per file; stable
        with h5py.File(path, "r") as h5:
            logits = predict_array(net, h5["pileups"], 256, "none")
        logits = torch.as_tensor(logits[rank], dtype=torch.float64)
        for g, t in enumerate(grid):
            probs = torch.softmax(logits / t, dim=1).numpy()
            records = postprocess([cands[i] for i in rank], probs)
            with tempfile.TemporaryDirectory() as tmp:
                vcf = Path(tmp) / "calls.vcf.gz"
                write_vcf(str(vcf), records, ref.lengths, "SAMPLE", [])
                losses[g] += vcf_gq_loss(vcf, ref, confident, truth)
    return losses


def vcf_gq_loss(vcf: Path, ref, confident, truth: dict) -> float:
    """Summed :func:`gq_log_loss` of the records of ``vcf`` inside ``confident`` that claim a genotype; a record is
    wrong when any normalised allele's copies differ from ``truth``'s (``evaluate``'s GQ-table rule)."""
    from genotorch.variants.error_report import read_call_sites

    _, infos = read_call_sites(vcf, ref, confident)
    return sum(gq_log_loss(r.gq, any(truth.get(k, 0) != c for k, c in r.claims.items()))
               for r in infos if r.gq is not None and r.claims)


FINAL_GRID = np.round(np.arange(0.6, 1.6001, 0.05), 2)


def final_record_losses(job: tuple[Path, str, Path, Path, tuple]) -> np.ndarray:
    """Summed binary log-loss of the GQ claims of the records ``call`` writes (every step: repeat lengths, allele
    balance, mate overlap, read linkage) for one region's ``reads``, with ``model_path``'s weights at each
    temperature of ``grid``; shape (len(grid),). ``job``: (model, 1-based region string, reads, work dir, grid)."""
    import shutil

    from genotorch.variants.call import call_variants

    model_path, region, reads, work, grid = job
    ref, confident, truth = hg002_truth()
    losses = np.zeros(len(grid))
    work.mkdir(parents=True, exist_ok=True)
    for g, t in enumerate(grid):
        model = work / f"T{t:.2f}.pt"
        shutil.copy(model_path, model)
        store_in_meta(model, "calibration", {"temperature": float(t), "method": "grid point"})
        vcf = work / f"T{t:.2f}.vcf.gz"
        call_variants(str(HG2_REF), str(reads), str(model), str(vcf), [region])
        losses[g] = vcf_gq_loss(vcf, ref, confident, truth)
        model.unlink()
    return losses


def fit_on_final_records(out: Path, models: Path, workers: int) -> dict[str, np.ndarray]:
    """Region name -> summed losses over ``FINAL_GRID`` of its final call records, each region (at full depth and
    the ``FRACTIONS`` subsamples) called by its own leave-one-region-out model."""
    from multiprocessing import Pool

    jobs, names = [], []
    for name, region, bam in regions():
        for fraction, seed in FRACTIONS:
            reads = bam if fraction == 1 else out / f"{bam.stem}_{fraction}.bam"
            if fraction != 1 and not reads.exists():
                subsample(bam, reads, fraction, seed)
            jobs.append((models / f"loro_{name}.pt", region, reads, out / f"{name}_{fraction}", FINAL_GRID))
            names.append(name)
    with Pool(workers) as pool:
        parts = pool.map(final_record_losses, jobs)
    losses: dict[str, np.ndarray] = {}
    for name, part in zip(names, parts):
        losses[name] = losses.get(name, 0) + part
    return losses


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--out", type=Path, default=ROOT / "runs" / "gq_temperature")
    ap.add_argument("--models", type=Path, default=ROOT / "benchmarks" / "models")
    ap.add_argument("--shipped", type=Path, default=ROOT / "src/genotorch/models/default/pileup_illumina.pt")
    ap.add_argument("--workers", type=int, default=2)
    ap.add_argument("--write", action="store_true", help="store the temperatures in the checkpoints")
    ap.add_argument("--final-records", action="store_true",
                    help="score the records `call` writes, after every step that reads the BAM (grid 0.6-1.6)")
    args = ap.parse_args(argv)
    out = args.out.resolve()
    out.mkdir(parents=True, exist_ok=True)
    if args.final_records:
        grid = FINAL_GRID
        losses = fit_on_final_records(out, args.models.resolve(), args.workers)
    else:
        grid = GRID
        examples = real_examples(out, args.workers, spanning_examples=True)  # call's pileups: spanning indel reads
        losses = {name: record_losses(args.models / f"loro_{name}.pt", examples[name]) for name, _, _ in regions()}
    for name, loss in losses.items():
        print(f"{name}: loss-minimising T on its own records {grid[int(np.argmin(loss))]:.2f}", flush=True)
    temps = {k: float(grid[int(np.argmin(sum(v for j, v in losses.items() if j != k)))]) for k in losses}
    final = float(grid[int(np.argmin(sum(losses.values())))])
    print(f"temperatures (record-level GQ log-loss, cross-fitted): final {final:.2f}; folds {temps}")
    (out / "temperatures.json").write_text(json.dumps({"final": final, "folds": temps, "grid": grid.tolist(),
                                                       "losses": {k: v.tolist() for k, v in losses.items()}}) + "\n")
    if args.write:
        method = ("record-level: the binary log-loss of the call records' GQ claims on the held-out HG002 regions' "
                  "out-of-fold calls (scripts/fit_gq_temperature.py"
                  f"{' --final-records: the records call writes, after its BAM steps' if args.final_records else ''})")
        for path, t in [(args.models / f"loro_{k}.pt", v) for k, v in temps.items()] + [(args.shipped, final)]:
            store_in_meta(path, "calibration", {"temperature": t, "method": method})
            print(f"wrote T={t:.2f} into {path}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
