"""motifs: a first-layer filter set by hand to read TATAAAA becomes a TATA PPM that Tomtom matches to JASPAR's
TBP; the other filters of the small model are reported too."""

import csv

import numpy as np
import torch
from typer.testing import CliRunner

from genotorch.cli.main import app

runner = CliRunner()


def tata_model(seq_model, tmp_path):
    ckpt = torch.load(seq_model, weights_only=True)
    sd = ckpt["state_dict"]
    key = next(k for k, v in sd.items() if v.ndim == 3 and v.shape[1] == 4)  # the first Conv1d's weight
    w = torch.zeros_like(sd[key][0])
    for j, b in enumerate("TATAAAA"):
        w[:, 4 + j] = -1.0
        w["ACGT".index(b), 4 + j] = 1.0
    sd[key][0] = w
    sd[key.replace("weight", "bias")][0] = -6.5  # fires only on a full TATAAAA
    path = tmp_path / "tata.ckpt"
    torch.save(ckpt, path)
    return path


def test_a_tata_filter_is_matched_to_tbp(seq_model, tmp_path):
    rng = np.random.default_rng(5)
    seqs = []
    for i in range(80):
        s = list(rng.choice(list("ACGT"), 30))
        if i % 2 == 0:
            p = int(rng.integers(3, 20))
            s[p:p + 7] = list("TATAAAA")
        seqs.append("".join(s))
    fa = tmp_path / "s.fa"
    fa.write_text("".join(f">s{i}\n{s}\n" for i, s in enumerate(seqs)))
    out = tmp_path / "motifs"
    r = runner.invoke(app, ["motifs", str(fa), "--model", str(tata_model(seq_model, tmp_path)), "-o", str(out)])
    assert r.exit_code == 0, r.output
    rows = list(csv.DictReader(open(out / "motifs.tsv"), delimiter="\t"))
    f0 = next(row for row in rows if row["filter"] == "0")
    assert int(f0["sites"]) == 41 and "TATAAAA" in f0["consensus"]  # 40 planted + 1 by chance
    assert "TBP" in f0["top5"].split(","), f0
    assert (out / "motifs.meme").read_text().startswith("MEME version 4")
    assert list((out / "logos").glob("*.png"))
