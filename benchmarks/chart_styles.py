"""How a chart classifier holds up when the same curves are drawn in another style or at another scale.

    .venv/bin/python benchmarks/chart_styles.py [--model CKPT] [--split runs/chart_model/shipped/split.csv]

Takes the held-out test charts of the shipped chart classifier's split (never used to train or to choose anything),
reads each curve back (``genotorch.encode.chart_profile``), redraws it in several styles — other canvas sizes,
vertical scales (another depth at the same pixels per read), horizontal stretch (another read length), line width
and colour, anti-aliasing — and prints the accuracy (chimeric vs non-chimeric) per style beside the original
pictures. It measures invariance to drawing and scale only: another lab's charts also differ in their genomes and
read sets, which no redraw can imitate.
"""

from __future__ import annotations

import argparse
import csv
import sys
import tempfile
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "src"))

STYLES = {
    "redrawn as drawn (750x500, 1 px blue)": dict(size=(750, 500), x0=94, base=449, x_scale=1.0, y_scale=1.0,
                                                  width=1, colour=(0, 0, 255), antialias=False),
    "half height, 3 px red, anti-aliased, 900x600": dict(size=(900, 600), x0=40, base=560, x_scale=1.4, y_scale=0.5,
                                                          width=3, colour=(220, 30, 30), antialias=True),
    "quarter height (shallow), 2 px black": dict(size=(750, 500), x0=94, base=449, x_scale=1.0, y_scale=0.25,
                                                 width=2, colour=(0, 0, 0), antialias=False),
    "1.5x taller canvas and curve, 1.6x wider": dict(size=(1100, 760), x0=60, base=700, x_scale=1.6, y_scale=1.5,
                                                     width=1, colour=(0, 90, 200), antialias=True),
}


def draw(path: Path, profile: np.ndarray, size, x0, base, x_scale, y_scale, width, colour, antialias,
         spread: bool = True) -> None:
    """A ``(2, n)`` curve (top and bottom of the line per column, pixels above the baseline) as a line chart from
    the baseline up and back down; with ``spread`` the line runs from each column's top to its bottom (as a plot of
    many coverage points per pixel column draws it), without it through the tops only."""
    from PIL import Image, ImageDraw

    f = 4 if antialias else 1
    im = Image.new("RGBA", (size[0] * f, size[1] * f), (255, 255, 255, 0))
    top, bottom = profile
    pts = [(x0 * f, base * f)]
    for i in range(len(top)):
        x = (x0 + i * x_scale) * f
        pts.append((x, (base - top[i] * y_scale) * f))
        if spread and bottom[i] < top[i]:
            pts.append((x, (base - bottom[i] * y_scale) * f))
    pts.append(((x0 + (len(top) - 1) * x_scale) * f, base * f))
    ImageDraw.Draw(im).line(pts, fill=(*colour, 255), width=width * f)
    if antialias:
        im = im.resize(size, Image.LANCZOS)
    im.save(path)


def main() -> int:
    from genotorch.encode.chart_profile import chart_profile
    from genotorch.io.images import load_image
    from genotorch.models.checkpoint import load_classifier
    from genotorch.models.default.shipped import default_model_path
    from genotorch.predict.images import predict_paths

    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--model", default=None, help="chart classifier checkpoint (default: the shipped one)")
    ap.add_argument("--split", default=str(ROOT / "runs" / "chart_model" / "shipped" / "split.csv"),
                    help="the model's split.csv: its test rows are measured")
    args = ap.parse_args()
    model, meta = load_classifier(args.model or default_model_path("chart_classifier.pt"), kind="image")
    rows = [r for r in csv.DictReader(open(args.split)) if r["split"] == "test"]
    y = np.array([meta["classes"].index(r["class"]) for r in rows])
    results = {"original pictures": predict_paths(model, meta, [r["path"] for r in rows])}
    with tempfile.TemporaryDirectory() as tmp:
        # the curve at its native resolution: 1 bin per drawn column
        curves = []
        for r in rows:
            curves.append(chart_profile(load_image(r["path"], None, True), None, name=r["path"]))
        styles = dict(STYLES)
        styles["redrawn through the tops only (few points per column)"] = dict(STYLES[next(iter(STYLES))],
                                                                               spread=False)
        for name, style in styles.items():
            paths = []
            for i, prof in enumerate(curves):
                p = Path(tmp) / f"{i}.png"
                draw(p, prof, **style)  # x_scale: drawn pixels per column of the original
                paths.append(str(p))
            results[name] = predict_paths(model, meta, paths)
    print(f"{len(rows)} held-out test charts ({args.split}); model {args.model or 'shipped chart_classifier.pt'}")
    print(f"{'style':48s} {'accuracy':>8s} {'chimeric recall':>16s} {'non-chim. recall':>17s}")
    for name, probs in results.items():
        pred = probs.argmax(1)
        acc = float((pred == y).mean())
        rec = [float((pred[y == k] == k).mean()) for k in range(2)]
        print(f"{name:48s} {acc:8.4f} {rec[0]:16.4f} {rec[1]:17.4f}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
