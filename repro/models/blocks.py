"""Pieces shared by the networks: the layer helper, the generator base, and the ResBlocks.

The ResBlocks are those of SNGAN App. B (Fig. 8, Tables 4 and 5), as written in the SNGAN
authors' code (pfnet-research/sngan_projection, ``gen_models/resblocks.py`` and
``dis_models/resblocks.py``); SAGAN builds its CIFAR-scale networks from the same blocks.
"""
from __future__ import annotations

import functools
import math
from typing import Callable

import torch
import torch.nn.functional as F
from torch import nn

from .. import norms

Tensor = torch.Tensor
Init = Callable[[Tensor], object]

# --------------------------------------------------------------------------- initializers
#: DCGAN-style N(0, 0.02): chainer-gan-lib (SNGAN's standard CNN, ``wscale=0.02``) and the
#: LSGAN TF code (``random_normal_initializer(stddev=0.02)``).
normal_002: Init = functools.partial(nn.init.normal_, mean=0.0, std=0.02)
#: LSGAN's D convs use TF's truncated normal: N(0, 0.02) redrawn outside two standard deviations.
truncated_normal_002: Init = functools.partial(nn.init.trunc_normal_, mean=0.0, std=0.02, a=-0.04, b=0.04)
#: Glorot/Xavier uniform, gain 1 (chainer GlorotUniform(), TF xavier_initializer()).
glorot: Init = functools.partial(nn.init.xavier_uniform_, gain=1.0)
#: Glorot uniform with gain sqrt(2): the residual-branch convs of sngan_projection's ResBlocks.
glorot_relu: Init = functools.partial(nn.init.xavier_uniform_, gain=math.sqrt(2))


def layer(module: nn.Module, norm: str | norms.Normalization, init: Init) -> nn.Module:
    """Initialize ``module``'s weight with ``init`` (or orthonormally under the ``orthonormal``
    treatment, SNGAN Sec. 4.1) and its bias with 0, then wrap the weight in the treatment's
    parametrization (SN/WN; a no-op otherwise).

    The order matters: spectral norm starts its power iteration, and weight norm splits the
    weight into norm and direction, from the weight as it is when they are applied.
    """
    norms.init_weight(module.weight, norm, init)
    if getattr(module, "bias", None) is not None:
        nn.init.zeros_(module.bias)
    return norms.parametrize(module, norm)


# --------------------------------------------------------------------------- generator base
class Generator(nn.Module):
    """What every generator shares: ``z_dim``, the prior ``p(z)`` and :meth:`sample_z`."""

    z_dim: int
    prior: str = "normal"  # "normal": N(0, I); "uniform": U[-1, 1]

    def sample_z(self, n: int, generator: torch.Generator | None = None,
                 device: torch.device | str | None = None) -> Tensor:
        """``n`` draws of z from the paper's prior, shape (n, z_dim).

        With ``generator`` the draw happens on the generator's device and is then moved to
        ``device``, so one seed gives the same z on CPU and GPU.
        """
        if device is None:
            device = next(self.parameters()).device
        where = generator.device if generator is not None else device
        shape = (n, self.z_dim)
        if self.prior == "normal":
            z = torch.randn(shape, generator=generator, device=where)
        else:
            z = torch.rand(shape, generator=generator, device=where) * 2 - 1
        return z.to(device)


def check_labels(n_classes: int, y: Tensor | None) -> Tensor | None:
    """Class-conditional networks need ``y``; unconditional ones ignore it."""
    if n_classes == 0:
        return None
    if y is None:
        raise ValueError(f"this network is class-conditional (n_classes={n_classes}); pass y")
    return y


# --------------------------------------------------------------------------- normalization in G
class GBatchNorm(nn.Module):
    """G's BatchNorm: plain BN with learned gain/bias, or, with ``n_classes > 0``, conditional BN
    (de Vries et al. 2017; used by SNGAN-projection and SAGAN): BN without affine followed by a
    per-class gain and bias looked up in embeddings initialized to 1 and 0.

    G's BN is part of the papers' generators and does not depend on the D treatment.
    """

    def __init__(self, num_features: int, n_classes: int = 0):
        super().__init__()
        self.n_classes = n_classes
        self.bn = nn.BatchNorm2d(num_features, affine=n_classes == 0)
        if n_classes:
            self.gain = nn.Embedding(n_classes, num_features)
            self.bias = nn.Embedding(n_classes, num_features)
            nn.init.ones_(self.gain.weight)
            nn.init.zeros_(self.bias.weight)

    def forward(self, x: Tensor, y: Tensor | None = None) -> Tensor:
        h = self.bn(x)
        if self.n_classes:
            h = h * self.gain(y)[:, :, None, None] + self.bias(y)[:, :, None, None]
        return h


# --------------------------------------------------------------------------- ResBlocks
class GBlock(nn.Module):
    """Generator ResBlock (SNGAN Fig. 8a): BN-ReLU-up-conv3x3-BN-ReLU-conv3x3, shortcut
    up-conv1x1. "up" is nearest-neighbour x2 (chainer ``unpooling_2d``)."""

    def __init__(self, in_ch: int, out_ch: int, norm: str, n_classes: int = 0, *,
                 upsample: bool = True, init: Init = glorot_relu, init_sc: Init = glorot):
        super().__init__()
        self.upsample = upsample
        self.b1 = GBatchNorm(in_ch, n_classes)
        self.c1 = layer(nn.Conv2d(in_ch, out_ch, 3, 1, 1), norm, init)
        self.b2 = GBatchNorm(out_ch, n_classes)
        self.c2 = layer(nn.Conv2d(out_ch, out_ch, 3, 1, 1), norm, init)
        learnable_sc = upsample or in_ch != out_ch
        self.c_sc = layer(nn.Conv2d(in_ch, out_ch, 1), norm, init_sc) if learnable_sc else None

    def _up(self, x: Tensor) -> Tensor:
        return F.interpolate(x, scale_factor=2, mode="nearest") if self.upsample else x

    def forward(self, x: Tensor, y: Tensor | None = None) -> Tensor:
        h = self.c1(self._up(F.relu(self.b1(x, y))))
        h = self.c2(F.relu(self.b2(h, y)))
        sc = self.c_sc(self._up(x)) if self.c_sc is not None else x
        return h + sc


class DBlock(nn.Module):
    """Discriminator ResBlock (SNGAN Fig. 8b): ReLU-conv3x3-ReLU-conv3x3-avgpool2, shortcut
    conv1x1-avgpool2 when it downsamples or changes the width. No normalization layer inside
    (none in the papers). The hidden width is the input width, as in sngan_projection.

    ``optimized=True`` is the first block of D (sngan_projection ``OptimizedBlock``): no ReLU
    before the first conv (it would act on the image), conv-ReLU-conv-avgpool, and a shortcut
    that pools before its 1x1 conv (cheaper, same linear map).
    """

    def __init__(self, in_ch: int, out_ch: int, norm: str, *, downsample: bool = True,
                 optimized: bool = False, init: Init = glorot_relu, init_sc: Init = glorot):
        super().__init__()
        self.downsample = downsample or optimized
        self.optimized = optimized
        hidden = out_ch if optimized else in_ch
        self.c1 = layer(nn.Conv2d(in_ch, hidden, 3, 1, 1), norm, init)
        self.c2 = layer(nn.Conv2d(hidden, out_ch, 3, 1, 1), norm, init)
        learnable_sc = self.downsample or in_ch != out_ch
        self.c_sc = layer(nn.Conv2d(in_ch, out_ch, 1), norm, init_sc) if learnable_sc else None

    def _down(self, x: Tensor) -> Tensor:
        return F.avg_pool2d(x, 2) if self.downsample else x

    def forward(self, x: Tensor) -> Tensor:
        h = x if self.optimized else F.relu(x)
        h = self._down(self.c2(F.relu(self.c1(h))))
        if self.c_sc is None:
            sc = x
        elif self.optimized:
            sc = self.c_sc(self._down(x))
        else:
            sc = self._down(self.c_sc(x))
        return h + sc
