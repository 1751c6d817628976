"""repro.report.curves: training curves collected and plotted."""
from __future__ import annotations

import numpy as np
import pytest

from repro.metrics.protocol import get_protocol
from repro.report import cell_verdicts, collect, collect_curves, plot_curves
from repro.report.verdict import INCONCLUSIVE

from fake_runs import MOG, run_row, score, write_run, write_tsv


def test_curves_png_and_pdf(table, tmp_path):
    tsv, runs = table
    c = collect_curves(tsv, runs)
    assert set(c["run_id"]) == {"sn-c10-s0", "sn-c10-s1", "sn-c10-s2", "wgp-c10-s0", "wgp-c10-s1"}
    paths = plot_curves(c, tmp_path / "fig" / "curves")
    png, pdf = (p.read_bytes() for p in paths)
    assert png[:8] == b"\x89PNG\r\n\x1a\n" and pdf[:5] == b"%PDF-"


def test_mog_curves_and_verdicts(tmp_path):
    runs = tmp_path / "runs"
    rows = []
    for loss in ("least_squares", "standard"):
        for s in range(2):
            rid = f"{loss}-{s}"
            rows.append({**run_row(rid, "LSGAN" if loss == "least_squares" else "Regular GAN",
                                   "ring", s), "paper": "LSGAN", "paper_table": "mog", "protocol": "mog"})
            write_run(runs, "mog", rid, seed=s,
                      final=score(MOG, modes_covered=8 - s, hq_fraction=0.9, kl_uniform=0.05),
                      curve={"step": [5000, 10000], "modes_covered": [5, 8 - s], "hq_fraction": [0.5, 0.9],
                             "protocol_key": [get_protocol("curve-mog").key()] * 2})
    tsv = write_tsv(tmp_path / "mog.tsv", rows)
    df = collect(tsv, runs)
    v = cell_verdicts(df, None)
    assert set(v["metric"]) == {"modes_covered", "hq_fraction", "kl_uniform"}
    assert set(v["verdict"]) == {INCONCLUSIVE}  # no references
    mc = v[(v["row"] == "LSGAN") & (v["metric"] == "modes_covered")].iloc[0]
    assert mc["mean"] == 7.5 and mc["std"] == pytest.approx(np.std([8, 7], ddof=1))
    paths = plot_curves(collect_curves(tsv, runs), tmp_path / "mog_curves")
    assert paths[0].read_bytes()[:8] == b"\x89PNG\r\n\x1a\n" and paths[1].read_bytes()[:5] == b"%PDF-"
