"""Choose the GUE transcription-factor recipe on the dev sets only, then report the chosen recipe's test MCC.

    python scripts/tf_recipe_search.py [--tasks tf1 tf2 tf3 tf4] [--recipes base wide ...] [--screen-seeds 0]
                                       [--finalists 3] [--seeds 0 1 2] [--jobs 2] [--out runs/tf_search]
                                       [--train-only | --score-only]

Protocol (issue 16): every candidate recipe is trained on each task's ``train.csv`` with early stopping on its
``dev.csv``; each model's decision threshold is the cut that maximises its dev MCC (``trainer.decision_threshold:
val_mcc``). Variants: one strand or both strands averaged. Every recipe is screened with ``--screen-seeds``; the
``--finalists`` best by mean dev MCC are trained with every seed of ``--seeds``, and the recipe + strand setting
with the highest **mean dev MCC over seeds and tasks** (single models) is chosen, one recipe for all tasks (the
seeds' averaged probabilities, an ensemble, are printed beside it but not chosen from). Only then are the test
sets read: the chosen variant's test MCC per seed at its dev threshold, beside DNABERT / NT-2500M-multi /
DNABERT-2 (the DNABERT-2 paper's table, copied in the data README) and the recipe it replaces (``base``, seed 0,
p >= 0.5, one strand). Every run is seeded; results are kept per run (``result.json``, dev/test probabilities) so
the search resumes where it stopped, and ``--score-only`` re-makes the tables from runs copied from elsewhere.

Runs on the CPU (2 cores: see the timing printed per run) or a GPU (``trainer.accelerator: auto`` picks it).
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import time
from concurrent.futures import ThreadPoolExecutor
from functools import lru_cache
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
DATA = Path(os.environ.get("GUE_TF_DIR", ROOT.parent / "shared" / "data" / "sequences" / "gue_human_tf_4tasks"))
PUBLISHED = {"tf1": (70.14, 70.28, 76.06), "tf2": (61.03, 58.72, 66.52), "tf3": (51.89, 51.65, 58.54),
             "tf4": (70.97, 69.34, 77.43)}  # DNABERT (6-mer), NT-2500M-multi, DNABERT-2 test MCC x100
CONFIG = ROOT / "configs" / "gue_tf.yaml"

# The recipe configs/gue_tf.yaml held before this search (small_cnn of 128 filters, 15 epochs); every candidate is
# these overrides on configs/gue_tf.yaml plus its own, so the search reruns the same whatever the config holds now.
BASE = ["model.name=small_cnn", "model.params={filters: 128, dropout: 0.2}", "trainer.max_epochs=15",
        "trainer.early_stopping_patience=5", "optimizer.lr=0.002", "data.rc_average=false"]
RECIPES: dict[str, list[str]] = {  # --set overrides on BASE; "wide_xl" was chosen (configs/gue_tf.yaml now)
    "base": [],
    "wide": ["model.params.filters=256", "model.params.dropout=0.3", "trainer.max_epochs=20"],
    "wide_long": ["model.params.filters=256", "model.params.dropout=0.3", "trainer.max_epochs=30",
                  "trainer.early_stopping_patience=8"],
    "wide_xl": ["model.params.filters=256", "model.params.dropout=0.3", "trainer.max_epochs=45",
                "trainer.early_stopping_patience=10"],
    "wide_drop": ["model.params.filters=256", "model.params.dropout=0.45", "trainer.max_epochs=20"],
    "wide_lr": ["model.params.filters=256", "model.params.dropout=0.3", "trainer.max_epochs=20", "optimizer.lr=0.001"],
    "dil128": ["model.name=dilated_cnn", "model.params={channels: 128, dilations: [1, 2, 4, 8]}",
               "trainer.max_epochs=20"],
    "dil192": ["model.name=dilated_cnn", "model.params={channels: 192, dilations: [1, 2, 4, 8, 16]}",
               "trainer.max_epochs=25", "trainer.early_stopping_patience=6"],
    "dil128_long": ["model.name=dilated_cnn", "model.params={channels: 128, dilations: [1, 2, 4, 8]}",
                    "trainer.max_epochs=40", "trainer.early_stopping_patience=8", "optimizer.lr=0.001"],
}


def train_one(recipe: str, task: str, seed: int, out: Path) -> dict:
    """Train one (recipe, task, seed) run unless its result exists; returns the run's record (times, dev)."""
    run = out / recipe / f"{task}_s{seed}"
    done = run / "result.json"
    if done.exists():
        return json.loads(done.read_text())
    folder = DATA / task
    cmd = [sys.executable, "-m", "genotorch.cli.main", "train", str(CONFIG), "--output-dir", str(run), "--overwrite",
           "--set", f"data.train=[{folder / 'train.csv'}]", "--set", f"data.val=[{folder / 'dev.csv'}]",
           "--set", f"seed={seed}", "--set", "trainer.decision_threshold=val_mcc", "--set", "data.test=[]",
           "--set", "data.test_fraction=0"]
    for s in BASE + RECIPES[recipe]:
        cmd += ["--set", s]
    t = time.perf_counter()
    r = subprocess.run(cmd, capture_output=True, text=True)
    wall = time.perf_counter() - t
    if r.returncode:
        raise SystemExit(f"{recipe} {task} seed {seed}: genotorch train failed:\n{r.stderr[-3000:]}")
    rec = {"recipe": recipe, "task": task, "seed": seed, "train_s": wall, "run": str(run.relative_to(out))}
    for split in ("dev", "test"):  # cached now so a copied-back run needs no checkpoint; selection reads dev only
        for rc in (False, True):
            probabilities(rec, split, rc)
    (run / "result.json").write_text(json.dumps(rec, indent=1))
    print(f"{recipe:12s} {task} seed {seed}: trained in {wall / 60:.1f} min", flush=True)
    return rec


OUT = Path()  # set by main: the search folder; runs are named relative to it (results can be copied elsewhere)


def probabilities(rec: dict, split: str, rc: bool) -> np.ndarray:
    """Positive-class probabilities of one run on ``split`` (cached as .npy in the run's folder)."""
    from genotorch.models.checkpoint import load_classifier
    from genotorch.predict.sequences import predict_sequences, read_inputs

    run = OUT / rec["run"]
    cache = run / f"p_{split}{'_rc' if rc else ''}.npy"
    if cache.exists():
        return np.load(cache)
    model, meta = load_classifier(run / "checkpoints" / "best.ckpt")
    _, seqs, _ = read_inputs(DATA / rec["task"] / f"{split}.csv")
    p = predict_sequences(model, meta["example_info"]["shape"][1], seqs, rc_average=rc)[:, 1]
    np.save(cache, p)
    return p


@lru_cache(maxsize=None)
def labels(task: str, split: str) -> np.ndarray:
    from genotorch.predict.sequences import read_inputs

    return np.array([int(v) for v in read_inputs(DATA / task / f"{split}.csv")[2]])


def score(recs: list[dict], split: str, rc: bool, threshold: float | None = None) -> tuple[float, float]:
    """(MCC x100, threshold) of the mean probability of ``recs`` (one task); the threshold is chosen on dev when
    not given."""
    from sklearn.metrics import matthews_corrcoef

    from genotorch.predict.metrics import mcc_threshold

    p = np.mean([probabilities(r, split, rc) for r in recs], axis=0)
    y = labels(recs[0]["task"], split)
    if threshold is None:
        threshold, _ = mcc_threshold(y, p)
    return 100 * float(matthews_corrcoef(y, p >= threshold)), threshold


def run_exists(recipe: str, task: str, seed: int) -> bool:
    return (OUT / recipe / f"{task}_s{seed}" / "result.json").exists()


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--tasks", nargs="+", default=list(PUBLISHED), choices=list(PUBLISHED))
    ap.add_argument("--recipes", nargs="+", default=list(RECIPES), choices=list(RECIPES))
    ap.add_argument("--seeds", nargs="+", type=int, default=[0, 1, 2])
    ap.add_argument("--screen-seeds", nargs="+", type=int, default=[0],
                    help="seeds every recipe is trained with; --seeds are trained for the finalists only")
    ap.add_argument("--finalists", type=int, default=3, help="recipes trained with every seed of --seeds")
    ap.add_argument("--jobs", type=int, default=1, help="training runs at a time")
    ap.add_argument("--out", default=str(ROOT / "runs" / "tf_search"))
    ap.add_argument("--train-only", action="store_true", help="train the runs (and cache their probabilities) only")
    ap.add_argument("--score-only", action="store_true",
                    help="train nothing: score the runs already in --out (copied from another machine, say)")
    a = ap.parse_args()
    global OUT
    out = OUT = Path(a.out)

    def train(jobs):
        if a.score_only:
            return
        with ThreadPoolExecutor(a.jobs) as ex:
            list(ex.map(lambda j: train_one(*j, out), jobs))

    def dev_table(recipes, seeds):
        rows = []
        for recipe in recipes:
            have = [s for s in seeds if all(run_exists(recipe, t, s) for t in a.tasks)]
            if not have:
                continue
            for rc in (False, True):
                per = np.array([[score([{"run": f"{recipe}/{t}_s{s}", "task": t}], "dev", rc)[0] for t in a.tasks]
                                for s in have])
                ens = [score([{"run": f"{recipe}/{t}_s{s}", "task": t} for s in have], "dev", rc)[0]
                       for t in a.tasks] if len(have) > 1 else [float("nan")]
                rows.append({"recipe": recipe, "rc_average": rc, "seeds": have, "dev": per.mean(0).tolist(),
                             "mean_dev": float(per.mean()), "ensemble_dev": float(np.mean(ens))})
        return rows

    # 1. screen every recipe on --screen-seeds; 2. the best --finalists (mean dev MCC) get every seed of --seeds
    train([(r, t, s) for s in a.screen_seeds for r in a.recipes for t in a.tasks])
    screen = dev_table(a.recipes, a.screen_seeds)
    ranked = sorted({v["recipe"] for v in screen}, key=lambda r: -max(v["mean_dev"] for v in screen if v["recipe"] == r))
    finalists = ranked[:a.finalists]
    train([(r, t, s) for s in a.seeds for r in finalists for t in a.tasks])
    if a.train_only:
        return
    final = dev_table(finalists, a.seeds)
    final = [v for v in final if len(v["seeds"]) == len(a.seeds)]
    print("\ndev MCC x100, threshold chosen on dev per model (screening: seed " + ",".join(map(str, a.screen_seeds)) + ")")
    print("| recipe | both strands | seeds | " + " | ".join(a.tasks) + " | mean dev | mean dev, seeds' probabilities averaged |")
    print("|---|---|---|" + "---|" * len(a.tasks) + "---|---|")
    for v in screen + final:
        print(f"| {v['recipe']} | {'yes' if v['rc_average'] else 'no'} | {','.join(map(str, v['seeds']))} | "
              + " | ".join(f"{x:.2f}" for x in v["dev"]) + f" | {v['mean_dev']:.2f} | {v['ensemble_dev']:.2f} |")
    if not final:
        raise SystemExit("no finalist has runs for every seed: train them first")
    best = max(final, key=lambda v: v["mean_dev"])
    mins = np.mean([json.loads((out / best["recipe"] / f"{t}_s{s}" / "result.json").read_text())["train_s"]
                    for t in a.tasks for s in best["seeds"]]) / 60
    print(f"\nchosen on dev: {best['recipe']} ({' '.join(RECIPES[best['recipe']]) or 'configs/gue_tf.yaml as is'}), "
          f"{'both strands averaged' if best['rc_average'] else 'one strand'}, one model, the decision threshold "
          f"chosen on dev; mean dev MCC over seeds {','.join(map(str, best['seeds']))}: {best['mean_dev']:.2f} "
          f"({mins:.1f} min per training run on this machine)")
    # 3. only now: the test sets, for the chosen variant (each seed's own dev threshold) and the recipe it replaces
    rows = []
    for task in a.tasks:
        per_seed = []
        for s in best["seeds"]:
            run = [{"run": f"{best['recipe']}/{task}_s{s}", "task": task}]
            thr = score(run, "dev", best["rc_average"])[1]
            per_seed.append(score(run, "test", best["rc_average"], thr)[0])
        ref = (score([{"run": f"base/{task}_s0", "task": task}], "test", False, 0.5)[0]
               if run_exists("base", task, 0) else float("nan"))
        rows.append((task, float(np.mean(per_seed)), per_seed, ref, PUBLISHED[task]))
    print("\ntest MCC x100 (GUE test sets; read for the chosen variant only, after the choice)")
    print("| task | genotorch, mean of seeds | per seed | configs/gue_tf.yaml before (seed 0, p >= 0.5, one strand) | "
          "DNABERT | NT-2500M-multi | DNABERT-2 |")
    print("|---|---|---|---|---|---|---|")
    for task, test, per_seed, ref, pub in rows:
        print(f"| {task} | {test:.2f} | {' / '.join(f'{x:.2f}' for x in per_seed)} | {ref:.2f} | {pub[0]:.2f} | "
              f"{pub[1]:.2f} | {pub[2]:.2f} |")
    pub_mean = [float(np.mean([r[4][k] for r in rows])) for k in range(3)]
    seed_means = np.mean([r[2] for r in rows], axis=0)
    print(f"| mean | {np.mean([r[1] for r in rows]):.2f} | {' / '.join(f'{x:.2f}' for x in seed_means)} | "
          f"{np.mean([r[3] for r in rows]):.2f} | {pub_mean[0]:.2f} | {pub_mean[1]:.2f} | {pub_mean[2]:.2f} |")
    (out / "search.json").write_text(json.dumps({"screen": screen, "final": final, "chosen": best,
                                                 "test": [r[:4] for r in rows]}, indent=1))


if __name__ == "__main__":
    main()
