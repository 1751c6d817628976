"""The metric registry: every score the suite computes, judged or recorded, with its metadata.

Structure as in stylegan2-ada-pytorch ``metrics/metric_main.py`` (``register_metric``: one
function per metric, looked up by name) and torch-fidelity (features -> statistics -> metric):
a *family* is one function that turns a protocol's features (or 2-D samples) into one or more
scores, registered by name with a :class:`Metric` record for each score it returns. A protocol
names the families it computes (``Protocol.metrics``), and :func:`compute` dispatches to them.

Every fact about a metric lives in its :class:`Metric`: its better side, decimals, table and
curve labels, degraded-flag slack, whether it picks the best checkpoint. The report reads them
from here where it uses them (:func:`directions`, :func:`decimals`, :func:`curve_labels`, ...),
so adding a judged metric is one family module (its function and its registration) imported by
:mod:`repro.metrics.families`, and a metric registered later reaches the report too.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Callable, Mapping

import numpy as np

from ..errors import UserError

__all__ = ["Metric", "Inputs", "Family", "UnknownMetricError", "register", "get_family",
           "get_metric", "compute", "directions", "recorded", "decimals", "labels", "curve_labels",
           "degrade_slack", "panels", "overview", "headline_of"]


class UnknownMetricError(UserError, KeyError):
    """A metric or metric family that is not registered (names the known ones)."""

    def __str__(self) -> str:  # KeyError would quote the message
        return str(self.args[0])


@dataclass(frozen=True)
class Metric:
    """One score of a family.

    Attributes:
        name: the key in score records, curve.csv and tables (e.g. ``fid``).
        direction: "lower" or "higher" is better; None for a recorded, never judged, value
            (``is_std``: the spread of another score).
        decimals: decimals shown in tables.
        label: short table header ("FID").
        curve_label: the learning-curve panel title ("modes covered").
        degrade_slack: absolute slack of the degraded rule (``repro.report.verdict.is_degraded``:
            final far worse than best; not mode collapse).
        headline: this metric picks a run's best checkpoint (the first headline metric a score
            record has: FID for image protocols, modes covered for mixtures).
        panel: the default learning-curve panel group it belongs to (None: not in one).
        overview: one of its family's overview metrics (the mixture claim's curves and table).
    """

    name: str
    direction: str | None
    decimals: int = 3
    label: str = ""
    curve_label: str = ""
    degrade_slack: float = 0.0
    headline: bool = False
    panel: str | None = None
    overview: bool = False

    def __post_init__(self) -> None:
        if self.direction not in ("lower", "higher", None):
            raise ValueError(f"metric {self.name!r}: direction {self.direction!r} not in lower/higher/None")
        object.__setattr__(self, "label", self.label or self.name)
        object.__setattr__(self, "curve_label", self.curve_label or self.label)


@dataclass
class Inputs:
    """What a family may read. Image protocols: the generated `fake` features (the first
    `protocol.n_fake` / `is_n` are used), the real statistics and, for families that need them,
    the real features. Mixture protocols: the 2-D `samples`, the mixture's `modes`, `sigma` and
    mode `weights`."""

    protocol: Any
    fake: Any = None
    mu_real: np.ndarray | None = None
    sigma_real: np.ndarray | None = None
    real_features: np.ndarray | None = None
    seed: int = 0
    samples: Any = None
    modes: Any = None
    sigma: float | None = None
    weights: Any = None


@dataclass(frozen=True)
class Family:
    """A registered function and the scores it returns (it may return more keys, e.g. counts)."""

    name: str
    fn: Callable[[Inputs], dict]
    metrics: tuple[Metric, ...]
    networks: tuple[str, ...]
    needs_real_features: bool = False
    about: str = ""


FAMILIES: dict[str, Family] = {}
#: Every registered score by name, in registration order (the order of table columns).
METRICS: dict[str, Metric] = {}


def register(name: str, metrics: tuple[Metric, ...] | list[Metric], *, networks: tuple[str, ...],
             needs_real_features: bool = False, about: str = "") -> Callable:
    """Decorator: register ``fn(inputs) -> dict`` as the family `name` computing `metrics`."""
    def deco(fn: Callable[[Inputs], dict]) -> Callable[[Inputs], dict]:
        if name in FAMILIES:
            raise ValueError(f"metric family {name!r} is registered twice")
        clash = [m.name for m in metrics if m.name in METRICS]
        if clash:
            raise ValueError(f"family {name!r}: metrics {clash} are already registered")
        FAMILIES[name] = Family(name, fn, tuple(metrics), tuple(networks), needs_real_features, about)
        METRICS.update({m.name: m for m in metrics})
        return fn

    return deco


def get_family(name: str) -> Family:
    try:
        return FAMILIES[name]
    except KeyError:
        raise UnknownMetricError(f"unknown metric family {name!r}; registered: "
                                 f"{', '.join(FAMILIES)}") from None


def get_metric(name: str) -> Metric:
    try:
        return METRICS[name]
    except KeyError:
        raise UnknownMetricError(f"unknown metric {name!r}; registered: {', '.join(METRICS)}") from None


def compute(families, inputs: Inputs) -> dict:
    """Run each family on `inputs`, in order, and merge their results."""
    out: dict = {}
    for name in families:
        family = get_family(name)
        if family.needs_real_features and inputs.real_features is None:
            raise ValueError(f"protocol {getattr(inputs.protocol, 'name', '?')!r} computes {name}, "
                             f"which needs the real features, not only their statistics")
        out.update(family.fn(inputs))
    return out


def needs_real_features(families) -> bool:
    return any(get_family(f).needs_real_features for f in families)


# -- values derived from the registry (the report's constants) -----------------------------------

def directions() -> dict[str, str]:
    """metric -> "lower" / "higher" for every judged metric, in registration order."""
    return {m.name: m.direction for m in METRICS.values() if m.direction}


def recorded() -> tuple[str, ...]:
    """Metrics kept in score records but never judged (``is_std``, ...)."""
    return tuple(m.name for m in METRICS.values() if not m.direction)


def decimals() -> dict[str, int]:
    return {m.name: m.decimals for m in METRICS.values() if m.direction}


def labels() -> dict[str, str]:
    return {m.name: m.label for m in METRICS.values() if m.direction}


def curve_labels() -> dict[str, str]:
    return {m.name: m.curve_label for m in METRICS.values() if m.direction}


def degrade_slack() -> dict[str, float]:
    return {m.name: m.degrade_slack for m in METRICS.values() if m.degrade_slack}


def panels() -> tuple[tuple[str, ...], ...]:
    """The default learning-curve panel groups, in registration order."""
    groups: dict[str, list[str]] = {}
    for m in METRICS.values():
        if m.panel:
            groups.setdefault(m.panel, []).append(m.name)
    return tuple(tuple(g) for g in groups.values())


def overview(family: str) -> tuple[str, ...]:
    return tuple(m.name for m in get_family(family).metrics if m.overview)


def headline_of(scores: Mapping) -> tuple[str | None, int]:
    """The metric of a score record that picks the best checkpoint, and its sign (+1: lower is
    better): the first headline metric the record has."""
    for m in METRICS.values():
        if m.headline and m.name in scores:
            return m.name, 1 if m.direction == "lower" else -1
    return None, 1


# The built-in families register themselves on import, after everything above is defined. This
# is the one import cycle kept on purpose (registry -> families -> registry): whoever reads the
# registry sees the built-in metrics without having to import them first, and a family module
# only calls register(), defined above, so the cycle never meets a half-built module.
from . import families as _families  # noqa: E402,F401
