"""LSGAN's LSUN networks (Mao et al. 2017, Fig. 3; official code xudonmao/LSGAN ``vgg.py``).

Written for 112x112 (a 7x7 base); any resolution R divisible by 16 works with an R/16 base.
Widths in multiples of ``ch`` (paper: ch = 64, so 4ch = 256).

BatchNorm: the paper's nets use BN with learned gain in G (after every layer but the last) and
in D (after every conv but the first). ``bn=False`` removes it: LSGAN's stability comparison
(Sec. 4.2 / ``stability_comparison/``) trains without BN in G, or in both G and D. The D
treatments of :mod:`repro.norms` apply as in every other net: the weight treatments wrap every
layer, and a feature treatment (batchnorm/layernorm) takes the paper-BN slots, so it needs
``bn=False`` (the builder refuses both at once).

Initialization as the official code (``ops.py``): N(0, 0.02) for the linear and deconv weights,
truncated N(0, 0.02) for D's convs, zero biases, BN gain 1 and bias 0.
"""
from __future__ import annotations

import torch
import torch.nn.functional as F
from torch import nn

from .. import norms
from .blocks import Generator, layer, normal_002, truncated_normal_002

Tensor = torch.Tensor


def _deconv(c_in: int, c_out: int, stride: int, norm: str) -> nn.Module:
    """3x3 deconv; stride 2 doubles the size exactly (TF "SAME" conv2d_transpose)."""
    return layer(nn.ConvTranspose2d(c_in, c_out, 3, stride, 1, output_padding=stride - 1),
                 norm, normal_002)


class LSGANGenerator(Generator):
    """Fig. 3(a): z in R^1024 ~ U[-1, 1] -> fc -> 7x7x256, BN, ReLU ->

    ========  ======  =====
    layer     stride  width
    ========  ======  =====
    h1_1      2       256
    h1_2      1       256
    h2_1      2       256
    h2_2      1       256
    h3_1      2       128
    h4_1      2       64
    h5        1       channels, tanh
    ========  ======  =====

    all 3x3 deconvs, each but h5 followed by BN and ReLU.
    """

    prior = "uniform"

    def __init__(self, resolution: int = 112, channels: int = 3, z_dim: int = 1024, ch: int = 64,
                 norm: str = "none", bn: bool = True):
        super().__init__()
        self.z_dim, self.s16, self.ch = z_dim, resolution // 16, ch

        def bn_(c: int) -> nn.Module:
            return nn.BatchNorm2d(c) if bn else nn.Identity()

        self.h0 = layer(nn.Linear(z_dim, self.s16 ** 2 * 4 * ch), norm, normal_002)
        self.bn0 = bn_(4 * ch)
        spec = [("h1_1", 4 * ch, 4 * ch, 2), ("h1_2", 4 * ch, 4 * ch, 1),
                ("h2_1", 4 * ch, 4 * ch, 2), ("h2_2", 4 * ch, 4 * ch, 1),
                ("h3_1", 4 * ch, 2 * ch, 2), ("h4_1", 2 * ch, ch, 2)]
        self.deconvs = nn.Sequential()
        for name, c_in, c_out, s in spec:
            self.deconvs.add_module(name, nn.Sequential(_deconv(c_in, c_out, s, norm), bn_(c_out), nn.ReLU()))
        self.h5 = _deconv(ch, channels, 1, norm)

    def forward(self, z: Tensor, y: Tensor | None = None) -> Tensor:
        h = self.h0(z).view(z.shape[0], 4 * self.ch, self.s16, self.s16)
        h = self.deconvs(F.relu(self.bn0(h)))
        return torch.tanh(self.h5(h))


class LSGANDiscriminator(nn.Module):
    """Fig. 3(b): 5x5 stride-2 convs 64 (no BN), 128 BN, 256 BN, 512 BN, each followed by
    LeakyReLU(0.2), then fc -> 1 (a raw logit; the least-squares loss acts on it)."""

    def __init__(self, resolution: int = 112, channels: int = 3, ch: int = 64, norm: str = "none",
                 bn: bool = True):
        super().__init__()
        if bn and norms.get_norm(norm).feature:
            raise ValueError(f"lsgan D already has the paper's BatchNorm (bn_d=True); "
                             f"norm_d={norm!r} needs bn_d=False")
        widths = [ch, 2 * ch, 4 * ch, 8 * ch]
        self.convs = nn.Sequential()
        c_in = channels
        for i, c_out in enumerate(widths):
            if i == 0:
                feature = nn.Identity()
            else:
                feature = nn.BatchNorm2d(c_out) if bn else norms.feature_norm(norm, c_out)
            conv = layer(nn.Conv2d(c_in, c_out, 5, 2, 2), norm, truncated_normal_002)
            self.convs.add_module(f"h{i}", nn.Sequential(conv, feature, nn.LeakyReLU(0.2)))
            c_in = c_out
        s16 = resolution // 16
        self.h4 = layer(nn.Linear(s16 ** 2 * 8 * ch, 1), norm, normal_002)

    def forward(self, x: Tensor, y: Tensor | None = None) -> Tensor:
        return self.h4(self.convs(x).flatten(1)).squeeze(1)
