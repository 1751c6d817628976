"""repro.claims.registry: a claim is one module that registers; the CLI, the workflow and the
config check derive from it (issue 22, "adding a claim touches one new module plus its config
entry")."""
from __future__ import annotations

import importlib.util
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
import yaml
from test_mog_modes import mog_table

from repro import cli, workflow_config
from repro.claims import ClaimError, registry
from repro.claims.common import write_claim
from repro.workflow_config import WorkflowConfigError

ROOT = Path(__file__).resolve().parents[2]

#: A claim module as a newcomer writes it (README, "Adding a claim"): per row, how many of its
#: runs completed.
TOY_MODULE = '''"""A toy claim: how many runs of each row completed."""
from repro import io
from repro.claims.registry import Claim, register
from repro.report.collect import collect


def analyse(table_tsv, runs_root, out):
    df = collect(table_tsv, runs_root)
    done = df.groupby("row", sort=False)["status"].apply(lambda s: f"{(s == 'completed').sum()} of {len(s)}")
    paths = {"csv": io.write_text(out["csv"], done.to_csv())}
    paths["md"] = io.write_text(out["md"], "".join(f"- {row}: {n} completed\\n" for row, n in done.items()))
    return paths


CLAIM = register(Claim(name="toy", analyse=analyse,
                       files={"md": (".claim.md", "claims"), "csv": (".toy.csv", None)},
                       columns=("row", "seed"), metrics=("modes_covered",)))
'''


def test_unknown_claim_is_named(tmp_path):
    with pytest.raises(ClaimError, match="unknown claim 'nope'; known: mog_modes, sagan_claims, settings_robustness"):
        write_claim("nope", tmp_path / "t.tsv", tmp_path, tmp_path / "x")


def test_each_claim_module_registers_the_claim_it_is_named_after():
    assert registry.names() == ["mog_modes", "sagan_claims", "settings_robustness"]  # the modules in repro/claims/
    assert {n: registry.get(n).name for n in registry.names()} == {n: n for n in registry.names()}


def test_a_table_the_claim_cannot_judge_is_refused_before_it_runs(tmp_path, monkeypatch):
    """The claim's record says what it reads: a column the table lacks, or a final metric no run
    has, is named before the analysis starts (the analysis here would fail if it ran)."""
    monkeypatch.setattr(registry, "_CLAIMS", dict(registry._CLAIMS))
    tsv = mog_table(tmp_path, ls_modes=[6, 7, 8], std_modes=[1, 2, 4], std_share=[0.3, 0.3, 0.3])

    def never(*_):
        raise AssertionError("ran")

    md = {"md": (".claim.md", "claims")}
    registry.register(registry.Claim("angle", never, md, columns=("row", "angle"), metrics=("modes_covered",)))
    registry.register(registry.Claim("fid", never, md, columns=("row",), metrics=("fid",)))
    with pytest.raises(ClaimError, match=r"claim 'angle' reads the table columns \['row', 'angle'\]; missing or empty: \['angle'\]"):
        write_claim("angle", tsv, tmp_path / "runs", tmp_path / "out" / "mog")
    with pytest.raises(ClaimError, match=r"claim 'fid' needs the final metrics \['fid'\] .* lack \['fid'\]"):
        write_claim("fid", tsv, tmp_path / "runs", tmp_path / "out" / "mog")


def test_a_claim_registered_through_the_api_runs_through_the_cli(tmp_path, monkeypatch, capsys):
    monkeypatch.setattr(registry, "_CLAIMS", dict(registry._CLAIMS))  # the toy leaves with the test
    (tmp_path / "toy.py").write_text(TOY_MODULE)
    spec = importlib.util.spec_from_file_location("toy_claim", tmp_path / "toy.py")
    spec.loader.exec_module(importlib.util.module_from_spec(spec))
    tsv = mog_table(tmp_path, ls_modes=[6, 7, 8], std_modes=[1, 2, 4], std_share=[0.3, 0.3, 0.3])
    out = tmp_path / "out" / "mog"
    assert cli.main(["claim", "toy", str(tsv), "--runs", str(tmp_path / "runs"), "--out", str(out)]) == 0
    # mog_table writes 3 completed seeds of each of its 2 rows
    assert (tmp_path / "out" / "mog.claim.md").read_text() == "- regular GAN: 3 of 3 completed\n- LSGAN: 3 of 3 completed\n"
    assert (tmp_path / "out" / "mog.toy.csv").is_file()
    assert f"csv: {out}.toy.csv" in capsys.readouterr().out


def _toy_project(tmp_path: Path) -> Path:
    """A copy of the project with one new claim module and its config entry (a table judged by it)."""
    copy = tmp_path / "project"
    for name in ("repro", "workflow", "config"):
        shutil.copytree(ROOT / name, copy / name, ignore=shutil.ignore_patterns("__pycache__"))
    shutil.copy(ROOT / "Snakefile", copy / "Snakefile")
    (copy / "repro" / "claims" / "toy.py").write_text(TOY_MODULE)
    shutil.copy(copy / "config" / "tables" / "smoke_mog.tsv", copy / "config" / "tables" / "toy_mog.tsv")
    conf = yaml.safe_load((copy / "config" / "config.yaml").read_text())
    conf.update(suite="toy", adaptive_seeds={})
    conf["suites"]["toy"] = ["toy_mog"]
    conf["claims"]["toy_mog"] = "toy"
    (copy / "config" / "config.yaml").write_text(yaml.safe_dump(conf))
    return copy


@pytest.mark.slow
def test_a_new_claim_module_and_its_config_entry_reach_the_workflow_and_the_cli(tmp_path):
    copy = _toy_project(tmp_path)
    env = {**os.environ, "PYTHONPATH": str(copy)}  # the copy's repro, not ours
    snakemake = Path(sys.executable).with_name("snakemake")
    plan = subprocess.run([str(snakemake), "-n", "--quiet", "rules"], cwd=copy, env=env,
                          capture_output=True, text=True, timeout=600)
    assert plan.returncode == 0, plan.stderr
    jobs = dict(line.split() for line in plan.stdout.splitlines() if line.startswith(("claim_", "train ")))
    assert jobs == {"claim_toy": "1", "train": "20"}  # smoke_mog.tsv has 20 rows
    tsv = mog_table(tmp_path, ls_modes=[6, 7, 8], std_modes=[1, 2, 4], std_share=[0.3, 0.3, 0.3])
    run = subprocess.run([sys.executable, "-m", "repro", "claim", "toy", str(tsv), "--runs", str(tmp_path / "runs"),
                          "--out", str(tmp_path / "out" / "mog")], cwd=copy, env=env, capture_output=True,
                         text=True, timeout=300)
    assert run.returncode == 0, run.stderr
    assert (tmp_path / "out" / "mog.claim.md").read_text() == "- regular GAN: 3 of 3 completed\n- LSGAN: 3 of 3 completed\n"


def test_the_config_names_only_registered_claims():
    conf = yaml.safe_load((ROOT / "config" / "config.yaml").read_text())
    conf["claims"]["smoke_mog"] = "mog_mode"
    with pytest.raises(WorkflowConfigError, match=r"key claims/smoke_mog: unknown claim 'mog_mode'; known: "
                                                  r"mog_modes, sagan_claims, settings_robustness$"):
        workflow_config.check(conf, ROOT / "config" / "tables")


@pytest.mark.parametrize("claim, table", [("mog_modes", "mog"), ("settings_robustness", "sweep"),
                                          ("sagan_claims", "sagan_digits")])
def test_a_claim_writes_exactly_the_files_its_record_declares(claim, table, tmp_path):
    """The workflow's rule declares the record's files as its outputs: a claim writing fewer
    would stop Snakemake, one writing more would leave an undeclared file."""
    from test_sagan_claims import sagan_table
    from test_settings_robustness import sweep_table

    tsv = {"mog": lambda: mog_table(tmp_path, ls_modes=[6, 7, 8], std_modes=[1, 2, 4], std_share=[0.3] * 3),
           "sweep": lambda: sweep_table(tmp_path, {"SN-GANs": {"A": [50, 52], "D": [54, 56]},
                                                   "Batch Norm.": {"A": [45, 47], "D": [200, 220]}}),
           "sagan_digits": lambda: sagan_table(tmp_path)}[table]()
    out = tmp_path / "out"
    paths = write_claim(claim, tsv, tmp_path / "runs", out / table)
    assert paths == registry.get(claim).paths(out / table)
    assert sorted(p.name for p in out.iterdir()) == sorted(p.name for p in paths.values())
