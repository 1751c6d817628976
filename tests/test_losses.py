"""Each loss equals its paper formula on known logits; LSGAN's gradient argument holds."""
import math

import pytest
import torch

from repro.losses import LOSS_NAMES, LS_CODINGS, get_loss

REAL = torch.tensor([2.0, -1.0, 0.5])
FAKE = torch.tensor([-3.0, 0.0, 1.5])


def _sig(x):
    return 1 / (1 + math.exp(-x))


def test_standard_loss_is_cross_entropy_and_non_saturating_g():
    loss = get_loss("standard")
    d = sum(-math.log(_sig(r)) for r in REAL.tolist()) / 3 + sum(-math.log(1 - _sig(f)) for f in FAKE.tolist()) / 3
    g = sum(-math.log(_sig(f)) for f in FAKE.tolist()) / 3
    assert loss.d(REAL, FAKE).item() == pytest.approx(d, rel=1e-6)
    assert loss.g(FAKE).item() == pytest.approx(g, rel=1e-6)


def test_hinge_loss():
    loss = get_loss("hinge")
    d = sum(max(0, 1 - r) for r in REAL.tolist()) / 3 + sum(max(0, 1 + f) for f in FAKE.tolist()) / 3
    assert loss.d(REAL, FAKE).item() == pytest.approx(d)
    assert loss.g(FAKE).item() == pytest.approx(-sum(FAKE.tolist()) / 3)


def test_wasserstein_loss():
    loss = get_loss("wasserstein")
    assert loss.d(REAL, FAKE).item() == pytest.approx(sum(FAKE.tolist()) / 3 - sum(REAL.tolist()) / 3)
    assert loss.g(FAKE).item() == pytest.approx(-sum(FAKE.tolist()) / 3)


@pytest.mark.parametrize("coding", ["iccv", "journal"])
def test_least_squares_codings(coding):
    a, b, c = {"iccv": (0, 1, 1), "journal": (-1, 1, 0)}[coding]
    assert LS_CODINGS[coding] == (a, b, c)
    loss = get_loss("least_squares", coding)
    d = 0.5 * sum((r - b) ** 2 for r in REAL.tolist()) / 3 + 0.5 * sum((f - a) ** 2 for f in FAKE.tolist()) / 3
    g = 0.5 * sum((f - c) ** 2 for f in FAKE.tolist()) / 3
    assert loss.d(REAL, FAKE).item() == pytest.approx(d)
    assert loss.g(FAKE).item() == pytest.approx(g)


def _grad_g(loss, logits):
    x = logits.clone().requires_grad_(True)
    loss.g(x).backward()
    return x.grad.abs().mean().item()


def test_lsgan_argument_gradients_do_not_vanish_far_on_the_real_side():
    """LSGAN Sec. 3.2: fake samples far on the real side of the boundary give the sigmoid
    cross-entropy generator (almost) no gradient; the least-squares loss still pulls them."""
    far = torch.full((8,), 20.0)  # D is certain these fakes are real
    ns = _grad_g(get_loss("standard"), far)
    ls = _grad_g(get_loss("least_squares", "iccv"), far)
    assert ns < 1e-8  # d/dx softplus(-x) = -sigmoid(-x) ~ e^-20
    assert ls == pytest.approx((20.0 - 1.0) / 8)  # d/dx 0.5 (x - c)^2 / N = (x - c) / N


def test_unknown_names_are_rejected_with_the_known_ones():
    with pytest.raises(KeyError, match="hinge"):
        get_loss("nonsense")
    with pytest.raises(KeyError, match="journal"):
        get_loss("least_squares", "nonsense")
    assert set(LOSS_NAMES) == {"standard", "hinge", "wasserstein", "least_squares"}
