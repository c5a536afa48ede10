"""Building blocks shared by the CNNs of several modalities."""

from __future__ import annotations

import torch
from torch import nn


class BasicBlock(nn.Module):
    """The basic residual block of He et al. 2016 ("Deep Residual Learning"): two 3x3 convolutions with batch
    norm, and a 1x1 projection on the shortcut when the stride or the width changes.

    Input ``(N, c_in, H, W)`` float; output ``(N, c_out, ceil(H / stride), ceil(W / stride))``.
    """

    def __init__(self, c_in: int, c_out: int, stride: int = 1):
        super().__init__()
        self.conv1 = nn.Conv2d(c_in, c_out, 3, stride, 1, bias=False)
        self.bn1 = nn.BatchNorm2d(c_out)
        self.conv2 = nn.Conv2d(c_out, c_out, 3, 1, 1, bias=False)
        self.bn2 = nn.BatchNorm2d(c_out)
        self.shortcut = (
            nn.Sequential(nn.Conv2d(c_in, c_out, 1, stride, bias=False), nn.BatchNorm2d(c_out))
            if stride != 1 or c_in != c_out
            else nn.Identity()
        )

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        y = torch.relu(self.bn1(self.conv1(x)))
        y = self.bn2(self.conv2(y))
        return torch.relu(y + self.shortcut(x))
