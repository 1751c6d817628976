"""Optimizer settings of the three papers: the one place they are written down.

The trainer, the experiment tables, the report and the README all read :data:`SETTINGS`;
nothing else repeats these numbers. Each entry cites where it comes from.
"""
from __future__ import annotations

from dataclasses import asdict, dataclass

__all__ = ["Setting", "SETTINGS", "OPTIMIZERS", "get_setting"]


@dataclass(frozen=True)
class Setting:
    """Adam hyperparameters and update ratio, named as in the papers.

    ``n_dis`` is the number of discriminator updates per generator update (SNGAN Table 1).
    ``lr_d`` differs from ``lr_g`` only under the two time-scale update rule (TTUR).
    ``batch_size`` is D's batch (real and fake each); ``batch_size_g`` G's, None: the same.
    ``optim`` (the optimizer) is "adam" (every paper setting but one) or "rmsprop" (the LSGAN code's
    no-BN-anywhere stability run), which uses ``lr_*`` and ignores the betas.
    """

    lr_g: float
    lr_d: float
    beta1: float
    beta2: float
    n_dis: int
    source: str
    batch_size: int = 64
    linear_decay: bool = False  # decay both lrs linearly to 0 over training
    batch_size_g: int | None = None  # G's batch; None: batch_size
    optim: str = "adam"  # the optimizer: adam | rmsprop

    def to_dict(self) -> dict:
        return asdict(self)


_SNGAN_T1 = "SNGAN (Miyato et al. 2018) Table 1"


def _sngan(lr: float, beta1: float, beta2: float, n_dis: int, setting: str) -> Setting:
    return Setting(lr, lr, beta1, beta2, n_dis, source=f"{_SNGAN_T1}, setting {setting}")


SETTINGS: dict[str, Setting] = {
    # SNGAN Table 1: the standard-CNN sweep of Figures 1-2 and Table 2.
    "A": _sngan(1e-4, 0.5, 0.9, 5, "A (Gulrajani et al. 2017)"),
    "B": _sngan(1e-4, 0.5, 0.999, 1, "B (Warde-Farley & Bengio 2017)"),
    "C": _sngan(2e-4, 0.5, 0.999, 1, "C (Radford et al. 2016)"),
    "D": _sngan(1e-3, 0.5, 0.9, 5, "D (aggressive lr)"),
    "E": _sngan(1e-3, 0.5, 0.999, 5, "E (aggressive lr)"),
    "F": _sngan(1e-3, 0.9, 0.999, 5, "F (aggressive lr, high momentum)"),
    # SNGAN App. B.2: the ResNet experiments use Gulrajani et al.'s hyperparameters. Their code
    # (gan_cifar_resnet.py: GEN_BS_MULTIPLE = 2, linear lr decay) and the SNGAN authors'
    # (sngan_projection configs/sn_cifar10_unconditional.yml: batchsize 64, n_gen_samples 128,
    # LinearShift of alpha to 0) train G on a batch twice D's and decay both lrs linearly to 0.
    "sngan_resnet": Setting(
        2e-4, 2e-4, 0.0, 0.9, 5, linear_decay=True, batch_size_g=128,
        source="SNGAN (Miyato et al. 2018) App. B.2; G batch 128 and linear decay per Gulrajani's "
               "gan_cifar_resnet.py and sngan_projection (LinearShift, n_gen_samples: 128)",
    ),
    # SAGAN Sec. 5: TTUR with lr_D = 4e-4, lr_G = 1e-4, Adam(0, 0.9), 1:1 updates; batch 256
    # (Sec. 5, "Implementation details"). The official TF code leaves beta2 at 0.999.
    "sagan_ttur": Setting(
        1e-4, 4e-4, 0.0, 0.9, 1, batch_size=256,
        source="SAGAN (Zhang et al. 2019) Sec. 5",
    ),
    # SAGAN's baseline without TTUR (Sec. 5.1 ablation "SN on G/D"): equal learning rates.
    "sagan_1to1": Setting(
        1e-4, 1e-4, 0.0, 0.9, 1, batch_size=256,
        source="SAGAN (Zhang et al. 2019) Sec. 5.1, SN ablation without TTUR",
    ),
    # LSGAN official code (xudonmao/LSGAN, lsun/): Adam lr 1e-3, beta1 0.5 for both networks.
    "lsgan_lsun": Setting(
        1e-3, 1e-3, 0.5, 0.999, 1,
        source="LSGAN official code (xudonmao/LSGAN, lsun)",
    ),
    # LSGAN official stability_comparison code on LSUN bedrooms, 64x64 DCGAN nets, batch 64:
    # BN_G_*_adam (no BN in G) uses Adam lr 2e-4, beta1 0.5 (TF's beta2 0.999); BN_GD_*_rms (no
    # BN in G nor D) uses tf.train.RMSPropOptimizer(2e-4) (decay 0.9, eps 1e-10).
    "lsgan_nobn_adam": Setting(
        2e-4, 2e-4, 0.5, 0.999, 1,
        source="LSGAN official code (xudonmao/LSGAN, stability_comparison/BN_G_*_adam/train.py)",
    ),
    "lsgan_nobn_rmsprop": Setting(
        2e-4, 2e-4, 0.0, 0.0, 1, optim="rmsprop",
        source="LSGAN official code (xudonmao/LSGAN, stability_comparison/BN_GD_*_rms/dcgan64.py: "
               "RMSPropOptimizer(2e-4))",
    ),
    # LSGAN official mixture-of-Gaussians code (stability_comparison/mixture_gaussian):
    # D lr 1e-4, G lr 1e-3, Adam beta1 0.5, batch 512, both nets updated in the same step.
    "lsgan_mog": Setting(
        1e-3, 1e-4, 0.5, 0.999, 1, batch_size=512,
        source="LSGAN official code (stability_comparison/mixture_gaussian)",
    ),
}

#: The optimizers a setting may name, and torch's counterpart of each TF/chainer default:
#: RMSProp as tf.train.RMSPropOptimizer (decay 0.9 -> torch alpha, epsilon 1e-10, no momentum).
OPTIMIZERS = ("adam", "rmsprop")
RMSPROP_ALPHA, RMSPROP_EPS = 0.9, 1e-10

#: The six settings of SNGAN's sweep, in the paper's order.
SNGAN_SWEEP = ("A", "B", "C", "D", "E", "F")
#: Its aggressive settings (lr 1e-3: D-F), where SNGAN Sec. 4.1 sees the other methods fail.
SNGAN_AGGRESSIVE = tuple(s for s in SNGAN_SWEEP if SETTINGS[s].lr_d >= 1e-3)


def get_setting(name: str) -> Setting:
    try:
        return SETTINGS[name]
    except KeyError:
        raise KeyError(f"unknown setting {name!r}; known settings: {', '.join(SETTINGS)}") from None


def settings_table() -> "pandas.DataFrame":  # noqa: F821 - pandas is imported lazily
    """The settings as a DataFrame (README, docs, reports render this; nothing re-types it)."""
    import pandas as pd

    return pd.DataFrame({k: v.to_dict() for k, v in SETTINGS.items()}).T.rename_axis("setting")
