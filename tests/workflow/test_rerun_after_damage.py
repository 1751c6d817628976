"""The workflow-level fault test (issue 24): damage a finished suite, rerun, get the same results.

A toy suite of two tables trains in seconds: ``toy_t`` (two runs) and ``toy_a``, an adaptive
table whose one round schedules two runs. After it finishes, each damage below is done to a copy
of it and the same ``snakemake`` command rerun; each must rebuild what was damaged (never
"Nothing to be done" over a hole), regenerate the tables, and leave every published verdict
and table byte-identical to the undamaged suite's (the runs are rebuilt from their checkpoints,
on the same CPU: bit-identical). RELIABILITY.md quotes the figures.
"""
import json
import shutil
from pathlib import Path

import pandas as pd
import pytest
import yaml

from repro import layout, rundir, workflow_config

import toy_workflow
from toy_workflow import copy_workflow

ROOT = Path(__file__).resolve().parents[2]
TABLES = ("toy_t", "toy_a")
#: published files compared with the undamaged suite's (provenance.csv holds wall times and paths)
COMPARED = ("verdicts", "md", "csv", "best_md")


def _toy_table(path: Path, table: str, cells, seeds) -> None:
    smoke = pd.read_csv(ROOT / "config" / "tables" / "smoke_mog.tsv", sep="\t", dtype=str, keep_default_na=False)
    base = smoke[smoke["run_id"] == "mog-std-s0"].iloc[0]
    rows = [{**base, "run_id": f"{cell}-s{k}", "paper_table": table, "row": cell, "seed": str(k),
             "g_updates": "40", "eval_every": "40", "sample_every": "0", "log_every": "20",
             "ckpt_every": "20", "eval_protocol": ("mog", "curve-mog")[i]}
            for i, cell in enumerate(cells) for k in seeds]
    pd.DataFrame(rows).to_csv(path, sep="\t", index=False)


def make_toy_workflow(wf: Path) -> Path:
    """Snakefile, workflow/ and config/ in `wf`; the one suite `toy` is toy_t and the adaptive toy_a."""
    copy_workflow(wf)
    _toy_table(wf / "config" / "tables" / "toy_t.tsv", "toy_t", ["A"], [0, 1])
    _toy_table(wf / "config" / "tables" / "toy_a.tsv", "toy_a", ["A", "B"], [0, 1])
    conf = yaml.safe_load((wf / "config" / "config.yaml").read_text())
    conf.update(suite="toy", suites={"toy": list(TABLES)}, claims={}, selections={},
                adaptive_seeds={"toy_a": {"start": 1, "step": 1, "cap": 2}})
    (wf / "config" / "config.yaml").write_text(yaml.safe_dump(conf))
    (wf / "config" / "references" / "order_rules.yaml").write_text("[]\n")
    return wf


def snakemake(wf: Path, *args, timeout=900):
    """The suite's command on two cores."""
    return toy_workflow.snakemake(wf, "--cores", "2", *args, timeout=timeout)


def published(wf: Path) -> dict:
    conf = yaml.safe_load((wf / "config" / "config.yaml").read_text())
    return {(t, k): layout.files("report", layout.table_prefix(wf / conf["results_dir"], t))[k].read_bytes()
            for t in TABLES for k in COMPARED}


def run_dir(wf: Path, table: str, run: str) -> Path:
    conf = yaml.safe_load((wf / "config" / "config.yaml").read_text())
    return layout.run_path(wf / conf["runs_dir"], table, run)


@pytest.fixture(scope="module")
def finished(tmp_path_factory):
    wf = make_toy_workflow(tmp_path_factory.mktemp("toy") / "wf")
    done = snakemake(wf)
    assert done.returncode == 0, (done.stdout + done.stderr)[-4000:]
    return wf, published(wf)


def _garbage(wf):
    (run_dir(wf, "toy_t", "A-s0") / rundir.SCORES).write_text("{not json")
    return [run_dir(wf, "toy_t", "A-s0")]


def _deleted_scores(wf):
    (run_dir(wf, "toy_t", "A-s1") / rundir.SCORES).unlink()
    return [run_dir(wf, "toy_t", "A-s1")]


def _deleted_run_dir(wf):
    shutil.rmtree(run_dir(wf, "toy_a", "B-s0"))
    return [run_dir(wf, "toy_a", "B-s0")]


def _unsealed_edit(wf):
    path = run_dir(wf, "toy_a", "A-s0") / rundir.SCORES
    scores = json.loads(path.read_text())
    scores["final"]["modes_covered"] = 8
    del scores[rundir.SEAL]
    path.write_text(json.dumps(scores))
    return [run_dir(wf, "toy_a", "A-s0")]


def _deleted_round(wf):
    (run_dir(wf, "toy_a", "rounds") / "0.json").unlink()
    return []


def _deleted_table(wf):
    conf = yaml.safe_load((wf / "config" / "config.yaml").read_text())
    layout.files("report", layout.table_prefix(wf / conf["results_dir"], "toy_t"))["md"].unlink()
    return []


DAMAGES = {"garbage scores.json": _garbage, "deleted scores.json": _deleted_scores,
           "deleted run directory": _deleted_run_dir, "edited scores.json, seal removed": _unsealed_edit,
           "deleted round file": _deleted_round, "deleted published table": _deleted_table}


@pytest.mark.slow
@pytest.mark.parametrize("damage", list(DAMAGES))
def test_a_rerun_rebuilds_any_damage_and_publishes_the_same_results(finished, tmp_path, damage):
    wf0, before = finished
    wf = tmp_path / "wf"
    shutil.copytree(wf0, wf, symlinks=True)
    rebuilt = DAMAGES[damage](wf)
    again = snakemake(wf)
    out = again.stdout + again.stderr
    assert again.returncode == 0, out[-4000:]
    assert "Nothing to be done" not in out, out[-3000:]
    for d in rebuilt:  # sealed and intact again, of its row's config
        assert rundir.RunDir(d).problem(json.loads((d / rundir.CONFIG).read_text())["hash"]) is None
    assert published(wf) == before  # the same verdicts and tables, byte for byte
    assert "Nothing to be done" in snakemake(wf, "-n").stdout  # and a further rerun has nothing to do


@pytest.mark.slow
def test_editing_one_row_reruns_that_row_alone(finished, tmp_path):
    """Issue 24: editing one table row reran every train job of the table (the TSV was their
    input) and its message was only in train.log. Now the row's config hash is the train job's
    `params`: one job reruns, and the run of the old row is kept aside, not deleted."""
    wf0, _ = finished
    wf = tmp_path / "wf"
    shutil.copytree(wf0, wf, symlinks=True)
    tsv = wf / "config" / "tables" / "toy_t.tsv"
    df = pd.read_csv(tsv, sep="\t", dtype=str, keep_default_na=False)
    df.loc[df["run_id"] == "A-s1", "g_updates"] = "60"
    df.to_csv(tsv, sep="\t", index=False)
    plan = snakemake(wf, "-n")
    stats = plan.stdout.split("Job stats")[-1]
    assert plan.returncode == 0 and "train " in stats and " 1\n" in stats.split("train")[1][:20], plan.stdout[-3000:]
    assert "toy_t/A-s1" in plan.stdout and "toy_t/A-s0" not in plan.stdout.split("Job stats")[0]
    done = snakemake(wf)
    assert done.returncode == 0, (done.stdout + done.stderr)[-3000:]
    assert json.loads((run_dir(wf, "toy_t", "A-s1") / rundir.SCORES).read_text())["final"]["step"] == 60
    kept = list((run_dir(wf, "toy_t", "A-s1").parent / workflow_config.SUPERSEDED).iterdir())
    assert len(kept) == 1 and (kept[0] / rundir.SCORES).is_file()


@pytest.mark.slow
def test_changing_confidence_reruns_the_reports(finished, tmp_path):
    """`confidence` reached the report as a global, so changing it reran nothing (issue 24)."""
    wf0, _ = finished
    wf = tmp_path / "wf"
    shutil.copytree(wf0, wf, symlinks=True)
    plan = snakemake(wf, "-n", "--config", "confidence=0.8")
    jobs = plan.stdout.split("Job stats")[-1]
    assert "report" in jobs and "train" not in jobs, plan.stdout[-3000:]
