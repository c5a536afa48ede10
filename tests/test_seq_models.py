"""Sequence task: Basset / small CNN shapes, augmentation, label errors, and a short train -> test report."""

import numpy as np
import pytest
import torch

from builders import sequence_config as config, write_csv
from genotorch.data.sequences import OneHotDataset
from genotorch.encode.onehot import one_hot, reverse_complement
from genotorch.errors import GenotorchError
from genotorch.models.registry import build_model


@pytest.mark.parametrize("length", [70, 600])
def test_basset_published_default_shapes(length):
    m = build_model("basset", in_channels=4, n_classes=3, length=length)
    convs = [l for l in m.features if isinstance(l, torch.nn.Conv1d)]
    assert [(c.out_channels, c.kernel_size[0]) for c in convs] == [(300, 19), (200, 11), (200, 7)]
    assert m(torch.zeros(2, 4, length)).shape == (2, 3)
    with pytest.raises(ValueError, match="one-hot DNA"):
        m(torch.zeros(2, 4, length + 1))


def test_reverse_complement_augmentation_is_the_reverse_complement():
    s = "AACGTTTGCA"
    ds = OneHotDataset(one_hot([s]), np.array([1]), rc=True)
    torch.manual_seed(0)
    seen = {tuple(ds[0][0].flatten().tolist()) for _ in range(20)}
    assert seen == {tuple(one_hot([s])[0].flatten()), tuple(one_hot([reverse_complement(s)])[0].flatten())}


def test_train_and_test_report(tmp_path):
    from genotorch.train.run import train

    res = train(config(tmp_path), progress_bar=False)
    assert res.test["classes"] == ["0", "1"] and res.test["n"] == 100
    assert res.test["mcc"] > 0.8 and res.test["auroc"] > 0.95  # a planted TATAAA box is easy to learn
    assert (tmp_path / "run" / "test_metrics.json").exists()


def test_label_errors(tmp_path):
    from genotorch.data.sequences import SequenceDataModule

    cfg = config(tmp_path, **{"data.classes": ["0", "2"]})
    with pytest.raises(GenotorchError, match="label '1' is not one of the classes"):
        SequenceDataModule(cfg.data, 0, log=lambda s: None)
    one = write_csv(tmp_path / "one.csv", [("ACGT", 1), ("AACC", 1)])
    cfg = config(tmp_path, **{"data.train": [str(one)], "data.val": [], "data.test": []})
    with pytest.raises(GenotorchError, match="single class"):
        SequenceDataModule(cfg.data, 0, log=lambda s: None)


def test_basset_is_built_in_train_mode():
    m = build_model("basset", in_channels=4, n_classes=2, length=70)
    assert all(mod.training for mod in m.modules())


def test_windows_tile_and_cover():
    from genotorch.predict.sequences import windows

    assert windows("ACGT", 10) == ["ACGT"]
    w = windows("A" * 3 + "C" * 7, 4)  # stride 2: starts 0, 2, 4, 6
    assert w == ["AAAC", "ACCC", "CCCC", "CCCC"] and len(windows("ACGTACGTA", 4)) == 4  # 0, 2, 4, +5 flush


def test_predict_sequences_cli(tmp_path):
    import csv
    import json

    from typer.testing import CliRunner

    from genotorch.cli.main import app
    from genotorch.train.run import train

    res = train(config(tmp_path), progress_bar=False)
    fasta = tmp_path / "q.fa"
    pos = "ACGTACGTAC" + "TATAAA" + "GCGTACGTACGTAGCATGCA"
    fasta.write_text(f">box\n{pos}\n>long\n{pos * 3}\n>short\nacgtn\n")
    out = tmp_path / "p.tsv"
    r = CliRunner().invoke(app, ["predict", str(fasta), "--model", str(res.best_checkpoint), "-o", str(out),
                                 "--rc-average"])
    assert r.exit_code == 0, r.output
    rows = list(csv.DictReader(open(out), delimiter="\t"))
    assert [x["id"] for x in rows] == ["box", "long", "short"] and rows[0]["predicted"] == "1"
    assert abs(float(rows[2]["p_0"]) + float(rows[2]["p_1"]) - 1) < 1e-5
    r = CliRunner().invoke(app, ["predict", str(tmp_path / "test.csv"), "--model", str(res.best_checkpoint),
                                 "-o", str(tmp_path / "t.tsv")])
    assert r.exit_code == 0 and "MCC" in r.output  # labels known: metrics printed
    predicted = json.loads((tmp_path / "t.tsv.metrics.json").read_text())
    r = CliRunner().invoke(app, ["evaluate-sequences", str(tmp_path / "test.csv"), "--model", str(res.best_checkpoint),
                                 "-o", str(tmp_path / "ev")])
    assert r.exit_code == 0, r.output
    m = json.loads((tmp_path / "ev" / "predictions.tsv.metrics.json").read_text())
    assert m["mcc"] == predicted["mcc"] and set(m) >= {"accuracy", "f1", "mcc", "auroc", "auprc", "per_class"}
    assert (tmp_path / "ev" / "predictions.tsv.roc_pr.png").stat().st_size > 1000
    assert json.loads((tmp_path / "run" / "leakage.json").read_text())["train->test"]["of"] == 100
    r = CliRunner().invoke(app, ["evaluate-sequences", str(fasta), "--model", str(res.best_checkpoint), "-o",
                                 str(tmp_path / "ev2")])
    assert r.exit_code == 2 and "no label column" in r.output


def test_small_cnn_flatten_head_keeps_position():
    """The flatten head keeps per-position features (pooled by 2) for its dense layer: (filters * L/2) inputs."""
    torch.manual_seed(0)
    m = build_model("small_cnn", n_classes=2, length=40, filters=8, head="flatten", pool=2, hidden=16).eval()
    a = "A" * 5 + "TATAAA" + "A" * 29
    b = "A" * 25 + "TATAAA" + "A" * 9
    x = torch.from_numpy(one_hot([a, b], 40))
    with torch.no_grad():
        assert m(x).shape == (2, 2) and not torch.allclose(m(x)[0], m(x)[1])
    assert m.head[3].in_features == 8 * 20
    with pytest.raises(ValueError, match="needs the input length"):
        build_model("small_cnn", n_classes=2, head="flatten")


def test_dilated_cnn_shapes_and_receptive_field():
    """Gated dilated residual blocks keep (N, C, L); the receptive field is +-(5 + 2 * (1 + 2 + 4)) = +-19 bp."""
    m = build_model("dilated_cnn", n_classes=3, channels=8, dilations=[1, 2, 4]).eval()
    x = torch.zeros(2, 4, 50)
    assert m(x).shape == (2, 3)
    h0 = m.blocks(m.stem(x))
    x2 = x.clone()
    x2[:, 0, 44] = 1
    h1 = m.blocks(m.stem(x2))
    assert h0.shape == (2, 8, 50)
    assert not torch.allclose(h0[:, :, 25], h1[:, :, 25]) and torch.equal(h0[:, :, 24], h1[:, :, 24])  # 19 vs 20 bp
