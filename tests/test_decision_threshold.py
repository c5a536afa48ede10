"""The decision threshold chosen on the validation split (trainer.decision_threshold: val_mcc), stored in the
checkpoint and used by the test report, predict and evaluate-sequences; data.rc_average as the model's default."""

import csv
import json

import numpy as np
import pytest
import torch
from sklearn.metrics import matthews_corrcoef

from builders import sequence_config as config
from genotorch.predict.metrics import mcc_threshold, predicted_classes


def test_mcc_threshold_by_hand():
    # cuts after 0.9 (TP 1), 0.8 (TP 1 FP 1), 0.6 (TP 2 FP 1), 0.4 (TP 3 FP 1), 0.3, 0.1
    y = np.array([1, 0, 1, 1, 0, 0])
    p = np.array([0.9, 0.8, 0.6, 0.4, 0.3, 0.1])
    t, m = mcc_threshold(y, p)
    assert t == pytest.approx(0.35)  # midpoint of 0.4 and 0.3: TP 3, FP 1, FN 0, TN 2
    assert m == pytest.approx((3 * 2 - 1 * 0) / np.sqrt(4 * 3 * 3 * 2))
    assert mcc_threshold(np.array([1, 1]), np.array([0.2, 0.7])) == (0.5, 0.0)  # one class: nothing to choose
    # ties between cuts: the one nearest 0.5
    assert mcc_threshold(np.array([0, 0, 1, 1]), np.array([0.1, 0.4, 0.35, 0.9]))[0] == pytest.approx(0.65)
    assert predicted_classes(np.array([[0.7, 0.3], [0.2, 0.8]]), 0.25).tolist() == [1, 1]
    assert predicted_classes(np.array([[0.7, 0.3], [0.2, 0.8]])).tolist() == [0, 1]


def test_mcc_threshold_is_the_best_cut():
    rng = np.random.default_rng(3)
    for _ in range(50):
        n = int(rng.integers(4, 40))
        y = rng.integers(0, 2, n)
        p = np.round(rng.random(n) * (0.6 + 0.4 * y), 2)
        if len(set(y)) < 2:
            continue
        t, m = mcc_threshold(y, p)
        brute = max(matthews_corrcoef(y, p >= c) for c in np.r_[np.unique(p), 2.0])
        assert m == pytest.approx(brute) and matthews_corrcoef(y, p >= t) == pytest.approx(m)


def test_threshold_chosen_on_dev_stored_and_used(tmp_path):
    from typer.testing import CliRunner

    from genotorch.cli.main import app
    from genotorch.models.checkpoint import load_classifier
    from genotorch.predict.sequences import predict_sequences, read_inputs
    from genotorch.train.run import train

    cfg = config(tmp_path, **{"trainer.decision_threshold": "val_mcc", "data.rc_average": True,
                              "trainer.max_epochs": 1})  # one epoch: a model whose best cut is not 0.5
    res = train(cfg, progress_bar=False)
    model, meta = load_classifier(res.best_checkpoint)
    d = meta["decision"]
    _, dev, dev_y = read_inputs(tmp_path / "dev.csv")
    p_dev = predict_sequences(model, 40, dev, rc_average=True)[:, 1]
    t, m = mcc_threshold(np.array(dev_y, int), p_dev)
    assert d["threshold"] == pytest.approx(t) and d["val_mcc"] == pytest.approx(m) and d["positive_class"] == "1"
    assert d["threshold"] != 0.5 and d["val_mcc"] >= d["val_mcc_at_argmax"]
    last = torch.load(res.last_checkpoint, weights_only=True)["hyper_parameters"]["meta"]["decision"]
    assert last == d
    # the test report: both strands averaged, classes called at the stored threshold
    _, test, test_y = read_inputs(tmp_path / "test.csv")
    p_test = predict_sequences(model, 40, test, rc_average=True)[:, 1]
    y = np.array(test_y, int)
    assert res.test["mcc"] == pytest.approx(matthews_corrcoef(y, p_test >= t))
    assert res.test["decision_threshold"] == pytest.approx(t)
    # predict and evaluate-sequences: the model's own strand setting and threshold by default
    out = tmp_path / "p.tsv"
    r = CliRunner().invoke(app, ["predict", str(tmp_path / "test.csv"), "--model", str(res.best_checkpoint),
                                 "-o", str(out)])
    assert r.exit_code == 0, r.output
    rows = list(csv.DictReader(open(out), delimiter="\t"))
    got = np.array([float(row["p_1"]) for row in rows])
    assert np.abs(got - p_test).max() < 1e-6
    assert [row["predicted"] for row in rows] == ["1" if v >= t else "0" for v in p_test]
    r = CliRunner().invoke(app, ["evaluate-sequences", str(tmp_path / "test.csv"), "--model",
                                 str(res.best_checkpoint), "-o", str(tmp_path / "ev"), "--no-rc-average"])
    assert r.exit_code == 0, r.output
    m1 = json.loads((tmp_path / "ev" / "predictions.tsv.metrics.json").read_text())
    p_one = predict_sequences(model, 40, test)[:, 1]  # one strand when asked
    assert m1["mcc"] == pytest.approx(matthews_corrcoef(y, p_one >= t)) and m1["decision_threshold"] == pytest.approx(t)
