"""The networks of the three papers, a registry describing them, and one builder.

>>> G, D = build("sngan_cnn", resolution=32, norm_d="spectralnorm")
>>> x = G(G.sample_z(8))            # (8, 3, 32, 32) in [-1, 1]
>>> D(x).shape                      # raw logits
torch.Size([8])

Contract the trainer relies on: ``G.z_dim``; ``G.sample_z(n, generator=None, device=None)``
draws from the paper's prior; ``G(z, y=None)`` gives tanh images (N, channels, R, R), or (N, 2)
points for ``mlp``; ``D(x, y=None)`` gives raw logits (N,). Class-conditional nets
(``n_classes > 0``) require ``y`` (int64 class ids); unconditional nets ignore it.

``norm_d`` / ``norm_g`` of None mean the arch's default (``"none"``, except SAGAN's spectral
norm in both nets); an explicit value always wins. ``ch`` (base width) and ``z_dim`` of None
mean the papers' values. Errors are :class:`ValueError` naming the bad value and the allowed
ones; :func:`check` raises them without building anything.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Callable

from torch import nn

from .. import norms
from . import sngan_resnet
from .dcgan import DCGAN64Discriminator, DCGAN64Generator
from .lsgan import LSGANDiscriminator, LSGANGenerator
from .mlp import MoGDiscriminator, MoGGenerator
from .sagan import SAGANDiscriminator, SAGANGenerator, SelfAttention, attention_gates
from .sngan_cnn import SNGANCNNDiscriminator, SNGANCNNGenerator
from .sngan_resnet import SNGANResNetDiscriminator, SNGANResNetGenerator

ALL_NORMS = norms.NORM_NAMES
#: BN/LN have no place inside D's ResBlocks in SNGAN or SAGAN (their ResNet Ds have no
#: normalization layer), so the ResNet-based Ds take every treatment but those two.
RESNET_NORMS = tuple(n for n in ALL_NORMS if not norms.get_norm(n).feature)
#: G takes only the weight treatments a paper uses on it: none, or SAGAN's spectral norm.
G_NORMS = ("none", "spectralnorm")


@dataclass(frozen=True)
class ArchSpec:
    """What one arch supports, for the builder, the config validator and the report."""

    name: str
    resolutions: tuple[int, ...]  # the papers' resolutions
    resolution_multiple: int | None  # any positive multiple of this works too (None: only the above)
    z_dim: int  # default latent size
    ch: int  # default base width
    prior: str  # "normal" N(0, I) | "uniform" U[-1, 1]
    norms_d: tuple[str, ...]
    norms_g: tuple[str, ...]
    default_norm_d: str
    default_norm_g: str
    conditional: bool  # n_classes > 0 supported (conditional BN in G, projection D)
    attention: bool  # SAGAN self-attention supported
    arch_kwargs: tuple[tuple[str, object], ...]  # extra builder arguments and their defaults
    init: str
    source: str
    make: Callable[..., tuple[nn.Module, nn.Module]] = field(repr=False, compare=False, default=None)

    def supports_resolution(self, resolution: object) -> bool:
        if not isinstance(resolution, int) or isinstance(resolution, bool):
            return False
        if resolution in self.resolutions:
            return True
        m = self.resolution_multiple
        return m is not None and resolution > 0 and resolution % m == 0

    def allowed_resolutions(self) -> str:
        listed = ", ".join(map(str, self.resolutions))
        if self.resolution_multiple:
            return f"{listed} (the papers') or any positive multiple of {self.resolution_multiple}"
        return listed

    def attention_sizes(self, resolution: int) -> tuple[int, ...]:
        """Feature-map sizes where the attention block can go, in both G and D."""
        return sngan_resnet.attention_sizes(resolution) if self.attention else ()


# --------------------------------------------------------------------------- factories
def _sngan_cnn(*, resolution, channels, z_dim, ch, norm_d, norm_g, **_):
    return (SNGANCNNGenerator(resolution, channels, z_dim, ch, norm_g),
            SNGANCNNDiscriminator(resolution, channels, ch, norm_d))


def _resnet(G, D):
    def make(*, resolution, channels, z_dim, ch, norm_d, norm_g, n_classes, attention,
             attention_variant="paper", **_):
        return (G(resolution, channels, z_dim, ch, norm_g, n_classes, attention, attention_variant),
                D(resolution, channels, ch, norm_d, n_classes, attention, attention_variant))
    return make


def _lsgan(*, resolution, channels, z_dim, ch, norm_d, norm_g, bn_g, bn_d, **_):
    return (LSGANGenerator(resolution, channels, z_dim, ch, norm_g, bn=bn_g),
            LSGANDiscriminator(resolution, channels, ch, norm_d, bn=bn_d))


def _dcgan64(*, resolution, channels, z_dim, ch, norm_d, norm_g, bn_g, bn_d, **_):
    return (DCGAN64Generator(resolution, channels, z_dim, ch, norm_g, bn=bn_g),
            DCGAN64Discriminator(resolution, channels, ch, norm_d, bn=bn_d))


def _mlp(*, z_dim, ch, norm_d, norm_g, x_dim, **_):
    return MoGGenerator(z_dim, ch, x_dim, norm_g), MoGDiscriminator(ch, x_dim, norm_d)


ARCHS: dict[str, ArchSpec] = {
    s.name: s
    for s in (
        ArchSpec("sngan_cnn", (32, 48), 8, z_dim=128, ch=64, prior="normal",
                 norms_d=ALL_NORMS, norms_g=G_NORMS, default_norm_d="none", default_norm_g="none",
                 conditional=False, attention=False, arch_kwargs=(),
                 init="N(0, 0.02) weights, zero biases (chainer-gan-lib, wscale=0.02)",
                 source="SNGAN (Miyato et al. 2018) App. B, Table 3", make=_sngan_cnn),
        ArchSpec("sngan_resnet", (32, 48), 8, z_dim=128, ch=64, prior="normal",
                 norms_d=RESNET_NORMS, norms_g=G_NORMS, default_norm_d="none", default_norm_g="none",
                 conditional=True, attention=False, arch_kwargs=(),
                 init="Glorot-uniform, gain sqrt(2) on residual convs, 1 elsewhere; zero biases "
                      "(pfnet-research/sngan_projection)",
                 source="SNGAN (Miyato et al. 2018) App. B, Tables 4 (32x32) and 5 (48x48); "
                        "projection D: Miyato & Koyama 2018",
                 make=_resnet(SNGANResNetGenerator, SNGANResNetDiscriminator)),
        ArchSpec("sagan", (32,), 8, z_dim=128, ch=64, prior="normal",
                 norms_d=RESNET_NORMS, norms_g=G_NORMS,
                 default_norm_d="spectralnorm", default_norm_g="spectralnorm",
                 conditional=True, attention=True, arch_kwargs=(),
                 init="Xavier-uniform weights, zero biases, attention gamma 0 "
                      "(brain-research/self-attention-gan)",
                 source="SAGAN (Zhang et al. 2019) Sec. 3-5, Fig. 2; SNGAN Table 4 ResBlocks",
                 make=_resnet(SAGANGenerator, SAGANDiscriminator)),
        ArchSpec("lsgan", (112,), 16, z_dim=1024, ch=64, prior="uniform",
                 norms_d=ALL_NORMS, norms_g=G_NORMS, default_norm_d="none", default_norm_g="none",
                 conditional=False, attention=False, arch_kwargs=(("bn_g", True), ("bn_d", True)),
                 init="N(0, 0.02) weights (truncated for D's convs), zero biases (xudonmao/LSGAN)",
                 source="LSGAN (Mao et al. 2017) Fig. 3; xudonmao/LSGAN vgg.py", make=_lsgan),
        ArchSpec("dcgan64", (64,), 16, z_dim=1024, ch=64, prior="uniform",
                 norms_d=ALL_NORMS, norms_g=G_NORMS, default_norm_d="none", default_norm_g="none",
                 conditional=False, attention=False, arch_kwargs=(("bn_g", True), ("bn_d", True)),
                 init="truncated N(0, 0.02) for D's convs, N(0, 0.02) elsewhere, zero biases, "
                      "BN gain N(1, 0.02) (xudonmao/LSGAN stability_comparison ops.py)",
                 source="LSGAN (Mao et al. 2017) Sec. 4.2 stability comparison; xudonmao/LSGAN "
                        "stability_comparison/*/dcgan64.py", make=_dcgan64),
        ArchSpec("mlp", (0,), None, z_dim=256, ch=128, prior="normal",
                 norms_d=ALL_NORMS, norms_g=G_NORMS, default_norm_d="none", default_norm_g="none",
                 conditional=False, attention=False, arch_kwargs=(("x_dim", 2),),
                 init="orthogonal, gain 1.4; zero biases (xudonmao/LSGAN mixture_gaussian)",
                 source="LSGAN (Mao et al. 2017) Sec. 4.2 mixture of Gaussians; "
                        "xudonmao/LSGAN stability_comparison/mixture_gaussian (from poolio/unrolled_gan)",
                 make=_mlp),
    )
}


def _pos_int(name: str, value: object, arch: str) -> None:
    if value is not None and (not isinstance(value, int) or isinstance(value, bool) or value < 1):
        raise ValueError(f"{arch}: {name} must be a positive integer or None, got {value!r}")


def check(arch: str, resolution: int, norm_d: str | None = None, norm_g: str | None = None,
          n_classes: int = 0, attention: int | None = None, *, ch: int | None = None,
          z_dim: int | None = None, channels: int = 3, **arch_kwargs) -> ArchSpec:
    """Validate a network configuration without building it; return its :class:`ArchSpec`.

    Raises ValueError naming the bad value and the allowed values for: an unknown arch, an
    unsupported resolution, a normalization the arch's D (or G) does not take, ``n_classes``
    on an unconditional arch, an attention size that is not a feature-map size of both nets,
    and unknown or ill-typed arch-specific arguments.
    """
    if arch not in ARCHS:
        raise ValueError(f"unknown arch {arch!r}; allowed: {', '.join(ARCHS)}")
    spec = ARCHS[arch]
    if not spec.supports_resolution(resolution):
        raise ValueError(f"{arch}: unsupported resolution {resolution!r}; allowed: "
                         f"{spec.allowed_resolutions()}")
    norm_d = spec.default_norm_d if norm_d is None else norm_d
    norm_g = spec.default_norm_g if norm_g is None else norm_g
    if norm_d not in spec.norms_d:
        raise ValueError(f"{arch}: unsupported D normalization {norm_d!r}; allowed: "
                         f"{', '.join(spec.norms_d)}")
    if norm_g not in spec.norms_g:
        raise ValueError(f"{arch}: unsupported G normalization {norm_g!r}; allowed: "
                         f"{', '.join(spec.norms_g)}")
    if not isinstance(n_classes, int) or isinstance(n_classes, bool) or n_classes < 0:
        raise ValueError(f"{arch}: n_classes must be an integer >= 0, got {n_classes!r}")
    if n_classes and not spec.conditional:
        raise ValueError(f"{arch} is unconditional: n_classes {n_classes!r} not supported; allowed: 0")
    for name, value in (("ch", ch), ("z_dim", z_dim), ("channels", channels)):
        _pos_int(name, value, arch)
    if attention is not None:
        sizes = spec.attention_sizes(resolution)
        if attention not in sizes:
            allowed = ", ".join(map(str, sizes)) + " or None" if sizes else "None"
            raise ValueError(f"{arch}: attention {attention!r} is not a feature-map size of both "
                             f"G and D at resolution {resolution}; allowed: {allowed}")
        g_sizes, d_sizes = sngan_resnet.feature_sizes(resolution)
        g_widths, d_blocks = sngan_resnet.layout(resolution, ch or spec.ch)
        width = min(g_widths[1 + g_sizes.index(attention)], d_blocks[d_sizes.index(attention)][0])
        if width < 8:
            raise ValueError(f"{arch}: attention needs >= 8 channels at size {attention}, "
                             f"got {width} with ch={ch}; allowed: a larger ch")
    defaults = dict(spec.arch_kwargs)
    for name, value in arch_kwargs.items():
        if name not in defaults:
            raise ValueError(f"{arch}: unknown argument {name!r}; allowed: "
                             f"{', '.join(defaults) or 'none'}")
        if type(value) is not type(defaults[name]):
            raise ValueError(f"{arch}: {name} must be a {type(defaults[name]).__name__}, got {value!r}")
    if arch in ("lsgan", "dcgan64") and arch_kwargs.get("bn_d", True) and norms.get_norm(norm_d).feature:
        raise ValueError(f"{arch}: norm_d {norm_d!r} replaces the paper's BatchNorm in D; "
                         f"allowed: bn_d=False with it, or a norm_d among "
                         f"{', '.join(n for n in ALL_NORMS if not norms.get_norm(n).feature)}")
    return spec


def build(arch: str, *, resolution: int, channels: int = 3, z_dim: int | None = None,
          ch: int | None = None, norm_d: str | None = None, norm_g: str | None = None,
          n_classes: int = 0, attention: int | None = None, attention_variant: str = "paper",
          **arch_kwargs) -> tuple[nn.Module, nn.Module]:
    """Build (G, D) for ``arch``; see :func:`check` for the errors and :data:`ARCHS` for
    what each arch accepts. ``arch_kwargs`` are the arch's extras (lsgan: ``bn_g``, ``bn_d``;
    mlp: ``x_dim``). For ``mlp`` the resolution is 0 (the data are 2-D points) and
    ``channels`` is ignored."""
    spec = check(arch, resolution, norm_d, norm_g, n_classes, attention, ch=ch, z_dim=z_dim,
                 channels=channels, **arch_kwargs)
    kwargs = dict(spec.arch_kwargs) | arch_kwargs
    return spec.make(resolution=resolution, channels=channels, z_dim=z_dim or spec.z_dim,
                     ch=ch or spec.ch,
                     norm_d=spec.default_norm_d if norm_d is None else norm_d,
                     norm_g=spec.default_norm_g if norm_g is None else norm_g,
                     n_classes=n_classes, attention=attention, attention_variant=attention_variant,
                     **kwargs)


__all__ = [
    "ARCHS", "ArchSpec", "build", "check", "SelfAttention", "attention_gates",
    "SNGANCNNGenerator", "SNGANCNNDiscriminator", "SNGANResNetGenerator", "SNGANResNetDiscriminator",
    "SAGANGenerator", "SAGANDiscriminator", "LSGANGenerator", "LSGANDiscriminator",
    "DCGAN64Generator", "DCGAN64Discriminator",
    "MoGGenerator", "MoGDiscriminator",
]
