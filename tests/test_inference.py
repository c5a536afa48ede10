"""The shared inference runner: the same outputs whatever the batch size, for pileups and tiled sequences."""

import numpy as np
import torch

from genotorch.models.inference import predict_array
from genotorch.models.registry import build_model
from genotorch.predict.sequences import predict_sequences


def test_pileup_probabilities_do_not_depend_on_batch_size():
    torch.manual_seed(0)
    model = build_model("pileup_resnet", in_channels=7, n_classes=3, widths=[4, 8]).eval()
    x = np.random.default_rng(0).integers(0, 255, (11, 7, 20, 31)).astype(np.uint8)
    outs = [predict_array(model, x, b) for b in (1, 4, 11, 64)]
    assert outs[0].shape == (11, 3) and np.allclose(outs[0].sum(1), 1)
    for o in outs[1:]:
        np.testing.assert_allclose(o, outs[0], rtol=0, atol=1e-6)


def test_tiled_sequence_predictions_do_not_depend_on_batch_size():
    torch.manual_seed(0)
    model = build_model("small_cnn", in_channels=4, n_classes=2, length=20, filters=8).eval()
    rng = np.random.default_rng(1)
    seqs = ["".join(rng.choice(list("ACGT"), n)) for n in (20, 35, 61, 8)]  # windows tiled, one padded
    a = predict_sequences(model, 20, seqs, rc_average=True, batch_size=1)
    b = predict_sequences(model, 20, seqs, rc_average=True, batch_size=512)
    assert a.shape == (4, 2)
    np.testing.assert_allclose(a, b, rtol=0, atol=1e-6)
