"""The verdict vocabulary: the one place where a cell's verdict and the degraded flag are defined.

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
5. Otherwise an *equivalence test* of our mean against the *reference range* (:func:`judge`):

   * our interval = the two-sided ``confidence`` (default :data:`CONFIDENCE` = 90 %) Student-t
     interval of the mean over the n completed seeds, mean ± t_{(1+c)/2, n-1} · s / √n, where
     s = max(sample std (ddof=1), evaluation noise of one score). The seeds' spread already holds
     each score's evaluation noise (every seed is scored once), so the two are not added; the
     evaluation noise is a *floor* that keeps seeds which agree by chance from claiming more
     precision than one evaluation has: :data:`STD_FLOOR_REL` × |mean| (FID/IS from 5k samples
     move by ~1 % between two evaluations of one checkpoint), raised to a cell's own estimate
     where it has one and it is larger (IS: the median over seeds of the std over splits / √splits,
     :func:`repro.report.cells.eval_noise`);
   * reference range = [value − tolerance, value + tolerance] (tolerances are chosen per row in
     ``config/references/``, see :mod:`repro.report.references`);
   * ``held`` when the whole interval lies inside the range: at 90 % two-sided this is the two
     one-sided tests (TOST) equivalence test at α = 0.05 (Schuirmann 1987), so a cell whose true
     mean is outside the range is called held at most 5 % of the time;
   * ``better`` / ``worse`` when the whole interval lies beyond the range on one side (by the
     metric's direction, :data:`DIRECTIONS`);
   * ``inconclusive`` otherwise, with the interval, the range and :func:`seeds_needed`: how many
     seeds would decide the cell if the observed mean and spread stayed as they are.

   Why Student-t and not a bootstrap: with 2-10 seeds a percentile bootstrap has a handful of
   distinct resamples (10 at n = 3) and its 90 % interval covers the mean far less than 90 % of
   the time, which would make ``held`` too easy -- the error this rule exists to prevent. The
   t interval is robust to the moderate skew of FID over seeds; the simulation
   (:mod:`repro.report.simulate`, docs/verdicts.md) measures its false-held rate on a skewed
   (log-normal) distribution too.

   The rule before this one (our mean ± one std overlapping the range, :func:`compare`) is kept
   as :func:`overlap_verdict` for the simulation's comparison and for the claims' overlap tests.

``degraded`` is a flag on a run, not a verdict: the run's final score is much worse than its best
(:func:`is_degraded`). Cells report how many of their runs degraded. (Not *mode collapse*, which
:mod:`repro.report.claims` measures on mixture-of-Gaussians samples; published verdicts before
this name called the flag ``collapsed``, :data:`repro.report.cells.RENAMED_COLUMNS`.)
"""
from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Sequence

import numpy as np
from scipy import stats  # a dependency of scikit-learn (pyproject.toml)

from ..metrics import registry

HELD, BETTER, WORSE, DIVERGED, INCONCLUSIVE = "held", "better", "worse", "diverged", "inconclusive"
#: Every verdict a cell can get.
VERDICTS = (HELD, BETTER, WORSE, DIVERGED, INCONCLUSIVE)

#: Fewest completed runs (seeds) that give a cell an interval.
MIN_SEEDS = 2
#: Floor of the per-seed std, relative to |mean|: the default evaluation noise of one score (see
#: the module docstring, rule 5).
STD_FLOOR_REL = 0.01
#: Default two-sided confidence of our interval: 90 % = TOST equivalence at alpha = 0.05.
CONFIDENCE = 0.90
#: The word in an inconclusive cell's reason that marks it *undecided*: its interval was compared
#: with the range and straddles it (more seeds could decide it), unlike a cell never compared.
STRADDLES = "straddles"
#: :func:`seeds_needed` searches up to this many seeds (beyond: "not decidable at this spread").
MAX_SEEDS_NEEDED = 1000

#: Direction of each metric that can be judged: "lower" or "higher" is better (from the metric
#: registry, :mod:`repro.metrics.registry`, in its order).
DIRECTIONS: dict[str, str] = registry.directions()

#: A run "degraded" on a metric when its final score is worse than its best by more than this
#: factor plus :data:`DEGRADE_SLACK`: for FID, final > best x 1.25 + 1. Evaluation noise of FID
#: at 5k-10k samples is about 1 point plus a few percent between two evaluations of one
#: checkpoint, so a 25% (+1) loss is not noise but the late-training degradation that LSGAN on
#: CIFAR-10 and SAGAN without TTUR show (samples visibly worse or mode-collapsed).
DEGRADE_RATIO = 1.25
#: Absolute slack of the degraded rule, per metric (0 for metrics not listed; from the registry).
DEGRADE_SLACK: dict[str, float] = registry.degrade_slack()


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
    """The *overlap* rule's interval: mean ± max(std, STD_FLOOR_REL x |mean|) (std NaN counts
    as 0). Not the verdicts' interval any more (that is :func:`mean_interval`); kept for
    :func:`overlap_verdict` and the claims' comparisons between methods."""
    half = max(0.0 if math.isnan(std) else std, STD_FLOOR_REL * abs(mean))
    return mean - half, mean + half


def compare(mean: float, std: float, ref_low: float, ref_high: float, direction: str) -> str:
    """The previous rule: held when :func:`our_interval` overlaps the reference range, else
    better / worse. Lenient the wrong way (a wider spread holds more easily); the simulation
    compares the equivalence rule with it."""
    _check_direction(direction)
    low, high = our_interval(mean, std)
    if low <= ref_high and ref_low <= high:
        return HELD
    ours_below = high < ref_low
    return BETTER if ours_below == (direction == "lower") else WORSE


#: The overlap rule under the name the simulation and docs use.
overlap_verdict = compare


def _check_direction(direction: str) -> None:
    if direction not in ("lower", "higher"):
        raise ValueError(f"direction must be 'lower' or 'higher', got {direction!r}")


def t_quantile(confidence: float, df: float) -> float:
    """The (1 + confidence) / 2 quantile of Student's t with `df` degrees of freedom."""
    if not 0 < confidence < 1:
        raise ValueError(f"confidence must be in (0, 1), got {confidence!r}")
    return float(stats.t.ppf((1 + confidence) / 2, df))


def effective_std(mean: float, std: float, eval_std: float | None = None) -> float:
    """Per-seed std used by the interval: max(sample std, evaluation noise of one score), the
    noise being max(STD_FLOOR_REL x |mean|, `eval_std` when given and finite) (rule 5)."""
    floor = STD_FLOOR_REL * abs(mean)
    if eval_std is not None and math.isfinite(eval_std):
        floor = max(floor, eval_std)
    return max(0.0 if math.isnan(std) else std, floor)


def mean_interval(mean: float, std: float, n: int, confidence: float = CONFIDENCE,
                  eval_std: float | None = None) -> tuple[float, float]:
    """Two-sided Student-t interval of the mean of `n` seeds (rule 5); (nan, nan) for n < 2."""
    if n < 2 or not math.isfinite(mean):
        return math.nan, math.nan
    half = t_quantile(confidence, n - 1) * effective_std(mean, std, eval_std) / math.sqrt(n)
    return mean - half, mean + half


def equivalence(low: float, high: float, ref_low: float, ref_high: float, direction: str) -> str:
    """held (interval inside the range), better / worse (wholly beyond it), else inconclusive."""
    _check_direction(direction)
    if ref_low <= low and high <= ref_high:
        return HELD
    if high < ref_low or low > ref_high:
        return BETTER if (high < ref_low) == (direction == "lower") else WORSE
    return INCONCLUSIVE


def seeds_needed(mean: float, s: float, ref_low: float, ref_high: float,
                 confidence: float = CONFIDENCE, n_max: int = MAX_SEEDS_NEEDED) -> int | None:
    """Fewest seeds whose interval would decide the cell if its mean and per-seed std `s` stayed
    as observed: t_{(1+c)/2, n-1} s / √n <= the distance from the mean to the nearest edge of the
    range. None when no n <= `n_max` does (a mean on an edge never decides)."""
    margin = min(abs(mean - ref_low), abs(ref_high - mean))
    if not (math.isfinite(margin) and math.isfinite(s)) or margin <= 0:
        return None
    n = np.arange(2, n_max + 1)
    ok = stats.t.ppf((1 + confidence) / 2, n - 1) * s / np.sqrt(n) <= margin
    return int(n[ok][0]) if ok.any() else None


@dataclass(frozen=True)
class Judgement:
    """A cell's verdict, why, our interval and (inconclusive only) the seeds that would decide it."""
    verdict: str
    reason: str
    low: float = math.nan
    high: float = math.nan
    seeds_needed: int | None = None


def _fmt(x: float) -> str:
    return f"{x:.4g}"


def judge(values: Sequence[float], *, n_diverged: int = 0, n_missing: int = 0,
          ref_low: float | None = None, ref_high: float | None = None,
          direction: str | None = None, min_seeds: int = MIN_SEEDS,
          no_reference: str | None = None, confidence: float = CONFIDENCE,
          eval_std: float | None = None) -> Judgement:
    """The verdict of one cell by rules 1-5 of the module docstring, with our interval and, when
    the interval straddles an edge of the range, the seeds needed (:func:`seeds_needed`).

    Args:
        values: the metric of each completed run of the cell (non-finite entries do not count).
        n_diverged: runs of the cell that diverged.
        n_missing: runs without results (they do not vote in rule 2).
        ref_low, ref_high: the reference range; None when there is no usable reference.
        direction: "lower" or "higher" is better (needed when a range is given).
        min_seeds: completed runs needed for an interval.
        no_reference: why there is no usable reference (reported as the reason of rule 4).
        confidence: two-sided confidence of our interval (0.90: TOST at alpha = 0.05).
        eval_std: evaluation noise of one score (default STD_FLOOR_REL x |mean|).
    """
    n, mean, std = summarize(values)
    return judge_summary(n, mean, std, n_completed=len(values), n_diverged=n_diverged,
                         n_missing=n_missing, ref_low=ref_low, ref_high=ref_high,
                         direction=direction, min_seeds=min_seeds, no_reference=no_reference,
                         confidence=confidence, eval_std=eval_std)


def judge_summary(n: int, mean: float, std: float, *, n_completed: int, n_diverged: int = 0,
                  n_missing: int = 0, ref_low: float | None = None, ref_high: float | None = None,
                  direction: str | None = None, min_seeds: int = MIN_SEEDS,
                  no_reference: str | None = None, confidence: float = CONFIDENCE,
                  eval_std: float | None = None) -> Judgement:
    """:func:`judge` from the cell's summary: n finite values, their mean and sample std, and
    `n_completed` completed runs (finite value or not). What a published ``.verdicts.csv``
    holds, so published cells can be re-judged without their runs (:mod:`repro.report.rejudge`)."""
    low, high = mean_interval(mean, std, n, confidence, eval_std)
    finished = n_completed + n_diverged
    if finished == 0:
        return Judgement(INCONCLUSIVE, f"no finished runs ({n_missing} missing)")
    if 2 * n_diverged > finished:
        return Judgement(DIVERGED, f"{n_diverged}/{finished} finished runs diverged")
    if n < min_seeds:
        extra = f", {n_completed - n} without a finite value" if n_completed > n else ""
        return Judgement(INCONCLUSIVE, f"n={n} completed < min_seeds={min_seeds}{extra}")
    if ref_low is None or ref_high is None:
        return Judgement(INCONCLUSIVE, no_reference or "no reference", low, high)
    if n < 2:
        return Judgement(INCONCLUSIVE, f"n={n}: one seed has no interval")
    verdict = equivalence(low, high, ref_low, ref_high, direction)
    ours = f"{confidence:.0%} interval {_fmt(low)}–{_fmt(high)} (n={n})"
    ref = f"the range {_fmt(ref_low)}–{_fmt(ref_high)}"
    if verdict == HELD:
        return Judgement(HELD, f"{ours} inside {ref}", low, high)
    if verdict != INCONCLUSIVE:
        return Judgement(verdict, f"{ours} wholly {'below' if high < ref_low else 'above'} {ref}", low, high)
    s = effective_std(mean, std, eval_std)
    need = seeds_needed(mean, s, ref_low, ref_high, confidence)
    more = (f"~{need} seeds would decide it at the observed mean and spread (s={_fmt(s)})" if need
            else f"no number of seeds up to {MAX_SEEDS_NEEDED} decides it at the observed mean and spread")
    return Judgement(INCONCLUSIVE, f"{ours} {STRADDLES} {ref}; {more}", low, high, need)


def decide(values: Sequence[float], **kwargs) -> tuple[str, str]:
    """(verdict, reason) of one cell: :func:`judge` without the interval (same arguments)."""
    j = judge(values, **kwargs)
    return j.verdict, j.reason


def is_degraded(final: float | None, best: float | None, metric: str) -> bool:
    """Whether a run's final score is much worse than its best (see :data:`DEGRADE_RATIO`).

    Lower-is-better: final > best x ratio + slack; higher-is-better: final x ratio + slack < best.
    False when either value is missing or not finite.
    """
    if final is None or best is None or not (math.isfinite(final) and math.isfinite(best)):
        return False
    slack = DEGRADE_SLACK.get(metric, 0.0)
    if direction_of(metric) == "lower":
        return final > best * DEGRADE_RATIO + slack
    return final * DEGRADE_RATIO + slack < best
