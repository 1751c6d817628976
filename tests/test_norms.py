"""Each SNGAN discriminator treatment does what the paper says it does."""
from pathlib import Path

import pytest
import torch
from torch import nn

from repro import experiments, norms
from repro.errors import UserError

ROOT = Path(__file__).resolve().parents[1]


def _net(norm):
    layers = [norms.parametrize(nn.Conv2d(3, 16, 3, padding=1), norm), nn.LeakyReLU(0.1),
              norms.parametrize(nn.Conv2d(16, 32, 4, 2, 1), norm), norms.feature_norm(norm, 32),
              nn.LeakyReLU(0.1), nn.Flatten(), norms.parametrize(nn.Linear(32 * 4 * 4, 1), norm)]
    return nn.Sequential(*layers)


def test_spectral_norm_makes_every_weight_unit_spectral_norm():
    torch.manual_seed(0)
    d = _net("spectralnorm")
    x = torch.randn(4, 3, 8, 8)
    for _ in range(300):  # one power iteration per forward (SNGAN Algorithm 1)
        d(x)
    wrapped = [m for m in d.modules() if hasattr(m, "parametrizations")]
    assert len(wrapped) == 3
    for m in wrapped:
        sigma = torch.linalg.svdvals(m.weight.detach().flatten(1))[0].item()
        assert sigma == pytest.approx(1.0, abs=1e-3)
        # the raw weight is not normalized: the parametrization does the work
        assert torch.linalg.svdvals(m.parametrizations.weight.original.detach().flatten(1))[0] != pytest.approx(1.0, abs=1e-2)


def test_weight_norm_has_unit_rows_and_no_learned_gain():
    d = _net("weightnorm")
    for m in d.modules():
        if hasattr(m, "parametrizations"):
            rows = m.weight.detach().flatten(1).norm(dim=1)
            assert torch.allclose(rows, torch.ones_like(rows), atol=1e-5)
            assert not m.parametrizations.weight.original0.requires_grad


@pytest.mark.parametrize("norm", ["batchnorm", "layernorm"])
def test_feature_norms_have_bias_but_no_gain(norm):
    layer = norms.feature_norm(norm, 6)
    names = {n for n, _ in layer.named_parameters()}
    assert names == {"bias"}
    x = torch.randn(5, 6, 4, 4) * 3 + 2
    y = layer(x)
    dims = (0, 2, 3) if norm == "batchnorm" else (1, 2, 3)
    assert torch.allclose(y.mean(dims), torch.zeros(1), atol=1e-5)
    assert torch.allclose(y.var(dims, unbiased=False), torch.ones(1), atol=1e-3)


def test_treatments_that_do_not_touch_layers_leave_them_alone():
    for name in ("none", "weight_clipping", "gradient_penalty", "orthonormal"):
        conv = nn.Conv2d(2, 2, 3)
        assert norms.parametrize(conv, name) is conv
        assert isinstance(norms.feature_norm(name, 2), nn.Identity)


def test_gradient_penalty_matches_analytic_value_on_linear_d():
    """D(x) = <w, x> has input gradient w everywhere, so GP = lam * (||w|| - 1)^2 exactly."""
    w = torch.tensor([3.0, 4.0, 0.0, 12.0])  # ||w|| = 13
    d_fn = lambda x: x.flatten(1) @ w  # noqa: E731
    real, fake = torch.randn(7, 4), torch.randn(7, 4)
    gp = norms.gradient_penalty(d_fn, real, fake, lam=10.0)
    assert gp.item() == pytest.approx(10.0 * (13 - 1) ** 2)
    n = norms.get_norm("gradient_penalty")
    assert n.gp_lambda == 10.0
    assert norms.d_penalty(n, d_fn, nn.Identity(), real, fake).item() == pytest.approx(1440.0)


def test_gradient_penalty_is_differentiable_wrt_d_parameters():
    lin = nn.Linear(4, 1)
    gp = norms.gradient_penalty(lambda x: lin(x).squeeze(1), torch.randn(5, 4), torch.randn(5, 4), 10.0)
    gp.backward()
    assert lin.weight.grad is not None and lin.weight.grad.abs().sum() > 0


def test_weight_clipping_bounds_the_layer_weights_not_the_biases():
    """SNGAN Sec. 4.1 clips "the convolutional weight of each layer" at c = 0.01 (WGAN's c):
    every conv and dense weight ends in [-c, c]; biases are left as they were."""
    d = _net("weight_clipping")
    with torch.no_grad():
        for p in d.parameters():
            p.normal_(0, 1)
    biases = {n: p.clone() for n, p in d.named_parameters() if not n.endswith("weight")}
    assert len(biases) == 3  # the three layer biases
    norms.after_d_step("weight_clipping", d)
    weights = [m.weight for m in d.modules() if isinstance(m, (nn.Conv2d, nn.Linear))]
    assert len(weights) == 3 and max(w.abs().max().item() for w in weights) == pytest.approx(0.01)
    assert all(torch.equal(p, biases[n]) for n, p in d.named_parameters() if n in biases)
    assert max(b.abs().max().item() for b in biases.values()) > 0.5  # N(0, 1): they were not clipped
    before = [p.clone() for p in d.parameters()]
    norms.after_d_step("spectralnorm", d)  # other treatments do nothing here
    assert all(torch.equal(a, b) for a, b in zip(before, d.parameters()))


def test_orthonormal_penalty_zero_on_orthogonal_and_matches_hand_computation():
    lin = nn.Linear(4, 4, bias=False)
    q, _ = torch.linalg.qr(torch.randn(4, 4, dtype=torch.float64))
    lin = lin.double()
    lin.weight.data.copy_(q)
    assert norms.orthonormal_penalty(lin).item() == pytest.approx(0.0, abs=1e-10)

    # W (2 x 3): by hand, ||W^T W - I_3||_F^2 with W^T W computed entry by entry
    w = [[1.0, 2.0, 0.0], [0.0, 1.0, 1.0]]
    wtw = [[sum(w[k][i] * w[k][j] for k in range(2)) for j in range(3)] for i in range(3)]
    hand = sum((wtw[i][j] - (i == j)) ** 2 for i in range(3) for j in range(3))
    lin = nn.Linear(3, 2, bias=False).double()
    lin.weight.data.copy_(torch.tensor(w, dtype=torch.float64))
    assert norms.orthonormal_penalty(lin).item() == pytest.approx(hand)
    # a conv is reshaped to (out, in*kh*kw); a tall matrix (d_o > d_i) takes the other Gram
    conv = nn.Conv2d(1, 3, 1, bias=False).double()
    conv.weight.data.copy_(torch.tensor([1.0, 2.0, 2.0], dtype=torch.float64).view(3, 1, 1, 1))
    # W = [1, 2, 2]^T: W^T W = [9], so the penalty is (9 - 1)^2 = 64
    assert norms.orthonormal_penalty(conv).item() == pytest.approx(64.0)


def test_unknown_normalization_names_the_known_ones():
    with pytest.raises(KeyError, match="spectralnorm"):
        norms.get_norm("spectral")
    assert set(norms.NORM_NAMES) == {"none", "batchnorm", "layernorm", "weightnorm", "spectralnorm",
                                     "weight_clipping", "gradient_penalty", "orthonormal"}


@pytest.mark.parametrize("arch", ["sngan_cnn", "sngan_resnet", "lsgan"])
def test_orthonormal_treatment_initializes_every_d_weight_orthonormally(arch):
    """SNGAN Sec. 4.1: "we initialized each weight of D with a randomly selected orthonormal
    operator": every conv/dense weight of D, reshaped to (out, in*kh*kw), has all singular
    values 1 at init; G keeps its paper init (N(0, 0.02) here: singular values far from 1)."""
    from repro import models

    res = {"lsgan": 112}.get(arch, 32)
    G, D = models.build(arch, resolution=res, ch=8, norm_d="orthonormal")
    ws = list(norms._weights(D))
    assert len(ws) >= 5
    for w in ws:
        s = torch.linalg.svdvals(w.detach().double())
        assert torch.allclose(s, torch.ones_like(s), atol=1e-5), (w.shape, s.min(), s.max())
    _, D_plain = models.build(arch, resolution=res, ch=8, norm_d="none")
    s = torch.linalg.svdvals(next(norms._weights(D_plain)).detach())
    assert not torch.allclose(s, torch.ones_like(s), atol=0.1)
    assert norms.get_norm("orthonormal").ortho_beta == 1e-4
    assert "guess" in norms.get_norm("orthonormal").source


def test_unknown_treatment_kinds_raise_instead_of_falling_through():
    # a feature kind that is not batch/layer used to become layer norm silently
    with pytest.raises(norms.UnknownNormError, match="feature='instance' is not a known kind; known: batch, layer"):
        norms.Normalization("instancenorm", feature="instance")
    with pytest.raises(norms.UnknownNormError, match="weight='orthogonal'.*known: spectral, weight"):
        norms.Normalization("x", weight="orthogonal")
    with pytest.raises(UserError, match="unknown normalization 'spectral'; known: none, batchnorm"):
        norms.get_norm("spectral")
    with pytest.raises(norms.UnknownNormError, match="'group'"):
        norms._NoGain("group", 4)


@pytest.mark.parametrize("run_id", ["dg-ortho-C-s0", "dg-wc-B-s1", "dg-sn-C-s1", "dg-bn-F-s2"])
def test_runs_of_a_changed_treatment_are_not_reused(run_id, monkeypatch):
    """Orthonormal (now orthonormal init) and Weight clipping (now weights only) changed what they
    do (issue 10), so their configs must not hash as the same config did before the change
    (norm_revision, here taken away again): such a run directory or checkpoint is never continued
    as a new run. Unchanged treatments (SN, BN) keep their hashes."""
    cfg = experiments.row_config(ROOT / "config" / "tables" / "sngan_digits.tsv", run_id)
    now = cfg.hash()
    monkeypatch.setattr(norms, "REVISIONS", {})  # the treatments as they were before issue 10
    changed = cfg.norm_d in ("orthonormal", "weight_clipping")
    assert (cfg.hash() == now) is not changed
