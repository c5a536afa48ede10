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
    by_motif = list(csv.DictReader(open(out / "motifs_by_jaspar.tsv"), delimiter="\t"))
    best_q = {}
    for row in rows:
        if row["q"] and float(row["q"]) <= 0.05:
            best_q[row["jaspar_id"]] = min(best_q.get(row["jaspar_id"], 1.0), float(row["q"]))
    assert [m["jaspar_id"] for m in by_motif] == sorted(best_q, key=best_q.get)
    assert (out / "motifs.meme").read_text().startswith("MEME version 4")
    assert list((out / "logos").glob("*.png"))


def test_matches_by_motif_lists_each_motif_once():
    from genotorch.predict.motifs import matches_by_motif

    ppm = np.full((4, 3), 0.1)
    ppm[[0, 3, 0], [0, 1, 2]] = 0.7  # ATA
    rows = [{"filter": 0, "ppm": ppm, "q": 0.04, "jaspar_id": "MA0108.3", "jaspar_name": "TBP"},
            {"filter": 1, "ppm": ppm, "q": 0.001, "jaspar_id": "MA1930.2", "jaspar_name": "CTCF"},
            {"filter": 2, "ppm": ppm, "q": 0.02, "jaspar_id": "MA0108.3", "jaspar_name": "TBP"},
            {"filter": 3, "ppm": ppm, "q": 0.2, "jaspar_id": "MA0140.3", "jaspar_name": "GATA1::TAL1"},
            {"filter": 4, "sites": 3}]
    assert matches_by_motif(rows) == [
        {"jaspar_id": "MA1930.2", "jaspar_name": "CTCF", "q": 0.001, "filters": [1], "consensus": "ATA"},
        {"jaspar_id": "MA0108.3", "jaspar_name": "TBP", "q": 0.02, "filters": [2, 0], "consensus": "ATA"}]
