"""Two Snakemakes on one run, and a Snakemake killed mid-run (issue 24: killed or concurrent jobs
never lose or silently corrupt a finished result; RELIABILITY.md quotes what this shows).

Snakemake A trains the one run of a toy table in a copy of the workflow. It is caught mid-run
(status.json "running", lines in its train.log) and frozen with SIGSTOP for as long as the test
needs: the run's owner lock stays held, and no timing decides the outcome. While it is frozen a
second Snakemake B asks for the same run's scores.json with ``--nolock`` (Snakemake's own
lock lifted), twice:

- plain: the workflow's ``onstart`` sees the run held and refuses before any job starts, so
  Snakemake never deletes anything on B's behalf (it deletes a job's outputs and declared log
  when it starts the job, and its outputs again when the job fails);
- with ``--no-hooks`` (no onstart: what a run taken between B's DAG and B's job start meets):
  B's job starts, ``repro train-row`` is refused by the owner lock (repro.rundir), each attempt's
  refusal is appended to the run's train.log, and A's lines in it are kept.

Then A finishes: its scores.json is sealed and intact and its results are bit-identical to the
same run trained alone (same CPU), and a plain Snakemake has nothing left to do. Tried: with the
rule as it was (``log: train.log``, ``>> {log}``) the first B starts a job, and (given the onstart
hook) the second B's job leaves A's train.log holding only its refusal (Snakemake unlinked the
log, A kept writing to the unlinked file); with ``tee`` instead of ``tee -a`` B truncates it.
"""
from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pandas as pd
import pytest
import torch
import yaml

from repro import layout, rundir
from repro.experiments import read_table, run_config
from repro.train import train

import toy_workflow
from toy_table import MOG_ROW, write_table

TABLE, RUN = "toy", "std-s0"
#: one run long enough to be caught mid-run (about 4 s of training on a 2-core CPU); three
#: checkpoints, so a kill after the first one resumes from it
G = 3000
ROW = {**MOG_ROW, "run_id": RUN, "g_updates": G, "eval_every": G // 3, "ckpt_every": G // 3,
       "log_every": G // 20, "sample_every": G}


def make_workflow(wf: Path) -> tuple[Path, Path]:
    """A copy of the workflow whose one suite is the one-run table; its run and checkpoint dirs."""
    toy_workflow.copy_workflow(wf)
    write_table(wf / "config" / "tables" / f"{TABLE}.tsv", [ROW])
    conf = yaml.safe_load((wf / "config" / "config.yaml").read_text())
    conf.update(suite=TABLE, suites={TABLE: [TABLE]}, claims={}, selections={}, adaptive_seeds={})
    (wf / "config" / "config.yaml").write_text(yaml.safe_dump(conf))
    return layout.run_path(wf / conf["runs_dir"], TABLE, RUN), wf / conf["ckpt_dir"] / TABLE / RUN


def target(wf: Path, run: Path) -> str:
    return str((run / rundir.SCORES).relative_to(wf))


def start_snakemake(wf: Path, *args: str) -> subprocess.Popen:
    """Snakemake in its own process group (stopped, continued or killed whole), with the
    environment toy_workflow.snakemake gives it; its output in wf/A.out."""
    env = {k: v for k, v in os.environ.items() if not k.startswith(("SLURM_", "SNAKEMAKE_PROFILE"))}
    return subprocess.Popen([sys.executable, "-m", "snakemake", *args], cwd=wf, env=env,
                            stdout=open(wf / "A.out", "w"), stderr=subprocess.STDOUT, start_new_session=True)


def catch_mid_run(a: subprocess.Popen, wf: Path, run: Path, ready=lambda: True, timeout=300) -> None:
    """Wait until A trains the run (status "running", a progress line in its train.log, and
    ``ready()``), then freeze A's process group."""
    t0 = time.monotonic()
    while time.monotonic() - t0 < timeout:
        assert a.poll() is None, (a.returncode, (wf / "A.out").read_text()[-3000:])
        log = run / rundir.WORKFLOW_LOG
        if run.is_dir() and rundir.RunDir(run).state() == rundir.RUNNING and log.exists() and "step " in log.read_text() \
                and ready():
            os.killpg(a.pid, signal.SIGSTOP)
            return
        time.sleep(0.02)
    raise AssertionError("Snakemake A never got to train the run")


def results(run: Path) -> dict:
    """What must equal the run trained alone: scores, curve, losses, weights (not timing)."""
    scores = json.loads((run / rundir.SCORES).read_text())
    weights = {n: {k: v.tolist() for k, v in torch.load(run / n, weights_only=True).items()}
               for n in (rundir.G_FINAL, rundir.G_BEST)}
    record = {"scores": {k: scores.get(k) for k in ("status", "final", "best", "config_hash", "seed")},
              "curve": pd.read_csv(run / rundir.CURVE).to_dict("list"),
              "losses": pd.read_csv(run / rundir.TRAIN_LOG)[["step", "loss_d", "loss_g"]].to_dict("list"),
              "weights": weights}
    return json.loads(json.dumps(record, sort_keys=True), parse_constant=str)  # NaN == NaN here


@pytest.fixture(scope="module")
def alone(tmp_path_factory):
    """The same run trained alone, in one go, in this process (same CPU as the workflow's jobs)."""
    tsv = write_table(tmp_path_factory.mktemp("alone") / f"{TABLE}.tsv", [ROW])
    cfg = run_config(read_table(tsv).iloc[0])
    out = tsv.parent / RUN
    train(cfg, out, progress=False)
    return results(out), cfg.hash()


def assert_finished_as_alone(run: Path, alone) -> None:
    want, config_hash = alone
    assert rundir.RunDir(run).problem(config_hash) is None  # sealed, intact, of the row's config
    assert results(run) == want  # bit-identical (same CPU)


@pytest.mark.slow  # ~40 s on the shared 2-core machine
def test_a_second_snakemake_nolock_is_refused_and_loses_nothing(tmp_path, alone):
    wf = tmp_path / "wf"
    run, _ = make_workflow(wf)
    a = start_snakemake(wf, "--cores", "1", target(wf, run))
    try:
        catch_mid_run(a, wf, run)
        log = run / rundir.WORKFLOW_LOG
        before = {p.name: p.read_bytes() for p in run.iterdir() if p.is_file()}
        assert rundir.SCORES not in before and "step " in before[rundir.WORKFLOW_LOG].decode()

        b = toy_workflow.snakemake(wf, "--cores", "1", "--nolock", target(wf, run))
        assert b.returncode != 0
        err = [line for line in b.stderr.splitlines() if line.startswith("error:")]
        assert len(err) == 1 and f"{run.relative_to(wf)} is being trained by pid " in err[0], b.stderr[-3000:]
        assert "--nolock" in err[0] and "Traceback" not in b.stderr
        assert f"gan-repro: left alone: {run.relative_to(wf)} is being trained" in b.stderr  # not set aside
        assert "localrule train" not in b.stderr + b.stdout  # refused before any job started
        assert {p.name: p.read_bytes() for p in run.iterdir() if p.is_file()} == before  # nothing touched

        # no onstart hook: B's job starts on the held run (the race the hook cannot see)
        b = toy_workflow.snakemake(wf, "--cores", "1", "--nolock", "--no-hooks", target(wf, run))
        assert b.returncode != 0 and "localrule train" in b.stderr + b.stdout
        assert rundir.RunDir(run).state() == rundir.RUNNING and not (run / rundir.SCORES).exists()  # B did not train
        after = log.read_bytes()
        assert after.startswith(before[rundir.WORKFLOW_LOG]), "A's lines in train.log were lost"
        refusals = after[len(before[rundir.WORKFLOW_LOG]):].decode().splitlines()
        assert len(refusals) == 2 and all(  # one per attempt (the rule's retries: 1), appended
            r.startswith(f"error: {run.relative_to(wf)} is being trained by pid ") for r in refusals), refusals
        for name in (rundir.CONFIG, rundir.TRAIN_LOG, rundir.CURVE, rundir.STATUS):
            assert (run / name).read_bytes() == before[name], name
    finally:
        os.killpg(a.pid, signal.SIGCONT)
    assert a.wait(timeout=300) == 0, (wf / "A.out").read_text()[-3000:]

    assert_finished_as_alone(run, alone)
    text = log.read_text()
    assert text.startswith(before[rundir.WORKFLOW_LOG].decode())
    assert text.index("error:") < text.index(f"step {G}/{G}")  # A's later lines appended after B's
    assert "Nothing to be done" in toy_workflow.snakemake(wf, "--cores", "1", "-n", target(wf, run)).stdout


@pytest.mark.slow  # ~30 s on the shared 2-core machine
def test_a_killed_snakemake_resumes_from_its_checkpoint_on_rerun(tmp_path, alone):
    """SIGKILL to Snakemake A's whole process group (Snakemake and its job: the kernel drops the
    owner lock) after the first checkpoint; after ``--unlock`` the rerun resumes from it and ends
    bit-identical."""
    wf = tmp_path / "wf"
    run, ckpt = make_workflow(wf)
    a = start_snakemake(wf, "--cores", "1", target(wf, run))
    catch_mid_run(a, wf, run, ready=lambda: bool(rundir.ckpt_files(ckpt)))
    os.killpg(a.pid, signal.SIGKILL)
    a.wait()
    t0 = time.monotonic()  # the job's processes die with it (the kernel drops their lock) a moment later
    while rundir.RunDir(run).holder() is not None and time.monotonic() - t0 < 30:
        time.sleep(0.05)
    assert rundir.RunDir(run).holder() is None, "the killed Snakemake's job still holds the run"
    assert not (run / rundir.SCORES).exists() and rundir.RunDir(run).state() == rundir.RUNNING

    # Snakemake's own lock outlives it: the rerun is refused, naming --unlock (README, "Continuing
    # after an interruption"), and after --unlock it resumes
    again = toy_workflow.snakemake(wf, "--cores", "1", target(wf, run))
    assert again.returncode != 0 and "--unlock" in again.stderr and not (run / rundir.SCORES).exists()
    assert toy_workflow.snakemake(wf, "--unlock", target(wf, run)).returncode == 0
    again = toy_workflow.snakemake(wf, "--cores", "1", target(wf, run))
    assert again.returncode == 0, (again.stdout + again.stderr)[-3000:]
    assert "resumed " in (run / rundir.WORKFLOW_LOG).read_text()  # from the checkpoint, not from scratch
    assert_finished_as_alone(run, alone)
    assert "Nothing to be done" in toy_workflow.snakemake(wf, "--cores", "1", "-n", target(wf, run)).stdout
