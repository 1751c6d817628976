"""Tests of repro.models: shapes, hand-counted parameters, gradients, treatments, attention,
and the builder's errors. Forward passes use tiny widths; parameter counts use the papers'."""
from __future__ import annotations

import pytest
import torch
from torch import nn
from torch.nn.utils import parametrize

from repro import norms
from repro.models import ARCHS, SelfAttention, build, check
from repro.models.sngan_resnet import attention_sizes

N = 3  # batch size of the forward passes


def numel(m: nn.Module) -> int:
    return sum(p.numel() for p in m.parameters())


def weight_layers(m: nn.Module):
    return [mod for mod in m.modules() if isinstance(mod, (nn.modules.conv._ConvNd, nn.Linear))]


def weight_param(m: nn.Module) -> torch.Tensor:
    """The trainable tensor behind ``m.weight`` (the SN parametrization's original)."""
    return m.parametrizations.weight.original if parametrize.is_parametrized(m, "weight") else m.weight


def is_sn(m: nn.Module) -> bool:
    return parametrize.is_parametrized(m, "weight") and \
        type(m.parametrizations.weight[0]).__name__ == "_SpectralNorm"


# --------------------------------------------------------------------------- shapes
# (arch, resolution, ch, n_classes, attention, arch kwargs)
SHAPE_CASES = [
    *[("sngan_cnn", r, 4, 0, None, {}) for r in (16, 32, 48)],
    *[("sngan_resnet", r, 4, k, None, {}) for r in (16, 32, 48) for k in (0, 10)],
    *[("sagan", 32, 4, k, a, {}) for k in (0, 10) for a in (None, 8, 16)],
    *[("sagan", 48, 8, k, a, {}) for k in (0, 10) for a in (12, 24)],
    *[("sagan", 16, 4, 0, a, {}) for a in (4, 8)],
    ("lsgan", 32, 4, 0, None, {}),
    ("lsgan", 112, 4, 0, None, {}),
    ("lsgan", 32, 4, 0, None, {"bn_g": False, "bn_d": False}),
]


@pytest.mark.parametrize("arch,res,ch,n_classes,attention,kw", SHAPE_CASES)
def test_output_shapes(arch, res, ch, n_classes, attention, kw):
    channels = 1 if res == 16 else 3
    G, D = build(arch, resolution=res, channels=channels, ch=ch, n_classes=n_classes,
                 attention=attention, **kw)
    z = G.sample_z(N)
    assert G.z_dim == ARCHS[arch].z_dim and z.shape == (N, G.z_dim)
    y = torch.randint(0, n_classes, (N,)) if n_classes else None
    x = G(z, y)
    assert x.shape == (N, channels, res, res)
    assert x.abs().max() <= 1  # tanh output
    assert D(x, y).shape == (N,)


def test_mlp_shapes():
    G, D = build("mlp", resolution=0)
    x = G(G.sample_z(N))
    assert x.shape == (N, 2) and D(x).shape == (N,)


def test_sample_z_priors_and_seeding():
    G, _ = build("lsgan", resolution=32, ch=4)
    z = G.sample_z(2000)
    assert z.min() >= -1 and z.max() <= 1 and z.min() < -0.99  # U[-1, 1]
    G, _ = build("sngan_cnn", resolution=16, ch=4)
    z = G.sample_z(4000)
    assert z.min() < -3 and abs(z.std().item() - 1) < 0.02  # N(0, I)
    a = G.sample_z(5, generator=torch.Generator().manual_seed(0))
    b = G.sample_z(5, generator=torch.Generator().manual_seed(0))
    assert torch.equal(a, b)


def test_conditional_nets_need_labels():
    G, D = build("sngan_resnet", resolution=16, ch=4, n_classes=3)
    with pytest.raises(ValueError, match="pass y"):
        G(G.sample_z(2))


# --------------------------------------------------------------------------- parameter counts
def test_param_count_sngan_cnn_32():
    """SNGAN Table 3 at M = 32 (Mg = 4), paper widths."""
    G, D = build("sngan_cnn", resolution=32)
    g = (128 * 4 * 4 * 512 + 4 * 4 * 512  # dense
         + 2 * 4 * 4 * 512  # BN after the dense layer (per feature, as chainer's bn0)
         + 512 * 256 * 4 * 4 + 256 + 2 * 256  # deconv 4x4 s2 256, BN
         + 256 * 128 * 4 * 4 + 128 + 2 * 128  # deconv 4x4 s2 128, BN
         + 128 * 64 * 4 * 4 + 64 + 2 * 64  # deconv 4x4 s2 64, BN
         + 64 * 3 * 3 * 3 + 3)  # conv 3x3 s1 3
    d = (3 * 64 * 3 * 3 + 64  # 3x3 64
         + 64 * 64 * 4 * 4 + 64  # 4x4 64
         + 64 * 128 * 3 * 3 + 128  # 3x3 128
         + 128 * 128 * 4 * 4 + 128  # 4x4 128
         + 128 * 256 * 3 * 3 + 256  # 3x3 256
         + 256 * 256 * 4 * 4 + 256  # 4x4 256
         + 256 * 512 * 3 * 3 + 512  # 3x3 512
         + 4 * 4 * 512 + 1)  # dense -> 1
    assert (numel(G), numel(D)) == (g, d) == (3_828_739, 2_935_873)


def test_param_count_sngan_resnet_32():
    """SNGAN Table 4: G ResBlocks of 256, D ResBlocks of 128 (psi without bias, as the code)."""
    G, D = build("sngan_resnet", resolution=32)
    conv3 = 128 * 128 * 9 + 128
    d = ((3 * 128 * 9 + 128) + conv3 + (3 * 128 + 128)  # optimized block: c1, c2, 1x1 shortcut
         + conv3 + conv3 + (128 * 128 + 128)  # down block with 1x1 shortcut
         + 2 * (conv3 + conv3)  # two plain blocks, identity shortcut
         + 128)  # dense -> 1, no bias
    g_block = 2 * 256 + (256 * 256 * 9 + 256) + 2 * 256 + (256 * 256 * 9 + 256) + (256 * 256 + 256)
    g = (128 * 4 * 4 * 256 + 4 * 4 * 256) + 3 * g_block + 2 * 256 + (256 * 3 * 9 + 3)
    assert (numel(G), numel(D)) == (g, d) == (4_276_739, 1_053_824)


def test_param_count_mog_mlps():
    G, D = build("mlp", resolution=0)
    g = (256 * 128 + 128) + (128 * 128 + 128) + (128 * 2 + 2)
    d = (2 * 128 + 128) + (128 * 128 + 128) + (128 * 1 + 1)
    assert (numel(G), numel(D)) == (g, d) == (49_666, 17_025)


def test_param_count_lsgan_112():
    """LSGAN Fig. 3 at 112x112: 5x5 stride-2 convs, BN with gain and bias."""
    G, D = build("lsgan", resolution=112)
    d = (3 * 64 * 25 + 64
         + 64 * 128 * 25 + 128 + 2 * 128
         + 128 * 256 * 25 + 256 + 2 * 256
         + 256 * 512 * 25 + 512 + 2 * 512
         + 7 * 7 * 512 + 1)
    deconv = lambda i, o: i * o * 9 + o + 2 * o  # noqa: E731  3x3 deconv + BN
    g = (1024 * 7 * 7 * 256 + 7 * 7 * 256 + 2 * 256
         + 4 * deconv(256, 256) + deconv(256, 128) + deconv(128, 64)
         + 64 * 3 * 9 + 3)
    assert (numel(G), numel(D)) == (g, d) == (15_591_427, 4_333_441)
    G0, D0 = build("lsgan", resolution=112, bn_g=False, bn_d=False)
    assert numel(D0) == d - 2 * (128 + 256 + 512)
    assert numel(G0) == g - 2 * (256 + 4 * 256 + 128 + 64)


def test_param_count_attention_and_sagan():
    """Attention: four 1x1 convs without bias (C -> C/8 three times, C/8 -> C) and gamma."""
    C = 256
    assert numel(SelfAttention(C)) == 3 * (C * C // 8) + (C // 8) * C + 1 == 32_769
    G, D = build("sagan", resolution=32, n_classes=10, attention=16, norm_g="none", norm_d="none")
    G0, D0 = build("sngan_resnet", resolution=32)
    cbn = 3 * 2 * (2 * 10 * 256 - 2 * 256)  # per-class gain/bias instead of BN's affine
    assert numel(G) == numel(G0) + cbn + numel(SelfAttention(256))
    assert numel(D) == numel(D0) + 1 + 10 * 128 + numel(SelfAttention(128))  # psi bias, V, attn


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


# --------------------------------------------------------------------------- attention
def test_attention_identity_at_init_and_rows_sum_to_one():
    torch.manual_seed(0)
    attn = SelfAttention(16, norm="spectralnorm")
    x = torch.randn(2, 16, 4, 4)
    assert attn.gamma.item() == 0
    assert torch.equal(attn(x), x)
    beta = attn.attention_map(x)
    assert beta.shape == (2, 16, 16)
    assert torch.allclose(beta.sum(-1), torch.ones(2, 16))


def test_attention_against_hand_computation():
    """C = 8 (so C/8 = 1), 2x2 map: Eqs. (1)-(3) written out with einsum."""
    torch.manual_seed(1)
    attn = SelfAttention(8)
    with torch.no_grad():
        attn.gamma.fill_(0.7)
    x = torch.randn(1, 8, 2, 2)
    X = x[0].reshape(8, 4)  # (C, N): column i is x_i
    Wf, Wg, Wh = (m.weight[:, :, 0, 0] for m in (attn.f, attn.g, attn.h))  # (1, 8)
    Wv = attn.v.weight[:, :, 0, 0]  # (8, 1)
    f, g, h = Wf @ X, Wg @ X, Wh @ X  # (1, N)
    s = torch.einsum("ci,cj->ij", f, g)  # s_ij = f(x_i)^T g(x_j)
    beta = torch.exp(s) / torch.exp(s).sum(dim=0, keepdim=True)  # beta[i, j] = beta_{j,i}
    o = Wv @ torch.einsum("ij,ci->cj", beta, h)  # o_j = v(sum_i beta_{j,i} h(x_i))
    expected = (0.7 * o + X).reshape(1, 8, 2, 2)
    assert torch.allclose(attn(x), expected, atol=1e-6)
    assert torch.allclose(attn.attention_map(x)[0], beta.T, atol=1e-6)


def test_attention_sizes():
    assert attention_sizes(32) == (8, 16)
    assert attention_sizes(48) == (12, 24)
    assert ARCHS["sagan"].attention_sizes(32) == (8, 16)
    assert ARCHS["sngan_cnn"].attention_sizes(32) == ()


# --------------------------------------------------------------------------- errors
@pytest.mark.parametrize("kwargs,pattern", [
    (dict(arch="dcgan", resolution=32), r"'dcgan'.*sngan_cnn, sngan_resnet, sagan, lsgan, dcgan64, mlp"),
    (dict(arch="sngan_cnn", resolution=30), r"30.*32, 48.*multiple of 8"),
    (dict(arch="lsgan", resolution=64 + 8), r"72.*112.*multiple of 16"),
    (dict(arch="mlp", resolution=32), r"32.*allowed: 0"),
    (dict(arch="sngan_cnn", resolution=32, norm_d="groupnorm"), r"'groupnorm'.*none, batchnorm"),
    (dict(arch="sngan_resnet", resolution=32, norm_d="batchnorm"),
     r"'batchnorm'.*allowed: none, weightnorm, spectralnorm, weight_clipping"),
    (dict(arch="sagan", resolution=32, norm_g="weight_clipping"), r"'weight_clipping'.*none, spectralnorm"),
    (dict(arch="sagan", resolution=32, attention=32), r"attention 32.*allowed: 8, 16 or None"),
    (dict(arch="sagan", resolution=32, attention=4), r"attention 4.*allowed: 8, 16"),
    (dict(arch="sngan_resnet", resolution=32, attention=16), r"attention 16.*allowed: None"),
    (dict(arch="sngan_cnn", resolution=32, n_classes=10), r"n_classes 10.*allowed: 0"),
    (dict(arch="lsgan", resolution=112, norm_d="batchnorm"), r"'batchnorm'.*bn_d=False"),
    (dict(arch="lsgan", resolution=112, bn=False), r"'bn'.*allowed: bn_g, bn_d"),
    (dict(arch="sagan", resolution=32, ch=2, attention=16), r"8 channels"),
])
def test_errors(kwargs, pattern):
    with pytest.raises(ValueError, match=pattern):
        check(**kwargs)
    arch, res = kwargs.pop("arch"), kwargs.pop("resolution")
    with pytest.raises(ValueError, match=pattern):
        build(arch, resolution=res, **kwargs)


def test_check_returns_spec_and_defaults():
    spec = check("sagan", 32, None, None, 10, 16)
    assert spec.default_norm_d == spec.default_norm_g == "spectralnorm"
    assert check("lsgan", 112, "batchnorm", "none", 0, None, bn_d=False).prior == "uniform"
    for spec in ARCHS.values():
        assert spec.default_norm_d in spec.norms_d and spec.default_norm_g in spec.norms_g
        assert all(spec.supports_resolution(r) for r in spec.resolutions)
    assert set(ARCHS["sngan_cnn"].norms_d) == set(ARCHS["mlp"].norms_d) == set(norms.NORM_NAMES)
