"""repro.report.verdict: the rule that judges one cell, on values the tests choose."""
from __future__ import annotations

import math

import pytest

from repro.report.verdict import (BETTER, DIVERGED, HELD, INCONCLUSIVE, STD_FLOOR_REL, VERDICTS, WORSE,
                                  compare, decide, is_degraded, judge, our_interval, seeds_needed)


@pytest.mark.parametrize("values, low, high, direction, expected", [
    ([29.0, 30.0, 28.5], 26.0, 32.0, "lower", HELD),
    ([20.0, 20.5, 19.5], 26.0, 32.0, "lower", BETTER),
    ([40.0, 41.0, 39.0], 26.0, 32.0, "lower", WORSE),
    ([7.4, 7.5, 7.3], 7.0, 7.8, "higher", HELD),
    ([8.5, 8.6, 8.4], 7.0, 7.8, "higher", BETTER),
    ([6.0, 6.1, 5.9], 7.0, 7.8, "higher", WORSE),
    ([0.01, 0.02], 0.2, 0.4, "lower", BETTER),     # kl_uniform: lower is better
    # modes covered: mean 7.67, s 0.58, 90% t half-width 2.920 x 0.577 / √3 = 0.97 -> [6.69, 8.64]
    # straddles [7.5, 8.0] (the overlap rule called this held)
    ([7.0, 8.0, 8.0], 7.5, 8.0, "higher", INCONCLUSIVE),
])
def test_decide_both_directions(values, low, high, direction, expected):
    verdict, _ = decide(values, ref_low=low, ref_high=high, direction=direction)
    assert verdict == expected


def test_decide_is_an_equivalence_test_not_an_overlap():
    # mean 34, std 2, n 3: t_{0.95, 2} = 2.919986 (Student-t table), half-width 2.92 x 2 / √3 = 3.372
    j = judge([32.0, 34.0, 36.0], ref_low=26.4, ref_high=32.2, direction="lower")
    assert (j.low, j.high) == pytest.approx((34 - 3.3717, 34 + 3.3717), abs=1e-3)
    assert j.verdict == INCONCLUSIVE and "30.63–37.37" in j.reason and "26.4–32.2" in j.reason
    # ... the old rule (mean ± std [32, 36] touches [26.4, 32.2]) called it held
    assert compare(34.0, 2.0, 26.4, 32.2, "lower") == HELD
    # seeds needed at mean 34, s 2: distance to the edge 1.8; n = 6 gives t_{.95,5} 2.015 x 2 / √6
    # = 1.645 <= 1.8, n = 5 gives 2.132 x 2 / √5 = 1.907 > 1.8
    assert j.seeds_needed == 6 and "~6 fresh seeds" in j.reason
    # same mean, no spread: s is the 1% floor 0.34; half-width 2.92 x 0.34 / √3 = 0.573: worse
    j = judge([34.0, 34.0, 34.0], ref_low=26.4, ref_high=32.2, direction="lower")
    assert j.verdict == WORSE and (j.low, j.high) == pytest.approx((33.427, 34.573), abs=1e-3)
    assert our_interval(34.0, 0.0) == pytest.approx((34 * (1 - STD_FLOOR_REL), 34 * (1 + STD_FLOOR_REL)))
    # the confidence level is a parameter: at 50% (t_{.75,2} = 0.8165) the same seeds hold
    # [25, 26, 27] inside [22.5, 27.5]: half 0.8165 / √3 = 0.471 at 50%, 2.92 / √3 = 1.686 at 90%
    assert judge([25.0, 26.0, 27.0], ref_low=22.5, ref_high=27.5, direction="lower",
                 confidence=0.5).verdict == HELD
    assert judge([25.0, 26.0, 27.0], ref_low=22.5, ref_high=27.5, direction="lower").verdict == INCONCLUSIVE
    # the example: FID 30 ± 8 over three seeds against 25 ± 2.5 is not held
    assert decide([22.0, 30.0, 38.0], ref_low=22.5, ref_high=27.5, direction="lower")[0] == INCONCLUSIVE
    # a mean exactly on an edge is never decided
    assert seeds_needed(27.5, 1.0, 22.5, 27.5) is None


def test_decide_diverged_and_inconclusive_rules():
    kw = dict(ref_low=26.0, ref_high=32.0, direction="lower")
    assert decide([], n_diverged=3, **kw)[0] == DIVERGED                     # all diverged
    assert decide([29.0], n_diverged=2, **kw)[0] == DIVERGED                 # 2 of 3
    # [29.0, 29.2]: s = the 1% floor 0.292, half 6.314 x 0.292 / √2 = 1.30 -> [27.8, 30.4] inside
    # ... but a diverged run counts (issue 26): not held as if it did not exist
    assert decide([29.0, 29.2], **kw)[0] == HELD
    verdict, reason = decide([29.0, 29.2], n_diverged=1, **kw)               # 1 of 3
    assert verdict == INCONCLUSIVE and "inside" in reason and "1/3 runs failed (1 diverged" in reason
    assert decide([29.0], n_diverged=1, **kw)[0] == INCONCLUSIVE             # 1 of 2: n=1
    assert decide([29.0, 29.2], n_diverged=2, **kw)[0] == INCONCLUSIVE       # 2 of 4: no majority
    assert decide([], n_missing=3, **kw)[0] == INCONCLUSIVE                  # nothing finished
    assert decide([29.0], **kw)[0] == INCONCLUSIVE                           # n < min_seeds
    assert decide([29.0], min_seeds=1, **kw) == (INCONCLUSIVE, "n=1: one seed has no interval")
    assert decide([29.0, float("nan")], **kw)[0] == INCONCLUSIVE             # NaN does not count
    verdict, reason = decide([29.0, 30.0], no_reference="protocol mismatch: x")
    assert verdict == INCONCLUSIVE and reason == "protocol mismatch: x"
    # the vocabulary is exactly what the rule produces: every verdict is reached, none other
    reached = {decide(values, **kw, **extra)[0] for values, extra in (
        ([29.0, 29.2], {}), ([20.0, 20.5, 19.5], {}), ([40.0, 41.0, 39.0], {}),
        ([], {"n_diverged": 3}), ([29.0], {}))}
    assert reached == set(VERDICTS)


def test_degraded_flag():
    assert is_degraded(40.0, 30.0, "fid")         # 40 > 30 x 1.25 + 1 = 38.5
    assert not is_degraded(38.0, 30.0, "fid")
    assert is_degraded(5.0, 7.0, "is_mean")       # 5 x 1.25 = 6.25 < 7
    assert not is_degraded(6.0, 7.0, "is_mean")
    assert is_degraded(4, 8, "modes_covered") and not is_degraded(7, 8, "modes_covered")
    assert not is_degraded(None, 30.0, "fid") and not is_degraded(math.nan, 30.0, "fid")
