"""repro.models.build / check: output shapes of every arch, priors, labels, and the
builder's errors (tiny widths)."""
from __future__ import annotations

import pytest
import torch
from torch.nn.utils import parametrize

from repro import norms
from repro.models import ARCHS, build, check

from model_helpers import N


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
