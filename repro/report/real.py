"""Verdicts of "Real data" cells (SNGAN Table 2's real-data row; the smoke suite's real digits).

A real-data cell is a table row with a ``real`` split (:data:`repro.datasets.REAL_SETS`) instead of
a network to train: its images are scored once under the cell's protocol (``repro real-row``),
so it has one score and no seeds, and the seed rule of :mod:`repro.report.verdict` (which needs
two seeds) does not apply. :func:`judge_real` judges it against the reference range with its own
evaluation uncertainty instead:

* our interval = value ± s, s = max(the evaluation's own std, :data:`FLOOR_REL` × |value|). For IS
  the std is the spread over the protocol's splits (what the paper's ± of 11.24 ± 0.12 is); FID of
  one evaluation has no such spread, so only the floor applies (1%, the floor the seed rule uses
  for evaluation noise of 5k-sample FID/IS);
* the decision is the seed rule's (equivalence, :mod:`repro.report.verdict`): ``held`` when the
  whole interval lies inside the reference range, ``better`` / ``worse`` when it lies wholly
  beyond it (by the metric's direction), else ``inconclusive``; also ``inconclusive`` without a
  value or a usable reference. The split std is wider than the standard error of the mean IS
  (by √splits), so the interval is conservative: "held" is never easier than for a seeded cell.

The real-data cells of a suite (``sngan_real``, ``smoke_real``) are its *real-data gate*: hard
``regression`` references (``config/references/``), checked with ``--strict`` by the workflow's
``gate`` rule before any training job, so only ``held`` passes. Their error rates (a correct
instrument fails ~0.6 %, one 2 % off passes ~0.1 %, by simulation with known truth) are in
``tests/report/test_real.py`` and docs/fidelity.md (point 13).

Kept apart from the seed-level rule on purpose, so that either can change without the other.
"""
from __future__ import annotations

import math

import pandas as pd

FLOOR_REL = 0.01
#: the evaluation std recorded next to a metric (collected as final_<name>)
EVAL_STD = {"is_mean": "is_std"}


def is_real_cell(runs: pd.DataFrame) -> bool:
    """Whether the runs of a cell are real-data rows (a non-empty ``real`` column)."""
    return "real" in runs.columns and runs["real"].notna().any()


def judge_real(value: float | None, eval_std: float | None, ref_low: float | None,
               ref_high: float | None, direction: str | None,
               no_reference: str | None = None) -> tuple[str, str, float, float]:
    """(verdict, reason, low, high) of one real-data score against a reference range."""
    if value is None or not math.isfinite(value):
        return "inconclusive", "no score for the real images", math.nan, math.nan
    s = eval_std if eval_std is not None and math.isfinite(eval_std) else 0.0
    half = max(s, FLOOR_REL * abs(value))
    low, high = value - half, value + half
    if ref_low is None or ref_high is None:
        return "inconclusive", no_reference or "no reference", low, high
    span = f"real data [{low:.4g}, {high:.4g}] vs reference [{ref_low:.4g}, {ref_high:.4g}]"
    if ref_low <= low and high <= ref_high:
        return "held", span, low, high
    if low <= ref_high and ref_low <= high:
        return "inconclusive", f"{span}: the interval straddles the range", low, high
    below = high < ref_low
    return ("better" if below == (direction == "lower") else "worse"), span, low, high
