"""attribute: tangermeme's ISM and DeepLIFT/SHAP through the CLI; ISM checked by hand on one position."""

import numpy as np
import torch
from typer.testing import CliRunner

from genotorch.cli.main import app
from genotorch.encode.onehot import one_hot
from genotorch.models.checkpoint import load_classifier

runner = CliRunner()
SEQS = ["ACGTACGTTTGACCATGCAAGTCCGATCGA", "TTTTAAAACCCCGGGGACGTACGTAAACCC", "GATTACAGATTACAGATTACAGATTACAGA"]


def test_ism_attributions_match_mutagenesis_by_hand(seq_model, tmp_path):
    fa = tmp_path / "s.fa"
    fa.write_text("".join(f">s{i}\n{s}\n" for i, s in enumerate(SEQS)))
    out = tmp_path / "a.npz"
    r = runner.invoke(app, ["attribute", str(fa), "--model", str(seq_model), "-o", str(out), "--logos",
                            str(tmp_path / "logos"), "--n-logos", "2"])
    assert r.exit_code == 0, r.output
    z = np.load(out)
    attr = z["attributions"]
    assert attr.shape == (3, 4, 30) and attr.dtype == np.float32 and list(z["ids"]) == ["s0", "s1", "s2"]
    assert ((attr != 0) <= (z["one_hot"] != 0)).all()  # projected on the observed bases
    assert len(list((tmp_path / "logos").glob("*.png"))) == 2
    # by hand: position 7 of s0 (a T), the last class's output
    model, _ = load_classifier(seq_model)
    x = torch.as_tensor(one_hot([SEQS[0]], 30), dtype=torch.float32)
    with torch.no_grad():
        base = model(x)[0, 1].item()
        deltas = []
        for b in range(4):
            m = x.clone()
            m[0, :, 7] = 0
            m[0, b, 7] = 1
            deltas.append(model(m)[0, 1].item() - base)
    observed = int(x[0, :, 7].argmax())
    assert abs(attr[0, observed, 7] - (deltas[observed] - np.mean(deltas))) < 1e-5


def test_deep_lift_shap_and_bad_target(seq_model, tmp_path):
    fa = tmp_path / "s.fa"
    fa.write_text("".join(f">s{i}\n{s}\n" for i, s in enumerate(SEQS)))
    r = runner.invoke(app, ["attribute", str(fa), "--model", str(seq_model), "-o", str(tmp_path / "d.npz"),
                            "--method", "deep_lift_shap", "--target", "0"])
    assert r.exit_code == 0, r.output
    z = np.load(tmp_path / "d.npz")
    assert z["attributions"].shape == (3, 4, 30) and str(z["target"]) == "0"
    r = runner.invoke(app, ["attribute", str(fa), "--model", str(seq_model), "-o", str(tmp_path / "e.npz"),
                            "--target", "7"])
    assert r.exit_code == 2 and "--target 7" in r.output and not (tmp_path / "e.npz").exists()
