"""SNGAN's "standard CNN" (Miyato et al. 2018, App. B, Table 3).

Table 3 is written for M = 32 (CIFAR-10, SVHN; Mg = 4) and M = 48 (STL-10; Mg = 6). The nets
below take any resolution R divisible by 8 with Mg = R / 8 (e.g. 16x16 digits: Mg = 2), and
express the widths in multiples of ``ch`` (paper: ch = 64, so 8ch = 512).

Initialization: N(0, 0.02) weights, zero biases, as the SNGAN authors' chainer-gan-lib code
(``DCGANGenerator`` / ``SNDCGANDiscriminator``, ``wscale=0.02``).
"""
from __future__ import annotations

from collections import OrderedDict

import torch
import torch.nn.functional as F
from torch import nn

from .. import norms
from .blocks import Generator, layer, normal_002

Tensor = torch.Tensor


class SNGANCNNGenerator(Generator):
    """Table 3(a): z in R^128 ~ N(0, I) -> dense -> Mg x Mg x 512 -> three 4x4 stride-2 deconvs
    (256, 128, 64), each with BN and ReLU -> 3x3 stride-1 conv to ``channels`` -> tanh.

    The dense layer is followed by BN and ReLU as well, as in the authors' code (``bn0``), which
    normalizes each of the Mg*Mg*512 dense outputs separately (a BatchNorm1d before the reshape).
    """

    prior = "normal"

    def __init__(self, resolution: int = 32, channels: int = 3, z_dim: int = 128, ch: int = 64,
                 norm: str = "none"):
        super().__init__()
        self.z_dim, self.Mg, self.ch = z_dim, resolution // 8, ch
        self.dense = layer(nn.Linear(z_dim, self.Mg * self.Mg * 8 * ch), norm, normal_002)
        self.bn0 = nn.BatchNorm1d(self.Mg * self.Mg * 8 * ch)
        self.deconv1 = layer(nn.ConvTranspose2d(8 * ch, 4 * ch, 4, 2, 1), norm, normal_002)
        self.bn1 = nn.BatchNorm2d(4 * ch)
        self.deconv2 = layer(nn.ConvTranspose2d(4 * ch, 2 * ch, 4, 2, 1), norm, normal_002)
        self.bn2 = nn.BatchNorm2d(2 * ch)
        self.deconv3 = layer(nn.ConvTranspose2d(2 * ch, ch, 4, 2, 1), norm, normal_002)
        self.bn3 = nn.BatchNorm2d(ch)
        self.conv4 = layer(nn.Conv2d(ch, channels, 3, 1, 1), norm, normal_002)

    def forward(self, z: Tensor, y: Tensor | None = None) -> Tensor:
        h = F.relu(self.bn0(self.dense(z))).view(-1, 8 * self.ch, self.Mg, self.Mg)
        h = F.relu(self.bn1(self.deconv1(h)))
        h = F.relu(self.bn2(self.deconv2(h)))
        h = F.relu(self.bn3(self.deconv3(h)))
        return torch.tanh(self.conv4(h))


class SNGANCNNDiscriminator(nn.Module):
    """Table 3(b): seven convs with LeakyReLU(0.1), then dense -> 1 (a raw logit).

    ======  =====  ======  ======
    layer   kernel stride  width
    ======  =====  ======  ======
    c0_0    3x3    1       64
    c0_1    4x4    2       64
    c1_0    3x3    1       128
    c1_1    4x4    2       128
    c2_0    3x3    1       256
    c2_1    4x4    2       256
    c3_0    3x3    1       512
    l4      dense          1
    ======  =====  ======  ======

    Widths follow the table; the authors' chainer code widens one layer earlier at each
    stride-2 conv (64, 128, 128, 256, 256, 512, 512). Padding 1 everywhere, so R -> R/8.
    The BN/LN treatments go after every conv but the first (DCGAN convention, and the
    authors' ``DCGANDiscriminator``), never on the dense layer.
    """

    def __init__(self, resolution: int = 32, channels: int = 3, ch: int = 64, norm: str = "none"):
        super().__init__()
        spec = [("c0_0", ch, 3, 1), ("c0_1", ch, 4, 2),
                ("c1_0", 2 * ch, 3, 1), ("c1_1", 2 * ch, 4, 2),
                ("c2_0", 4 * ch, 3, 1), ("c2_1", 4 * ch, 4, 2),
                ("c3_0", 8 * ch, 3, 1)]
        convs, c_in = [], channels
        for i, (name, c_out, k, s) in enumerate(spec):
            feature = nn.Identity() if i == 0 else norms.feature_norm(norm, c_out)
            convs.append((name, nn.Sequential(layer(nn.Conv2d(c_in, c_out, k, s, 1), norm, normal_002),
                                              feature, nn.LeakyReLU(0.1))))
            c_in = c_out
        self.convs = nn.Sequential(OrderedDict(convs))
        Mg = resolution // 8
        self.l4 = layer(nn.Linear(Mg * Mg * 8 * ch, 1), norm, normal_002)

    def forward(self, x: Tensor, y: Tensor | None = None) -> Tensor:
        return self.l4(self.convs(x).flatten(1)).squeeze(1)
