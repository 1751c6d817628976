"""The one test of an order between two cells: is ``better`` ahead of ``worse`` by more than a margin?

Every order the suite prints -- a pre-registered order rule of a paper table
(``config/references/order_rules.yaml``, :mod:`repro.report.check`), a claim's "holds"
(the claims of :mod:`repro.claims`) -- is decided here, on the
per-seed values of the two cells (one number per run), never on summary statistics alone.

The gap is ``mean(better) - mean(worse)`` turned so that a positive gap means ``better`` is
ahead in the metric's direction (for a lower-is-better metric such as FID the sign flips).

* ``held`` -- H0: gap <= margin is rejected at level ``alpha`` by BOTH a one-sided Welch t-test
  (unequal variances; :func:`scipy.stats.ttest_ind` with ``equal_var=False``) and a one-sided
  permutation test of the difference in means after shifting ``better`` by the margin
  (:func:`scipy.stats.permutation_test`, exact where the partitions number at most
  :data:`PERMUTATIONS`, else that many random ones drawn from a fixed seed). ``p_value`` is the
  larger of the two p-values.
* ``reversed`` -- the opposite order shown at the same level: H0: gap >= 0 (``worse`` is not
  ahead) is rejected by both tests; ``p_reversed`` is the larger of their p-values.
* ``inconclusive`` -- neither, or fewer than two seeds on a side (no spread, no test).

Why both must reject: each test fails where the other is sound. Welch's t is a normal-theory
test and is anti-conservative on few skewed or discrete values (mode counts bounded by 8, FID
over seeds with a collapsed run); the permutation test is exact when the two cells' seeds are
exchangeable under H0, but anti-conservative when their spreads differ and the smaller cell has
the larger spread (the Behrens-Fisher setting, where Welch is sound). Requiring both keeps the
false-held rate at or below alpha whenever either test is valid, at a cost in power (at 3 vs 3
seeds the exact permutation p-value cannot go below 1/20, so only complete separation is held).
The simulation in tests/report/test_order_test.py shows the rate on identical distributions
(normal, skewed, discrete) and on gap == margin.

Holm's step-down method (Holm 1979; :func:`statsmodels.stats.multitest.multipletests`,
``method="holm"``) corrects the rules of one claim together (:func:`holm`), so the chance that
any held rule of the claim is a fluke stays <= alpha; the reversed p-values are corrected the
same way.

In adaptive seed rounds (:mod:`repro.seeds`) an open order rule grows its cells and stops once
decided, so the test is a stopping rule: at alpha at every look, identical cells were called
held 8 % of the time over smoke_mog's 3 -> 10 and 14 % one seed at a time (docs/verdicts.md).
A rule judged at a :class:`Look` of a declared schedule is therefore tested at that look's
level of the cells' group-sequential design (:func:`repro.report.verdict.look_alphas`);
Bonferroni over a worst-of side's cells and Holm over a claim's rules recompute that design at
their local levels (:func:`threshold`, :func:`_step_down`).
"""
from __future__ import annotations

import math
import warnings
from dataclasses import dataclass, replace
from functools import partial
from typing import Sequence

import numpy as np
from scipy import stats
from statsmodels.stats.multitest import multipletests

from .verdict import SPENDING, look_alphas

#: The verdicts of an order.
HELD, REVERSED, INCONCLUSIVE = "held", "reversed", "inconclusive"
#: The level of every order test (the same alpha as the cells' TOST, repro.report.verdict).
ALPHA = 0.05
#: Random partitions of the permutation test where the exact number is larger (exact below).
PERMUTATIONS = 9999
#: The permutation test's random partitions come from this seed: the same values give the same p.
PERMUTATION_SEED = 0
#: What :attr:`OrderResult.test` says.
TEST_NAME = "one-sided Welch t and permutation test (held / reversed only when both reject)"


@dataclass(frozen=True)
class Look:
    """The look of a declared seed schedule at which an order is judged (:mod:`repro.seeds`).

    Adaptive rounds grow both sides of an inconclusive order rule and stop once it is decided, so
    the order test is the stopping rule: tested at the full alpha at every look, a false held
    would be likelier than alpha (docs/verdicts.md). A design spending ``a`` over the looks (the
    cells' group-sequential design, :func:`repro.report.verdict.look_alphas`) tests look
    ``index`` at the nominal one-sided level :meth:`level`."""

    looks: tuple[int, ...]
    index: int  # 1-based
    spending: str = SPENDING

    def level(self, a: float) -> float:
        """The nominal one-sided level of this look in the design that spends `a` over the
        looks (`a` itself for a schedule of one look)."""
        return look_alphas(tuple(self.looks), round(a, 12), self.spending)[self.index - 1]

    def __str__(self) -> str:
        return f"look {self.index} of {len(self.looks)}"


def threshold(look: Look | None, a: float, cells: int = 1) -> float:
    """What a Bonferroni p over `cells` tests (``cells`` x the smallest of their p-values) is
    compared with at local level `a`: `a` without a look; at a look, ``cells`` x the look's
    level of a design spending a / cells (each test its own group-sequential design)."""
    return a if look is None else cells * look.level(a / cells)


@dataclass(frozen=True)
class OrderResult:
    """The outcome of :func:`order_test` (module docstring).

    ``gap`` is mean(better) - mean(worse) in the metric's direction; ``lower_bound`` the Welch
    one-sided lower confidence bound of the gap (at the pair's level); ``p_value`` the p of H0
    gap <= margin (the larger of Welch's and the permutation test's), ``p_reversed`` the p of
    H0 gap >= 0; ``p_welch`` / ``p_permutation`` the two held p-values; ``alpha`` the design's
    level; ``level`` / ``level_reversed`` what ``p_value`` / ``p_reversed`` are compared with
    (alpha without a look: :class:`Look`, :func:`holm`); ``look`` the look judged (None: fixed
    seeds); ``cells`` the Bonferroni counts (held, reversed) of :func:`worst_order_test`."""

    verdict: str
    p_value: float
    gap: float
    lower_bound: float
    n_better: int
    n_worse: int
    test: str
    margin: float = 0.0
    p_reversed: float = math.nan
    p_welch: float = math.nan
    p_permutation: float = math.nan
    alpha: float = ALPHA
    holm_m: int = 1
    level: float = math.nan
    level_reversed: float = math.nan
    look: Look | None = None
    cells: tuple[int, int] = (1, 1)

    def __post_init__(self):
        for name in ("level", "level_reversed"):  # fixed seeds: the design's alpha
            if math.isnan(getattr(self, name)):
                object.__setattr__(self, name, threshold(self.look, self.alpha, self.cells[name != "level"]))

    def _level_text(self, level: float) -> str:
        holm = f", Holm over {self.holm_m} rules" if self.holm_m > 1 else ""
        if self.look is None and level == self.alpha:
            return f"alpha {self.alpha:g}{holm}"
        if self.look is None:  # a fixed rule in Holm's step-down with rules judged at looks
            return f"level {level:.3g} (one-sided; alpha {self.alpha:g}{holm})"
        return (f"level {level:.3g} at {self.look} (one-sided; alpha {self.alpha:g} spent over the "
                f"schedule's looks{holm})")

    def reason(self) -> str:
        """One line: the verdict's evidence and its error rate."""
        where = f"n = {self.n_better} vs {self.n_worse} seeds"
        if math.isnan(self.p_value):
            return f"no test: {where} (>= 2 on each side needed)"
        if self.verdict == HELD:
            return (f"gap {self.gap:.4g} > margin {self.margin:.4g} shown ({where}): Welch lower "
                    f"bound {self.lower_bound:.4g}, p {self.p_value:.3g} <= {self._level_text(self.level)}")
        if self.verdict == REVERSED:
            return (f"the opposite order shown ({where}): gap {self.gap:.4g} < 0, p "
                    f"{self.p_reversed:.3g} <= {self._level_text(self.level_reversed)}")
        parts = "" if math.isnan(self.p_welch) else f" (Welch {self.p_welch:.3g}, permutation {self.p_permutation:.3g})"
        return (f"gap {self.gap:.4g} vs margin {self.margin:.4g} not shown ({where}): Welch lower "
                f"bound {self.lower_bound:.4g}, p {self.p_value:.3g}{parts} > {self._level_text(self.level)}")


def _values(x: Sequence[float], side: str) -> np.ndarray:
    a = np.asarray(x, dtype=float).ravel()
    if not np.isfinite(a).all():
        raise ValueError(f"order_test: the {side} cell has a non-finite value ({a.tolist()}); "
                         f"a diverged run must be handled before its cell is ordered")
    return a


def _mean_difference(x, y, axis):
    return np.mean(x, axis=axis) - np.mean(y, axis=axis)


def _one_sided_p(b: np.ndarray, w: np.ndarray, shift: float) -> tuple:
    """(Welch p, permutation p) of H0: mean(b) - mean(w) <= shift against 'greater'; for 2-D
    `b`, `w` one pair per row (the simulation's batches: scipy applies the same permutations to
    every row, so a row's p is the p of that pair alone)."""
    b = b - shift
    with warnings.catch_warnings():  # a constant side (all seeds 8 modes) is a valid input
        warnings.simplefilter("ignore", RuntimeWarning)
        p_welch = stats.ttest_ind(b, w, equal_var=False, alternative="greater", axis=-1).pvalue
    # no spread at all: Welch's t is undefined; the permutation test still is
    flat = (b.std(axis=-1) == 0) & (w.std(axis=-1) == 0)
    p_welch = np.where(flat, np.where(b.mean(axis=-1) > w.mean(axis=-1), 0.0, 1.0), p_welch)
    p_perm = stats.permutation_test(
        (b, w), _mean_difference, permutation_type="independent", vectorized=True,
        n_resamples=PERMUTATIONS, alternative="greater", axis=-1,
        rng=np.random.default_rng(PERMUTATION_SEED)).pvalue
    if b.ndim == 1:
        return float(p_welch), float(p_perm)
    return p_welch, p_perm


def order_p_values(better: np.ndarray, worse: np.ndarray, margin: float,
                   lower_is_better: bool) -> tuple:
    """(Welch p, permutation p) of H0 gap <= margin and the p of H0 gap >= 0 (the larger of the
    two tests' p-values) of :func:`order_test`; for 2-D inputs one pair per row (the simulations)."""
    b, w = (-better, -worse) if lower_is_better else (better, worse)
    p_welch, p_perm = _one_sided_p(b, w, margin)
    return p_welch, p_perm, np.maximum(*_one_sided_p(w, b, 0.0))


def _welch_lower_bound(b: np.ndarray, w: np.ndarray, alpha: float) -> float:
    """The Welch one-sided (1 - alpha) lower confidence bound of mean(b) - mean(w) (scipy's; with
    no spread on either side, where Welch's t is undefined, the gap itself)."""
    if b.var() == 0 and w.var() == 0:
        return float(b.mean() - w.mean())
    result = stats.ttest_ind(b, w, equal_var=False, alternative="greater")
    return float(result.confidence_interval(1 - alpha).low)


def order_test(better: Sequence[float], worse: Sequence[float], margin: float,
               lower_is_better: bool, alpha: float = ALPHA, look: Look | None = None) -> OrderResult:
    """Is ``better`` ahead of ``worse`` by more than ``margin`` (module docstring)? Per-seed values
    of the two cells; ``margin`` >= 0 in the metric's units; ``lower_is_better`` for FID-like
    metrics; ``look``: the look of a declared schedule judged (None: fixed seeds, level alpha)."""
    if not margin >= 0:
        raise ValueError(f"order_test: margin must be a number >= 0, got {margin}")
    b, w = _values(better, "better"), _values(worse, "worse")
    nb, nw = len(b), len(w)
    gap = float((-1 if lower_is_better else 1) * (b.mean() - w.mean())) if nb and nw else math.nan
    if min(nb, nw) < 2:
        return OrderResult(INCONCLUSIVE, math.nan, gap, math.nan, nb, nw, TEST_NAME, float(margin),
                           alpha=alpha, look=look)
    level = threshold(look, alpha)
    p_welch, p_perm, p_rev = order_p_values(b, w, margin, lower_is_better)
    p_held = max(p_welch, p_perm)
    return OrderResult(_decide(p_held, p_rev, level, level), p_held, gap,
                       _welch_lower_bound(*((-b, -w) if lower_is_better else (b, w)), level), nb, nw,
                       TEST_NAME, float(margin), p_reversed=float(p_rev), p_welch=p_welch,
                       p_permutation=p_perm, alpha=alpha, level=level, level_reversed=level, look=look)


def _decide(p_held: float, p_reversed: float, level: float, level_reversed: float) -> str:
    if p_held <= level:
        return HELD
    if p_reversed <= level_reversed:
        return REVERSED
    return INCONCLUSIVE


def _step_down(ps: Sequence[float], thresholds: Sequence, alpha: float) -> tuple[list[bool], list[float]]:
    """Holm's step-down with a threshold function per hypothesis (``thresholds[i](a)``: what p_i
    is compared with at local level a): while r hypotheses remain, reject every one with
    p_i <= thresholds[i](alpha / r). With thresholds a -> a it is Holm (1979); with a
    group-sequential design per hypothesis it is the Bonferroni-Holm procedure of Maurer & Bretz
    (2013, Stat. Biopharm. Res. 5:311), each design recomputed at its local level, which keeps
    the family-wise error over all looks <= alpha. Returns (rejected, the threshold each p met
    or, if not rejected, the last one it failed)."""
    m = len(ps)
    rejected, faced = [False] * m, [math.nan] * m
    while not all(rejected):
        r = rejected.count(False)
        now = [i for i in range(m) if not rejected[i]]
        for i in now:
            faced[i] = thresholds[i](alpha / r)
        new = [i for i in now if ps[i] <= faced[i]]
        if not new:
            break
        for i in new:
            rejected[i] = True
    return rejected, faced


def holm(results: Sequence[OrderResult], alpha: float = ALPHA) -> list[OrderResult]:
    """The results of one claim's rules re-decided by Holm's step-down at ``alpha`` (held and
    reversed corrected separately; :func:`_step_down`, at a look each rule's group-sequential
    level); untested results (no p) stay as they are and do not count in the family. Without
    looks the p-values become Holm-adjusted ones (statsmodels) compared with alpha; at a look
    they stay each rule's own, compared with the level its step of the procedure gave it."""
    tested = [i for i, r in enumerate(results) if not math.isnan(r.p_value)]
    out = list(results)
    if not tested:
        return out
    rs = [results[i] for i in tested]
    held, lv = _step_down([r.p_value for r in rs], [partial(threshold, r.look, cells=r.cells[0]) for r in rs], alpha)
    rev, lv_rev = _step_down([r.p_reversed for r in rs], [partial(threshold, r.look, cells=r.cells[1]) for r in rs], alpha)
    ph, pr = [r.p_value for r in rs], [r.p_reversed for r in rs]
    if all(r.look is None for r in rs):  # the adjusted p-values: the same decisions, read against alpha
        ph, pr = (multipletests(p, alpha=alpha, method="holm")[1] for p in (ph, pr))
        lv = lv_rev = [alpha] * len(rs)
    for k, i in enumerate(tested):
        verdict = HELD if held[k] else REVERSED if rev[k] else INCONCLUSIVE
        out[i] = replace(results[i], p_value=float(ph[k]), p_reversed=float(pr[k]), verdict=verdict,
                         alpha=alpha, holm_m=len(rs), level=lv[k], level_reversed=lv_rev[k])
    return out


#: What :attr:`OrderResult.test` says for an order between two sides' worst cells.
WORST_TEST_NAME = ("worst cell vs worst cell: Bonferroni over the worse side's cells of an "
                   "intersection-union test over the better side's cells (each pair: " + TEST_NAME + ")")


def _pair(better, worse, margin: float, lower_is_better: bool, alpha: float,
          look: Look | None = None) -> OrderResult:
    """:func:`order_test` where None is a diverged cell (most of its runs diverged): beyond any
    finite cell on the bad side, so a finite cell is shown ahead of it (p 0) and never behind."""
    if better is not None and worse is not None:
        return order_test(better, worse, margin, lower_is_better, alpha, look)
    nb, nw = (0 if x is None else len(x) for x in (better, worse))
    if better is not None:  # finite vs diverged
        return OrderResult(HELD, 0.0, math.inf, math.inf, nb, nw, TEST_NAME, float(margin), 1.0, alpha=alpha, look=look)
    if worse is not None:  # diverged vs finite
        return OrderResult(REVERSED, 1.0, -math.inf, -math.inf, nb, nw, TEST_NAME, float(margin), 0.0, alpha=alpha, look=look)
    return OrderResult(INCONCLUSIVE, 1.0, math.nan, math.nan, nb, nw, TEST_NAME, float(margin), 1.0, alpha=alpha, look=look)


def worst_order_test(better: dict[str, Sequence[float] | None], worse: dict[str, Sequence[float] | None],
                     margin: float, lower_is_better: bool, alpha: float = ALPHA,
                     look: Look | None = None) -> OrderResult:
    """Is the worst cell of ``better`` (e.g. SN-GANs over settings A-F) ahead of the worst cell of
    ``worse`` by more than ``margin`` (SNGAN Sec. 4.1, Figs. 1-2)? Cells by name (per-seed values;
    None: a diverged cell, :func:`_pair`).

    worst(better) + margin beats worst(worse) exactly when some cell t of ``worse`` is beaten by
    every cell s of ``better``. For one t, "every s beats t" is an intersection-union test: shown
    at level alpha when each pair's test rejects at alpha (Berger 1982), p = max over s. Which t
    is the worst is not known beforehand, so the T candidates are Bonferroni-corrected:
    p_value = min over t of min(1, T * max over s of p(s, t)), a level-alpha test of the order of
    the worst cells (the choice of the worst cell from the data is inside the correction).
    ``reversed`` is the same with the sides swapped and margin 0. ``gap`` is worst(better) -
    worst(worse) in the metric's direction; ``lower_bound`` the smallest pairwise Welch lower bound
    (level alpha / T) against the deciding cell t. At a ``look`` of a declared schedule each
    pair is judged at the look's level of a design spending alpha / T (:func:`threshold`)."""
    if not better or not worse:
        raise ValueError("worst_order_test: each side needs at least one cell")
    S, T = len(better), len(worse)
    pairs = {(s, t): _pair(better[s], worse[t], margin, lower_is_better, alpha / T, look)
             for s in better for t in worse}
    if any(math.isnan(r.p_value) for r in pairs.values()):
        n = min(min(r.n_better, r.n_worse) for r in pairs.values())
        return OrderResult(INCONCLUSIVE, math.nan, math.nan, math.nan, n, n, WORST_TEST_NAME, float(margin),
                             alpha=alpha, look=look, cells=(T, S))
    held_by_t = {t: min(1.0, T * max(pairs[s, t].p_value for s in better)) for t in worse}
    rev_by_s = {s: min(1.0, S * max(pairs[s, t].p_reversed for t in worse)) for s in better}
    t_star = min(held_by_t, key=held_by_t.get)
    sign = -1.0 if lower_is_better else 1.0

    def worst(cells):
        return min(-math.inf if v is None else sign * float(np.mean(v)) for v in cells.values())

    p, p_rev = held_by_t[t_star], min(rev_by_s.values())
    level, level_rev = threshold(look, alpha, T), threshold(look, alpha, S)
    return OrderResult(_decide(p, p_rev, level, level_rev), p, worst(better) - worst(worse),
                       min(pairs[s, t_star].lower_bound for s in better),
                       sum(0 if v is None else len(v) for v in better.values()),
                       sum(0 if v is None else len(v) for v in worse.values()),
                       WORST_TEST_NAME, float(margin), p_reversed=p_rev, alpha=alpha, level=level,
                       level_reversed=level_rev, look=look, cells=(T, S))
