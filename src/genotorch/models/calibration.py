"""Temperature scaling (Guo et al. 2017, "On Calibration of Modern Neural Networks", ICML): one scalar ``T`` that
divides a classifier's logits so that its softmax probabilities match observed frequencies on held-out data.

A checkpoint whose ``meta["calibration"]["temperature"]`` is set is loaded wrapped in :class:`TemperatureScaled`
(:func:`genotorch.models.checkpoint.load_classifier`), so every probability, GQ and QUAL comes out calibrated.
"""

from __future__ import annotations

import numpy as np
import torch
from torch import nn


class TemperatureScaled(nn.Module):
    """``model(x) / temperature``: the same argmax, softer (T > 1) or sharper (T < 1) probabilities."""

    def __init__(self, model: nn.Module, temperature: float):
        super().__init__()
        self.model = model
        self.temperature = float(temperature)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.model(x) / self.temperature

    def __getattr__(self, name):  # the wrapped model's own attributes (k, pooling, ...) stay reachable
        try:
            return super().__getattr__(name)
        except AttributeError:
            return getattr(self._modules["model"], name)


def fit_temperature(logits: np.ndarray, labels: np.ndarray, bounds: tuple[float, float] = (0.05, 20.0)) -> float:
    """The temperature minimising the negative log-likelihood of ``labels`` under ``softmax(logits / T)``.

    Parameters
    ----------
    logits: np.ndarray, shape=(N, K), float
    labels: np.ndarray, shape=(N,), int in [0, K)

    Returns
    -------
    float: T within ``bounds`` (a golden-section search on log T; the NLL is convex in 1/T).

    Raises
    ------
    ValueError
        No example, or shapes that disagree.
    """
    z = torch.as_tensor(np.asarray(logits, dtype=np.float64))
    y = torch.as_tensor(np.asarray(labels, dtype=np.int64))
    if z.ndim != 2 or len(z) != len(y) or len(y) == 0:
        raise ValueError(f"logits {tuple(z.shape)} and labels {tuple(y.shape)}: need (N, K) and (N,), N > 0")

    def nll(log_t: float) -> float:
        return float(nn.functional.cross_entropy(z / np.exp(log_t), y))

    a, b = np.log(bounds[0]), np.log(bounds[1])
    g = (np.sqrt(5) - 1) / 2
    c, d = b - g * (b - a), a + g * (b - a)
    for _ in range(80):
        if nll(c) < nll(d):
            b, d = d, c
            c = b - g * (b - a)
        else:
            a, c = c, d
            d = a + g * (b - a)
    return float(np.exp((a + b) / 2))
