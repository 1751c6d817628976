"""Order rules in adaptive seed rounds: judged at the group-sequential level of their look, so the
rounds that grow an open rule's cells do not inflate its 5 % (repro.report.order_test.Look,
repro.report.check.rule_look, repro.seeds.open_cells; the simulation: repro.report.simulate)."""
from __future__ import annotations

import json
import math
from dataclasses import replace
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from repro.report import simulate as sim
from repro.report.check import load_order_rules, order_rule_lines, order_tests, read_verdicts
from repro.report.order_test import HELD, INCONCLUSIVE, Look, holm, order_test
from repro.report.verdict import look_confidence
from repro.seeds import open_cells

RESULTS = Path(__file__).resolve().parents[2] / "results"
RULE = {"paper_table": "smoke_mog", "metric": "modes_covered", "checkpoint": "final", "margin": 0.0,
        "better": {"row": "LSGAN", "column": "ring"}, "worse": {"row": "regular GAN", "column": "ring"},
        "claim": "results/lsgan_mog", "source": "test", "why": "test"}
#: smoke_mog's declared schedule {start 3, step 7, cap 10} (config/config.yaml) and one seed at a time.
SMOKE_LOOKS, ONE_BY_ONE = (3, 10), tuple(range(3, 11))


def _frame(gap, n=10, looks="3;10", n_runs=(None, None)):
    """LSGAN ahead of regular GAN by `gap` (same spread: evenly spaced values, sd 1)."""
    z = np.linspace(-1.0, 1.0, n)
    z = (z - z.mean()) / z.std(ddof=1)
    return pd.DataFrame({"paper_table": "smoke_mog", "row": ["LSGAN", "regular GAN"], "column": "ring",
                         "metric": "modes_covered", "checkpoint": "final", "mean": [gap, 0.0], "std": 1.0,
                         "n": n, "n_runs": [r or n for r in n_runs], "seeds_cap": 10, "verdict": "inconclusive",
                         "ref_hard": False, "values": [json.dumps(list(gap + z)), json.dumps(list(z))],
                         "looks": looks, "spending": "pocock"})


def test_a_looks_level_is_the_level_the_cells_use_at_that_look():
    # the cells' interval at look k is 1 - 2 alpha_k (95.8 % and 93.6 % for 3 -> 10: docs/verdicts.md)
    for k, conf in ((1, 0.958), (2, 0.936)):
        level = Look(SMOKE_LOOKS, k).level(0.05)
        assert level == pytest.approx((1 - look_confidence(SMOKE_LOOKS, k, 0.90)) / 2, abs=1e-12)
        assert 1 - 2 * level == pytest.approx(conf, abs=0.0005)
    # one look is no design: alpha itself
    assert Look((10,), 1).level(0.05) == 0.05


def test_an_order_rule_at_a_look_is_judged_at_that_looks_level():
    # p 0.045 at 10 vs 10: held with fixed seeds (alpha 0.05), not at look 2 of 3 -> 10 (0.032)
    [fixed] = order_tests(_frame(0.8, looks=""), [RULE]).to_dict("records")
    [look] = order_tests(_frame(0.8), [RULE]).to_dict("records")
    assert 0.0322 < fixed["p"] == look["p"] <= 0.05
    assert fixed["verdict"] == HELD and fixed["level"] == pytest.approx(0.05) and fixed["look"] == ""
    assert look["verdict"] == INCONCLUSIVE and look["look"] == "look 2 of 2"
    assert look["level"] == pytest.approx(0.0322, abs=0.0005)
    assert "> level 0.0322 at look 2 of 2 (one-sided; alpha 0.05 spent" in look["reason"]
    # a wider gap (p 0.031) is held at that level, and the reason states it
    [wide] = order_tests(_frame(0.9), [RULE]).to_dict("records")
    assert wide["verdict"] == HELD and "<= level 0.0322 at look 2 of 2" in wide["reason"], wide["reason"]


def test_sides_at_different_counts_are_not_judged_and_the_side_behind_grows():
    v = _frame(3.0, n_runs=(10, 3))
    [t] = order_tests(v, [RULE]).to_dict("records")
    assert t["verdict"] == INCONCLUSIVE and "different seed counts (LSGAN / ring: 10, regular GAN / ring: 3)" in t["reason"]
    assert open_cells(v, [RULE]) == {("regular GAN", "ring")}
    # a count that is no look of the schedule is not judged either (seeds added by hand)
    [t] = order_tests(_frame(3.0, n=7, looks="3;10"), [RULE]).to_dict("records")
    assert t["verdict"] == INCONCLUSIVE and "7 runs is not a look of the declared schedule 3, 10" in t["reason"]
    # at the same look both sides of an open rule grow together
    assert open_cells(_frame(0.0), [RULE]) == {("LSGAN", "ring"), ("regular GAN", "ring")}


def test_holm_at_a_look_recomputes_each_rules_design_at_its_local_level():
    # two rules at the last of 8 looks (3, 4, ..., 10): Holm's first step tests the smaller p at
    # the level of a design spending alpha / 2 (0.0052), not at half the look's level (0.0064)
    look = Look(ONE_BY_ONE, 8)
    base = order_test([4.0, 5, 6], [1.0, 2, 3], 0.0, lower_is_better=False, look=look)
    rs = [replace(base, p_value=p, p_reversed=1.0) for p in (0.006, 0.2)]
    out = holm(rs)
    assert look.level(0.025) == pytest.approx(0.00518, abs=0.0002)
    assert look.level(0.025) < 0.006 < look.level(0.05) / 2
    assert [r.verdict for r in out] == [INCONCLUSIVE, INCONCLUSIVE]
    assert out[0].level == pytest.approx(look.level(0.025)) and out[0].p_value == 0.006  # its own p
    # one rule at p 0.005 passes step 1, then the other faces the design at the full alpha
    out = holm([replace(base, p_value=p, p_reversed=1.0) for p in (0.005, 0.012)])
    assert [r.verdict for r in out] == [HELD, HELD]
    assert out[1].level == pytest.approx(look.level(0.05)) and "Holm over 2 rules" in out[1].reason()
    # a fixed rule in the same claim faces plain Holm (alpha / 2 at the first step)
    fixed = order_test([4.0, 5, 6], [1.0, 2, 3], 0.0, lower_is_better=False)
    out = holm([replace(fixed, p_value=0.02, p_reversed=1.0), replace(base, p_value=0.2, p_reversed=1.0)])
    assert [r.verdict for r in out] == [HELD, INCONCLUSIVE] and out[0].level == pytest.approx(0.025)
    assert "p 0.02 <= level 0.025 (one-sided; alpha 0.05, Holm over 2 rules)" in out[0].reason()


def test_a_fixed_tables_order_verdicts_are_the_published_ones():
    # results/lsgan_mog is a fixed table (no schedule): its rule's line is what `repro check`
    # printed before order rules knew of looks (results/lsgan_mog/check.txt)
    v = read_verdicts(RESULTS / "lsgan_mog" / "lsgan_mog.verdicts.csv")
    published = [l for l in (RESULTS / "lsgan_mog" / "check.txt").read_text().splitlines()
                 if l.startswith("order rule")]
    assert published and order_rule_lines(v, load_order_rules()) == published


def test_the_scenario_runs_the_real_order_test_at_each_look():
    # the batched p-values of the simulation are order_test's, row by row
    looks, ps = sim._round_p_values(3, 7, 10, 0.5, 12, np.random.default_rng(4))
    rng = np.random.default_rng(4)
    a = sim.draw("normal", 0.5 * sim.SEED_SD, sim.SEED_SD, 10, 12, rng)
    b = sim.draw("normal", 0.0, sim.SEED_SD, 10, 12, rng)
    held, _ = sim._round_verdicts(looks, ps, after=True)
    for i in range(12):
        verdicts = [order_test(a[i, :n], b[i, :n], 0.0, False, look=Look(looks, k)) for k, n in enumerate(looks, 1)]
        first = next((r for r in verdicts if r.verdict != INCONCLUSIVE), verdicts[-1])
        assert (first.verdict == HELD) == held[i]
        assert verdicts[-1].p_value == pytest.approx(max(ps[-1][0][i], ps[-1][1][i]), abs=0)


@pytest.mark.slow
def test_rounds_one_seed_at_a_time_keep_an_order_rules_five_percent():
    # identical normal cells grown 3 -> 10 one seed at a time while the rule is inconclusive:
    # before, the order test at 0.05 at every look (measured 0.14 at 200 pairs); after, <= 0.05
    r = sim.order_rounds(3, 1, 10, 0.0, 2000, seed=21)
    se = math.sqrt(0.05 * 0.95 / 2000)
    assert r["after"]["held"] <= 0.05 + 3 * se and r["after"]["reversed"] <= 0.05 + 3 * se, r
    assert r["before"]["held"] > 0.05 + 3 * se, r
    # power at a 1.5-sd gap stays high
    assert sim.order_rounds(3, 1, 10, sim.ORDER_GAP_SD, 500, seed=22)["after"]["held"] > 0.75


def test_a_worst_of_rule_at_a_look_tests_each_pair_at_the_design_of_alpha_over_its_cells():
    # worst of two settings against worst of two: Bonferroni over the worse side's 2 cells, each
    # pair at the look's level of a design spending alpha / 2; in Bonferroni units 2 x that level
    from repro.report.order_test import worst_order_test

    look = Look(SMOKE_LOOKS, 2)
    z = np.linspace(-1.0, 1.0, 10)
    better = {"A": list(z), "B": list(z + 0.2)}
    worse = {"E": list(z + 1.2), "F": list(z + 1.0)}  # lower is better: FID-like
    r = worst_order_test(better, worse, 0.0, lower_is_better=True, look=look)
    assert r.level == pytest.approx(2 * look.level(0.025)) and r.cells == (2, 2)
    # some worse cell t beaten by every better cell s: p = min over t of 2 x max over s
    q = min(max(order_test(better[s], worse[t], 0.0, True, look=look).p_value for s in better) for t in worse)
    assert r.p_value == pytest.approx(2 * q)
    assert q <= look.level(0.025) and r.verdict == HELD
    assert "at look 2 of 2" in r.reason()
