"""repro.cli: each command reads the files it is given (the workflow passes them), and a user's
mistake is one ``error:`` line with exit status 2, never a traceback."""
from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest
import yaml

from repro import cli
from repro.report.check import read_verdicts

ROOT = Path(__file__).resolve().parents[1]
VERDICTS = ROOT / "results" / "lsgan_mog" / "lsgan_mog.verdicts.csv"


@pytest.fixture
def verdicts(tmp_path):
    """The published LSGAN verdicts, with per-seed values."""
    path = tmp_path / VERDICTS.name
    # published before issue 26 put per-seed values in verdicts: the final mode counts of the
    # same runs, from the claim's per-run file, where the order rule reads them
    import json

    v, runs = pd.read_csv(VERDICTS), pd.read_csv(VERDICTS.with_name("lsgan_mog.claim.csv"))
    final = (v["metric"] == "modes_covered") & (v["checkpoint"] == "final")
    v.loc[final, "values"] = [json.dumps(runs.loc[runs["row"] == r, "final_modes_covered"].tolist())
                              for r in v.loc[final, "row"]]
    v.to_csv(path, index=False)
    return path


def test_check_reads_the_order_rules_it_is_given(verdicts, tmp_path, capsys):
    """The published rules pass; the same verdicts under a copy whose only rule asks the
    opposite order (regular GAN must beat LSGAN) fail: the file given is the file read."""
    shipped = ROOT / "config" / "references" / "order_rules.yaml"
    assert cli.main(["check", str(verdicts), "--order-rules", str(shipped)]) == 0
    labels = set(read_verdicts(verdicts)["paper_table"])  # the paper's table label ("mog"), not the file's
    rules = [r for r in yaml.safe_load(shipped.read_text()) if r["paper_table"] in labels]
    assert rules, "the shipped rules guard the LSGAN mixture claim"
    flipped = {**rules[0], "better": rules[0]["worse"], "worse": rules[0]["better"]}
    (tmp_path / "flipped.yaml").write_text(yaml.safe_dump([flipped]))
    capsys.readouterr()
    assert cli.main(["check", str(verdicts), "--order-rules", str(tmp_path / "flipped.yaml")]) == 1
    out = capsys.readouterr().out
    assert "FAIL" in out and "regular GAN / ring vs LSGAN / ring: reversed" in out, out
    assert not (tmp_path / "check.txt").exists()


@pytest.mark.parametrize("args, says", [
    (["check", "{v}", "--order-rules", "{tmp}/missing.yaml"], "missing.yaml are unreadable"),
    (["check", "{v}", "--order-rules", "{tmp}/bad.yaml"], "bad.yaml, rule 1: missing"),
    (["report", "{v}", "--runs", "{tmp}", "--out", "{tmp}/o", "--references", "{tmp}/nope.csv"],
     "reference file {tmp}/nope.csv is unreadable"),
])
def test_a_bad_input_file_is_one_error_line(verdicts, tmp_path, capsys, args, says):
    (tmp_path / "bad.yaml").write_text(yaml.safe_dump([{"paper_table": "t", "metric": "fid"}]))
    fill = lambda s: s.format(v=verdicts, tmp=tmp_path)  # noqa: E731
    assert cli.main([fill(a) for a in args]) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and err[0].startswith("error: ") and fill(says) in err[0], err
