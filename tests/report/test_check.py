"""repro.report.check: what `repro check` passes and fails, and its exit codes."""
from __future__ import annotations

import json

import pandas as pd

from repro import cli
from repro.report import cell_verdicts, collect, write_report
from repro.report.cells import VERDICT_COLUMNS
from repro.report.check import CHECKED_COLUMNS, check
from repro.report.references import validate
from repro.report.verdict import BETTER, judge

from fake_runs import reseal, run_row, score, write_run, write_tsv


def test_check_passes_in_range_and_fails_doctored_scores(table, refs):
    tsv, runs = table
    v = cell_verdicts(collect(tsv, runs), refs)
    assert check(v[v["row"] != "WGAN-GP"]) == []  # in range (or not hard-checkable): passes
    before = check(v)
    assert before and all("WGAN-GP" in f and "DIVERGED" in f for f in before)
    for s in range(3):  # doctor the SN-GANs FIDs far outside 29.3 ± 10%
        p = runs / "sngan_t2" / f"sn-c10-s{s}" / "scores.json"
        d = json.loads(p.read_text())
        d["final"]["fid"] = 80.0 + s
        reseal(p.parent, final=d["final"])  # sealed again: a result, not damage
    failures = check(cell_verdicts(collect(tsv, runs), refs))
    sn = [f for f in failures if "SN-GANs" in f]
    assert len(sn) == 1
    msg = sn[0]
    for part in ("table2", "SN-GANs", "CIFAR-10", "fid", "WORSE", "81", "29.3", "26.37", "32.23"):
        assert part in msg, (part, msg)
    # WGAN-GP (diverged, hard paper reference) fails too
    assert any("WGAN-GP" in f and "DIVERGED" in f for f in failures)


def test_check_strict_and_regression_kinds(tmp_path):
    base = {"paper": "P", "paper_table": "t", "column": "c", "metric": "fid", "std": "", "protocol": "sngan",
            "source": "our smoke suite", "direction": "lower", "kind": "regression", "tolerance": "1"}
    refs = validate(pd.DataFrame([{**base, "row": "r1", "value": "50"},
                                  {**base, "row": "r2", "value": "50", "kind": "paper"}]))
    runs = tmp_path / "runs"
    rows = []
    for s in range(2):
        for r in ("r1", "r2"):
            rows.append({**run_row(f"{r}{s}", r, "c", s), "paper": "P", "paper_table": "t"})
            write_run(runs, "t", f"{r}{s}", seed=s, final=score(fid=40.0 + s))  # better than 50 ± 1
    rows.append({**run_row("r3", "r2", "c2", 0), "paper": "P", "paper_table": "t"})
    v = cell_verdicts(collect(write_tsv(tmp_path / "t.tsv", rows), runs), refs, ["fid"])
    assert set(v.loc[v["row"].isin(["r1", "r2"]) & (v["column"] == "c"), "verdict"]) == {BETTER}
    failures = check(v)
    assert len(failures) == 1 and "/ r1 /" in failures[0]  # regression: better fails; paper: fine
    # strict: a hard paper cell that is inconclusive fails too
    refs2 = validate(pd.DataFrame([{**base, "row": "r2", "column": "c2", "value": "50", "kind": "paper"}]))
    v2 = cell_verdicts(collect(write_tsv(tmp_path / "t.tsv", rows), runs), refs2, ["fid"])
    assert check(v2) == [] and len(check(v2, strict=True)) == 1


def test_check_main_exit_codes(table, refs, tmp_path, capsys):
    tsv, runs = table
    paths = write_report(tsv, runs, tmp_path / "out" / "sngan_t2", refs, curves=False)
    assert cli.main(["check", str(paths["verdicts"])]) == 1  # WGAN-GP diverged against a hard reference
    assert "FAIL" in capsys.readouterr().out
    v = pd.read_csv(paths["verdicts"])
    v = v[v["row"] != "WGAN-GP"]
    v.to_csv(tmp_path / "ok.verdicts.csv", index=False)
    assert cli.main(["check", str(tmp_path / "ok.verdicts.csv")]) == 0
    assert cli.main(["check", str(tmp_path / "empty_dir_that_does_not_exist")]) == 2


def test_check_lists_undecided_cells_and_fails_them_strict_or_at_the_cap(capsys, tmp_path):
    from repro.report.check import undecided_cells

    j = judge([20.0, 25.0, 30.0], ref_low=22.5, ref_high=27.5, direction="lower")  # 16.6-33.4
    row = {"paper": "P", "paper_table": "t", "row": "r", "column": "c", "metric": "fid", "checkpoint": "final",
           "n": 3, "n_runs": 3, "mean": 25.0, "std": 5.0, "ours_low": j.low, "ours_high": j.high,
           "ref_value": 25.0, "ref_low": 22.5, "ref_high": 27.5, "ref_kind": "regression", "ref_hard": True,
           "ref_protocol": "sngan", "verdict": j.verdict, "reason": j.reason, "confidence": 0.9,
           "seeds_needed": j.seeds_needed, "seeds_cap": None}
    for kind in ("regression", "paper"):
        v = pd.DataFrame([{**row, "ref_kind": kind}], columns=list(VERDICT_COLUMNS))
        assert check(v) == [] and len(check(v, strict=True)) == 1
        [line] = undecided_cells(v)
        assert "t / r / c / fid" in line and "90% interval [16.57, 33.43]" in line
        [msg] = check(v.assign(seeds_cap=3))  # adaptive seeds at their cap: no more will come
        assert "INCONCLUSIVE" in msg and "at their cap" in msg
        assert check(v.assign(seeds_cap=6)) == []  # more seeds are still coming
    v.to_csv(tmp_path / "t.verdicts.csv", index=False)
    assert cli.main(["check", str(tmp_path / "t.verdicts.csv")]) == 0
    assert "UNDECIDED t / r / c / fid" in capsys.readouterr().out


def test_check_reads_its_columns_and_names_a_missing_one_in_one_line(table, refs, tmp_path, capsys):
    """A verdicts file cut to CHECKED_COLUMNS checks exactly as the whole file does (nothing else is
    read); without any one of them `repro check` exits 2 with one error line naming the file and
    the column, before any cell is judged."""
    tsv, runs = table
    written = pd.read_csv(write_report(tsv, runs, tmp_path / "out" / "sngan_t2", refs, curves=False)["verdicts"])
    whole, cut = tmp_path / "whole.verdicts.csv", tmp_path / "cut.verdicts.csv"
    written.to_csv(whole, index=False)
    written[list(CHECKED_COLUMNS)].to_csv(cut, index=False)
    capsys.readouterr()
    assert cli.main(["check", str(whole)]) == 1  # WGAN-GP diverged against a hard reference
    out = capsys.readouterr().out
    assert "FAIL table2 / WGAN-GP" in out and "order rule table2 / fid" in out  # failure lines and order rules read
    assert cli.main(["check", str(cut)]) == 1 and capsys.readouterr().out == out
    for col in CHECKED_COLUMNS:
        path = tmp_path / f"no_{col}.verdicts.csv"
        written.drop(columns=col).to_csv(path, index=False)
        assert cli.main(["check", str(path)]) == 2, col
        captured = capsys.readouterr()
        err = captured.err.strip().splitlines()
        assert captured.out == "" and len(err) == 1, (col, captured)
        assert err[0].startswith(f"error: {path} is not a verdicts file: no column(s) ['{col}']"), err
        assert "`repro report TABLE --runs RUNS --out PREFIX`" in err[0]


def test_a_verdicts_file_without_values_is_one_error_line_from_the_command(table, refs, tmp_path):
    """The shell command itself (not only cli.main): exit 2, one stderr line, no traceback."""
    import subprocess
    import sys

    tsv, runs = table
    written = pd.read_csv(write_report(tsv, runs, tmp_path / "out" / "sngan_t2", refs, curves=False)["verdicts"])
    path = tmp_path / "old.verdicts.csv"
    written.drop(columns="values").to_csv(path, index=False)
    done = subprocess.run([sys.executable, "-m", "repro.cli", "check", str(path)], capture_output=True, text=True)
    assert done.returncode == 2 and done.stdout == "", done
    assert done.stderr.splitlines() == [done.stderr.strip()] and "Traceback" not in done.stderr
    assert done.stderr.startswith(f"error: {path} is not a verdicts file: no column(s) ['values']")
