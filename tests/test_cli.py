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


def test_every_command_of_the_table_parses_and_is_in_the_docstring(capsys):
    """One table, one parser: each registered command answers ``--help`` with its own usage
    line (its options' module imports), and the module docstring lists it."""
    for c in cli.COMMANDS:
        with pytest.raises(SystemExit) as exit_:
            cli.main([c.name, "--help"])
        assert exit_.value.code == 0, c.name
        assert capsys.readouterr().out.startswith(f"usage: repro {c.name} "), c.name
        assert f"``repro {c.name}`` -- {c.help}" in cli.__doc__


def test_check_is_parsed_once_and_its_old_option_is_gone(verdicts, tmp_path, capsys):
    """``--directions`` (the order rules' name before issue 12) is no option any more: argparse's
    own usage error, exit status 2, before any file is read."""
    with pytest.raises(SystemExit) as exit_:
        cli.main(["check", str(verdicts), "--directions", str(tmp_path / "rules.yaml")])
    assert exit_.value.code == 2
    assert "unrecognized arguments: --directions" in capsys.readouterr().err


def test_help_names_come_from_the_registries_as_they_are_now(monkeypatch, capsys):
    """A dataset, claim or verdict-simulation scenario registered after import shows up in the
    help of the command that takes it (no list of names is restated in the CLI)."""
    from repro import datasets
    from repro.claims import registry as claims
    from repro.report import simulate

    monkeypatch.setitem(datasets.REGISTRY, "toy_points", datasets.REGISTRY["mog_ring"])
    monkeypatch.setitem(claims._CLAIMS, "toy_claim", claims.get("mog_modes"))
    monkeypatch.setitem(simulate.SCENARIOS, "toy_scenario", next(iter(simulate.SCENARIOS.values())))
    for argv, name in ((["train", "--help"], "toy_points"), (["claim", "--help"], "toy_claim"),
                       (["simulate-verdicts", "--help"], "toy_scenario")):
        with pytest.raises(SystemExit):
            cli.main(argv)
        assert name in capsys.readouterr().out, argv


def test_a_command_imports_only_its_own_module(verdicts):
    """``repro check`` on a verdicts file (passing: exit 0) imports repro.commands.check and
    neither another command's module nor torch (lazy per command)."""
    import subprocess
    import sys

    code = ("import sys\nfrom repro import cli\n"
            f"assert cli.main(['check', {str(verdicts)!r}]) == 0\n"
            "print(sorted(m for m in sys.modules if m.startswith('repro.commands')), 'torch' in sys.modules)")
    out = subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True, timeout=120)
    assert out.returncode == 0, out.stderr
    assert out.stdout.split("\n")[-2] == "['repro.commands', 'repro.commands.check'] False", out.stdout
