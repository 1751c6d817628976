"""The eight discriminator treatments compared in SNGAN (Miyato et al. 2018, Sec. 4, Table 2).

A treatment acts in up to four places, and each :class:`Normalization` says which:

* on every conv/linear weight, as a parametrization (spectral norm, weight norm): :func:`parametrize`;
* as a layer after the convolutions (batch norm, layer norm): :func:`feature_norm`;
* as a term added to D's loss (gradient penalty, orthonormal regularization): :func:`d_penalty`;
* after every D step (weight clipping): :func:`after_d_step`.

Networks call :func:`parametrize` on each layer they build and :func:`feature_norm` where a
feature normalization may go; the trainer calls :func:`d_penalty` and :func:`after_d_step`.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Callable

import torch
from torch import nn
from torch.nn.utils import parametrizations

from .errors import UserError

__all__ = ["Normalization", "UnknownNormError", "NORMS", "NORM_NAMES", "REVISIONS", "get_norm"]

Tensor = torch.Tensor

#: The kinds each field of a :class:`Normalization` can name (what the functions below implement).
WEIGHT_KINDS = ("spectral", "weight")
FEATURE_KINDS = ("batch", "layer")


class UnknownNormError(UserError, KeyError):
    """A D treatment, or a kind of one, that is not implemented (names the known ones)."""

    def __str__(self) -> str:  # KeyError would quote the message
        return str(self.args[0])


@dataclass(frozen=True)
class Normalization:
    name: str
    weight: str | None = None  # "spectral" | "weight": a parametrization of every weight
    feature: str | None = None  # "batch" | "layer": a normalization layer after the convs
    clip: float | None = None  # clamp D's conv/dense weights to [-clip, clip] after each D step
    gp_lambda: float | None = None  # gradient penalty coefficient
    ortho_beta: float | None = None  # orthonormal regularization coefficient
    ortho_init: bool = False  # initialize every weight as an orthonormal operator
    source: str = ""

    def __post_init__(self) -> None:
        # an unknown kind must not fall through to another treatment (e.g. to layer norm)
        for key, value, known in (("weight", self.weight, WEIGHT_KINDS),
                                  ("feature", self.feature, FEATURE_KINDS)):
            if value is not None and value not in known:
                raise UnknownNormError(f"normalization {self.name!r}: {key}={value!r} is not a "
                                       f"known kind; known: {', '.join(known)} (or None)")


NORMS: dict[str, Normalization] = {
    n.name: n
    for n in (
        Normalization("none", source="no treatment"),
        Normalization("batchnorm", feature="batch",
                      source="Ioffe & Szegedy 2015; without learned gain (SNGAN Sec. 4)"),
        Normalization("layernorm", feature="layer",
                      source="Ba et al. 2016; without learned gain (SNGAN Sec. 4)"),
        Normalization("weightnorm", weight="weight",
                      source="Salimans & Kingma 2016; without learned gain, i.e. unit-norm rows "
                             "(SNGAN Sec. 3, 'comparison with weight normalization')"),
        Normalization("spectralnorm", weight="spectral",
                      source="SNGAN Sec. 2.1, one power iteration per forward (Algorithm 1)"),
        Normalization("weight_clipping", clip=0.01,
                      source="WGAN (Arjovsky et al. 2017) Algorithm 1, c = 0.01; SNGAN Sec. 4.1: "
                             "the weight of each layer (conv and dense), not the biases"),
        Normalization("gradient_penalty", gp_lambda=10.0,
                      source="WGAN-GP (Gulrajani et al. 2017) Eq. (3), lambda = 10; SNGAN Sec. 4.1"),
        # SNGAN does not state the coefficient of its orthonormal baseline: 1e-4 is OUR GUESS.
        # It is the size of BigGAN's beta (Brock et al. 2019, Sec. 3.1), but that beta weighs a
        # different term (off-diagonal ||W^T W * (1 - I)||^2), so it is no source for this one.
        # The init follows SNGAN Sec. 4.1: "we initialized each weight of D with a randomly
        # selected orthonormal operator". Recorded in every config (docs/fidelity.md).
        Normalization("orthonormal", ortho_beta=1e-4, ortho_init=True,
                      source="Brock et al. 2016 orthonormal regularization (SNGAN Sec. 3) with "
                             "orthonormal init (SNGAN Sec. 4.1); coefficient 1e-4 is our guess "
                             "(not stated in SNGAN)"),
    )
}

NORM_NAMES = tuple(NORMS)

#: Treatments whose behaviour changed after runs were published, with what changed. A run
#: config records its treatment's revision (repro.config), so a run made before the change has
#: another config hash and is never resumed or reused as if it were made after it.
REVISIONS = {
    "orthonormal": "orthonormal init of every D weight (SNGAN Sec. 4.1; issue 10)",
    "weight_clipping": "clip the layers' weights only, not biases (SNGAN Sec. 4.1; issue 10)",
}


def get_norm(name: str | Normalization) -> Normalization:
    if isinstance(name, Normalization):
        return name
    try:
        return NORMS[name]
    except KeyError:
        raise UnknownNormError(f"unknown normalization {name!r}; known: {', '.join(NORMS)}") from None


# --------------------------------------------------------------------------- weights
def parametrize(layer: nn.Module, norm: str | Normalization) -> nn.Module:
    """Wrap ``layer``'s weight in the treatment's parametrization (or return it unchanged).

    Spectral norm: torch's parametrization, one power iteration per training-mode forward with a
    persistent ``u`` on the weight reshaped to (out, in*kh*kw) -- SNGAN Algorithm 1.
    Weight norm: torch's parametrization with the gain frozen at 1, so every output row of W has
    unit norm; SNGAN's weight-normalized D has no learned gain.
    """
    kind = get_norm(norm).weight
    if kind == "spectral":
        return parametrizations.spectral_norm(layer, n_power_iterations=1)
    if kind == "weight":
        dim = 1 if isinstance(layer, nn.modules.conv._ConvTransposeNd) else 0
        layer = parametrizations.weight_norm(layer, dim=dim)
        gain = layer.parametrizations.weight.original0
        gain.data.fill_(1.0)
        gain.requires_grad_(False)
        return layer
    return layer


# --------------------------------------------------------------------------- features
class _NoGain(nn.Module):
    """A normalization without learned gain, followed by a learned per-channel bias (beta).

    torch's BatchNorm/LayerNorm learn gain and bias together or neither; SNGAN's baselines keep
    beta and drop gamma (Sec. 4: "we did not use gamma for BN, LN and WN"), hence this wrapper.
    """

    def __init__(self, kind: str, num_features: int):
        super().__init__()
        if kind not in FEATURE_KINDS:
            raise UnknownNormError(f"feature normalization kind {kind!r}; known: {', '.join(FEATURE_KINDS)}")
        self.kind = kind
        self.bn = nn.BatchNorm2d(num_features, affine=False) if kind == "batch" else None
        self.bias = nn.Parameter(torch.zeros(num_features))

    def forward(self, x: Tensor) -> Tensor:
        if self.kind == "batch":
            y = self.bn(x if x.dim() == 4 else x[:, :, None, None])
            y = y.view_as(x)
        else:  # "layer": layer norm over all of a sample's features (C, H, W)
            y = nn.functional.layer_norm(x, x.shape[1:])
        return y + self.bias.view(1, -1, *([1] * (x.dim() - 2)))


def feature_norm(norm: str | Normalization, num_features: int) -> nn.Module:
    """The treatment's normalization layer for ``num_features`` channels, or an identity."""
    kind = get_norm(norm).feature
    return _NoGain(kind, num_features) if kind else nn.Identity()


# --------------------------------------------------------------------------- loss terms
def gradient_penalty(d_fn: Callable[[Tensor], Tensor], real: Tensor, fake: Tensor, lam: float,
                     generator: torch.Generator | None = None) -> Tensor:
    """WGAN-GP Eq. (3): lam * E[(||grad_x D(x_hat)||_2 - 1)^2] on x_hat = e*x + (1-e)*G(z),
    e ~ U[0, 1] per sample."""
    eps = torch.rand((real.shape[0],) + (1,) * (real.dim() - 1), device=real.device,
                     dtype=real.dtype, generator=generator)
    x_hat = (eps * real.detach() + (1 - eps) * fake.detach()).requires_grad_(True)
    (grad,) = torch.autograd.grad(d_fn(x_hat).sum(), x_hat, create_graph=True)
    return lam * (grad.flatten(1).norm(dim=1) - 1).pow(2).mean()


def _weights(module: nn.Module):
    """Every conv/linear weight of ``module`` as an (out, in*kh*kw) matrix."""
    for m in module.modules():
        if isinstance(m, (nn.Linear, nn.modules.conv._ConvNd)):
            w = m.weight
            if isinstance(m, nn.modules.conv._ConvTransposeNd):
                w = w.transpose(0, 1)
            yield w.flatten(1)


def orthonormal_penalty(module: nn.Module) -> Tensor:
    """Sum over all weights W of ||W^T W - I||_F^2 (Brock et al. 2016; SNGAN Sec. 3).

    Computed through the smaller Gram matrix: with s the singular values of W (d_o x d_i),
    ||W^T W - I_di||^2 = sum s^4 - 2 sum s^2 + d_i = ||W W^T - I_do||^2 + (d_i - d_o).
    Same value, same gradient, without forming a d_i x d_i matrix (d_i = 4608 in the CNN's D).
    """
    total = torch.zeros(())
    for w in _weights(module):
        d_o, d_i = w.shape
        small = w @ w.T if d_o <= d_i else w.T @ w
        eye = torch.eye(small.shape[0], device=w.device, dtype=w.dtype)
        total = total.to(w.device) + (small - eye).pow(2).sum() + max(d_i - d_o, 0)
    return total


def d_penalty(norm: str | Normalization, d_fn: Callable[[Tensor], Tensor], discriminator: nn.Module,
              real: Tensor, fake: Tensor, generator: torch.Generator | None = None) -> Tensor | None:
    """The term the treatment adds to D's loss, or None."""
    n = get_norm(norm)
    if n.gp_lambda:
        return gradient_penalty(d_fn, real, fake, n.gp_lambda, generator)
    if n.ortho_beta:
        return n.ortho_beta * orthonormal_penalty(discriminator)
    return None


def init_weight(weight: Tensor, norm: str | Normalization, init: Callable[[Tensor], object]) -> None:
    """Initialize a layer's weight: with the network's ``init``, or, for a treatment with
    ``ortho_init``, as a random orthonormal operator (SNGAN Sec. 4.1) -- torch's ``orthogonal_``
    on the weight reshaped to (out, in*kh*kw), so all its singular values are 1."""
    if get_norm(norm).ortho_init:
        nn.init.orthogonal_(weight)
    else:
        init(weight)


@torch.no_grad()
def after_d_step(norm: str | Normalization, discriminator: nn.Module) -> None:
    """Weight clipping (WGAN Algorithm 1): clamp the weight of every conv and dense layer of D to
    [-c, c] after its update. SNGAN Sec. 4.1 clips "the convolutional weight of each layer"; the
    final dense layer is clipped too: it is the Mg x Mg convolution of the last feature map, and
    left free it would let D's output scale (and Lipschitz constant) grow without bound, which is
    what clipping is there to prevent (a projection D's class embedding is such a layer as well).
    Biases, BatchNorm gains and betas and SAGAN's attention gamma are not clipped."""
    c = get_norm(norm).clip
    if c:
        for m in discriminator.modules():
            if isinstance(m, (nn.Linear, nn.Embedding, nn.modules.conv._ConvNd)):
                m.weight.clamp_(-c, c)
