"""A table's headline controls the family (issue 26, point 5): the count of held cells beside
the count held under Holm across the table's hard cells; and a re-judged cell is judged at the
look its verdicts row records."""
import math

import pandas as pd
import pytest
from scipy import stats

from repro.report.cells import VERDICT_COLUMNS
from repro.report.rejudge import rejudge
from repro.report.tables import family_p, headline
from repro.report.verdict import HELD, look_confidence, mean_interval

N, S, LO, HI = 10, 2.0, 0.0, 30.0  # far lower edge: the upper one-sided test decides


def _cell(p_target: float, verdict: str = HELD, hard: bool = True, **extra) -> dict:
    """A hard cell whose TOST p-value is `p_target`: mean = HI - t_{1-p, n-1} s / sqrt(n)."""
    mean = HI - stats.t.isf(p_target, N - 1) * S / math.sqrt(N)
    low, high = mean_interval(mean, S, N, 0.90)
    return {"paper_table": "t", "row": f"r{p_target}", "column": "c", "metric": "fid",
            "checkpoint": "final", "n": N, "n_runs": N, "n_completed": N, "n_diverged": 0,
            "n_missing": 0, "mean": mean, "std": S, "ours_low": low, "ours_high": high,
            "ref_low": LO, "ref_high": HI, "ref_hard": hard, "verdict": verdict,
            "confidence": 0.90, "look_confidence": 0.90, "looks": "", "n_collapsed": 0, **extra}


def test_family_p_recovers_the_cells_tost_p_value():
    assert family_p(pd.Series(_cell(0.012))) == pytest.approx(0.012, rel=1e-6)
    # a cell of a two-look schedule: Bonferroni over its looks
    two = _cell(0.012, looks="3;10", look_confidence=0.90)
    assert family_p(pd.Series(two)) == pytest.approx(0.024, rel=1e-6)
    assert family_p(pd.Series(_cell(0.012, n_diverged=1))) == 1.0


def test_headline_counts_held_cells_and_holm_across_them():
    # three held hard cells with p = 0.001, 0.03, 0.04; Holm by hand: 0.001 <= 0.05/3 rejects,
    # 0.03 > 0.05/2 stops -> 1 of 3; one soft cell does not count
    v = pd.DataFrame([_cell(0.001), _cell(0.03), _cell(0.04), _cell(0.2, verdict="inconclusive"),
                      _cell(0.001, hard=False)])
    text = headline(v)
    assert text.startswith("3 of 4 hard cells held, each at its own level")
    assert "up to 0.2 false helds expected" in text          # 0.05 x 4
    assert "1 of 4 held under Holm across the 4 (family-wise error <= 0.05)" in text
    assert headline(v[~v["ref_hard"]]).startswith("No hard-referenced cell")


def test_rejudge_judges_a_cell_at_the_look_its_row_records():
    # p = 0.04: held as a fixed-seed cell; as look 2 of the recorded schedule 3 -> 10 its level is
    # alpha_2 (0.032, Pocock spending) < 0.04, so it is no longer held
    alpha2 = (1 - look_confidence((3, 10), 2)) / 2
    assert 0.04 > alpha2
    cell = {**_cell(0.04), "seeds_cap": 10, "reason": "as published"}
    rows = [cell, {**cell, "row": "adaptive", "looks": "3;10"}]
    fixed, adaptive = rejudge(pd.DataFrame(rows, columns=list(VERDICT_COLUMNS))).to_dict("records")
    assert fixed["verdict"] == HELD and fixed["n_collapsed"] == 0
    assert adaptive["verdict"] == "inconclusive" and "look 2 of 2" in adaptive["reason"]
    assert adaptive["look_confidence"] == pytest.approx(1 - 2 * alpha2)
