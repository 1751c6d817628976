"""repro.report.tables: the paper-style tables and report files."""
from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from repro.report import cell_verdicts, collect, paper_table, provenance, write_report, write_table
from repro.report.verdict import DIVERGED, HELD, VERDICTS

from fake_runs import SN_FIDS, SNGAN


def test_paper_table_layout_and_files(table, refs, tmp_path):
    tsv, runs = table
    df = collect(tsv, runs)
    t = paper_table(df, refs, "fid")
    assert list(t.index) == ["SN-GANs", "WGAN-GP", "Weight clipping", "Layer Norm."]
    assert list(t.columns) == [("CIFAR-10", "ours"), ("CIFAR-10", "paper"), ("CIFAR-10", "verdict")]
    sn = t.loc["SN-GANs"]
    mean, std = np.mean(SN_FIDS), np.std(SN_FIDS, ddof=1)
    half = 2.919986 * std / np.sqrt(3)  # t_{0.95, 2}: the 90% interval
    assert sn[("CIFAR-10", "ours")] == f"{mean:.2f} ± {std:.2f} [{mean - half:.2f}, {mean + half:.2f}] (n=3)"
    assert sn[("CIFAR-10", "paper")] == "29.3" and sn[("CIFAR-10", "verdict")] == HELD
    assert t.loc["WGAN-GP", ("CIFAR-10", "ours")] == "diverged (2/3)"
    assert "2 missing" in t.loc["Weight clipping", ("CIFAR-10", "ours")]
    assert "1 degraded" in t.loc["Layer Norm.", ("CIFAR-10", "ours")]

    two = paper_table(df, refs, ["is_mean", "fid"])
    assert two.columns.nlevels == 3 and ("CIFAR-10", "IS", "ours") in two.columns

    v = cell_verdicts(df, refs, ["is_mean", "fid"])
    paths = write_table(two, tmp_path / "out" / "t2", verdicts=v, provenance=provenance(df))
    csv = pd.read_csv(paths["csv"], index_col=0, dtype=str, keep_default_na=False)
    assert list(csv.index) == list(t.index)
    assert csv.loc["SN-GANs", "CIFAR-10 FID paper"] == "29.3"
    assert csv.loc["WGAN-GP", "CIFAR-10 FID verdict"] == DIVERGED
    md = paths["md"].read_text()
    positions = [md.index(r) for r in ["SN-GANs", "WGAN-GP", "Weight clipping", "Layer Norm."]]
    assert positions == sorted(positions)
    # one table cell per paper cell, a row per metric: "mean ± sd (paper) mark" (the CSV keeps the rest)
    mean, std = np.mean(SN_FIDS), np.std(SN_FIDS, ddof=1)
    sn_fid = next(line for line in md.splitlines() if line.startswith("| SN-GANs FID "))
    assert sn_fid.split("|")[2].strip() == f"{mean:.2f} ± {std:.2f} (29.3) ✓"
    assert "| WGAN-GP FID " in md and "diverged (2/3) (" in md and "2 missing" in md
    assert "CIFAR-10 FID ours" not in md and "✓ held" in md  # the legend
    tex = paths["tex"].read_text()
    assert r"\begin{tabular}" in tex and r"\multicolumn" in tex and "SN-GANs" in tex
    ver = pd.read_csv(paths["verdicts"])
    for col in ("row", "column", "metric", "checkpoint", "n", "mean", "std", "ref_value", "ref_low",
                "ref_high", "verdict", "degraded", "protocol_name", "protocol_key"):
        assert col in ver.columns
    assert len(ver) == 4 * 2 and set(ver["verdict"]) <= set(VERDICTS)
    sn_fid = ver[(ver["row"] == "SN-GANs") & (ver["metric"] == "fid")].iloc[0]
    assert sn_fid["mean"] == pytest.approx(np.mean(SN_FIDS)) and sn_fid["protocol_key"] == SNGAN.key()
    prov = pd.read_csv(paths["provenance"])
    assert list(prov["run_id"]) == list(df["run_id"])
    assert not list((tmp_path / "out").glob(".*.tmp"))  # atomic writes leave no temporaries


def test_write_report_writes_everything(table, refs, tmp_path):
    tsv, runs = table
    paths = write_report(tsv, runs, tmp_path / "res" / "sngan_t2", refs, checkpoints=["final", "best"])
    for k in ("md", "csv", "tex", "best_md", "verdicts", "provenance", "curves_png", "curves_pdf"):
        assert paths[k].is_file(), k
    assert paths["curves_png"].read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
