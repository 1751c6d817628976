"""SAGAN (Zhang et al. 2019): the self-attention block (Sec. 3, Fig. 2) and CIFAR-scale
generator/discriminator built from SNGAN's ResNet blocks.

SAGAN's differences from :mod:`repro.models.sngan_resnet`, each switched on here:

* a self-attention block at the feature map of size ``attention`` in both G and D;
* spectral norm in G as well as D (Sec. 4: "we apply spectral normalization in both the
  generator and the discriminator"): the builder's default for this arch, not a hard-wired
  choice, so the SN-on-D-only ablation (Sec. 5.1) builds from the same classes;
* conditional BN in G and a projection D when ``n_classes > 0`` (Sec. 5);
* initialization as the official code (brain-research/self-attention-gan, ``ops.py``,
  ``non_local.py``): Xavier/Glorot-uniform for every conv, linear and embedding weight, zero
  biases, a D output layer with a bias (``snlinear``), conditional-BN gains 1 and biases 0.
"""
from __future__ import annotations

import torch
import torch.nn.functional as F
from torch import nn

from .blocks import glorot, layer
from .sngan_resnet import SNGANResNetDiscriminator, SNGANResNetGenerator

Tensor = torch.Tensor


class SelfAttention(nn.Module):
    """Self-attention block, SAGAN Sec. 3, Eqs. (1)-(3).

    With x_i the C features at position i (N = H*W positions) and 1x1 convs
    f, g, h: C -> C/8 and v: C/8 -> C (W_f, W_g, W_h, W_v of the paper, no biases):

        s_ij     = f(x_i)^T g(x_j)
        beta_j,i = exp(s_ij) / sum_i exp(s_ij)        (Eq. 1: attention of position j on i)
        o_j      = v( sum_i beta_j,i h(x_i) )           (Eq. 2)
        y_j      = gamma * o_j + x_j,  gamma init 0     (Eq. 3: starts as the identity)

    ``variant="paper"`` (the default) is the paper's block: h has C_bar = C/8 outputs ("in all
    our experiments"). ``variant="tf"`` is the authors' TF code (brain-research/self-attention-gan,
    ``non_local.py``, ``sn_non_local_block_sim``): keys g(x) and values h(x) are max-pooled 2x2
    (N/4 positions attended to), h has C/2 outputs and v is the 1x1 conv C/2 -> C back (its
    ``sn_conv_attn``). ``value_channels`` overrides h's width. Every conv goes through the
    network's weight treatment.
    """

    VARIANTS = ("paper", "tf")

    def __init__(self, channels: int, norm: str = "none", value_channels: int | None = None,
                 init=glorot, variant: str = "paper"):
        super().__init__()
        if variant not in self.VARIANTS:
            raise ValueError(f"unknown attention variant {variant!r}; allowed: {', '.join(self.VARIANTS)}")
        c_bar = channels // 8
        if c_bar == 0:
            raise ValueError(f"self-attention needs at least 8 channels, got {channels}")
        self.pool = variant == "tf"
        c_v = value_channels or (channels // 2 if self.pool else c_bar)
        self.f = layer(nn.Conv2d(channels, c_bar, 1, bias=False), norm, init)
        self.g = layer(nn.Conv2d(channels, c_bar, 1, bias=False), norm, init)
        self.h = layer(nn.Conv2d(channels, c_v, 1, bias=False), norm, init)
        self.v = layer(nn.Conv2d(c_v, channels, 1, bias=False), norm, init)
        self.gamma = nn.Parameter(torch.zeros(()))

    def _keys(self, t: Tensor) -> Tensor:
        """(B, C', H, W) -> (B, C', N_k): the positions attended to (2x2 max-pooled in "tf")."""
        return (F.max_pool2d(t, 2) if self.pool else t).flatten(2)

    def attention_map(self, x: Tensor) -> Tensor:
        """beta, shape (B, N, N_k), indexed [b, j, i]; each row j sums to 1 over i. N_k = N, or
        N/4 for the "tf" variant (TF: theta = query at every position, phi = pooled keys)."""
        f, g = self._keys(self.f(x)), self.g(x).flatten(2)  # (B, C_bar, N_k), (B, C_bar, N)
        s = torch.bmm(g.transpose(1, 2), f)  # [b, j, i] = g(x_j) . f(x_i) = s_ij
        return s.softmax(dim=-1)

    def forward(self, x: Tensor) -> Tensor:
        beta = self.attention_map(x)
        h = self._keys(self.h(x))  # (B, C_v, N_k)
        o = torch.bmm(h, beta.transpose(1, 2))  # o[:, :, j] = sum_i beta_j,i h(x_i)
        o = self.v(o.view(x.shape[0], -1, *x.shape[2:]))
        return x + self.gamma * o


def attention_gates(**nets: nn.Module) -> dict[str, float]:
    """|gamma| of every self-attention block (Eq. 3) of the given nets, for the learning curve.

    SAGAN Sec. 3 initialises gamma to 0 "so the network first relies on the cues in the local
    neighbourhood" and then "gradually learns to assign more weight to the non-local evidence":
    |gamma| is that weight. Keys are ``abs_gamma_<net>_<size>`` (``attention_gates(G=G, D=D)``
    -> ``abs_gamma_G_8``, ``abs_gamma_D_8``), with ``<size>`` the feature-map size the block sits
    at, or the block's module path when the net does not record it; {} for nets without
    attention. One host read for all blocks.
    """
    found = [(name, sub, mod) for name, net in nets.items()
             for sub, mod in net.named_modules() if isinstance(mod, SelfAttention)]
    if not found:
        return {}
    values = torch.stack([mod.gamma.detach().abs().float() for _, _, mod in found]).cpu().tolist()
    out = {}
    for (name, sub, mod), v in zip(found, values):
        where = getattr(mod, "feature_size", None) or sub.replace(".", "_")
        key = f"abs_gamma_{name}_{where}"
        if key in out:  # two blocks at one size: tell them apart by path
            key = f"abs_gamma_{name}_{sub.replace('.', '_')}"
        out[key] = v
    return out


class SAGANGenerator(SNGANResNetGenerator):
    """SNGAN Table 4 generator (ResBlocks of 4ch = 256) with SAGAN's attention, conditional BN
    when ``n_classes > 0``, Xavier init. Pass ``norm="spectralnorm"`` for SAGAN's SN in G."""

    Attention = SelfAttention
    init_residual = init_other = glorot


class SAGANDiscriminator(SNGANResNetDiscriminator):
    """SNGAN Table 4 discriminator (ResBlocks of 2ch = 128) with SAGAN's attention, projection
    when ``n_classes > 0``, Xavier init and a biased output layer."""

    Attention = SelfAttention
    init_residual = init_other = glorot
    psi_bias = True
