"""repro.report.references.prefix_ranges: a short table's ranges read from a longer table's curves."""
from __future__ import annotations

import numpy as np
import pytest
from fake_runs import write_tsv


def test_prefix_ranges_equal_the_short_runs_own_scores(tmp_path):
    """Ranges for a short table from a longer table's curves: the short runs, trained for real,
    score exactly what the long runs' curves say at that update; other configs are refused."""
    import json

    from repro.experiments import row_config
    from repro.report.references import prefix_ranges
    from repro.train import train

    base = {"paper": "smoke", "row": "LSGAN", "column": "ring", "dataset": "mog_ring", "resolution": 0,
            "arch": "mlp", "norm_d": "none", "loss": "least_squares", "ls_coding": "iccv", "setting": "lsgan_mog",
            "update": "simultaneous", "batch_size": 64, "protocol": "mog"}
    short = write_tsv(tmp_path / "short.tsv", [{**base, "run_id": f"s{i}", "paper_table": "short", "seed": i,
                                                "g_updates": 20} for i in range(3)])
    long_rows = [{**base, "run_id": f"l{i}", "paper_table": "long", "seed": i, "g_updates": 40, "eval_every": 10,
                  "eval_protocol": "mog"} for i in range(3)]
    long = write_tsv(tmp_path / "long.tsv", long_rows)
    runs = tmp_path / "runs"
    for tsv, name in ((short, "short"), (long, "long")):
        for i in range(3):
            run_id = f"{name[0]}{i}"
            train(row_config(tsv, run_id), runs / name / run_id, progress=False)
    ranges = prefix_ranges(short, long, runs, ["modes_covered", "top_mode_share"]).set_index("metric")
    for metric in ("modes_covered", "top_mode_share"):
        own = [json.loads((runs / "short" / f"s{i}" / "scores.json").read_text())["final"][metric] for i in range(3)]
        assert ranges.loc[metric, "value"] == pytest.approx(np.mean(own), abs=1e-6)
        assert ranges.loc[metric, "std"] == pytest.approx(np.std(own, ddof=1), abs=1e-6)
    assert set(ranges["g_updates"]) == {20} and set(ranges["kind"]) == {"regression"}
    write_tsv(tmp_path / "other.tsv", [{**r, "lr_d": 0.001} for r in long_rows])
    with pytest.raises(ValueError, match="run l0 of .*other.tsv trains another config"):
        prefix_ranges(short, tmp_path / "other.tsv", runs, ["modes_covered"])
    write_tsv(tmp_path / "other.tsv", [{**r, "eval_every": 15} for r in long_rows])
    with pytest.raises(ValueError, match="is not evaluated at update 20"):
        prefix_ranges(short, tmp_path / "other.tsv", runs, ["modes_covered"])
