"""Smoke ranges pooled from calibration seeds made on several CPUs (repro derive-ranges --pool)."""
import numpy as np
import pandas as pd
import pytest

from repro.errors import UserError
from repro.report.references import pool, pooled_ranges


def test_pool_equals_the_statistics_of_the_concatenated_samples():
    rng = np.random.default_rng(0)
    a, b, c = rng.normal(2, 1, 7), rng.normal(3.5, 2, 10), rng.exponential(0.01, 4)
    for groups in ((a, b), (a, b, c), (b,)):
        n, mean, sd = pool((len(g), g.mean(), g.std(ddof=1)) for g in groups)
        allv = np.concatenate(groups)
        assert n == len(allv)
        assert mean == pytest.approx(allv.mean(), rel=1e-12)
        assert sd == pytest.approx(allv.std(ddof=1), rel=1e-12)


def _verdicts(path, n, mean, std, g_updates=4000, protocol="mog"):
    path.parent.mkdir(parents=True, exist_ok=True)
    pd.DataFrame([{"paper": "smoke", "paper_table": path.parent.name, "row": "LSGAN", "column": "ring",
                   "metric": "modes_covered", "checkpoint": "final", "n": n, "mean": mean, "std": std,
                   "g_updates": g_updates, "protocol_name": protocol}]).to_csv(path, index=False)
    return path


def _short(tmp_path):
    row = {"run_id": "s0", "paper": "smoke", "paper_table": "short", "row": "LSGAN", "column": "ring",
           "dataset": "mog_ring", "resolution": 0, "arch": "mlp", "norm_d": "none", "loss": "least_squares",
           "ls_coding": "iccv", "setting": "lsgan_mog", "update": "simultaneous", "g_updates": 4000,
           "seed": 0, "protocol": "mog"}
    tsv = tmp_path / "short.tsv"
    tsv.write_text("\t".join(row) + "\n" + "\t".join(str(v) for v in row.values()) + "\n")
    return tsv


def test_pooled_ranges_pool_the_groups_and_name_them(tmp_path):
    one = _verdicts(tmp_path / "cal_a" / "v.csv", 10, 5.1, 1.37)   # a hand count: 20 runs in all
    two = _verdicts(tmp_path / "cal_b" / "v.csv", 10, 5.9, 1.10)
    row = pooled_ranges(_short(tmp_path), [one, two], ["modes_covered"]).iloc[0]
    # mean (51 + 59) / 20; SS = 9*1.37^2 + 9*1.10^2 + 10*0.4^2 + 10*0.4^2
    assert row["value"] == pytest.approx(5.5)
    assert row["std"] == pytest.approx(np.sqrt((9 * 1.37**2 + 9 * 1.10**2 + 3.2) / 19), abs=1e-6)
    assert row["g_updates"] == 4000 and row["kind"] == "regression" and row["direction"] == "higher"
    assert "10 runs of cal_a; 10 runs of cal_b" in row["tolerance_note"]


def test_pooled_ranges_refuse_a_group_of_another_length_or_a_missing_file(tmp_path):
    short = _short(tmp_path)
    other = _verdicts(tmp_path / "cal_c" / "v.csv", 10, 5.0, 1.0, g_updates=2000)
    with pytest.raises(UserError, match="trained 2000 updates under 'mog', not 4000"):
        pooled_ranges(short, [other], ["modes_covered"])
    with pytest.raises(UserError, match="no such verdicts file"):
        pooled_ranges(short, [tmp_path / "nope.csv"], ["modes_covered"])
