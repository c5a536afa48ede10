"""Chart profiles (the curve read back from an overlap chart), the profile CNN, its augmentations, and the shipped
chart classifier on real shared charts and on the same curves drawn in another style."""

from pathlib import Path

import numpy as np
import pytest
import torch
from typer.testing import CliRunner

from genotorch.cli.main import app
from genotorch.data.images import ProfileDataset
from genotorch.encode.chart_profile import chart_profile
from genotorch.errors import GenotorchError
from genotorch.io.images import load_image
from genotorch.models.profile_cnn import ChartProfileCNN, normalise_profile

runner = CliRunner()
CHARTS = Path(__file__).resolve().parents[2] / "shared" / "data" / "images" / "overlap_charts"
needs_charts = pytest.mark.skipif(not CHARTS.is_dir(), reason="../shared/data/images/overlap_charts not present")
SHIPPED = Path(__file__).resolve().parents[1] / "src" / "genotorch" / "models" / "default" / "chart_classifier.pt"


def draw_curve(path: Path, coverage: np.ndarray, size=(750, 500), x0=94, x_scale=2.0, y_scale=1.0, base=449,
               width=1, colour=(0, 0, 255), antialias=False, bottom: np.ndarray | None = None) -> Path:
    """An overlap chart of ``coverage`` (pixels at y_scale 1): a polyline from the baseline up and back down, in
    the given style (with ``bottom``, each column's line runs from ``coverage`` down to ``bottom``, as a plot of
    many points per pixel column draws it). ``antialias`` draws at 4x and scales down (grey edge pixels)."""
    from PIL import Image, ImageDraw

    f = 4 if antialias else 1
    im = Image.new("RGBA", (size[0] * f, size[1] * f), (255, 255, 255, 0))
    pts = [(x0 * f, base * f)]
    for i, c in enumerate(coverage):
        pts.append(((x0 + i * x_scale) * f, (base - c * y_scale) * f))
        if bottom is not None and bottom[i] < c:
            pts.append(((x0 + i * x_scale) * f, (base - bottom[i] * y_scale) * f))
    pts.append(((x0 + (len(coverage) - 1) * x_scale) * f, base * f))
    ImageDraw.Draw(im).line(pts, fill=(*colour, 255), width=width * f)
    if antialias:
        im = im.resize(size, Image.LANCZOS)
    path.parent.mkdir(parents=True, exist_ok=True)
    im.save(path)
    return path


def coverage_of(kind: str, n: int = 250, seed: int = 0, drop: int = 4) -> np.ndarray:
    rng = np.random.default_rng(seed)
    cov = 200 + np.cumsum(rng.normal(0, 2, n))
    if kind == "chimeric":
        cov[n // 2: n // 2 + drop] = 3  # a sharp drop to near zero mid-read
    return cov


@needs_charts
def test_profile_of_a_real_chart():
    g = load_image(CHARTS / "chimeric" / "100015.png", None, True)
    assert g.shape == (1, 500, 750)
    p = chart_profile(g, 256)
    assert p.shape == (2, 256) and p.dtype == np.float32
    assert p[0, :3].tolist() == [121.0, 148.0, 156.0] and p[1, :3].tolist() == [0.0, 115.0, 144.0]
    assert p[0].max() == 348.0 and np.median(p[0]) == 211.0
    assert (p[1] <= p[0]).all() and p.min() == 0.0


def test_profile_is_the_same_curve_in_another_style(tmp_path):
    cov = coverage_of("chimeric")
    a = chart_profile(load_image(draw_curve(tmp_path / "a.png", cov), None, True), 128)
    b = chart_profile(load_image(draw_curve(tmp_path / "b.png", cov, size=(1000, 420), x0=30, x_scale=3.7,
                                            y_scale=0.45, base=400, width=3, colour=(200, 20, 20), antialias=True),
                                 None, True), 128)
    na, nb = normalise_profile(torch.from_numpy(a[None])), normalise_profile(torch.from_numpy(b[None]))
    assert float((na - nb)[:, 0].abs().mean()) < 0.03  # the top of the curve, relative to its median
    drop = slice(60, 68)
    assert float(na[0, 1, drop].min()) < 0.05 and float(nb[0, 1, drop].min()) < 0.05  # the drop survives both


def test_blank_picture_is_refused_by_name(tmp_path):
    from PIL import Image

    Image.new("RGB", (50, 40), (255, 255, 255)).save(tmp_path / "blank.png")
    with pytest.raises(GenotorchError, match="blank.png: no curve"):
        chart_profile(load_image(tmp_path / "blank.png", None, True), 64, name=str(tmp_path / "blank.png"))


def test_profile_model_is_blind_to_depth_and_augmentations_are_seeded():
    x = torch.tensor(np.stack([coverage_of("chimeric", 64), coverage_of("chimeric", 64) - 5])[None], dtype=torch.float32)
    torch.manual_seed(0)
    m = ChartProfileCNN(n_classes=2, width=8).eval()
    with torch.no_grad():
        assert torch.allclose(m(x), m(x * 0.25), atol=1e-5)  # the same curve at a quarter of the depth
    ds = ProfileDataset(x.numpy(), np.array([1]), hflip=True, depth_augment=0.1, stretch_augment=0.1)
    a, _ = ds.draw(0, torch.Generator().manual_seed(3))
    b, _ = ds.draw(0, torch.Generator().manual_seed(3))
    assert torch.equal(a, b) and a.shape == (2, 64) and not torch.equal(a, x[0])
    plain = ProfileDataset(x.numpy(), np.array([1]), depth_augment=0.5)
    c, _ = plain.draw(0, torch.Generator().manual_seed(1))
    assert torch.equal(c, torch.round(c)) and float(c.max()) <= float(x.max())  # redrawn in whole pixels, shallower
    thick = ProfileDataset(np.array([[[10.0, 20.0], [1.0, 18.0]]], dtype=np.float32), np.array([0]), line_augment=2)
    seen = {tuple(thick.draw(0, torch.Generator().manual_seed(s))[0].flatten().tolist()) for s in range(40)}
    assert seen == {(10.0, 20.0, 1.0, 18.0), (11.0, 21.0, 0.0, 17.0), (12.0, 22.0, 0.0, 16.0)}  # bottom stops at 0


@needs_charts
@pytest.mark.skipif(not SHIPPED.exists(), reason="the shipped chart classifier is not built")
def test_shipped_chart_classifier_on_real_charts_and_restyled_ones(tmp_path):
    """`predict` without --model: real shared charts, and the same curves redrawn at half the depth with a thick red
    anti-aliased line on another canvas, get the same classes."""
    import csv
    import shutil

    names = {"chimeric": ["100015.png", "100039.png"], "regular": ["10.png", "100021.png"]}
    for cls, files in names.items():
        for f in files:
            shutil.copy(CHARTS / cls / f, tmp_path / "real" / cls / f) if (tmp_path / "real" / cls).exists() else \
                ((tmp_path / "real" / cls).mkdir(parents=True), shutil.copy(CHARTS / cls / f, tmp_path / "real" / cls / f))
            p = chart_profile(load_image(CHARTS / cls / f, None, True), None)  # one bin per drawn column
            draw_curve(tmp_path / "restyled" / f"{cls}_{f}", p[0], size=(900, 600), x0=20, x_scale=1.4, y_scale=0.5,
                       base=560, width=3, colour=(220, 30, 30), antialias=True, bottom=p[1])
    r = runner.invoke(app, ["predict", str(tmp_path / "real"), "-o", str(tmp_path / "real.csv")])
    assert r.exit_code == 0, r.output
    assert "shipped overlap-chart classifier" in r.output
    real = {row["path"].split("/")[-1]: row for row in csv.DictReader(open(tmp_path / "real.csv"))}
    assert {k: v["predicted"] for k, v in real.items()} == {
        "100015.png": "chimeric", "100039.png": "chimeric", "10.png": "non_chimeric", "100021.png": "non_chimeric"}
    r = runner.invoke(app, ["predict", str(tmp_path / "restyled"), "-o", str(tmp_path / "restyled.csv")])
    assert r.exit_code == 0, r.output
    restyled = {row["path"].split("/")[-1].split("_", 1)[1]: row["predicted"]
                for row in csv.DictReader(open(tmp_path / "restyled.csv"))}
    assert restyled == {k: v["predicted"] for k, v in real.items()}


def test_predict_without_model_refuses_sequences(tmp_path):
    fa = tmp_path / "s.fa"
    fa.write_text(">a\nACGT\n")
    r = runner.invoke(app, ["predict", str(fa), "-o", str(tmp_path / "p.tsv")])
    assert r.exit_code == 2 and "give --model" in r.output and not (tmp_path / "p.tsv").exists()


def test_profile_recipe_trains_through_the_harness(tmp_path):
    from genotorch.config import load_train_config
    from genotorch.train.run import train

    root = tmp_path / "charts"
    for i in range(16):
        draw_curve(root / "regular" / f"r{i}.png", coverage_of("regular", 120, seed=i), size=(300, 260), x_scale=1.5)
        draw_curve(root / "chimeric" / f"c{i}.png", coverage_of("chimeric", 120, seed=50 + i, drop=12), size=(300, 260),
                   x_scale=1.5)
    cfg = tmp_path / "p.yaml"
    cfg.write_text(f"""task: image
seed: 2
output_dir: {tmp_path / 'run'}
data: {{root: {root}, representation: profile, profile_length: 64, depth_augment: 0.2, stretch_augment: 0.05,
        hflip: true, val_fraction: 0.2, test_fraction: 0.25, batch_size: 8}}
model: {{name: chart_profile_cnn, params: {{width: 8, depth: 2}}}}
optimizer: {{name: adamw, lr: 0.01}}
trainer: {{max_epochs: 25, val_every_n_steps: 4, early_stopping_patience: 0, checkpoint_every_n_steps: 4}}
""")
    res = train(load_train_config(cfg), progress_bar=False)
    assert res.test["n"] == 8 and res.test["accuracy"] == 1.0
    r = runner.invoke(app, ["predict", str(root / "chimeric" / "c3.png"), "--model", str(res.best_checkpoint),
                            "-o", str(tmp_path / "one.csv")])
    assert r.exit_code == 0 and "chimeric" in (tmp_path / "one.csv").read_text().splitlines()[1]
