"""repro.cli: each command reads the files it is given (the workflow passes them), and a user's
mistake is one ``error:`` line with exit status 2, never a traceback."""
from __future__ import annotations

import shutil
from pathlib import Path

import pandas as pd
import pytest
import yaml

from repro import cli

ROOT = Path(__file__).resolve().parents[1]
VERDICTS = ROOT / "results" / "lsgan_mog" / "lsgan_mog.verdicts.csv"


@pytest.fixture
def verdicts(tmp_path):
    path = tmp_path / VERDICTS.name
    shutil.copy2(VERDICTS, path)
    return path


def test_check_reads_the_direction_rules_it_is_given(verdicts, tmp_path, capsys):
    """The published rules pass; the same verdicts under a copy whose only rule asks the
    opposite order (regular GAN must beat LSGAN) fail: the file given is the file read."""
    shipped = ROOT / "config" / "references" / "directions.yaml"
    assert cli.main(["check", str(verdicts), "--directions", str(shipped)]) == 0
    labels = set(pd.read_csv(verdicts)["table"])  # the paper's table label ("mog"), not the file's
    rules = [r for r in yaml.safe_load(shipped.read_text()) if r["table"] in labels]
    assert rules, "the shipped rules guard the LSGAN mixture claim"
    flipped = {**rules[0], "better": rules[0]["worse"], "worse": rules[0]["better"]}
    (tmp_path / "flipped.yaml").write_text(yaml.safe_dump([flipped]))
    capsys.readouterr()
    assert cli.main(["check", str(verdicts), "--directions", str(tmp_path / "flipped.yaml")]) == 1
    out = capsys.readouterr().out
    assert "FAIL" in out and "regular GAN / ring vs LSGAN / ring: broken" in out, out
    assert not (tmp_path / "check.txt").exists()


@pytest.mark.parametrize("args, says", [
    (["check", "{v}", "--directions", "{tmp}/missing.yaml"], "missing.yaml are unreadable"),
    (["check", "{v}", "--directions", "{tmp}/bad.yaml"], "bad.yaml, rule 1: missing"),
    (["report", "{v}", "--runs", "{tmp}", "--out", "{tmp}/o", "--references", "{tmp}/nope.csv"],
     "reference file {tmp}/nope.csv is unreadable"),
])
def test_a_bad_input_file_is_one_error_line(verdicts, tmp_path, capsys, args, says):
    (tmp_path / "bad.yaml").write_text(yaml.safe_dump([{"table": "t", "metric": "fid"}]))
    fill = lambda s: s.format(v=verdicts, tmp=tmp_path)  # noqa: E731
    assert cli.main([fill(a) for a in args]) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and err[0].startswith("error: ") and fill(says) in err[0], err
