"""Multi-process training (DDP, two CPU processes over gloo) follows the one-process run with the same global
batch: the same batches (EpochSampler hands each process its half of every global batch), the same loss curve."""

import csv
import shutil
import subprocess
import sys

import pytest
import torch
import yaml

from genotorch.data.loaders import EpochSampler

# On the CPU each process normalises its batch with its own half-batch statistics (SyncBatchNorm needs CUDA), so
# the two curves are close, not equal: measured 0.0076 at most over 6 steps of loss ~1.1 (0.7%), and 0.0054 at
# most between any two weights (batch-norm running statistics, kept per process, left out).
TOLERANCE = 0.02
GLOO_TRANSPORT_ERRORS = ("Connection closed by peer", "Connection reset by peer", "Address already in use")


def test_processes_share_every_global_batch(monkeypatch):
    one = list(EpochSampler(50, seed=3, batch_size=8, world_size=1))
    halves = []
    for rank in (0, 1):
        monkeypatch.setenv("LOCAL_RANK", str(rank))
        s = EpochSampler(50, seed=3, batch_size=8, world_size=2)
        halves.append(list(s))
        assert len(s) == 6 * 4  # 6 whole global batches of 8, 4 per process
    for b in range(6):
        assert halves[0][4 * b:4 * b + 4] + halves[1][4 * b:4 * b + 4] == one[8 * b:8 * b + 8]


def _run(tmp_path, train_examples, devices):
    cfg = {"output_dir": str(tmp_path / f"run{devices}"), "seed": 1,
           "data": {"train": [str(train_examples)], "val": [str(train_examples)], "batch_size": 16,
                    "balance": "none"},
           "model": {"name": "pileup_resnet", "params": {"widths": [8, 16], "dropout": 0.0}},
           "trainer": {"max_epochs": 2, "max_steps": 6, "val_every_n_steps": 3, "limit_val_batches": 2,
                       "checkpoint_every_n_steps": 3, "log_every_n_steps": 1, "devices": devices,
                       "accelerator": "cpu"}}
    path = tmp_path / f"config{devices}.yaml"
    path.write_text(yaml.safe_dump(cfg))
    for attempt in (1, 2):
        shutil.rmtree(tmp_path / f"run{devices}", ignore_errors=True)  # a retry starts afresh, not resumed
        p = subprocess.run([sys.executable, "-m", "genotorch.cli.main", "train", str(path)], capture_output=True,
                           text=True, timeout=300)
        # One retry when gloo's TCP store or pair lost a connection between the two processes (seen once in a CI
        # run on a loaded 2-core machine: "Connection closed by peer"); any other failure fails at once.
        if p.returncode == 0 or not any(m in p.stderr for m in GLOO_TRANSPORT_ERRORS):
            break
    assert p.returncode == 0, p.stderr[-3000:]
    with open(tmp_path / f"run{devices}" / "logs" / "metrics.csv") as f:
        rows = [r for r in csv.DictReader(f) if r.get("train_loss")]
    state = torch.load(tmp_path / f"run{devices}" / "checkpoints" / "last.ckpt", weights_only=True)["state_dict"]
    return [(int(r["step"]), float(r["train_loss"])) for r in rows], state


@pytest.mark.slow
def test_two_cpu_processes_follow_one_process(train_examples, tmp_path):
    one, w1 = _run(tmp_path, train_examples, 1)
    two, w2 = _run(tmp_path, train_examples, 2)
    assert [s for s, _ in one] == [s for s, _ in two] and len(one) == 6
    assert max(abs(a - b) for (_, a), (_, b) in zip(one, two)) < TOLERANCE
    diff = max((w1[k].float() - w2[k].float()).abs().max().item() for k in w1 if w1[k].is_floating_point() and "running_" not in k)  # BN running stats: per process
    print(f"largest loss difference {max(abs(a - b) for (_, a), (_, b) in zip(one, two)):.5f}, weights {diff:.5f}")
    assert diff < 0.02
