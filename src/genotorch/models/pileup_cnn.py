"""ResNet-style CNN for pileup tensors (genotype classification).

Input: ``(N, C, H, W)`` pileups, ``uint8`` as make-examples writes them (0-255, divided by 255 here) or float
already scaled to [0, 1] (used as given): both forms give the same logits. Output: ``(N, n_classes)`` logits;
classes 0 = hom-ref, 1 = het, 2 = hom-alt.

The trunk is a stem convolution followed by stages of basic residual blocks (He et al. 2016, "Deep Residual
Learning"), global average pooling and a linear head. Sized to train on a CPU: the default has ~0.3 M parameters.
"""

from __future__ import annotations

import torch
from torch import nn

from genotorch.models.blocks import BasicBlock



class PileupResNet(nn.Module):
    """Parameters
    ----------
    in_channels: int
        Number of pileup channels C.
    n_classes: int
        Output classes (3 genotypes).
    widths: sequence of int
        Channels of each stage; each stage after the first halves H and W.
    blocks_per_stage: int
    dropout: float
        Before the linear head.
    stem_stride: (int, int)
        Stride of the stem convolution over (H, W); (2, 2) quarters the work of the first stage.
    """

    def __init__(self, in_channels: int = 7, n_classes: int = 3, widths=(32, 64, 128), blocks_per_stage: int = 1,
                 dropout: float = 0.2, stem_stride=(1, 2)):
        super().__init__()
        self.in_channels = in_channels
        self.stem = nn.Sequential(
            nn.Conv2d(in_channels, widths[0], 3, stride=tuple(stem_stride), padding=1, bias=False),
            nn.BatchNorm2d(widths[0]),
            nn.ReLU(inplace=True),
        )
        layers, c = [], widths[0]
        for i, w in enumerate(widths):
            for b in range(blocks_per_stage):
                layers.append(BasicBlock(c, w, stride=2 if (i > 0 and b == 0) else 1))
                c = w
        self.trunk = nn.Sequential(*layers)
        self.pool = nn.AdaptiveAvgPool2d(1)
        self.head = nn.Sequential(nn.Flatten(), nn.Dropout(dropout), nn.Linear(c, n_classes))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        if x.dim() != 4 or x.shape[1] != self.in_channels:
            raise ValueError(f"expected pileups of shape (N, {self.in_channels}, H, W), got {tuple(x.shape)}")
        if x.dtype == torch.uint8:
            x = x.float() / 255.0
        return self.head(self.pool(self.trunk(self.stem(x))))
