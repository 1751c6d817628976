"""The 64x64 DCGAN networks of LSGAN's stability comparison (Mao et al. 2017, Sec. 4.2;
official code xudonmao/LSGAN ``stability_comparison/*/dcgan64.py`` and ``ops.py``).

G: z in R^1024 ~ U[-1, 1] -> linear -> (R/16)^2 x 8ch, ReLU -> four 5x5 stride-2 deconvs
(4ch, 2ch, ch, channels), ReLU after each but the last -> tanh.
D: four 5x5 stride-2 convs (ch, 2ch, 4ch, 8ch), LeakyReLU(0.2) -> linear -> 1 (a raw logit).

BatchNorm: the DCGAN slots are after G's linear and its first three deconvs, and after D's
convs 2-4. The stability folders switch them off: ``BN_G_*`` has none in G (``bn_g=False``),
``BN_GD_*`` none in G nor D (``bn_g=bn_d=False``). With BN on, it has a learned gain,
initialised N(1, 0.02) as ``ops.batch_norm``.

Init as ``ops.py``: truncated N(0, 0.02) for D's convs, N(0, 0.02) for deconvs and linears,
zero biases. Padding: TF's "SAME" pads a 5x5 stride-2 conv 1 before and 2 after; we pad 2 on
both sides (same output size, half a pixel shifted), as the ``lsgan`` arch does.
"""
from __future__ import annotations

import torch
import torch.nn.functional as F
from torch import nn

from .. import norms
from .blocks import Generator, layer, normal_002, truncated_normal_002

Tensor = torch.Tensor


def _bn(c: int, on: bool) -> nn.Module:
    if not on:
        return nn.Identity()
    bn = nn.BatchNorm2d(c)
    nn.init.normal_(bn.weight, 1.0, 0.02)
    return bn


class DCGAN64Generator(Generator):
    prior = "uniform"

    def __init__(self, resolution: int = 64, channels: int = 3, z_dim: int = 1024, ch: int = 64,
                 norm: str = "none", bn: bool = True):
        super().__init__()
        self.z_dim, self.s16, self.ch = z_dim, resolution // 16, ch
        self.h0 = layer(nn.Linear(z_dim, self.s16 ** 2 * 8 * ch), norm, normal_002)
        self.bn0 = _bn(8 * ch, bn)
        widths = [8 * ch, 4 * ch, 2 * ch, ch, channels]
        self.deconvs = nn.ModuleList(
            layer(nn.ConvTranspose2d(a, b, 5, 2, 2, output_padding=1), norm, normal_002)
            for a, b in zip(widths, widths[1:]))
        self.bns = nn.ModuleList(_bn(c, bn) for c in widths[1:-1])

    def forward(self, z: Tensor, y: Tensor | None = None) -> Tensor:
        h = F.relu(self.bn0(self.h0(z).view(-1, 8 * self.ch, self.s16, self.s16)))
        for deconv, bn in zip(self.deconvs[:-1], self.bns):
            h = F.relu(bn(deconv(h)))
        return torch.tanh(self.deconvs[-1](h))


class DCGAN64Discriminator(nn.Module):
    def __init__(self, resolution: int = 64, channels: int = 3, ch: int = 64, norm: str = "none",
                 bn: bool = True):
        super().__init__()
        widths = [channels, ch, 2 * ch, 4 * ch, 8 * ch]
        self.convs = nn.ModuleList(
            layer(nn.Conv2d(a, b, 5, 2, 2), norm, truncated_normal_002) for a, b in zip(widths, widths[1:]))
        # the paper's BN slots (convs 2-4), or the D treatment's feature norm when BN is off
        self.bns = nn.ModuleList(nn.Identity() if i == 0 else (_bn(c, True) if bn else norms.feature_norm(norm, c))
                                 for i, c in enumerate(widths[1:]))
        self.h4 = layer(nn.Linear((resolution // 16) ** 2 * 8 * ch, 1), norm, normal_002)

    def forward(self, x: Tensor, y: Tensor | None = None) -> Tensor:
        h = x
        for conv, bn in zip(self.convs, self.bns):
            h = F.leaky_relu(bn(conv(h)), 0.2)
        return self.h4(h.flatten(1)).squeeze(1)
