"""The workflow's config as Snakemake hands it over (issue 24): `--config` values typed, a
misspelt table refused, the suite's runs apart from the committed results, and `snakemake --lint`
clean (issue 22)."""
import re
import shutil
import subprocess
from pathlib import Path

import pandas as pd
import pytest
import yaml

from repro import workflow_config
from repro.workflow_config import WorkflowConfigError

from toy_workflow import copy_workflow, snakemake

ROOT = Path(__file__).resolve().parents[1]
CONFIG = yaml.safe_load((ROOT / "config" / "config.yaml").read_text())


def test_config_values_given_as_text_are_typed():
    """`snakemake --config` reads seeds=[0,1] as ["0", "1"] and nested values as text (YAML's base
    loader); they mean the numbers, as in a --configfile."""
    t = workflow_config.typed
    assert t({"seeds": ["0", "1"]})["seeds"] == [0, 1]
    assert t({"seeds": "null"})["seeds"] is None and t({"seeds": 3})["seeds"] == [3]
    assert t({"adaptive_seeds": {"smoke_mog": {"start": "3", "cap": "10"}}})["adaptive_seeds"] == \
        {"smoke_mog": {"start": 3, "cap": 10}}
    with pytest.raises(WorkflowConfigError, match=r"seeds: 'a' is not a whole number.*--configfile"):
        t({"seeds": ["a"]})
    # `{t:{start:3}}` without spaces is one YAML key 'start:3': named with the form to write
    with pytest.raises(WorkflowConfigError, match=r"adaptive_seeds/smoke_mog/start:3.*start: 3, cap: 10"):
        t({"adaptive_seeds": {"smoke_mog": {"start:3": None}}})


def test_a_misspelt_table_is_refused_not_ignored():
    conf = {**CONFIG, "adaptive_seeds": {"smoke_mgo": {"start": 3, "cap": 10}}}
    with pytest.raises(WorkflowConfigError, match=r"adaptive_seeds: no table 'smoke_mgo'"):
        workflow_config.check(conf, ROOT / "config" / "tables")
    with pytest.raises(WorkflowConfigError, match=r"key confidence: 1.5 is greater than or equal"):
        workflow_config.check({**CONFIG, "confidence": 1.5}, ROOT / "config" / "tables")


def _copy(tmp_path: Path) -> Path:
    """What a fresh clone holds of the workflow, the committed results/ included."""
    return copy_workflow(tmp_path / "clone", extra=("Makefile", "results"))


def _jobs(out: str, rule: str) -> set[str]:
    """The run ids of the `rule` jobs of a dry run (`snakemake -n` lists each job's output)."""
    blocks = out.split("rule ")[1:]
    return {re.search(r"/([^/\s]+)/scores\.json", b).group(1) for b in blocks if b.startswith(f"{rule}:")}


def test_the_readme_command_trains_the_suite_as_make_smoke_does(tmp_path):
    """Issue 24: in a fresh clone `snakemake --config suite=smoke` scheduled no smoke_mog run, since
    the committed results/ was its results directory. Now the suite's files go under runs/ and
    `make smoke` runs that very command: a dry run in a clone (results/ committed) schedules every
    row of the suite's tables, the first round (the `start` smallest seeds) of an adaptive one and
    the real-data rows -- counted from the config and the tables here."""
    wf = _copy(tmp_path)
    shutil.copy2(ROOT / "pyproject.toml", wf / "pyproject.toml")
    (wf / ".venv").mkdir()
    (wf / ".venv" / ".installed").touch()  # the venv is made: `make -n` shows the suite's command
    make = subprocess.run(["make", "-n", "smoke"], cwd=wf, capture_output=True, text=True)
    assert re.search(r"snakemake --cores all --config suite=smoke\s*$", make.stdout, re.M), make.stdout
    plan = snakemake(wf, "-n", "--cores", "1", "--config", "suite=smoke")
    assert plan.returncode == 0, plan.stderr[-3000:]
    train, real = set(), set()
    for t in CONFIG["suites"]["smoke"]:
        table = pd.read_csv(ROOT / "config" / "tables" / f"{t}.tsv", sep="\t")
        if "real" in table.columns and table["real"].notna().all():
            real |= set(table["run_id"])
            continue
        start = (CONFIG.get("adaptive_seeds") or {}).get(t, {}).get("start")
        first = table.groupby(["paper_table", "row", "column"])["seed"].transform(lambda s: s.rank(method="first"))
        train |= set(table["run_id"] if start is None else table.loc[first <= start, "run_id"])
    assert train and real
    assert _jobs(plan.stdout, "train") == train
    assert _jobs(plan.stdout, "real_data") == real
    assert "results/smoke" not in plan.stdout.replace("runs/results/", "")  # never the committed one


def test_seeds_can_be_set_with_config(tmp_path):
    wf = _copy(tmp_path)
    plan = snakemake(wf, "-n", "--cores", "1", "--config", "suite=sngan_digits", "seeds=[0]")
    assert plan.returncode == 0, plan.stderr[-3000:]
    table = pd.read_csv(ROOT / "config" / "tables" / "sngan_digits.tsv", sep="\t")
    assert _jobs(plan.stdout, "train") == set(table.loc[table["seed"] == 0, "run_id"])


def test_snakemake_lint_is_clean():
    """Issue 22: `log:`, `conda:` and `params:` on every rule, rules and functions apart."""
    for suite in ("smoke", "claims"):
        out = snakemake(ROOT, "--lint", "--config", f"suite={suite}")
        assert out.returncode == 0 and "Lints for" not in out.stdout + out.stderr, out.stdout[-3000:]


def test_a_config_mistake_ends_snakemake_with_one_error_line():
    out = snakemake(ROOT, "-n", "--cores", "1", "--config", "suite=smoke", "seeds=[a]")
    assert out.returncode == 1 and "Traceback" not in out.stderr
    assert out.stderr.strip().splitlines()[-1] == ("error: config key seeds: 'a' is not a whole number; write it "
                                                   "as --config 'seeds=[0,1,2]', or put it in a file given with "
                                                   "--configfile")
