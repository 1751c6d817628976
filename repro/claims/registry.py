"""The claim registry: every paper claim the suite judges, with what it reads and writes.

Structure as :mod:`repro.metrics.registry`: a claim is one module of this package that builds a
:class:`Claim` and calls :func:`register` at import. Everything else derives from the record:
the files ``repro claim NAME`` writes and the workflow declares (``workflow/rules/report.smk``:
one rule definition per registered claim), the check of ``config/config.yaml``'s ``claims``
(:mod:`repro.workflow_config`), the inputs refused before an analysis starts
(:func:`repro.claims.common.check_inputs`) and the CLI's list of claims. So adding a claim is
one new module here plus the config entry naming the table it judges (README, "Adding a claim").

A claim's name is its module's name: :func:`names` lists this package's modules without
importing them (``repro --help`` stays fast), and :func:`get` imports the one asked for, which
registers itself on import (plugins: the registry imports them, they import it -- the one import
cycle kept, by design). Importing this module and every claim module imports no torch
(tests/test_imports.py).
"""
from __future__ import annotations

import importlib
import pkgutil
from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable, Mapping

from .. import layout
from ..errors import UserError

__all__ = ["Claim", "ClaimError", "register", "names", "get"]


class ClaimError(UserError, ValueError):
    """A claim that is not registered, or one that cannot judge the table it was given (says
    what is missing)."""


#: An analysis: (table TSV, runs root, {file name: path}) -> the paths it wrote, every one of
#: the claim's ``files`` (a figure with nothing to plot says why instead).
Analysis = Callable[[Path, Path, dict[str, Path]], dict[str, Path]]


@dataclass(frozen=True)
class Claim:
    """One paper claim judged from one experiment table's runs.

    Attributes:
        name: the name ``config/config.yaml``'s ``claims`` and ``repro claim NAME`` use.
        analyse: the analysis (:data:`Analysis`).
        files: ``name: (suffix, category)`` of every file it writes under the table's output prefix
            (as :mod:`repro.layout`: the suffix, and the ``snakemake --report`` category or None);
            ``md`` is the verdict, ``<prefix>.claim.md``.
        columns: the table columns it reads (refused when missing or empty).
        metrics: the final metrics it reads in every completed run.
        labels: the table row labels it binds to, by role: data of the claim, not of its code.
    """

    name: str
    analyse: Analysis
    files: Mapping[str, tuple[str, str | None]]
    columns: tuple[str, ...]
    metrics: tuple[str, ...]
    labels: Mapping[str, str] = field(default_factory=dict)

    def __post_init__(self) -> None:
        if self.files.get("md", ("",))[0] != ".claim.md":
            raise ValueError(f"claim {self.name!r}: its verdict file 'md' must be .claim.md")

    def paths(self, prefix: str | Path) -> dict[str, Path]:
        """name -> path of every file it writes under ``prefix``."""
        return layout.paths(self.files, prefix)


_CLAIMS: dict[str, Claim] = {}
#: Modules of this package that are not claims.
_NOT_CLAIMS = frozenset({"registry", "common", "command"})


def register(claim: Claim) -> Claim:
    """Add `claim` (a claim module calls this once, at import)."""
    if claim.name in _CLAIMS and _CLAIMS[claim.name] != claim:
        raise ValueError(f"claim {claim.name!r} is registered twice")  # a bug in a claim module
    _CLAIMS[claim.name] = claim
    return claim


def _modules() -> list[str]:
    """The claim modules of this package (listed, not imported)."""
    package = importlib.import_module(__name__.rsplit(".", 1)[0])
    return [m.name for m in pkgutil.iter_modules(package.__path__)
            if m.name not in _NOT_CLAIMS and not m.name.startswith("_")]


def names() -> list[str]:
    """The claims' names, sorted: this package's claim modules and any claim registered by hand."""
    return sorted(set(_modules()) | set(_CLAIMS))


def get(name: str) -> Claim:
    """The claim `name` (its module imported, which registers it); a :class:`ClaimError` naming
    the known ones otherwise."""
    if name not in _CLAIMS and name in _modules():
        importlib.import_module(f"{__name__.rsplit('.', 1)[0]}.{name}")
        if name not in _CLAIMS:  # a bug in the claim module: a claim is named after its module
            raise ValueError(f"module repro.claims.{name} registers no claim named {name!r}")
    if name not in _CLAIMS:
        raise ClaimError(f"unknown claim {name!r}; known: {', '.join(names())}")
    return _CLAIMS[name]
