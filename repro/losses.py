"""Adversarial losses, as functions of the discriminator's raw outputs (logits).

Every loss is a pair ``d(real, fake)`` / ``g(fake)`` of batch means, so the trainer never needs
to know which one it runs.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Callable

import torch
import torch.nn.functional as F

__all__ = ["Loss", "LOSSES", "LOSS_NAMES", "LS_CODINGS", "get_loss"]

Tensor = torch.Tensor


@dataclass(frozen=True)
class Loss:
    name: str
    d: Callable[[Tensor, Tensor], Tensor]
    g: Callable[[Tensor], Tensor]


def _standard_d(real: Tensor, fake: Tensor) -> Tensor:
    """SNGAN Eq. (15), D side: -E[log D(x)] - E[log(1 - D(G(z)))], with D = sigmoid(logit)."""
    return F.softplus(-real).mean() + F.softplus(fake).mean()


def _standard_g(fake: Tensor) -> Tensor:
    """SNGAN Eq. (15), G side, the non-saturating -E[log D(G(z))] (Goodfellow et al. 2014)."""
    return F.softplus(-fake).mean()


def _hinge_d(real: Tensor, fake: Tensor) -> Tensor:
    """SNGAN Eq. (16): E[max(0, 1 - D(x))] + E[max(0, 1 + D(G(z)))] (also SAGAN Eq. (3))."""
    return F.relu(1.0 - real).mean() + F.relu(1.0 + fake).mean()


def _hinge_g(fake: Tensor) -> Tensor:
    """SNGAN Eq. (17): -E[D(G(z))]."""
    return -fake.mean()


def _wasserstein_d(real: Tensor, fake: Tensor) -> Tensor:
    """WGAN critic loss E[D(G(z))] - E[D(x)] (Arjovsky et al. 2017; the GP term lives in norms)."""
    return fake.mean() - real.mean()


def least_squares(a: float, b: float, c: float) -> Loss:
    """LSGAN Eq. (2): D minimises 1/2 E[(D(x) - b)^2] + 1/2 E[(D(G(z)) - a)^2],
    G minimises 1/2 E[(D(G(z)) - c)^2]; a, b are the fake and real labels, c the value G wants."""

    def d(real: Tensor, fake: Tensor) -> Tensor:
        return 0.5 * (real - b).pow(2).mean() + 0.5 * (fake - a).pow(2).mean()

    def g(fake: Tensor) -> Tensor:
        return 0.5 * (fake - c).pow(2).mean()

    return Loss(f"least_squares(a={a:g},b={b:g},c={c:g})", d, g)


#: LSGAN's two (a, b, c) codings. "iccv": 0-1 coding of the ICCV paper and its code (Eq. (9));
#: "journal": a=-1, b=1, c=0, which satisfies b - c = 1, b - a = 2 of Eq. (8) (Pearson chi^2).
LS_CODINGS: dict[str, tuple[float, float, float]] = {
    "iccv": (0.0, 1.0, 1.0),
    "journal": (-1.0, 1.0, 0.0),
}

LOSSES: dict[str, Loss] = {
    "standard": Loss("standard", _standard_d, _standard_g),
    "hinge": Loss("hinge", _hinge_d, _hinge_g),
    "wasserstein": Loss("wasserstein", _wasserstein_d, _hinge_g),  # G: -E[D(G(z))] as well
}


def get_loss(name: str, ls_coding: str = "iccv") -> Loss:
    """Look a loss up by name; ``least_squares`` takes its (a, b, c) from ``ls_coding``."""
    if name == "least_squares":
        if ls_coding not in LS_CODINGS:
            raise KeyError(f"unknown ls_coding {ls_coding!r}; known: {', '.join(LS_CODINGS)}")
        return least_squares(*LS_CODINGS[ls_coding])
    if name not in LOSSES:
        known = ", ".join([*LOSSES, "least_squares"])
        raise KeyError(f"unknown loss {name!r}; known losses: {known}")
    return LOSSES[name]


LOSS_NAMES = (*LOSSES, "least_squares")
