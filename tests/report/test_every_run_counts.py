"""Every run counts (issue 26, points 3 and 4): diverged minorities and mixed (bimodal) cells
are never held as if their failed runs did not exist, and the reason says so."""
import pytest

from repro.report.cells import cell_verdicts
from repro.report.verdict import (BETTER, HELD, INCONCLUSIVE, WORSE, collapsed_runs, failure_bound,
                                  judge)

RANGE = dict(ref_low=22.5, ref_high=27.5, direction="lower")  # FID 25 ± 10 %


def test_failure_bound_is_clopper_pearson():
    # 0 failures of n: the bound solves (1 - p)^n = 0.05, p = 1 - 0.05^(1/n)
    assert failure_bound(0, 3) == pytest.approx(1 - 0.05 ** (1 / 3))      # 0.632
    assert failure_bound(0, 10) == pytest.approx(1 - 0.05 ** (1 / 10))    # 0.259
    # 1 of 4: P(X <= 1 | p) = 0.05 solved by hand: (1-p)^4 + 4p(1-p)^3 = 0.05 at p = 0.7514
    p = failure_bound(1, 4)
    assert (1 - p) ** 4 + 4 * p * (1 - p) ** 3 == pytest.approx(0.05, abs=1e-9)
    assert failure_bound(3, 3) == 1.0


def test_a_diverged_minority_blocks_held_and_is_counted_in_the_reason():
    good = [25.0, 25.4, 24.7, 25.2]
    assert judge(good, **RANGE).verdict == HELD
    j = judge(good, n_diverged=2, **RANGE)  # 2 of 6 diverged: no majority, still no held
    assert j.verdict == INCONCLUSIVE and j.n_failed == 2
    assert "2/6 runs failed (2 diverged, 0 collapsed" in j.reason and "inside the range" in j.reason
    assert "need every run to train" in j.reason
    # worse stays worse: a failed run cannot make a cell look better
    assert judge([40.0, 41.0, 39.5], n_diverged=1, **RANGE).verdict == WORSE
    # better is a claim too: blocked like held
    assert judge([15.0, 15.2, 14.9], **RANGE).verdict == BETTER
    assert judge([15.0, 15.2, 14.9], n_diverged=1, **RANGE).verdict == INCONCLUSIVE


def test_a_mixed_cell_with_a_collapsed_seed_is_not_held():
    # the bimodal cell of the MoG/digits runs: typical runs near 25, one collapsed at 61
    values = [25.0, 25.3, 24.8, 24.9, 25.1, 61.0]
    assert collapsed_runs(values, 22.5, 27.5, "lower") == 1   # 61 > 27.5 + 5 (one range width)
    assert collapsed_runs([25.0, 32.4], 22.5, 27.5, "lower") == 0
    assert collapsed_runs([1.0, 20.0], 22.5, 27.5, "higher") == 1  # higher is better: below 22.5 - 5
    j = judge(values, **RANGE)
    assert j.verdict == INCONCLUSIVE and j.n_failed == 1
    assert "1/6 runs failed (0 diverged, 1 collapsed beyond the range)" in j.reason


def test_held_states_the_bound_on_the_failure_share():
    j = judge([25.0, 25.4, 24.7], **RANGE)
    assert j.verdict == HELD and "no run of 3 failed (failure share <= 63% at 95%)" in j.reason
    assert j.failure_bound == pytest.approx(0.632, abs=1e-3)


REFERENCES = """\
paper,paper_table,row,column,metric,checkpoint,value,std,direction,protocol,g_updates,tolerance,kind,verified,hard,source
SNGAN,table2,SN-GANs,CIFAR-10,fid,final,29.3,,lower,sngan,100000,10%,paper,true,true,fixture
"""


def test_cell_verdicts_record_the_collapsed_runs(tmp_path):
    # range 29.3 ± 2.93 = [26.37, 32.23]; a run above 32.23 + 5.86 = 38.09 collapsed
    from fake_runs import run_row, score, write_run, write_tsv

    from repro.report import collect, load_references

    runs, rows = tmp_path / "runs", []
    for s, fid in enumerate([29.0, 29.5, 61.0]):
        rid = f"sn-c10-s{s}"
        rows.append(run_row(rid, "SN-GANs", "CIFAR-10", s))
        write_run(runs, "sngan_t2", rid, seed=s, final=score(fid=fid, is_mean=7.4, is_std=0.1))
    tsv = write_tsv(tmp_path / "sngan_t2.tsv", rows)
    (tmp_path / "refs.csv").write_text(REFERENCES)
    v = cell_verdicts(collect(tsv, runs), load_references(tmp_path / "refs.csv"), ["fid"]).iloc[0]
    assert v["n_collapsed"] == 1 and v["verdict"] == INCONCLUSIVE
    assert "1/3 runs failed (0 diverged, 1 collapsed" in v["reason"]
    assert v["failure_bound"] == pytest.approx(failure_bound(1, 3))
