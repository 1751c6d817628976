"""repro.models with repro.norms: D's gradient reaches G, and each D treatment sits where
SNGAN puts it."""
from __future__ import annotations

import pytest
import torch
from torch import nn
from torch.nn.utils import parametrize

from repro import norms
from repro.models import ARCHS, build

from model_helpers import N, is_sn, weight_layers, weight_param


# --------------------------------------------------------------------------- gradients & treatments
GRAD_CASES = [("sngan_cnn", 16, "dense", {}), ("sngan_resnet", 16, "dense", {"n_classes": 3}),
              ("sagan", 32, "dense", {"attention": 16, "n_classes": 3}),
              ("lsgan", 32, "h0", {}), ("mlp", 0, "net.0", {})]


@pytest.mark.parametrize("arch,res,first,kw", GRAD_CASES)
def test_d_gradient_reaches_g(arch, res, first, kw):
    G, D = build(arch, resolution=res, ch=4 if res else None, **kw)
    z = G.sample_z(N)
    y = torch.randint(0, kw["n_classes"], (N,)) if "n_classes" in kw else None
    D(G(z, y), y).mean().backward()
    assert weight_param(G.get_submodule(first)).grad.abs().sum() > 0
    assert all(p.grad is not None for p in G.parameters())


def _norm_cases():
    for arch, spec in ARCHS.items():
        for norm in spec.norms_d:
            kw = {}
            if arch in ("lsgan", "dcgan64") and norms.get_norm(norm).feature:
                kw = {"bn_d": False}
            if arch == "sagan":
                kw = {"attention": 8, "n_classes": 3}
            yield arch, norm, kw


@pytest.mark.parametrize("arch,norm,kw", list(_norm_cases()))
def test_d_treatments(arch, norm, kw):
    """Each accepted D treatment: forward, backward, the loss term and the post-step hook."""
    res = {"mlp": 0, "lsgan": 32, "dcgan64": 32}.get(arch, 16)
    G, D = build(arch, resolution=res, ch=4 if res else 8, norm_d=norm, **kw)
    y = torch.randint(0, 3, (N,)) if kw.get("n_classes") else None
    real = torch.rand(N, 2) if arch == "mlp" else torch.rand(N, 3, res, res) * 2 - 1
    fake = G(G.sample_z(N), y).detach()
    loss = D(real, y).mean() - D(fake, y).mean()
    penalty = norms.d_penalty(norm, lambda x: D(x, y), D, real, fake)
    if penalty is not None:
        loss = loss + penalty
    loss.backward()
    assert all(p.grad is not None for p in D.parameters() if p.requires_grad)
    norms.after_d_step(norm, D)
    if norm == "weight_clipping":  # every layer's weight, not the biases (SNGAN Sec. 4.1)
        layers = [m for m in D.modules() if isinstance(m, (nn.Linear, nn.Embedding, nn.modules.conv._ConvNd))]
        assert max(m.weight.abs().max() for m in layers) <= 0.01
    if norm == "spectralnorm":
        assert all(is_sn(m) for m in weight_layers(D))


def test_feature_norm_placement_cnn_d():
    """BN/LN after every conv but the first, none on the dense layer."""
    for norm in ("batchnorm", "layernorm"):
        _, D = build("sngan_cnn", resolution=16, ch=4, norm_d=norm)
        assert sum(type(m).__name__ == "_NoGain" for m in D.modules()) == 6
    _, D = build("sngan_cnn", resolution=16, ch=4, norm_d="weightnorm")
    assert all(parametrize.is_parametrized(m, "weight") for m in weight_layers(D))


def test_sagan_spectral_norm_in_both_nets():
    G, D = build("sagan", resolution=32, ch=4, n_classes=5, attention=16)
    for net in (G, D):
        layers = weight_layers(net)
        assert len(layers) > 10 and all(is_sn(m) for m in layers)
    assert is_sn(D.embed)
    G, D = build("sagan", resolution=32, ch=4, n_classes=5, attention=16, norm_g="none")
    assert not any(parametrize.is_parametrized(m) for m in G.modules())
    assert all(is_sn(m) for m in weight_layers(D))


def test_sngan_nets_unnormalized_by_default():
    for arch in ("sngan_cnn", "sngan_resnet", "lsgan"):
        G, D = build(arch, resolution=32, ch=4)
        assert not any(parametrize.is_parametrized(m) for m in [*G.modules(), *D.modules()])
