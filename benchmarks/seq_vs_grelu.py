"""genotorch vs gReLU (Genentech's sequence-model toolkit, Lal et al. 2024): the same CNN, data and settings, trained
by each in one benchmark run; training throughput (sequences/s) and test AUROC side by side, with the ratio.

    bash benchmarks/setup_grelu.sh                # once: gReLU in its own venv (.venv-grelu), not a genotorch dep
    .venv/bin/python benchmarks/seq_vs_grelu.py [--epochs 3] [--repeats 3] [--data DIR]

Same for both:
* data: GUE core promoters (``DIR/train.csv``, ``dev.csv``, ``test.csv``), one-hot A/C/G/T, reverse-complement and
  +-3 bp shift augmentation drawn at random per example (gReLU ``augment_mode="random"``: one draw per sequence per
  epoch, as genotorch);
* model: genotorch's ``small_cnn`` module (two convolutions, global max + mean pool, linear), built with the same
  seed; gReLU trains it through its ``LightningModel`` (the module is swapped in for gReLU's own, with one sigmoid
  output for gReLU's binary BCE task, two softmax outputs for genotorch's cross-entropy);
* Adam, lr 1e-3, batch 128, no scheduler, one data-loader worker, validation on the whole dev set once per epoch,
  ``--epochs`` epochs, CPU, torch's default threads.

Throughput = training sequences x epochs / wall time of the fit (data set-up and test scoring excluded); the test
AUROC is scored on ``test.csv`` with the last weights. Each side runs ``--repeats`` times in fresh processes,
alternating; medians are printed.
"""

from __future__ import annotations

import argparse
import csv
import json
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
DATA = ROOT.parent / "shared" / "data" / "sequences" / "gue_prom_core_all"
GRELU_PY = ROOT / ".venv-grelu" / "bin" / "python"
BATCH, LR, SHIFT, FILTERS, SEED = 128, 1e-3, 3, 128, 0


def read(path: Path) -> tuple[list[str], list[int]]:
    rows = list(csv.DictReader(open(path)))
    return [r["sequence"] for r in rows], [int(r["label"]) for r in rows]


def run_genotorch(data: Path, epochs: int, out: Path) -> dict:
    import lightning as L

    from genotorch.config import load_train_config
    from genotorch.train import run as run_mod

    cfg_path = out / "g.yaml"
    cfg_path.write_text(f"""task: sequence
seed: {SEED}
output_dir: {out / 'run'}
data: {{train: [{data / 'train.csv'}], val: [{data / 'dev.csv'}], test: [{data / 'test.csv'}], rc_augment: true,
        shift_augment: {SHIFT}, batch_size: {BATCH}, num_workers: 1}}
model: {{name: small_cnn, params: {{filters: {FILTERS}, dropout: 0.0}}}}
optimizer: {{name: adam, lr: {LR}, weight_decay: 0.0, scheduler: none}}
trainer: {{max_epochs: {epochs}, val_every_n_steps: 1000000, limit_val_batches: 1.0, early_stopping_patience: 0,
          checkpoint_every_n_steps: 1000000}}
""")
    fit_time = {}
    orig_fit = L.Trainer.fit

    def timed_fit(self, *a, **k):
        t = time.perf_counter()
        orig_fit(self, *a, **k)
        fit_time["s"] = time.perf_counter() - t

    L.Trainer.fit = timed_fit
    res = run_mod.train(load_train_config(cfg_path), progress_bar=False)
    n = len(read(data / "train.csv")[0])
    return {"tool": "genotorch", "fit_s": fit_time["s"], "seqs_per_s": n * epochs / fit_time["s"],
            "test_auroc": res.test["auroc"]}


def run_grelu(data: Path, epochs: int, out: Path) -> dict:
    import numpy as np
    import pandas as pd
    import torch
    from grelu.data.dataset import DFSeqDataset
    from grelu.lightning import LightningModel
    from sklearn.metrics import roc_auc_score

    sys.path.insert(0, str(ROOT / "src"))
    from genotorch.models.seq_cnn import SmallCNN  # the same module class genotorch trains

    class Binary(torch.nn.Module):  # gReLU's binary task wants (N, tasks, length) logits
        def __init__(self):
            super().__init__()
            self.cnn = SmallCNN(n_classes=1, filters=FILTERS, dropout=0.0)

        def forward(self, x):
            return self.cnn(x).unsqueeze(-1)

    torch.manual_seed(SEED)
    frames = {}
    for split in ("train", "dev", "test"):
        seqs, labels = read(data / f"{split}.csv")
        frames[split] = pd.DataFrame({"sequence": seqs, "label": np.array(labels, dtype=np.float32)})
    train_ds = DFSeqDataset(frames["train"], rc=True, max_seq_shift=SHIFT, augment_mode="random", seed=SEED)
    val_ds = DFSeqDataset(frames["dev"])
    test_ds = DFSeqDataset(frames["test"])
    lm = LightningModel(model_params={"model_type": "ConvModel", "n_tasks": 1},
                        train_params={"task": "binary", "loss": "bce", "lr": LR, "optimizer": "adam",
                                      "batch_size": BATCH, "num_workers": 1, "max_epochs": epochs,
                                      "devices": "cpu", "save_dir": str(out), "checkpoint": True,
                                      "logger": "csv"})
    torch.manual_seed(SEED)
    lm.model = Binary()
    t = time.perf_counter()
    lm.train_on_dataset(train_ds, val_ds)
    fit = time.perf_counter() - t
    probs = lm.predict_on_dataset(test_ds, devices="cpu", num_workers=1, batch_size=256).reshape(-1)
    return {"tool": "gReLU", "fit_s": fit, "seqs_per_s": len(frames["train"]) * epochs / fit,
            "test_auroc": float(roc_auc_score(frames["test"]["label"], probs))}


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--data", type=Path, default=DATA)
    ap.add_argument("--epochs", type=int, default=3)
    ap.add_argument("--repeats", type=int, default=3)
    ap.add_argument("--side", choices=["genotorch", "grelu"], help=argparse.SUPPRESS)
    a = ap.parse_args()
    if a.side:
        with tempfile.TemporaryDirectory() as tmp:
            fn = run_genotorch if a.side == "genotorch" else run_grelu
            print("RESULT " + json.dumps(fn(a.data, a.epochs, Path(tmp))), flush=True)
        return
    if not GRELU_PY.exists():
        sys.exit(f"{GRELU_PY} missing: run `bash benchmarks/setup_grelu.sh` first (gReLU lives in its own venv)")
    results: dict[str, list[dict]] = {"genotorch": [], "gReLU": []}
    for rep in range(a.repeats):
        for side, py in (("genotorch", sys.executable), ("grelu", str(GRELU_PY))):
            r = subprocess.run([py, __file__, "--side", side, "--epochs", str(a.epochs), "--data", str(a.data)],
                               capture_output=True, text=True)
            line = next((ln for ln in r.stdout.splitlines() if ln.startswith("RESULT ")), None)
            if r.returncode or not line:
                sys.exit(f"{side} failed:\n{r.stderr[-4000:]}")
            res = json.loads(line[7:])
            results[res["tool"]].append(res)
            print(f"run {rep + 1} {res['tool']}: {res['seqs_per_s']:.0f} seqs/s, fit {res['fit_s']:.1f} s, "
                  f"test AUROC {res['test_auroc']:.4f}", flush=True)
    med = {k: {m: statistics.median(r[m] for r in v) for m in ("seqs_per_s", "fit_s", "test_auroc")}
           for k, v in results.items()}
    print(f"\n{a.data.name}: small_cnn, {a.epochs} epochs, batch {BATCH}, Adam {LR}, medians of {a.repeats} runs")
    print("| tool | training seqs/s | fit s | test AUROC |")
    print("|---|---|---|---|")
    for k, m in med.items():
        print(f"| {k} | {m['seqs_per_s']:.0f} | {m['fit_s']:.1f} | {m['test_auroc']:.4f} |")
    print(f"| ratio genotorch / gReLU | {med['genotorch']['seqs_per_s'] / med['gReLU']['seqs_per_s']:.2f}x | | "
          f"{med['genotorch']['test_auroc'] - med['gReLU']['test_auroc']:+.4f} |")


if __name__ == "__main__":
    main()
