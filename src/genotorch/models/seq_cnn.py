"""CNNs on one-hot DNA ``(N, 4, L)`` float32 (A, C, G, T; see :mod:`genotorch.encode.onehot`) -> ``(N, K)`` logits.

* ``basset``: Kelley et al. 2016 (Genome Research 26:990), the published architecture as default: convolutions of
  300/200/200 filters, widths 19/11/7, max-pools 3/4/4 (ceil mode, so short sequences keep one position), two fully
  connected layers of 1000 with dropout 0.3; BatchNorm after every layer as in the Basset code.
* ``small_cnn``: two convolutions (128 filters of width 15, or ``first_width``; 128 of width 7), a global max +
  mean pool and one linear layer: a few minutes per epoch-sized run on a CPU.
* ``dilated_cnn``: a stem convolution, then residual blocks of gated, dilated convolutions (dilations 1, 2, 4, 8, ...;
  a GLU gate as in ConvNova, Bo et al. 2025, arXiv:2502.18538), a global max + mean pool and one linear layer.
``length`` is the input length L (from the data; the checkpoint stores it).
"""

from __future__ import annotations

import torch
from torch import nn



class Basset(nn.Module):
    """Basset (Kelley et al. 2016, Genome Res 26:990): three conv/BN/ReLU/max-pool layers (300x19, 200x11, 200x7)
    and two 1000-unit dense layers with dropout; one-hot ``(N, 4, length)`` -> ``(N, n_classes)`` logits."""
    def __init__(self, in_channels: int = 4, n_classes: int = 2, length: int = 600, filters=(300, 200, 200),
                 widths=(19, 11, 7), pools=(3, 4, 4), hidden=(1000, 1000), dropout: float = 0.3):
        super().__init__()
        layers, c = [], in_channels
        for f, w, p in zip(filters, widths, pools):
            layers += [nn.Conv1d(c, f, w, padding=w // 2), nn.BatchNorm1d(f), nn.ReLU(inplace=True),
                       nn.MaxPool1d(p, ceil_mode=True)]
            c = f
        self.features = nn.Sequential(*layers)
        with torch.no_grad():
            n = self.features.eval()(torch.zeros(1, in_channels, length)).numel()
        self.features.train()  # eval() above was only for the size probe (BatchNorm on one example)
        head, d = [nn.Flatten()], n
        for h in hidden:
            head += [nn.Linear(d, h), nn.BatchNorm1d(h), nn.ReLU(inplace=True), nn.Dropout(dropout)]
            d = h
        self.head = nn.Sequential(*head, nn.Linear(d, n_classes))
        self.in_channels, self.length = in_channels, length

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        _check(x, self.in_channels, self.length)
        return self.head(self.features(x.float()))


class SmallCNN(nn.Module):
    """A small CNN that trains in minutes on a CPU: conv layers, then global max/average pooling or
    (``head='flatten'``) per-position features into a dense layer; ``(N, 4, length)`` -> ``(N, n_classes)`` logits."""
    def __init__(self, in_channels: int = 4, n_classes: int = 2, length: int = 0, filters: int = 128,
                 dropout: float = 0.2, head: str = "global", pool: int = 2, hidden: int = 256,
                 first_width: int = 15):
        super().__init__()
        if first_width < 1 or first_width % 2 == 0:
            raise ValueError(f"small_cnn first_width {first_width}: give an odd width (the output keeps the length)")
        self.features = nn.Sequential(
            nn.Conv1d(in_channels, filters, first_width, padding=first_width // 2), nn.BatchNorm1d(filters), nn.ReLU(inplace=True),
            nn.Conv1d(filters, filters, 7, padding=3), nn.BatchNorm1d(filters), nn.ReLU(inplace=True))
        if head == "global":
            self.head = nn.Sequential(nn.Dropout(dropout), nn.Linear(2 * filters, n_classes))
        elif head == "flatten":  # keeps where along the sequence a feature is (aligned sequences, e.g. at a TSS)
            if not length:
                raise ValueError("small_cnn head 'flatten' needs the input length")
            n = filters * -(-length // pool)
            self.head = nn.Sequential(nn.MaxPool1d(pool, ceil_mode=True), nn.Flatten(), nn.Dropout(dropout),
                                      nn.Linear(n, hidden), nn.BatchNorm1d(hidden), nn.ReLU(inplace=True),
                                      nn.Dropout(dropout), nn.Linear(hidden, n_classes))
        else:
            raise ValueError(f"small_cnn head {head!r}: use 'global' or 'flatten'")
        self.in_channels, self.length, self.head_kind = in_channels, length, head

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        _check(x, self.in_channels, self.length or x.shape[-1])
        h = self.features(x.float())
        if self.head_kind == "flatten":
            return self.head(h)
        return self.head(torch.cat([h.amax(-1), h.mean(-1)], 1))


class GatedDilatedBlock(nn.Module):
    """``x + Dropout(GLU(Conv1d_dilated(GELU(BN(x)))))``; keeps the shape ``(N, C, L)``."""

    def __init__(self, channels: int, width: int, dilation: int, dropout: float):
        super().__init__()
        self.norm = nn.BatchNorm1d(channels)
        self.conv = nn.Conv1d(channels, 2 * channels, width, dilation=dilation, padding=dilation * (width // 2))
        self.drop = nn.Dropout(dropout)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return x + self.drop(nn.functional.glu(self.conv(nn.functional.gelu(self.norm(x))), dim=1))


class DilatedCNN(nn.Module):
    """Gated, dilated residual convolutions (as in ConvNova); ``(N, 4, length)`` -> ``(N, n_classes)`` logits."""
    def __init__(self, in_channels: int = 4, n_classes: int = 2, length: int = 0, channels: int = 128,
                 stem_width: int = 11, width: int = 5, dilations=(1, 2, 4, 8), dropout: float = 0.1,
                 head_dropout: float = 0.3):
        super().__init__()
        self.stem = nn.Conv1d(in_channels, channels, stem_width, padding=stem_width // 2)
        self.blocks = nn.Sequential(*[GatedDilatedBlock(channels, width, d, dropout) for d in dilations])
        self.norm = nn.BatchNorm1d(channels)
        self.head = nn.Sequential(nn.Dropout(head_dropout), nn.Linear(2 * channels, n_classes))
        self.in_channels, self.length = in_channels, length

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        _check(x, self.in_channels, self.length or x.shape[-1])
        h = nn.functional.gelu(self.norm(self.blocks(self.stem(x.float()))))
        return self.head(torch.cat([h.amax(-1), h.mean(-1)], 1))


def _check(x: torch.Tensor, c: int, length: int) -> None:
    if x.dim() != 3 or x.shape[1] != c or x.shape[2] != length:
        raise ValueError(f"expected one-hot DNA of shape (N, {c}, {length}), got {tuple(x.shape)}")
