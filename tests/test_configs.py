"""Every shipped config loads (unknown keys are errors) and names data that exists beside the repository."""

from pathlib import Path

import pytest

from genotorch.config import load_train_config

ROOT = Path(__file__).resolve().parents[1]
CONFIGS = sorted((ROOT / "configs").glob("*.yaml"))


@pytest.mark.parametrize("path", CONFIGS, ids=[p.stem for p in CONFIGS])
def test_config_loads_and_its_data_exists_from_any_directory(path, shared, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)  # paths in a config are relative to the config file, not the working directory
    cfg = load_train_config(path)
    d = cfg.data
    files = [*d.train, *d.val, *getattr(d, "test", ())] + ([d.root] if getattr(d, "root", "") else [])
    assert all(Path(f).is_absolute() for f in files + [cfg.output_dir])
    assert Path(cfg.output_dir).is_relative_to(ROOT / "runs")
    shipped = [f for f in files if "/shared/data/" in f]  # the others are made by a script (demo, recipe)
    assert not [f for f in shipped if not Path(f).exists()]


def test_kmer_bert_recipe_trains_a_step(tmp_path, shared, monkeypatch):
    from genotorch.train.run import train

    monkeypatch.chdir(ROOT)
    cfg = load_train_config(ROOT / "configs" / "gue_splice_kmer_bert.yaml",
                            {"output_dir": str(tmp_path), "trainer.max_steps": 2, "data.test": [],
                             "trainer.limit_val_batches": 1})
    res = train(cfg, progress_bar=False)
    assert res.global_step == 2 and res.last_checkpoint.exists()
