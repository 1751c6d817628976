"""repro.report.order_test: hand-counted cases, closed forms, and simulations with known truth."""
from __future__ import annotations

import math

import numpy as np
import pytest
from scipy import stats

from repro.report.order_test import (HELD, INCONCLUSIVE, REVERSED, holm, order_test)


def _rates(draw, nb, nw, margin=0.0, trials=400, seed=1):
    """(held share, reversed share) over `trials` pairs whose true gap is exactly `margin`."""
    rng = np.random.default_rng(seed)
    held = rev = 0
    for _ in range(trials):
        r = order_test(draw(rng, nb) + margin, draw(rng, nw), margin, lower_is_better=False)
        held += r.verdict == HELD
        rev += r.verdict == REVERSED
    return held / trials, rev / trials


def _not_above(k_share: float, trials: int, level: float = 0.05) -> bool:
    """The simulation does not show the rate above `level` (one-sided binomial test at 1 %)."""
    k = round(k_share * trials)
    return stats.binomtest(k, trials, level, alternative="greater").pvalue > 0.01


SCENARIOS = {
    "normal 3 vs 3": (lambda g, n: g.normal(size=n), 3, 3),
    "normal 5 vs 5": (lambda g, n: g.normal(size=n), 5, 5),
    "log-normal 4 vs 6 (skewed, FID-like)": (lambda g, n: g.lognormal(0, 1, size=n), 4, 6),
    "modes of 8, 5 vs 5 (discrete)": (lambda g, n: g.binomial(8, 0.6, size=n).astype(float), 5, 5),
    "unequal spread, 3 vs 6": (lambda g, n: g.normal(scale=3.0 if n == 3 else 1.0, size=n), 3, 6),
}


@pytest.mark.parametrize("name", SCENARIOS)
def test_identical_distributions_hold_an_order_at_most_five_percent_of_the_time(name):
    draw, nb, nw = SCENARIOS[name]
    held, rev = _rates(draw, nb, nw)
    assert _not_above(held, 400), (name, held)
    assert _not_above(rev, 400), (name, rev)  # nor the opposite order


def test_a_gap_equal_to_the_margin_is_held_at_most_five_percent_of_the_time():
    held, rev = _rates(lambda g, n: g.normal(size=n), 5, 5, margin=1.0)
    assert _not_above(held, 400), held
    # the true gap is 1 sd > 0: showing the worse cell ahead needs the sample gap ~2 SE below 0
    # (Welch at 5 vs 5: P ~ 1e-3 per trial)
    assert rev <= 0.01, rev


@pytest.mark.slow
def test_identical_distributions_at_ten_seeds_hold_at_most_five_percent():
    # 600 pairs: a true rate of 9 % is caught (binomial test at 1 %) with probability 0.94, 8 % with 0.75
    held, rev = _rates(lambda g, n: g.normal(size=n), 10, 10, trials=600, seed=7)
    assert _not_above(held, 600) and _not_above(rev, 600), (held, rev)


def test_power_at_a_real_gap_is_high_but_below_welchs_alone():
    # true gap 2 sd, margin 0, 5 vs 5 (252 partitions: exact): Welch's power from the noncentral t (closed form) bounds
    # the combined test from above (held needs Welch to reject too)
    n, delta = 5, 2.0
    df, ncp = 2 * n - 2, delta / math.sqrt(2 / n)
    welch_power = stats.nct.sf(stats.t.ppf(0.95, df), df, ncp)
    rng = np.random.default_rng(3)
    hits = sum(order_test(rng.normal(size=n) + delta, rng.normal(size=n), 0.0, False).verdict == HELD
               for _ in range(300))
    se = math.sqrt(welch_power * (1 - welch_power) / 300)
    assert 0.75 <= hits / 300 <= welch_power + 3 * se, (hits / 300, welch_power)


def test_complete_separation_at_three_seeds_is_held_with_the_exact_permutation_p():
    # 3 vs 3: C(6, 3) = 20 partitions, the observed one the most extreme: p = 1/20
    r = order_test([4.0, 5.0, 6.0], [1.0, 2.0, 3.0], 0.0, lower_is_better=False)
    assert r.verdict == HELD
    assert r.p_permutation == pytest.approx(1 / 20)
    assert r.gap == pytest.approx(3.0)
    assert (r.n_better, r.n_worse) == (3, 3)


def test_the_opposite_order_is_reversed_and_lower_is_better_flips_the_sign():
    fid_good, fid_bad = [20.0, 21.0, 22.0, 20.5], [30.0, 31.0, 29.0, 30.5]
    assert order_test(fid_good, fid_bad, 1.0, lower_is_better=True).verdict == HELD
    r = order_test(fid_bad, fid_good, 1.0, lower_is_better=True)
    assert r.verdict == REVERSED
    assert r.gap == pytest.approx(-(30.125 - 20.875))
    assert "opposite order" in r.reason()


def test_welch_p_and_lower_bound_match_the_closed_form():
    b, w, margin = np.array([6.0, 8, 7, 9, 6]), np.array([4.0, 5, 3, 6]), 1.0
    vb, vw = b.var(ddof=1) / 5, w.var(ddof=1) / 4
    se = math.sqrt(vb + vw)
    df = (vb + vw) ** 2 / (vb ** 2 / 4 + vw ** 2 / 3)
    gap = b.mean() - w.mean()
    r = order_test(b, w, margin, lower_is_better=False)
    assert r.p_welch == pytest.approx(stats.t.sf((gap - margin) / se, df))
    assert r.lower_bound == pytest.approx(gap - stats.t.ppf(0.95, df) * se)
    assert r.p_value == pytest.approx(max(r.p_welch, r.p_permutation))


def test_a_margin_the_gap_does_not_clear_is_not_held():
    r = order_test([6.0, 8, 7, 9, 6], [4.0, 5, 3, 6], 3.0, lower_is_better=False)  # gap 2.7
    assert r.verdict == INCONCLUSIVE
    assert "not shown" in r.reason()


def test_one_seed_on_a_side_is_inconclusive_and_a_non_finite_value_is_refused():
    r = order_test([5.0], [1.0, 2.0], 0.0, lower_is_better=False)
    assert r.verdict == INCONCLUSIVE and math.isnan(r.p_value) and r.gap == pytest.approx(3.5)
    with pytest.raises(ValueError, match="non-finite"):
        order_test([5.0, math.nan], [1.0, 2.0], 0.0, lower_is_better=False)


def test_holm_adjusts_by_hand_and_redecides():
    # p = 0.01, 0.04, 0.03 -> sorted 0.01*3, 0.03*2, 0.04*1 -> 0.03, 0.06, 0.06 (monotone)
    base = order_test([4.0, 5, 6], [1.0, 2, 3], 0.0, lower_is_better=False)
    from dataclasses import replace
    rs = [replace(base, p_value=p, p_reversed=1.0, verdict=HELD) for p in (0.01, 0.04, 0.03)]
    out = holm(rs)
    assert [r.p_value for r in out] == pytest.approx([0.03, 0.06, 0.06])
    assert [r.verdict for r in out] == [HELD, INCONCLUSIVE, INCONCLUSIVE]
    assert all(r.holm_m == 3 for r in out) and "Holm over 3" in out[0].reason()
