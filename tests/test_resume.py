"""Exact resume: a seeded run killed with SIGKILL after a checkpoint and resumed with --resume ends with the same
weights (bit-identical on the CPU) and the same metrics.csv as the run that was never stopped."""

import csv
import os
import signal
import subprocess
import sys
import time

import pytest
import torch
import yaml

pytestmark = pytest.mark.slow


def _config(path, train_h5, out):
    cfg = {"output_dir": str(out), "seed": 7,
           "data": {"train": [str(train_h5)], "val": [str(train_h5)], "batch_size": 8, "balance": "sampler"},
           "model": {"name": "pileup_resnet", "params": {"widths": [8, 16], "dropout": 0.3}},
           "optimizer": {"name": "adamw", "lr": 0.003, "scheduler": "cosine"},
           "trainer": {"max_epochs": 3, "val_every_n_steps": 7, "limit_val_batches": 2,
                       "checkpoint_every_n_steps": 5, "log_every_n_steps": 3, "early_stopping_patience": 0}}
    path.write_text(yaml.safe_dump(cfg))
    return path


def _train(*args):
    env = {**os.environ, "OMP_NUM_THREADS": "1"}
    return subprocess.Popen([sys.executable, "-m", "genotorch.cli.main", "train", *map(str, args)], env=env,
                            stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)


def _step(ckpt):
    try:
        return torch.load(ckpt, weights_only=True)["global_step"]
    except Exception:  # noqa: BLE001 - not written completely yet
        return None


def _rows(run):
    with open(run / "logs" / "metrics.csv") as fh:
        return list(csv.DictReader(fh))


def test_killed_and_resumed_run_matches_the_uninterrupted_run(train_examples, tmp_path):
    whole = tmp_path / "whole"
    p = _train(_config(tmp_path / "a.yaml", train_examples, whole))
    assert p.wait(300) == 0, p.stderr.read()

    cut = tmp_path / "cut"
    p = _train(_config(tmp_path / "b.yaml", train_examples, cut))
    last = cut / "checkpoints" / "last.ckpt"
    deadline = time.time() + 120
    while time.time() < deadline and not (last.exists() and (_step(last) or 0) >= 5):
        time.sleep(0.02)
    p.send_signal(signal.SIGKILL)
    p.wait()
    killed_at = _step(last)
    final = torch.load(whole / "checkpoints" / "last.ckpt", weights_only=True)
    assert killed_at is not None and 5 <= killed_at < final["global_step"], "the kill must fall inside the run"

    p = _train(tmp_path / "b.yaml", "--resume", last)
    assert p.wait(300) == 0, p.stderr.read()
    resumed = torch.load(last, weights_only=True)
    assert resumed["global_step"] == final["global_step"]
    a, b = final["state_dict"], resumed["state_dict"]
    assert a.keys() == b.keys() and len(a) > 20
    different = [k for k in a if not torch.equal(a[k], b[k])]
    assert different == []
    assert _rows(cut) == _rows(whole)  # metrics.csv appended across the kill, row for row
    assert (cut / "curves.png").exists()


def test_resume_refuses_another_model(model, train_examples, tmp_path):
    from builders import tiny_config

    from genotorch.errors import GenotorchError
    from genotorch.train.run import train

    cfg = tiny_config(tmp_path / "other", train_examples)
    cfg = type(cfg)(**{**cfg.__dict__, "model": type(cfg.model)("pileup_resnet", {"widths": [4, 8]})})
    with pytest.raises(GenotorchError, match="resume with the config it was trained with"):
        train(cfg, resume=str(model.last_checkpoint), progress_bar=False)
    assert not (tmp_path / "other").exists()
