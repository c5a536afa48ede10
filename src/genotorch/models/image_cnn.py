"""CNNs for genome-plot images (overlap charts, IGV screenshots, rendered pileups), in plain PyTorch.

Input: ``(N, C, H, W)`` images, ``uint8`` (scaled by 1/255 here) or float in [0, 1]; C = 1 (grey) or 3 (RGB).
Output: ``(N, n_classes)`` logits.

* ``alexnet_like``: five convolutions (64/192/384/256/256, kernels 11/5/3/3/3, stride 4 first, max-pools after 1, 2
  and 5) and a two-layer head, after Krizhevsky et al. 2012 ("ImageNet classification with deep CNNs"), as in the
  Keras overlap-chart classifier this replaces; ``width`` scales every layer (0.25 trains on a CPU);
  ``batch_norm`` (default on) adds BatchNorm after each convolution: without it the plain network does not leave
  chance level on the overlap charts (mostly-white images; loss stuck at 0.693 for 8 epochs).
* ``resnet18`` / ``resnet34``: He et al. 2016 ("Deep residual learning"), basic blocks [2, 2, 2, 2] / [3, 4, 6, 3],
  7x7 stem with stride 2 and max-pool; ``width`` scales the 64/128/256/512 channels.
Both end in global average pooling, so any input size of at least 64 x 64 works.
"""

from __future__ import annotations

import torch
from torch import nn

from genotorch.models.blocks import BasicBlock


def _scale(x: torch.Tensor) -> torch.Tensor:
    return x.float() / 255.0 if x.dtype == torch.uint8 else x


class AlexNetLike(nn.Module):
    """An AlexNet-like CNN (Krizhevsky et al. 2012) with batch norm, for ``(N, C, H, W)`` uint8 or float images ->
    ``(N, n_classes)`` logits."""
    def __init__(self, in_channels: int = 1, n_classes: int = 2, width: float = 1.0, hidden: int = 512,
                 dropout: float = 0.5, batch_norm: bool = True):
        super().__init__()
        c = [max(8, int(round(v * width))) for v in (64, 192, 384, 256, 256)]
        self.in_channels = in_channels

        def conv(cin, cout, k, stride=1, pad=0):
            layers = [nn.Conv2d(cin, cout, k, stride=stride, padding=pad)]
            return layers + ([nn.BatchNorm2d(cout)] if batch_norm else []) + [nn.ReLU(inplace=True)]

        self.features = nn.Sequential(
            *conv(in_channels, c[0], 11, 4, 2), nn.MaxPool2d(3, 2),
            *conv(c[0], c[1], 5, 1, 2), nn.MaxPool2d(3, 2),
            *conv(c[1], c[2], 3, 1, 1),
            *conv(c[2], c[3], 3, 1, 1),
            *conv(c[3], c[4], 3, 1, 1), nn.MaxPool2d(3, 2),
        )
        self.pool = nn.AdaptiveAvgPool2d((3, 3))
        self.head = nn.Sequential(nn.Flatten(), nn.Dropout(dropout), nn.Linear(c[4] * 9, hidden), nn.ReLU(inplace=True),
                                  nn.Dropout(dropout), nn.Linear(hidden, n_classes))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        _check(x, self.in_channels)
        return self.head(self.pool(self.features(_scale(x))))


class ImageResNet(nn.Module):
    """A ResNet (He et al. 2016) of basic blocks with a width multiplier, for ``(N, C, H, W)`` uint8 or float images
    -> ``(N, n_classes)`` logits."""
    def __init__(self, in_channels: int = 3, n_classes: int = 2, blocks=(2, 2, 2, 2), width: float = 1.0,
                 dropout: float = 0.0):
        super().__init__()
        w = [max(8, int(round(v * width))) for v in (64, 128, 256, 512)]
        self.in_channels = in_channels
        self.stem = nn.Sequential(nn.Conv2d(in_channels, w[0], 7, 2, 3, bias=False), nn.BatchNorm2d(w[0]),
                                  nn.ReLU(inplace=True), nn.MaxPool2d(3, 2, 1))
        layers, c = [], w[0]
        for i, (n, cw) in enumerate(zip(blocks, w)):
            for b in range(n):
                layers.append(BasicBlock(c, cw, stride=2 if (i > 0 and b == 0) else 1))
                c = cw
        self.trunk = nn.Sequential(*layers)
        self.head = nn.Sequential(nn.AdaptiveAvgPool2d(1), nn.Flatten(), nn.Dropout(dropout), nn.Linear(c, n_classes))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        _check(x, self.in_channels)
        return self.head(self.trunk(self.stem(_scale(x))))


def _check(x: torch.Tensor, c: int) -> None:
    if x.dim() != 4 or x.shape[1] != c:
        raise ValueError(f"expected images of shape (N, {c}, H, W), got {tuple(x.shape)}")


def resnet18(**params) -> nn.Module:
    """ResNet-18's stage layout (2, 2, 2, 2 basic blocks; He et al. 2016) for ``(N, C, H, W)`` images."""
    return ImageResNet(blocks=(2, 2, 2, 2), **params)


def resnet34(**params) -> nn.Module:
    """ResNet-34's stage layout (3, 4, 6, 3 basic blocks; He et al. 2016) for ``(N, C, H, W)`` images."""
    return ImageResNet(blocks=(3, 4, 6, 3), **params)
