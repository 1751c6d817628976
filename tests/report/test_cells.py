"""repro.report.cells: a table's cells, their statistics and verdicts, on fake runs."""
from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from repro.metrics.protocol import get_protocol
from repro.report import cell_verdicts, collect
from repro.report.check import check
from repro.report.verdict import DIVERGED, HELD, INCONCLUSIVE, WORSE, judge

from fake_runs import SN_FIDS, SN_IS, SNGAN, run_row, score, write_run, write_tsv


def test_cell_mean_and_std_equal_numpy(table, refs):
    tsv, runs = table
    v = cell_verdicts(collect(tsv, runs), refs, ["fid", "is_mean"])
    sn = v[(v["row"] == "SN-GANs")].set_index("metric")
    assert sn.loc["fid", "n"] == 3
    assert sn.loc["fid", "mean"] == pytest.approx(np.mean(SN_FIDS))
    assert sn.loc["fid", "std"] == pytest.approx(np.std(SN_FIDS, ddof=1))
    assert sn.loc["is_mean", "mean"] == pytest.approx(np.mean(SN_IS))
    assert sn.loc["is_mean", "std"] == pytest.approx(np.std(SN_IS, ddof=1))
    # the paper's SN-GANs CIFAR-10: FID 29.3 (±10%), IS 7.42 (±5%)
    assert sn.loc["fid", "ref_value"] == 29.3 and sn.loc["fid", "verdict"] == HELD
    assert sn.loc["is_mean", "ref_value"] == 7.42 and sn.loc["is_mean", "verdict"] == HELD
    assert sn.loc["fid", "ref_low"] == pytest.approx(29.3 * 0.9)


def test_cell_verdicts_diverged_missing_and_degraded(table, refs):
    tsv, runs = table
    v = cell_verdicts(collect(tsv, runs), refs, ["fid"]).set_index("row")
    assert v.loc["WGAN-GP", "verdict"] == DIVERGED
    assert (v.loc["WGAN-GP", "n_diverged"], v.loc["WGAN-GP", "n_runs"]) == (2, 3)
    wc = v.loc["Weight clipping"]
    assert wc["verdict"] == INCONCLUSIVE and wc["n"] == 1 and wc["n_missing"] == 2
    assert "min_seeds" in wc["reason"]
    ln = v.loc["Layer Norm."]
    assert ln["degraded"] == 1  # 45 > 33 x 1.25 + 1 = 42.25; 34 is not
    assert v.loc["SN-GANs", "degraded"] == 0


def test_best_checkpoint_is_judged_against_best_references(table, refs):
    tsv, runs = table
    v = cell_verdicts(collect(tsv, runs), refs, ["fid"], checkpoints=["final", "best"])
    best = v[(v["row"] == "SN-GANs") & (v["checkpoint"] == "best")].iloc[0]
    assert best["mean"] == pytest.approx(np.mean(SN_FIDS) - 0.5)
    assert best["verdict"] == INCONCLUSIVE and "no reference" in best["reason"]  # SNGAN refs are final


def test_protocol_and_budget_mismatch_are_inconclusive(tmp_path, refs):
    runs = tmp_path / "runs"
    rows = []
    other = get_protocol("50k-train")
    for s in range(2):
        rows.append(run_row(f"a{s}", "SN-GANs", "CIFAR-10", s))
        write_run(runs, "t", f"a{s}", seed=s, final=score(other, fid=29.0 + s))
        rows.append(run_row(f"b{s}", "Orthonormal", "CIFAR-10", s, g_updates=1000))
        write_run(runs, "t", f"b{s}", seed=s, final=score(fid=29.0 + s))
    v = cell_verdicts(collect(write_tsv(tmp_path / "t.tsv", rows), runs), refs, ["fid"]).set_index("row")
    assert v.loc["SN-GANs", "verdict"] == INCONCLUSIVE
    assert "protocol mismatch" in v.loc["SN-GANs", "reason"]
    assert v.loc["SN-GANs", "ref_value"] == 29.3  # still shown
    assert v.loc["Orthonormal", "verdict"] == INCONCLUSIVE
    assert "budget mismatch" in v.loc["Orthonormal", "reason"]
    from repro.report.check import undecided  # never compared: more seeds would not decide them

    assert not undecided(v.loc["SN-GANs"]) and not undecided(v.loc["Orthonormal"])


def test_unverified_reference_is_never_a_bound(tmp_path, refs):
    runs = tmp_path / "runs"
    prot = SNGAN.replace(name="sagan-imagenet128-50k")  # stand-in carrying the reference's name
    rows = []
    for s in range(3):
        rows.append({**run_row(f"f{s}", "SAGAN", "feat16", s), "paper": "SAGAN", "paper_table": "table1"})
        write_run(runs, "t", f"f{s}", seed=s, final=score(prot, fid=80.0 + s))
        rows.append({**run_row(f"e{s}", "SAGAN", "feat8", s), "paper": "SAGAN", "paper_table": "table1"})
        write_run(runs, "t", f"e{s}", seed=s, final=score(prot, fid=80.0 + s))
    v = cell_verdicts(collect(write_tsv(tmp_path / "t.tsv", rows), runs), refs, ["fid"]).set_index("column")
    assert v.loc["feat16", "verdict"] == INCONCLUSIVE and "unverified" in v.loc["feat16", "reason"]
    assert not v.loc["feat16", "ref_hard"]
    assert v.loc["feat8", "verdict"] == WORSE and v.loc["feat8", "ref_hard"]  # 22.98 is verified
    failures = check(v.reset_index())
    assert len(failures) == 1 and "feat8" in failures[0]


def test_is_evaluation_noise_is_a_floor_of_the_seed_spread():
    from repro.report.cells import eval_noise

    runs = pd.DataFrame({"final_is_std": [1.5, 1.4, 1.5]})
    # the sngan protocol scores IS in 10 splits: the mean over splits has se = std / √10
    assert eval_noise(runs, "is_mean", "final", "sngan") == pytest.approx(1.5 / np.sqrt(10))
    assert eval_noise(runs, "fid", "final", "sngan") is None
    values, kw = [7.40, 7.40, 7.41], dict(ref_low=7.42 * 0.95, ref_high=7.42 * 1.05, direction="higher")
    # seeds agree to 0.006, but one score's noise is 0.474: half-width 2.92 x 0.474 / √3 = 0.80
    noisy = judge(values, eval_std=1.5 / np.sqrt(10), **kw)
    assert noisy.verdict == INCONCLUSIVE and noisy.high - noisy.low == pytest.approx(2 * 0.7993, abs=1e-3)
    # a small split std (0.032) stays below the 1 % floor (0.074): half-width 2.92 x 0.074 / √3 = 0.125
    quiet = judge(values, eval_std=0.1 / np.sqrt(10), **kw)
    assert quiet.verdict == HELD and quiet.high - quiet.low == pytest.approx(2 * 0.12476, abs=1e-3)
