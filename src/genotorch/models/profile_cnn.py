"""A 1-D CNN on coverage profiles read back from overlap charts (:mod:`genotorch.encode.chart_profile`).

Input: ``(N, 2, L)`` float, the top and bottom of the curve in pixels above the baseline (any vertical scale).
Output: ``(N, n_classes)`` logits.

The model first divides each profile by its own scale: the median of the curve's top over the bins where it is
above zero (the read's typical overlap depth), then clips at ``max_height`` times that. The network therefore sees
the shape of the curve (a sharp drop to near zero partway along the read = chimeric; a plateau far above the
typical depth = repeat) and never its depth or its pixel scale; horizontally, the profile already spans the read
whatever its drawn length. Then ``depth`` stages of two convolutions (kernel 7, then 5; batch norm, ReLU) with a
max-pool between stages, and a global max-pool (a drop anywhere along the read counts the same) + global mean-pool
into a dropout + linear head.
"""

from __future__ import annotations

import torch
from torch import nn


def normalise_profile(x: torch.Tensor, max_height: float = 6.0) -> torch.Tensor:
    """``(N, C, L)`` profiles divided by the median of channel 0's positive values per row (1 when none), clipped
    to ``[0, max_height]``."""
    top = x[:, 0].float()
    masked = torch.where(top > 0, top, torch.full_like(top, float("nan")))
    ref = torch.nanmedian(masked, dim=1).values
    ref = torch.where(torch.isnan(ref) | (ref < 1), torch.ones_like(ref), ref)
    return (x.float() / ref[:, None, None]).clamp(0, max_height)


class ChartProfileCNN(nn.Module):
    """1-D CNN on ``(N, in_channels, L)`` chart profiles -> ``(N, n_classes)`` logits (scale-free: see the module
    docstring)."""

    def __init__(self, in_channels: int = 2, n_classes: int = 2, width: int = 32, depth: int = 3,
                 dropout: float = 0.2, max_height: float = 6.0):
        super().__init__()
        self.in_channels, self.max_height = in_channels, float(max_height)

        def block(cin, cout, k):
            return [nn.Conv1d(cin, cout, k, padding=k // 2), nn.BatchNorm1d(cout), nn.ReLU(inplace=True)]

        layers, c = [], in_channels
        for i in range(depth):
            w = width * (1 + i)
            k = 7 if i < depth - 1 else 5
            layers += block(c, w, k) + block(w, w, k)
            if i < depth - 1:
                layers.append(nn.MaxPool1d(2))
            c = w
        self.trunk = nn.Sequential(*layers)
        self.head = nn.Sequential(nn.Dropout(dropout), nn.Linear(2 * c, n_classes))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        if x.dim() != 3 or x.shape[1] != self.in_channels:
            raise ValueError(f"expected chart profiles of shape (N, {self.in_channels}, L), got {tuple(x.shape)}")
        h = self.trunk(normalise_profile(x, self.max_height))
        return self.head(torch.cat([h.amax(dim=2), h.mean(dim=2)], dim=1))
