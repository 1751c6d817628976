"""The contracts between package, workflow and result files (repro.layout, repro.rundir): a writer
writes every file its rule declares, and every file a rule reads is a declared input."""
from __future__ import annotations

import json
import os
import time
from pathlib import Path

import pandas as pd
import pytest
import yaml

from repro import layout, rundir
from repro.experiments import run_config
from repro.metrics.protocol import get_protocol

from toy_workflow import copy_workflow, snakemake

ROOT = Path(__file__).resolve().parents[1]
SNGAN = get_protocol("sngan")


def _run(root: Path, run_id: str, seed: int, fid: float, config_hash: str) -> None:
    """A finished run directory without a learning curve (eval_every 0), as repro.train leaves it."""
    d = root / "t" / run_id
    d.mkdir(parents=True)
    final = {"step": 100, "fid": fid, "is_mean": 7.0, "is_std": 0.1, "protocol_name": SNGAN.name,
             "protocol_key": SNGAN.key(), "protocol": SNGAN.to_dict(), "n_fake": SNGAN.n_fake, "seed": seed}
    rundir.RunDir(d).seal({"status": "completed", "final": final, "seed": seed,
                           "config_hash": config_hash, "numerics": {"device": "cpu"}})
    (d / rundir.STATUS).write_text(json.dumps({"state": "completed", "step": 100}))
    (d / rundir.CONFIG).write_text(json.dumps({"config": {"seed": seed}, "hash": config_hash}))


def test_the_report_writes_every_file_its_rule_declares_even_without_curves(tmp_path):
    """Runs with no curve.csv: the curves figure is still written (saying why), so the rule's
    declared outputs (layout.REPORT) all exist and Snakemake never reports a missing output."""
    from repro.report.tables import write_report

    runs = tmp_path / "runs"
    rows = []
    for s, fid in enumerate((30.0, 31.0)):
        rows.append({"run_id": f"r{s}", "paper": "SNGAN", "paper_table": "t", "row": "SN-GANs", "column": "C",
                     "dataset": "cifar10", "resolution": 32, "arch": "sngan_cnn", "norm_d": "spectralnorm",
                     "loss": "standard", "setting": "C", "g_updates": 100, "seed": s, "protocol": "sngan"})
        _run(runs, f"r{s}", s, fid, run_config(rows[-1]).hash())
    tsv = tmp_path / "t.tsv"
    pd.DataFrame(rows).to_csv(tsv, sep="\t", index=False)
    prefix = layout.table_prefix(tmp_path / "results", "t")
    paths = write_report(tsv, runs, prefix, checkpoints=("final", "best"))
    assert layout.missing("report", prefix) == []
    assert set(paths) == set(layout.REPORT)
    assert paths["curves_png"].read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    assert paths["curves_pdf"].read_bytes()[:5] == b"%PDF-"


def test_numbered_run_files_are_named_and_parsed_in_one_place(tmp_path):
    for step in (30, 1000, 5):
        (tmp_path / rundir.SAMPLES).mkdir(exist_ok=True)
        (tmp_path / rundir.SAMPLES / rundir.sample_file(step, ".npy")).write_bytes(b"")
        (tmp_path / rundir.ckpt_file(step)).write_bytes(b"")
    (tmp_path / rundir.SAMPLES / "step_notes.npy").write_bytes(b"")  # not a numbered file
    assert rundir.sample_file(30) == "step_0000030.png" and rundir.ckpt_file(30) == "ckpt_000000030.pt"
    assert [s for s, _ in rundir.sample_files(tmp_path, ".npy")] == [5, 30, 1000]
    assert [p.name for p in rundir.ckpt_files(tmp_path)] == [rundir.ckpt_file(s) for s in (5, 30, 1000)]


def _dry_run(wf: Path) -> str:
    out = snakemake(wf, "-n", "-p", "--cores", "1", timeout=300)
    assert out.returncode == 0, out.stdout[-2000:] + out.stderr[-2000:]
    return out.stdout + out.stderr


@pytest.fixture
def finished_workflow(tmp_path):
    """A copy of the workflow whose one suite (smoke_real) looks finished: every declared output
    present and newer than its inputs (created from repro.layout / repro.rundir names)."""
    wf = copy_workflow(tmp_path / "wf")
    conf = yaml.safe_load((wf / "config" / "config.yaml").read_text())
    conf.update(suite="t", suites={"t": ["smoke_real"]}, claims={}, adaptive_seeds={},
                runs_dir="runs", ckpt_dir="checkpoints", results_dir="results")
    (wf / "config" / "config.yaml").write_text(yaml.safe_dump(conf))
    past = time.time() - 1000
    for f in (wf / "config").rglob("*"):
        os.utime(f, (past, past))
    made = [wf / "runs" / "smoke_real" / "digits-real" / rundir.SCORES,
            *layout.files("report", layout.table_prefix(wf / "results", "smoke_real")).values(),
            layout.check_file(wf / "results", "smoke_real")]
    for i, path in enumerate(made):  # each step newer than what it reads
        path.parent.mkdir(parents=True, exist_ok=True)
        if path.name == rundir.SCORES:  # sealed: an unsealed scores.json is set aside and rebuilt
            rundir.RunDir(path.parent).seal({"status": "completed", "config_hash": None, "final": {"step": 0}})
        else:
            path.write_text("")
        t = past + 100 * (1 + (i > 0) + (path.name == layout.CHECK))
        os.utime(path, (t, t))
    return wf


@pytest.mark.parametrize("edited, scheduled", [
    ("references/smoke.csv", {"report", "check"}),
    ("references/order_rules.yaml", {"check"}),
])
def test_editing_what_a_rule_reads_reruns_it(finished_workflow, edited, scheduled):
    """config/references/*.csv are the report's declared inputs (passed with --references) and
    order_rules.yaml the check's: editing one reruns what reads it, and nothing else."""
    (finished_workflow / "config" / edited).touch()
    plan = _dry_run(finished_workflow)
    jobs = {r for r in ("real_data", "train", "report", "check") if f"rule {r}:" in plan}
    assert jobs == scheduled, plan[-2000:]
    if "report" in scheduled:  # the files it declares are the files it is given
        assert "--references config/references/lsgan.csv config/references/sagan.csv " \
               "config/references/smoke.csv config/references/sngan.csv" in plan, plan[-2000:]
