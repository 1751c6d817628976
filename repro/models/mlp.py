"""The mixture-of-Gaussians MLPs of LSGAN's stability comparison (Mao et al. 2017, Sec. 4.2;
official code xudonmao/LSGAN ``stability_comparison/mixture_gaussian/ls.py``, itself taken
from poolio/unrolled_gan).

z in R^256 ~ N(0, I); G: 256 -> 128 tanh -> 128 tanh -> 2 (linear output, the data are points
in the plane); D: 2 -> 128 tanh -> 128 tanh -> 1. ``ch`` is the hidden width (paper: 128).
Every weight is orthogonally initialized with gain 1.4, biases 0 (``tf.orthogonal_initializer(
gain=1.4)`` over slim's fully_connected layers).

D treatments: the weight treatments wrap every linear layer; a feature treatment (BN/LN) goes
after each hidden linear layer, before the tanh, and not on the output layer (as in the CNNs).
"""
from __future__ import annotations

import functools

import torch
from torch import nn

from .. import norms
from .blocks import Generator, layer

Tensor = torch.Tensor

orthogonal_14 = functools.partial(nn.init.orthogonal_, gain=1.4)


class MoGGenerator(Generator):
    """256 -> 128 tanh -> 128 tanh -> ``x_dim`` (linear)."""

    prior = "normal"

    def __init__(self, z_dim: int = 256, ch: int = 128, x_dim: int = 2, norm: str = "none"):
        super().__init__()
        self.z_dim = z_dim
        self.net = nn.Sequential(
            layer(nn.Linear(z_dim, ch), norm, orthogonal_14), nn.Tanh(),
            layer(nn.Linear(ch, ch), norm, orthogonal_14), nn.Tanh(),
            layer(nn.Linear(ch, x_dim), norm, orthogonal_14),
        )

    def forward(self, z: Tensor, y: Tensor | None = None) -> Tensor:
        return self.net(z)


class MoGDiscriminator(nn.Module):
    """``x_dim`` -> 128 tanh -> 128 tanh -> 1 (a raw logit)."""

    def __init__(self, ch: int = 128, x_dim: int = 2, norm: str = "none"):
        super().__init__()
        self.net = nn.Sequential(
            layer(nn.Linear(x_dim, ch), norm, orthogonal_14), norms.feature_norm(norm, ch), nn.Tanh(),
            layer(nn.Linear(ch, ch), norm, orthogonal_14), norms.feature_norm(norm, ch), nn.Tanh(),
            layer(nn.Linear(ch, 1), norm, orthogonal_14),
        )

    def forward(self, x: Tensor, y: Tensor | None = None) -> Tensor:
        return self.net(x).squeeze(1)
