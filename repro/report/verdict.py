"""The verdict vocabulary: the one place where a cell's verdict and the collapse flag are defined.

A *cell* is one (table, row, column) of a paper table, one metric and one checkpoint ("final" or
"best"), over the runs (seeds) of that cell. Its verdict is one of :data:`VERDICTS`, decided by
:func:`decide` with these rules, applied in this order:

1. ``inconclusive`` -- no run of the cell finished (all missing).
2. ``diverged`` -- a strict majority of the *finished* runs (completed + diverged; missing runs do
   not vote) diverged. A method that diverges on at least two of three seeds does not reproduce a
   number that was reported from a run that trained. With a minority diverged (e.g. 1 of 3), the
   cell is judged on its completed runs and the table says how many diverged.
3. ``inconclusive`` -- fewer than ``min_seeds`` (default :data:`MIN_SEEDS` = 2) completed runs with
   a finite value: one seed has no spread, so no interval.
4. ``inconclusive`` -- no usable reference: none for this cell/metric/checkpoint, an unverified
   one (never a bound), one under another evaluation protocol, or one for another training budget
   (see :mod:`repro.report.cells`, which checks these and passes the reason on).
5. Otherwise compare *our interval* with the *reference range*:

   * our interval = mean ± s over the completed seeds, where s = max(sample std (ddof=1),
     :data:`STD_FLOOR_REL` × |mean|). The floor keeps two seeds that happen to agree from claiming
     more precision than the evaluation itself has (FID/IS from 5k samples move by ~1%);
   * reference range = [value − tolerance, value + tolerance] (tolerances are chosen per row in
     ``config/references/``, see :mod:`repro.report.references`);
   * ``held`` if the two intervals overlap; otherwise ``better`` or ``worse`` by the metric's
     direction (:data:`DIRECTIONS`: FID lower is better, IS higher, modes covered and HQ fraction
     higher, mode KL lower).

``collapsed`` is a flag on a run, not a verdict: the run's final score is much worse than its best
(:func:`is_collapsed`). Cells report how many of their runs collapsed.
"""
from __future__ import annotations

import math
from typing import Sequence

import numpy as np

HELD, BETTER, WORSE, DIVERGED, INCONCLUSIVE = "held", "better", "worse", "diverged", "inconclusive"
#: Every verdict a cell can get.
VERDICTS = (HELD, BETTER, WORSE, DIVERGED, INCONCLUSIVE)

#: Fewest completed runs (seeds) that give a cell an interval.
MIN_SEEDS = 2
#: Floor of our interval's half-width, relative to |mean| (see the module docstring).
STD_FLOOR_REL = 0.01

#: Direction of each metric that can be judged: "lower" or "higher" is better.
DIRECTIONS: dict[str, str] = {
    "fid": "lower",
    "is_mean": "higher",
    "kid": "lower",
    "modes_covered": "higher",
    "hq_fraction": "higher",
    "kl_uniform": "lower",
    "kl_target": "lower",
    "top_mode_share": "lower",
}

#: A run "collapsed" on a metric when its final score is worse than its best by more than this
#: factor plus :data:`COLLAPSE_SLACK`: for FID, final > best x 1.25 + 1. Evaluation noise of FID
#: at 5k-10k samples is about 1 point plus a few percent between two evaluations of one
#: checkpoint, so a 25% (+1) loss is not noise but the late-training degradation that LSGAN on
#: CIFAR-10 and SAGAN without TTUR show (samples visibly worse or mode-collapsed).
COLLAPSE_RATIO = 1.25
#: Absolute slack of the collapse rule, per metric (0 for metrics not listed).
COLLAPSE_SLACK: dict[str, float] = {"fid": 1.0, "kid": 0.001}


def direction_of(metric: str) -> str:
    """'lower' or 'higher' (KeyError naming the known metrics otherwise)."""
    try:
        return DIRECTIONS[metric]
    except KeyError:
        raise KeyError(f"no direction known for metric {metric!r}; known: {sorted(DIRECTIONS)}") from None


def finite(values: Sequence[float]) -> np.ndarray:
    """The finite entries of `values` as a float array (None/NaN/inf dropped)."""
    a = np.asarray([np.nan if v is None else v for v in values], dtype=float)
    return a[np.isfinite(a)]


def summarize(values: Sequence[float]) -> tuple[int, float, float]:
    """(n, mean, sample std with ddof=1) of the finite `values`; NaN where undefined."""
    a = finite(values)
    n = len(a)
    mean = float(a.mean()) if n else math.nan
    std = float(a.std(ddof=1)) if n >= 2 else math.nan
    return n, mean, std


def our_interval(mean: float, std: float) -> tuple[float, float]:
    """Our interval: mean ± max(std, STD_FLOOR_REL x |mean|) (std NaN counts as 0)."""
    half = max(0.0 if math.isnan(std) else std, STD_FLOOR_REL * abs(mean))
    return mean - half, mean + half


def compare(mean: float, std: float, ref_low: float, ref_high: float, direction: str) -> str:
    """held / better / worse of our interval against the reference range (rule 5)."""
    if direction not in ("lower", "higher"):
        raise ValueError(f"direction must be 'lower' or 'higher', got {direction!r}")
    low, high = our_interval(mean, std)
    if low <= ref_high and ref_low <= high:
        return HELD
    ours_below = high < ref_low
    return BETTER if ours_below == (direction == "lower") else WORSE


def decide(values: Sequence[float], *, n_diverged: int = 0, n_missing: int = 0,
           ref_low: float | None = None, ref_high: float | None = None,
           direction: str | None = None, min_seeds: int = MIN_SEEDS,
           no_reference: str | None = None) -> tuple[str, str]:
    """The verdict of one cell and the reason for it, by rules 1-5 of the module docstring.

    Args:
        values: the metric of each completed run of the cell (non-finite entries do not count).
        n_diverged: runs of the cell that diverged.
        n_missing: runs without results (they do not vote in rule 2).
        ref_low, ref_high: the reference range; None when there is no usable reference.
        direction: "lower" or "higher" is better (needed when a range is given).
        min_seeds: completed runs needed for an interval.
        no_reference: why there is no usable reference (reported as the reason of rule 4).
    """
    n, mean, std = summarize(values)
    n_completed = len(values)  # completed runs, finite value or not
    finished = n_completed + n_diverged
    if finished == 0:
        return INCONCLUSIVE, f"no finished runs ({n_missing} missing)"
    if 2 * n_diverged > finished:
        return DIVERGED, f"{n_diverged}/{finished} finished runs diverged"
    if n < min_seeds:
        extra = f", {n_completed - n} without a finite value" if n_completed > n else ""
        return INCONCLUSIVE, f"n={n} completed < min_seeds={min_seeds}{extra}"
    if ref_low is None or ref_high is None:
        return INCONCLUSIVE, no_reference or "no reference"
    verdict = compare(mean, std, ref_low, ref_high, direction)
    low, high = our_interval(mean, std)
    return verdict, f"ours [{low:.4g}, {high:.4g}] vs reference [{ref_low:.4g}, {ref_high:.4g}]"


def is_collapsed(final: float | None, best: float | None, metric: str) -> bool:
    """Whether a run's final score is much worse than its best (see :data:`COLLAPSE_RATIO`).

    Lower-is-better: final > best x ratio + slack; higher-is-better: final x ratio + slack < best.
    False when either value is missing or not finite.
    """
    if final is None or best is None or not (math.isfinite(final) and math.isfinite(best)):
        return False
    slack = COLLAPSE_SLACK.get(metric, 0.0)
    if direction_of(metric) == "lower":
        return final > best * COLLAPSE_RATIO + slack
    return final * COLLAPSE_RATIO + slack < best
