"""Image datasets (decoding, merging, splits, hygiene), image models, training and predict on tiny synthetic charts."""

import csv
import shutil

import numpy as np
import pytest
from builders import write_chart
from typer.testing import CliRunner

from genotorch.cli.main import app
from genotorch.config import load_train_config
from genotorch.data.images import audit, make_split, prepare
from genotorch.io.images import load_image, scan_folder
from genotorch.errors import GenotorchError
from genotorch.models.registry import build_model

runner = CliRunner()


@pytest.fixture
def charts(tmp_path):
    root = tmp_path / "charts"
    for i in range(24):
        write_chart(root / "regular" / f"r{i}.png", "flat", seed=i)
        write_chart(root / "chimeric" / f"c{i}.png", "step", seed=100 + i)
    for i in range(6):
        write_chart(root / "repeat" / f"p{i}.png", "flat", seed=200 + i)
    shutil.copy(root / "chimeric" / "c0.png", root / "regular" / "dup_c0.png")  # same bytes under two classes
    write_chart(root / "regular" / "blank.png", "blank")
    return root


def test_rgba_is_composited_on_white_and_crop_starts_top_left(tmp_path):
    p = write_chart(tmp_path / "a.png", "blank", size=(30, 20))
    assert load_image(p, (20, 30)).min() == 255  # transparent -> white, not black
    from PIL import Image

    arr = np.full((20, 30, 3), 255, np.uint8)
    arr[0:5, 0:10] = 0  # a black block in the top-left corner
    Image.fromarray(arr).save(tmp_path / "b.png")
    x = load_image(tmp_path / "b.png", (5, 10), grayscale=True, crop=(5, 10))
    assert x.shape == (1, 5, 10) and x.max() == 0  # the crop is exactly the block
    y = load_image(tmp_path / "b.png", (40, 40), grayscale=False, crop=(40, 40))  # bigger than the image
    assert y.shape == (3, 40, 40) and y[:, 30:, :].min() == 255 and y[:, :, 35:].min() == 255  # padded white


def test_merge_classes_and_errors(charts):
    items = scan_folder(charts, {"non_chimeric": ["regular", "repeat"], "chimeric": ["chimeric"]})
    labels = [it.label for it in items]
    assert labels.count("non_chimeric") == 24 + 2 + 6 and labels.count("chimeric") == 24
    with pytest.raises(GenotorchError, match="data.classes.x: no sub-folder nope"):
        scan_folder(charts, {"x": ["nope"]})
    with pytest.raises(GenotorchError, match="does not exist"):
        scan_folder(charts / "missing")


def test_split_is_seeded_stratified_and_keeps_duplicates_out(charts):
    items = scan_folder(charts)
    prep = prepare(items, (32, 48), True, None, near_bits=-1)
    s1, _ = make_split(prep, {"val": 0.2, "test": 0.25}, seed=5)
    s2, _ = make_split(prep, {"val": 0.2, "test": 0.25}, seed=5)
    s3, _ = make_split(prep, {"val": 0.2, "test": 0.25}, seed=6)
    assert s1 == s2 and s1 != s3
    dropped = sorted(it.path.split("/")[-1] for it, s in zip(items, s1) if s == "dropped")
    assert dropped == ["c0.png", "dup_c0.png"]
    for cls in ("regular", "chimeric", "repeat"):  # every class is in the test split, about a quarter of it
        n_test = sum(1 for it, s in zip(items, s1) if it.label == cls and s == "test")
        n = sum(1 for it, s in zip(items, s1) if it.label == cls and s != "dropped")
        assert 0.15 <= n_test / n <= 0.4, (cls, n_test, n)
    rep = audit(prep, s1)
    assert [sorted(p.split("/")[-1] for p in g) for g in rep["exact_duplicates_across_classes"]] == [
        ["c0.png", "dup_c0.png"]]
    assert [p.split("/")[-1] for p in rep["blank"]] == ["blank.png"]
    assert rep["per_class"]["regular"]["blank"] == 1 and rep["duplicate_groups_across_splits"] == []


@pytest.mark.parametrize("name,c", [("alexnet_like", 1), ("resnet18", 3), ("resnet34", 1)])
def test_image_models_shapes(name, c):
    import torch

    m = build_model(name, in_channels=c, n_classes=3, width=0.125)
    assert m(torch.zeros(2, c, 64, 96, dtype=torch.uint8)).shape == (2, 3)
    with pytest.raises(ValueError, match="expected images"):
        m(torch.zeros(2, c + 1, 64, 96))


def write_config(tmp_path, root, **data):
    cfg = tmp_path / "img.yaml"
    extra = "".join(f"  {k}: {v}\n" for k, v in data.items())
    cfg.write_text(f"""task: image
seed: 1
output_dir: {tmp_path / 'run'}
data:
  root: {root}
  classes: {{chimeric: [chimeric], non_chimeric: [regular, repeat]}}
  image_size: [64, 96]
  hflip: true
  val_fraction: 0.2
  test_fraction: 0.25
  batch_size: 8
  balance: class_weights
{extra}model: {{name: resnet18, params: {{width: 0.125}}}}
optimizer: {{name: adamw, lr: 0.003}}
trainer: {{max_epochs: 12, val_every_n_steps: 5, limit_val_batches: 5, early_stopping_patience: 0,
          checkpoint_every_n_steps: 5, log_every_n_steps: 2}}
""")
    return cfg


def test_train_test_report_and_predict(charts, tmp_path):
    from genotorch.train.run import train

    cfg = load_train_config(write_config(tmp_path, charts))
    res = train(cfg, progress_bar=False)
    run = tmp_path / "run"
    for f in ("split.csv", "test_metrics.json", "test_predictions.csv", "confusion_matrix.png", "curves.png"):
        assert (run / f).exists(), f
    assert res.test["accuracy"] == 1.0 and res.test["classes"] == ["chimeric", "non_chimeric"]
    assert sum(map(sum, res.test["confusion_matrix"])) == res.test["n"] > 8
    split_before = (run / "split.csv").read_text()
    again = load_train_config(write_config(tmp_path, charts), {"trainer.max_epochs": 1, "output_dir": str(tmp_path / "r2"),
                                                                "data.split_file": str(run / "split.csv")})
    res2 = train(again, progress_bar=False)
    assert (run / "split.csv").read_text() == split_before  # the saved split is re-used, not redrawn
    assert res2.test["n"] == res.test["n"] and not (tmp_path / "r2" / "split.csv").exists()
    out = tmp_path / "preds.csv"
    r = runner.invoke(app, ["predict", str(charts), "--model", str(res.best_checkpoint), "-o", str(out)])
    assert r.exit_code == 0, r.output
    rows = list(csv.DictReader(open(out)))
    assert len(rows) == 24 + 25 + 6 + 1 and set(rows[0]) == {"path", "predicted", "p_chimeric", "p_non_chimeric", "true"}
    byname = {row["path"].split("/")[-1]: row for row in rows}
    assert byname["c5.png"]["predicted"] == "chimeric" and byname["r5.png"]["true"] == "non_chimeric"
    assert abs(float(byname["p3.png"]["p_chimeric"]) + float(byname["p3.png"]["p_non_chimeric"]) - 1) < 1e-5
    assert "accuracy" in r.output and (tmp_path / "preds.csv.confusion.png").exists()


def test_predict_refuses_a_pileup_model(model, charts, tmp_path):
    r = runner.invoke(app, ["predict", str(charts), "--model", str(model.best_checkpoint), "-o", str(tmp_path / "p.csv")])
    assert r.exit_code == 2 and "not an image classifier" in r.output
