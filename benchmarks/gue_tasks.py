"""A recipe (`configs/gue_prom_core.yaml` by default, unchanged) on GUE tasks, test MCC x100 beside the published
DNABERT / Nucleotide Transformer / DNABERT-2 numbers (DNABERT-2 paper, Zhou et al. 2024; copied in the data READMEs).

    python benchmarks/gue_tasks.py [--tasks prom_core tf1 tf2 tf3 tf4] [--config configs/gue_prom_core.yaml]
                                   [--set KEY=VALUE ...] [--out runs/gue_tasks]
    python benchmarks/gue_tasks.py --config configs/gue_tf.yaml --tasks tf1 tf2 tf3 tf4   # the TF-binding recipe

Each task is one `genotorch train CONFIG --set data.train=... --set data.val=... --set data.test=...` run (the
recipe with another folder of train/dev/test CSVs); the test MCC is read from its `test_metrics.json`. Wall time per
task is printed too (CPU threads: torch's default).
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
SEQ = ROOT.parent / "shared" / "data" / "sequences"
TASKS = {  # folder, published MCC x100: DNABERT (6-mer), NT-2500M-multi, DNABERT-2
    "prom_core": (SEQ / "gue_prom_core_all", (68.90, 70.33, 69.37)),
    "tf1": (SEQ / "gue_human_tf_4tasks" / "tf1", (70.14, 70.28, 76.06)),
    "tf2": (SEQ / "gue_human_tf_4tasks" / "tf2", (61.03, 58.72, 66.52)),
    "tf3": (SEQ / "gue_human_tf_4tasks" / "tf3", (51.89, 51.65, 58.54)),
    "tf4": (SEQ / "gue_human_tf_4tasks" / "tf4", (70.97, 69.34, 77.43)),
}


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--tasks", nargs="+", default=list(TASKS), choices=list(TASKS))
    ap.add_argument("--config", default=str(ROOT / "configs" / "gue_prom_core.yaml"))
    ap.add_argument("--set", action="append", default=[], help="extra overrides passed to genotorch train")
    ap.add_argument("--out", default=str(ROOT / "runs" / "gue_tasks"))
    a = ap.parse_args()
    rows = []
    for name in a.tasks:
        folder, published = TASKS[name]
        out = Path(a.out) / name
        cmd = [sys.executable, "-m", "genotorch.cli.main", "train", a.config, "--output-dir", str(out),
               "--set", f"data.train=[{folder / 'train.csv'}]", "--set", f"data.val=[{folder / 'dev.csv'}]",
               "--set", f"data.test=[{folder / 'test.csv'}]"]
        for s in a.set:
            cmd += ["--set", s]
        t = time.perf_counter()
        r = subprocess.run(cmd, capture_output=True, text=True)
        wall = time.perf_counter() - t
        if r.returncode:
            sys.exit(f"{name}: genotorch train failed:\n{r.stderr[-3000:]}")
        m = json.loads((out / "test_metrics.json").read_text())
        rows.append((name, 100 * m["mcc"], m["auroc"], wall, published))
        print(f"{name}: test MCC {100 * m['mcc']:.2f}  AUROC {m['auroc']:.4f}  ({wall / 60:.1f} min)", flush=True)
    print(f"\nrecipe {a.config} {' '.join(a.set)}")
    print("| task | genotorch MCC | AUROC | train+test min | DNABERT | NT-2500M-multi | DNABERT-2 | gap to best |")
    print("|---|---|---|---|---|---|---|---|")
    for name, mcc, auroc, wall, pub in rows:
        print(f"| {name} | {mcc:.2f} | {auroc:.4f} | {wall / 60:.1f} | {pub[0]:.2f} | {pub[1]:.2f} | {pub[2]:.2f} | "
              f"{mcc - max(pub):+.2f} |")


if __name__ == "__main__":
    main()
