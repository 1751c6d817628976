"""SNGAN's ResNet networks (Miyato et al. 2018, App. B, Tables 4 and 5), with the
class-conditional form of SNGAN-projection (Miyato & Koyama 2018).

Layouts, widths in multiples of ``ch`` (paper: ch = 64):

* Table 4 (CIFAR-10, 32x32; used for every resolution R divisible by 8 except 48):
  G: z -> dense -> R/8 x R/8 x 256 -> 3 up-ResBlocks of 256 -> BN, ReLU, conv3x3, tanh.
  D: down-ResBlock 128 (optimized), down-ResBlock 128, ResBlock 128, ResBlock 128, ReLU,
  global sum pooling, dense -> 1.
* Table 5 (STL-10, 48x48):
  G: z -> dense -> 6 x 6 x 512 -> up-ResBlocks 256, 128, 64 -> BN, ReLU, conv3x3, tanh.
  D: down-ResBlocks 64 (optimized), 128, 256, 512, ResBlock 1024, ReLU, sum pooling, dense.

Conditional form (``n_classes > 0``): conditional BN in G's blocks and a projection
discriminator, logit = psi(phi(x)) + <V y, phi(x)> (Miyato & Koyama 2018, Eq. (3)).

Initialization as the authors' code (pfnet-research/sngan_projection): Glorot-uniform with
gain sqrt(2) on the residual-branch convs, Glorot-uniform (gain 1) on the shortcut convs, the
dense layers, G's last conv and the class embedding V; zero biases. D's dense layer psi has no
bias there (``nobias=True``), and none here.

The optional self-attention block (SAGAN) is placed by these classes but only built by the
SAGAN subclasses in :mod:`repro.models.sagan`, which set :attr:`Attention`.
"""
from __future__ import annotations

import torch
import torch.nn.functional as F
from torch import nn

from .blocks import DBlock, GBatchNorm, GBlock, Generator, check_labels, glorot, glorot_relu, layer

Tensor = torch.Tensor


def layout(resolution: int, ch: int) -> tuple[list[int], list[tuple[int, bool]]]:
    """G's widths (dense output, then each up-block) and D's blocks as (width, downsample)."""
    if resolution == 48:  # Table 5
        return ([8 * ch, 4 * ch, 2 * ch, ch],
                [(ch, True), (2 * ch, True), (4 * ch, True), (8 * ch, True), (16 * ch, False)])
    return [4 * ch] * 4, [(2 * ch, True), (2 * ch, True), (2 * ch, False), (2 * ch, False)]  # Table 4


def feature_sizes(resolution: int) -> tuple[list[int], list[int]]:
    """Spatial size after each G block and after each D block."""
    g_widths, d_blocks = layout(resolution, 1)
    g = [resolution // 8 * 2 ** (i + 1) for i in range(len(g_widths) - 1)]
    d, size = [], resolution
    for _, down in d_blocks:
        size //= 2 if down else 1
        d.append(size)
    return g, d


def attention_sizes(resolution: int) -> tuple[int, ...]:
    """Feature-map sizes where an attention block can sit in both G and D (after the block
    that produces that size)."""
    g, d = feature_sizes(resolution)
    return tuple(sorted(set(g) & set(d)))


class SNGANResNetGenerator(Generator):
    """SNGAN Table 4 (R != 48) / Table 5 (R = 48) generator; z ~ N(0, I)."""

    prior = "normal"
    Attention: type[nn.Module] | None = None  # set by SAGAN
    init_residual, init_other = glorot_relu, glorot

    def __init__(self, resolution: int = 32, channels: int = 3, z_dim: int = 128, ch: int = 64,
                 norm: str = "none", n_classes: int = 0, attention: int | None = None,
                 attention_variant: str = "paper"):
        super().__init__()
        widths, _ = layout(resolution, ch)
        self.z_dim, self.n_classes, self.bottom = z_dim, n_classes, resolution // 8
        self.dense = layer(nn.Linear(z_dim, self.bottom ** 2 * widths[0]), norm, self.init_other)
        self.blocks = nn.ModuleList(
            GBlock(c_in, c_out, norm, n_classes, init=self.init_residual, init_sc=self.init_other)
            for c_in, c_out in zip(widths, widths[1:]))
        self.attention_at, self.attention = _attention(self, feature_sizes(resolution)[0], widths[1:],
                                                       attention, norm, attention_variant)
        self.bn = GBatchNorm(widths[-1])  # unconditional, as in both papers' code
        self.conv = layer(nn.Conv2d(widths[-1], channels, 3, 1, 1), norm, self.init_other)

    def forward(self, z: Tensor, y: Tensor | None = None) -> Tensor:
        y = check_labels(self.n_classes, y)
        h = self.dense(z).view(z.shape[0], -1, self.bottom, self.bottom)
        for i, block in enumerate(self.blocks):
            h = block(h, y)
            if i == self.attention_at:
                h = self.attention(h)
        return torch.tanh(self.conv(F.relu(self.bn(h))))


class SNGANResNetDiscriminator(nn.Module):
    """SNGAN Table 4 / Table 5 discriminator; projection discriminator when ``n_classes > 0``.

    phi(x) = sum over positions of ReLU(ResBlocks(x)); logit = psi(phi) (+ <V[y], phi>).
    """

    Attention: type[nn.Module] | None = None  # set by SAGAN
    init_residual, init_other = glorot_relu, glorot
    psi_bias = False  # sngan_projection: SNLinear(ch, 1, nobias=True)

    def __init__(self, resolution: int = 32, channels: int = 3, ch: int = 64, norm: str = "none",
                 n_classes: int = 0, attention: int | None = None, attention_variant: str = "paper"):
        super().__init__()
        _, spec = layout(resolution, ch)
        self.n_classes = n_classes
        blocks, c_in = [], channels
        for i, (c_out, down) in enumerate(spec):
            blocks.append(DBlock(c_in, c_out, norm, downsample=down, optimized=i == 0,
                                 init=self.init_residual, init_sc=self.init_other))
            c_in = c_out
        self.blocks = nn.ModuleList(blocks)
        self.attention_at, self.attention = _attention(self, feature_sizes(resolution)[1],
                                                       [c for c, _ in spec], attention, norm,
                                                       attention_variant)
        self.psi = layer(nn.Linear(c_in, 1, bias=self.psi_bias), norm, self.init_other)
        if n_classes:
            self.embed = layer(nn.Embedding(n_classes, c_in), norm, self.init_other)  # V

    def forward(self, x: Tensor, y: Tensor | None = None) -> Tensor:
        y = check_labels(self.n_classes, y)
        h = x
        for i, block in enumerate(self.blocks):
            h = block(h)
            if i == self.attention_at:
                h = self.attention(h)
        phi = F.relu(h).sum(dim=(2, 3))  # global sum pooling
        out = self.psi(phi).squeeze(1)
        if self.n_classes:
            out = out + (self.embed(y) * phi).sum(1)
        return out


def _attention(net: nn.Module, sizes: list[int], widths: list[int], attention: int | None,
               norm: str, variant: str = "paper") -> tuple[int | None, nn.Module | None]:
    """(index of the block the attention follows, the attention block), or (None, None)."""
    if attention is None:
        return None, None
    if net.Attention is None:
        raise ValueError(f"{type(net).__name__} has no attention block; attention must be None")
    if attention not in sizes:
        raise ValueError(f"attention {attention!r} is not a feature-map size of "
                         f"{type(net).__name__}; allowed: {sorted(set(sizes))} or None")
    i = sizes.index(attention)  # the first block that produces this size
    block = net.Attention(widths[i], norm, variant=variant)
    block.feature_size = attention  # names its gate in repro.models.sagan.attention_gates
    return i, block
