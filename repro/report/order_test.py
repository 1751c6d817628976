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
"""
from __future__ import annotations

import math
import warnings
from dataclasses import dataclass, replace
from typing import Sequence

import numpy as np
from scipy import stats
from statsmodels.stats.multitest import multipletests

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
class OrderResult:
    """The outcome of :func:`order_test` (module docstring).

    ``gap`` is mean(better) - mean(worse) in the metric's direction; ``lower_bound`` the Welch
    one-sided (1 - alpha) lower confidence bound of the gap; ``p_value`` the p of H0 gap <= margin
    (the larger of Welch's and the permutation test's), ``p_reversed`` the p of H0 gap >= 0;
    ``p_welch`` / ``p_permutation`` the two held p-values; ``alpha`` the level the verdict used
    (after Holm: the adjusted p-values are compared with it)."""

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

    def reason(self) -> str:
        """One line: the verdict's evidence and its error rate."""
        where = f"n = {self.n_better} vs {self.n_worse} seeds"
        if math.isnan(self.p_value):
            return f"no test: {where} (>= 2 on each side needed)"
        holm = f", Holm over {self.holm_m} rules" if self.holm_m > 1 else ""
        level = f"alpha {self.alpha:g}{holm}"
        if self.verdict == HELD:
            return (f"gap {self.gap:.4g} > margin {self.margin:.4g} shown ({where}): Welch lower "
                    f"bound {self.lower_bound:.4g}, p {self.p_value:.3g} <= {level}")
        if self.verdict == REVERSED:
            return (f"the opposite order shown ({where}): gap {self.gap:.4g} < 0, p "
                    f"{self.p_reversed:.3g} <= {level}")
        parts = "" if math.isnan(self.p_welch) else f" (Welch {self.p_welch:.3g}, permutation {self.p_permutation:.3g})"
        return (f"gap {self.gap:.4g} vs margin {self.margin:.4g} not shown ({where}): Welch lower "
                f"bound {self.lower_bound:.4g}, p {self.p_value:.3g}{parts} > {level}")


def _values(x: Sequence[float], side: str) -> np.ndarray:
    a = np.asarray(x, dtype=float).ravel()
    if not np.isfinite(a).all():
        raise ValueError(f"order_test: the {side} cell has a non-finite value ({a.tolist()}); "
                         f"a diverged run must be handled before its cell is ordered")
    return a


def _mean_difference(x, y, axis):
    return np.mean(x, axis=axis) - np.mean(y, axis=axis)


def _one_sided_p(b: np.ndarray, w: np.ndarray, shift: float) -> tuple[float, float]:
    """(Welch p, permutation p) of H0: mean(b) - mean(w) <= shift against 'greater'."""
    b = b - shift
    if b.std() == 0 and w.std() == 0:
        # no spread at all: Welch's t is undefined; the permutation test still is
        p_welch = 0.0 if b.mean() > w.mean() else 1.0
    else:
        with warnings.catch_warnings():  # one constant side (all seeds 8 modes) is a valid input
            warnings.filterwarnings("ignore", "Precision loss", RuntimeWarning)
            p_welch = float(stats.ttest_ind(b, w, equal_var=False, alternative="greater").pvalue)
    p_perm = float(stats.permutation_test(
        (b, w), _mean_difference, permutation_type="independent", vectorized=True,
        n_resamples=PERMUTATIONS, alternative="greater",
        rng=np.random.default_rng(PERMUTATION_SEED)).pvalue)
    return p_welch, p_perm


def _welch_lower_bound(b: np.ndarray, w: np.ndarray, alpha: float) -> float:
    """The Welch one-sided (1 - alpha) lower confidence bound of mean(b) - mean(w) (scipy's; with
    no spread on either side, where Welch's t is undefined, the gap itself)."""
    if b.var() == 0 and w.var() == 0:
        return float(b.mean() - w.mean())
    result = stats.ttest_ind(b, w, equal_var=False, alternative="greater")
    return float(result.confidence_interval(1 - alpha).low)


def order_test(better: Sequence[float], worse: Sequence[float], margin: float,
               lower_is_better: bool, alpha: float = ALPHA) -> OrderResult:
    """Is ``better`` ahead of ``worse`` by more than ``margin`` (module docstring)? Per-seed values
    of the two cells; ``margin`` >= 0 in the metric's units; ``lower_is_better`` for FID-like
    metrics."""
    if not margin >= 0:
        raise ValueError(f"order_test: margin must be a number >= 0, got {margin}")
    b, w = _values(better, "better"), _values(worse, "worse")
    if lower_is_better:  # turn both so that higher is ahead
        b, w = -b, -w
    nb, nw = len(b), len(w)
    gap = float(b.mean() - w.mean()) if nb and nw else math.nan
    if min(nb, nw) < 2:
        return OrderResult(INCONCLUSIVE, math.nan, gap, math.nan, nb, nw, TEST_NAME, float(margin), alpha=alpha)
    p_welch, p_perm = _one_sided_p(b, w, margin)
    rev_welch, rev_perm = _one_sided_p(w, b, 0.0)
    result = OrderResult(INCONCLUSIVE, max(p_welch, p_perm), gap, _welch_lower_bound(b, w, alpha), nb, nw,
                         TEST_NAME, float(margin), p_reversed=max(rev_welch, rev_perm), p_welch=p_welch,
                         p_permutation=p_perm, alpha=alpha)
    return replace(result, verdict=_decide(result.p_value, result.p_reversed, alpha))


def _decide(p_held: float, p_reversed: float, alpha: float) -> str:
    if p_held <= alpha:
        return HELD
    if p_reversed <= alpha:
        return REVERSED
    return INCONCLUSIVE


def holm(results: Sequence[OrderResult], alpha: float = ALPHA) -> list[OrderResult]:
    """The results of one claim's rules with Holm-adjusted p-values (held and reversed corrected
    separately) and their verdicts re-decided at ``alpha``; untested results (no p) stay as they
    are and do not count in the family."""
    tested = [i for i, r in enumerate(results) if not math.isnan(r.p_value)]
    out = list(results)
    if not tested:
        return out
    m = len(tested)
    held = multipletests([results[i].p_value for i in tested], alpha=alpha, method="holm")[1]
    rev = multipletests([results[i].p_reversed for i in tested], alpha=alpha, method="holm")[1]
    for i, ph, pr in zip(tested, held, rev):
        ph, pr = float(ph), float(pr)
        out[i] = replace(results[i], p_value=ph, p_reversed=pr, verdict=_decide(ph, pr, alpha),
                         alpha=alpha, holm_m=m)
    return out


#: What :attr:`OrderResult.test` says for an order between two sides' worst cells.
WORST_TEST_NAME = ("worst cell vs worst cell: Bonferroni over the worse side's cells of an "
                   "intersection-union test over the better side's cells (each pair: " + TEST_NAME + ")")


def _pair(better, worse, margin: float, lower_is_better: bool, alpha: float) -> OrderResult:
    """:func:`order_test` where None is a diverged cell (most of its runs diverged): beyond any
    finite cell on the bad side, so a finite cell is shown ahead of it (p 0) and never behind."""
    if better is not None and worse is not None:
        return order_test(better, worse, margin, lower_is_better, alpha)
    nb, nw = (0 if x is None else len(x) for x in (better, worse))
    if better is not None:  # finite vs diverged
        return OrderResult(HELD, 0.0, math.inf, math.inf, nb, nw, TEST_NAME, float(margin), 1.0, alpha=alpha)
    if worse is not None:  # diverged vs finite
        return OrderResult(REVERSED, 1.0, -math.inf, -math.inf, nb, nw, TEST_NAME, float(margin), 0.0, alpha=alpha)
    return OrderResult(INCONCLUSIVE, 1.0, math.nan, math.nan, nb, nw, TEST_NAME, float(margin), 1.0, alpha=alpha)


def worst_order_test(better: dict[str, Sequence[float] | None], worse: dict[str, Sequence[float] | None],
                     margin: float, lower_is_better: bool, alpha: float = ALPHA) -> OrderResult:
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
    (level alpha / T) against the deciding cell t."""
    if not better or not worse:
        raise ValueError("worst_order_test: each side needs at least one cell")
    S, T = len(better), len(worse)
    pairs = {(s, t): _pair(better[s], worse[t], margin, lower_is_better, alpha / T)
             for s in better for t in worse}
    if any(math.isnan(r.p_value) for r in pairs.values()):
        n = min(min(r.n_better, r.n_worse) for r in pairs.values())
        return OrderResult(INCONCLUSIVE, math.nan, math.nan, math.nan, n, n, WORST_TEST_NAME, float(margin), alpha=alpha)
    held_by_t = {t: min(1.0, T * max(pairs[s, t].p_value for s in better)) for t in worse}
    rev_by_s = {s: min(1.0, S * max(pairs[s, t].p_reversed for t in worse)) for s in better}
    t_star = min(held_by_t, key=held_by_t.get)
    sign = -1.0 if lower_is_better else 1.0

    def worst(cells):
        return min(-math.inf if v is None else sign * float(np.mean(v)) for v in cells.values())

    p, p_rev = held_by_t[t_star], min(rev_by_s.values())
    return OrderResult(_decide(p, p_rev, alpha), p, worst(better) - worst(worse),
                       min(pairs[s, t_star].lower_bound for s in better),
                       sum(0 if v is None else len(v) for v in better.values()),
                       sum(0 if v is None else len(v) for v in worse.values()),
                       WORST_TEST_NAME, float(margin), p_reversed=p_rev, alpha=alpha)
