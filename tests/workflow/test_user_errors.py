"""Bad input and damaged files (issue 11, points numbered as in the issue): each bad case found by trying the suite as a new user would becomes a
clear error before any work, or a correct result. One test per case, numbered as in the issue."""
from __future__ import annotations

import json
import multiprocessing as mp
import os
import shutil
import signal
import time
from pathlib import Path

import pandas as pd
import pytest
import torch

from repro import cli
from repro.config import RunConfig
from repro.values import parse_assignment
from repro.errors import UserError
from repro.experiments import TableError, read_table, run_config, validate
from repro.claims.common import write_claim
from repro.report.collect import collect
from repro.report.tables import write_report
from repro.train import RunDirError, train

from toy_table import COLUMNS, MOG_ROW, mog_rows, write_table


def train_table(tsv: Path, runs: Path, ckpts: Path | None = None) -> None:
    df = read_table(tsv)
    for _, row in df.iterrows():
        out = runs / tsv.stem / row["run_id"]
        train(run_config(row), out, ckpt_dir=ckpts / row["run_id"] if ckpts else None, progress=False)


@pytest.fixture(scope="module")
def trained(tmp_path_factory):
    """A table of two tiny trained runs, sealed by the trainer (copied by tests that damage it)."""
    root = tmp_path_factory.mktemp("trained")
    tsv = write_table(root / "faults.tsv", mog_rows())
    train_table(tsv, root / "runs", root / "ckpt")
    return tsv, root / "runs", root / "ckpt"


@pytest.fixture
def copy_of(trained, tmp_path):
    tsv, runs, ckpts = trained
    shutil.copytree(runs, tmp_path / "runs")
    shutil.copytree(ckpts, tmp_path / "ckpt")
    return shutil.copy(tsv, tmp_path / "faults.tsv"), tmp_path / "runs", tmp_path / "ckpt"


def _error_line(capsys) -> str:
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and err[0].startswith("error: "), err  # one line, no traceback
    return err[0]


# 1 ------------------------------------------------------------------------------------------
@pytest.mark.parametrize("change, column, words", [
    ({"arch_kwargs": "{x_dim: 3}"}, "arch_kwargs", "x_dim 2"),
    ({"dataset": "digits", "resolution": 16, "arch": "sngan_cnn", "ch": 4, "z_dim": None,
      "update": "alternating", "protocol": "mog"}, "protocol", "does not fit dataset digits"),
    ({"seed": 2**32}, "seed", r"2\*\*32 - 1"),
])
def test_1_cross_field_checks_fail_the_dry_run_naming_line_and_column(tmp_path, change, column, words):
    tsv = write_table(tmp_path / "t.tsv", [{**MOG_ROW, "run_id": "a"}, {**MOG_ROW, "run_id": "b", **change}],
                      COLUMNS + ["arch_kwargs"])
    with pytest.raises(TableError, match=rf"t.tsv, line 3, column '{column}': .*{words}"):
        validate(tsv)


# 2 ------------------------------------------------------------------------------------------
def test_2_set_values_parse_exactly_as_table_cells(tmp_path):
    texts = {"seed": "010", "data_subdir": "12:30", "norm_d": "no", "lr_g": "1e-4", "linear_decay": "false",
             "arch_kwargs": "{bn_g: no, n: 010}"}
    tsv = tmp_path / "v.tsv"
    tsv.write_text("\t".join(texts) + "\n" + "\t".join(texts.values()) + "\n")
    cells = read_table(tsv).iloc[0].to_dict()
    via_set = dict(parse_assignment(f"{k}={v}") for k, v in texts.items())
    assert via_set == cells == {"seed": 10, "data_subdir": "12:30", "norm_d": "no", "lr_g": 1e-4,
                                "linear_decay": False, "arch_kwargs": {"bn_g": "no", "n": 10}}


# 3 ------------------------------------------------------------------------------------------
def test_3_empty_out_is_refused_before_any_work(tmp_path, monkeypatch, capsys):
    monkeypatch.chdir(tmp_path)
    code = cli.main(["train", "--out", "", "--set", "dataset=mog_ring", "--set", "resolution=0",
                     "--set", "arch=mlp", "--set", "g_updates=2", "--set", "device=cpu"])
    assert code == 2 and "--out is empty" in _error_line(capsys)
    assert list(tmp_path.iterdir()) == []


# 4 ------------------------------------------------------------------------------------------
def test_4_garbage_scores_json_is_named_by_the_report_and_rebuilt_by_the_rerun(copy_of):
    tsv, runs, ckpts = copy_of
    run = runs / "faults" / "std-s0"
    good = json.loads((run / "scores.json").read_text())
    (run / "scores.json").write_bytes(b"\x00garbage{")
    with pytest.raises(RunDirError, match=r"std-s0/scores.json is unreadable.*delete"):
        collect(tsv, runs)  # not silently "missing"
    status = train(run_config(read_table(tsv).iloc[0]), run, ckpt_dir=ckpts / "std-s0", progress=False)
    assert _state(status) == {"state": "completed", "step": 60}
    again = json.loads((run / "scores.json").read_text())
    assert again["final"] == good["final"] and again["best"] == good["best"]  # from the checkpoint
    assert collect(tsv, runs).set_index("run_id").loc["std-s0", "status"] == "completed"


# 5 ------------------------------------------------------------------------------------------
def test_5_a_deleted_run_directory_is_rebuilt_from_kept_checkpoints(trained, tmp_path):
    tsv, runs, _ = trained
    cfg = run_config(read_table(tsv).iloc[0])
    out, ckpt = tmp_path / "run", tmp_path / "ckpt"
    train(cfg, out, ckpt_dir=ckpt, progress=False, stop_after=45)  # checkpoints at 20 and 40
    shutil.rmtree(out)
    train(cfg, out, ckpt_dir=ckpt, progress=False)
    ref = runs / "faults" / "std-s0"
    cols = ["step", "loss_d", "loss_g"]
    assert pd.read_csv(out / "train.csv")[cols].equals(pd.read_csv(ref / "train.csv")[cols])
    assert pd.read_csv(out / "curve.csv").equals(pd.read_csv(ref / "curve.csv"))
    for name in ("G_best.pt", "G_final.pt"):
        a, b = (torch.load(d / name, weights_only=True) for d in (out, ref))
        assert all(torch.equal(a[k], b[k]) for k in a), name
    assert json.loads((out / "scores.json").read_text())["best"] == json.loads((ref / "scores.json").read_text())["best"]


# 6 ------------------------------------------------------------------------------------------
def _hold(cfg, out, ready):
    def notify(G, kind):
        ready.set()
        time.sleep(60)  # inside the run: the directory stays owned
        return {}
    train(cfg, out, evaluator=notify, progress=False)


def test_6_a_run_directory_has_one_owner_and_a_killed_one_leaves_no_stale_lock(tmp_path):
    cfg = RunConfig.from_dict({k: v for k, v in MOG_ROW.items() if k not in ("paper", "paper_table", "row", "column")
                               and k != "protocol"} | {"device": "cpu", "final_protocol": "mog"})
    out = tmp_path / "run"
    ctx = mp.get_context("fork")
    ready = ctx.Event()
    holder = ctx.Process(target=_hold, args=(cfg, out, ready))
    holder.start()
    try:
        assert ready.wait(60)
        with pytest.raises(RunDirError, match=rf"is being trained by pid {holder.pid} on host .* since"):
            train(cfg, out, evaluator=lambda G, kind: {}, progress=False, stop_after=1)
    finally:
        os.kill(holder.pid, signal.SIGKILL)
        holder.join()
    status = train(cfg, out, evaluator=lambda G, kind: {}, progress=False)  # the kernel freed the lock
    assert _state(status) == {"state": "completed", "step": 60}
    assert pd.read_csv(out / "train.csv")["step"].tolist() == [10, 20, 30, 40, 50, 60]  # no row twice


# 7 ------------------------------------------------------------------------------------------
def test_7_a_header_only_table_fails_the_dry_run_report_and_claim(tmp_path):
    tsv = write_table(tmp_path / "empty.tsv", [])
    with pytest.raises(TableError, match="empty.tsv has a header but no runs"):
        validate(tsv)
    with pytest.raises(UserError, match="empty.tsv has a header but no runs"):
        write_report(tsv, tmp_path / "runs", tmp_path / "out" / "empty")
    with pytest.raises(UserError, match="empty.tsv has a header but no runs"):
        write_claim("mog_modes", tsv, tmp_path / "runs", tmp_path / "out" / "empty")


# 8 ------------------------------------------------------------------------------------------
def test_8_report_refuses_runs_of_an_edited_row(copy_of):
    tsv, runs, _ = copy_of
    text = Path(tsv).read_text().splitlines()
    text[1] = text[1].replace("lsgan_mog\tsimultaneous\t64", "lsgan_mog\tsimultaneous\t32")  # batch size
    Path(tsv).write_text("\n".join(text) + "\n")
    with pytest.raises(RunDirError, match=r"std-s0/scores.json is of config \w+, not \w+"):
        collect(tsv, runs)


# 9 ------------------------------------------------------------------------------------------
def test_9_a_corrupt_curve_is_named_not_a_bare_failure(copy_of):
    tsv, runs, _ = copy_of
    (runs / "faults" / "ls-s0" / "curve.csv").write_bytes(b"step,modes\n20,1\n\xff\xfe,\"\n")
    with pytest.raises(RunDirError, match=r"ls-s0/curve.csv does not match the checksum"):
        write_report(tsv, runs, Path(tsv).parent / "out" / "faults")


# 10 -----------------------------------------------------------------------------------------
def test_10_check_refuses_a_file_that_is_not_verdicts_or_is_empty(tmp_path, capsys):
    (tmp_path / "x.verdicts.csv").write_text("a,b\n1,2\n")
    (tmp_path / "e.verdicts.csv").write_text("")
    for name, words in (("x", "is not a verdicts file: no column"), ("e", "is not a verdicts file")):
        code = cli.main(["check", str(tmp_path / f"{name}.verdicts.csv")])
        assert code == 2 and words in _error_line(capsys)


# 11 -----------------------------------------------------------------------------------------
def test_11_claim_says_what_is_missing(copy_of, tmp_path):
    tsv, runs, _ = copy_of
    with pytest.raises(UserError, match=r"claim 'settings_robustness' needs the final metrics \['fid', 'is_mean'\] of the completed runs"):
        write_claim("settings_robustness", tsv, runs, tmp_path / "o")
    with pytest.raises(UserError, match=r"claim 'mog_modes': no completed run of .*faults.tsv"):
        write_claim("mog_modes", tsv, tmp_path / "no-runs", tmp_path / "o")


# the weak patterns: one error line naming file, line and column, before any work ------------
HEADER = "\t".join(COLUMNS)
ROW = "\t".join(str(MOG_ROW.get(c, "x")) for c in COLUMNS)


@pytest.mark.parametrize("content, words", [
    (b"", "t.tsv is empty"),
    (HEADER.replace("\t", ",").encode() + b"\n", "t.tsv, line 1: the header is not tab-separated"),
    ((HEADER + "\tseed\n").encode(), "t.tsv, line 1, column 23: column 'seed' appears twice"),
    ((HEADER + "\n" + ROW + "\textra\n").encode(), "t.tsv, line 2: 23 tab-separated fields, the header has 22"),
    ((HEADER + "\n" + ROW.replace("regular GAN", "r\xe9gular GAN") + "\n").encode("latin-1"),
     r"t.tsv, line 2: not UTF-8 \(byte 0xe9\)"),
    ((HEADER + "\tarch_kwargs\n" + ROW + "\t{x_dim: [\n").encode(), "t.tsv, line 2, column 'arch_kwargs': .* is not a mapping"),
    ((HEADER + "\n" + ROW.replace("\tnone\t", "\tfoo\t", 1) + "\n").encode(), "t.tsv, line 2, column 'norm_d': .*'foo' is not allowed"),
    ((HEADER + "\n" + ROW + "\n" + "y" + ROW[1:].replace("regular GAN", "again", 1) + "\n").encode(),
     "t.tsv, line 3: run 'y' has the same config as run 'x' \\(line 2\\)"),
    ((HEADER.replace("\tloss\t", "\tloss\tls_coding\t") + "\n" + ROW.replace("\tstandard\t", "\tstandard\tjournal\t") + "\n").encode(),
     "t.tsv, line 2, column 'ls_coding': .*'journal' is ignored by loss 'standard'"),
])
def test_table_parse_errors_name_file_line_and_column(tmp_path, capsys, content, words):
    (tmp_path / "t.tsv").write_bytes(content)
    with pytest.raises(TableError, match=words):
        validate(tmp_path / "t.tsv")
    code = cli.main(["train-row", str(tmp_path / "t.tsv"), "x", "--out", str(tmp_path / "run")])
    assert code == 2 and _error_line(capsys) and not (tmp_path / "run").exists()


def test_damaged_or_foreign_run_files_are_one_error_line(copy_of, tmp_path, capsys):
    tsv, runs, ckpts = copy_of
    run = runs / "faults" / "std-s0"
    args = ["train-row", str(tsv), "ls-s0", "--out", str(run), "--ckpt-dir", str(ckpts / "ls-s0")]
    assert cli.main(args) == 2 and "holds a run of another config" in _error_line(capsys)
    (run / "status.json").write_text("{garbage")  # derived: repaired from the sealed scores.json
    args[2], args[6] = "std-s0", str(ckpts / "std-s0")
    assert cli.main(args) == 0 and json.loads((run / "status.json").read_text())["state"] == "completed"
    capsys.readouterr()
    code = cli.main(["check", str(tmp_path / "nothing-here")])
    assert code == 2


def _state(status: dict) -> dict:
    """A status without its sessions (``segments``: tested in tests/test_train.py)."""
    return {k: v for k, v in status.items() if k != "segments"}


# --------------------------------------------------------------------------- issue 24
def test_24_an_unsealed_scores_json_is_damage_and_the_trainer_rebuilds_it(copy_of):
    """An edited score with its seal key removed was trusted by every reader (issue 24, case 4)."""
    tsv, runs, ckpts = copy_of
    run = runs / "faults" / "std-s0"
    good = json.loads((run / "scores.json").read_text())
    forged = {k: v for k, v in good.items() if k != "seal"}
    forged["final"] = {**good["final"], "modes_covered": 8}
    (run / "scores.json").write_text(json.dumps(forged))
    with pytest.raises(RunDirError, match=r"std-s0/scores.json has no seal"):
        collect(tsv, runs)
    train(run_config(read_table(tsv).iloc[0]), run, ckpt_dir=ckpts / "std-s0", progress=False)
    assert json.loads((run / "scores.json").read_text())["final"] == good["final"]


def test_24_repair_sets_aside_damaged_and_superseded_runs_and_restores_them(copy_of):
    """What the workflow does before building its DAG (repro.workflow_config.repair): a damaged
    scores.json is renamed, a run of an older version of its row moves aside with its checkpoints
    and comes back when the row does; an intact run and a run being trained are left alone."""
    from repro import rundir, workflow_config

    tsv, runs, ckpts = copy_of
    table = read_table(tsv).set_index("run_id", drop=False)
    ckpt_root = ckpts.parent / "ckpt_root"
    (ckpt_root / "faults").mkdir(parents=True)
    for run_id in table.index:
        shutil.move(ckpts / run_id, ckpt_root / "faults" / run_id)
    assert workflow_config.repair(runs, ckpt_root, {"faults": table}) == []  # intact: nothing
    (runs / "faults" / "std-s0" / "scores.json").write_text("{}")
    edited = table.copy()
    edited.loc["ls-s0", "g_updates"] = 80
    notes = workflow_config.repair(runs, ckpt_root, {"faults": edited})
    assert len(notes) == 2 and "std-s0/scores.json has no finished status" in notes[0]
    assert (runs / "faults" / "std-s0" / workflow_config.DAMAGED).read_text() == "{}"
    old_hash = run_config(table.loc["ls-s0"]).hash()
    kept = runs / "faults" / workflow_config.SUPERSEDED / f"ls-s0.{old_hash}"
    assert not (runs / "faults" / "ls-s0").exists() and (kept / "scores.json").is_file()
    assert (ckpt_root / "faults" / workflow_config.SUPERSEDED / f"ls-s0.{old_hash}").is_dir()
    assert "restored" in workflow_config.repair(runs, ckpt_root, {"faults": table.drop(index="std-s0")})[0]
    assert rundir.RunDir(runs / "faults" / "ls-s0").problem(old_hash) is None
    assert (ckpt_root / "faults" / "ls-s0").is_dir()
    with rundir.RunDir(runs / "faults" / "ls-s0").owner():  # being trained: not touched
        (runs / "faults" / "ls-s0" / "scores.json").write_text("{}")
        notes = workflow_config.repair(runs, ckpt_root, {"faults": table.drop(index="std-s0")})
    assert notes[0].startswith("left alone:") and (runs / "faults" / "ls-s0" / "scores.json").exists()


def test_24_train_out_under_a_file_is_refused_before_any_work(tmp_path, capsys):
    (tmp_path / "f").write_text("a file")
    code = cli.main(["train", "--out", str(tmp_path / "f" / "run"), "--set", "dataset=mog_ring",
                     "--set", "resolution=0", "--set", "arch=mlp", "--set", "g_updates=2", "--set", "device=cpu"])
    assert code == 2 and "lies under" in _error_line(capsys) and (tmp_path / "f").read_text() == "a file"


def test_24_confidence_outside_0_1_is_refused_by_every_command(capsys):
    for cmd in (["rejudge", "results"], ["simulate-verdicts"]):
        with pytest.raises(SystemExit) as e:
            cli.main([*cmd, "--confidence", "1.5"])
        assert e.value.code == 2 and "'1.5' is not a confidence in (0, 1)" in capsys.readouterr().err


def test_24_a_bad_gpu_count_in_a_workflow_job_is_one_error_line():
    import subprocess
    import sys

    env = {k: v for k, v in os.environ.items() if k != "CUDA_VISIBLE_DEVICES"}
    out = subprocess.run([sys.executable, "-m", "repro.gpus", "--", "true"], env={**env, "REPRO_GPU_COUNT": "abc"},
                         capture_output=True, text=True, timeout=120)
    assert out.returncode == 1 and out.stderr.strip().splitlines() == [
        "error: $REPRO_GPU_COUNT='abc' is not a number of GPUs; unset it or give a whole number"]


def test_24_rejudge_and_derive_ranges_pool_name_a_file_that_is_not_verdicts(tmp_path, capsys):
    root = Path(__file__).resolve().parents[2]
    prov = shutil.copy(root / "results" / "smoke_mog" / "smoke_mog.provenance.csv", tmp_path / "p.csv")
    assert cli.main(["rejudge", str(prov)]) == 2
    assert "p.csv is not a verdicts file" in _error_line(capsys)
    assert cli.main(["derive-ranges", str(root / "config" / "tables" / "smoke_mog.tsv"), "--pool", str(prov),
                     "--metrics", "modes_covered"]) == 2
    assert "p.csv is not a verdicts file" in _error_line(capsys)


def test_24_a_learning_rate_too_large_for_float32_ends_the_run_diverged_not_running(tmp_path):
    """lr 3e38: Adam's step overflowed float32 with a traceback and left the run "running"."""
    from repro import rundir

    row = {**MOG_ROW, "run_id": "big-lr", "g_updates": 20, "eval_every": 20, "sample_every": 20,
           "ckpt_every": 20, "log_every": 10}
    cfg = run_config({**row, "lr_g": 3e38, "lr_d": 3e38})
    status = train(cfg, tmp_path / "run", progress=False)
    assert status["state"] == "diverged" and status["step"] == 1
    assert rundir.RunDir(tmp_path / "run").problem(cfg.hash()) is None  # finished and sealed


def test_24_select_with_no_completed_source_run_is_an_error_not_an_empty_selection(tmp_path):
    from repro.report.select import select

    rows = [{**MOG_ROW, "run_id": f"s{k}", "seed": k} for k in range(2)]
    sweep = write_table(tmp_path / "sweep.tsv", rows)
    target = write_table(tmp_path / "t.tsv", [{**MOG_ROW, "run_id": "own", "seed": 5}])
    with pytest.raises(UserError, match=r"no completed run of sweep under .*runs/sweep: nothing to select"):
        select(target, {"sweep": (sweep, "ring")}, tmp_path / "runs", tmp_path / "out" / "t")
    assert not (tmp_path / "out").exists()
