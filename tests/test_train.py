"""The trainer: run directory contract, determinism, kill-and-resume bit-identity, atomic
checkpoints with fallback, divergence as a result, config errors before any work."""
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

from repro import io, losses
from repro.config import RunConfig
from repro.train import Checkpoints, RunDirError, train

MOG = dict(dataset="mog_ring", resolution=0, arch="mlp", setting="lsgan_mog", update="simultaneous",
           batch_size=64, g_updates=60, log_every=10, ckpt_every=20, sample_every=30)
DIGITS = dict(dataset="digits", resolution=16, arch="sngan_cnn", ch=4, norm_d="spectralnorm", setting="A",
              batch_size=16, g_updates=6, log_every=2, ckpt_every=3)
NO_EVAL = lambda G, kind: {}  # noqa: E731
ROOT = Path(__file__).resolve().parents[1]


def _weights(path):
    return torch.load(path, weights_only=True)


def _same(a, b):
    return a.keys() == b.keys() and all(torch.equal(a[k], b[k]) for k in a)


def test_run_directory_contract(tmp_path):
    calls = []

    def evaluator(G, kind):
        calls.append(kind)
        return {"fid": 10.0 - len(calls) if kind == "curve" else 1.0, "kind": kind}

    cfg = RunConfig.from_dict({**MOG, "eval_every": 20})
    status = train(cfg, tmp_path, evaluator=evaluator, progress=False)
    assert _state(status) == {"state": "completed", "step": 60}
    conf = json.loads((tmp_path / "config.json").read_text())
    assert conf["hash"] == cfg.hash() and conf["config"]["lr_d"] == 1e-4 and conf["config"]["lr_g"] == 1e-3
    assert conf["versions"]["torch"] == torch.__version__
    assert "tf32_matmul" in conf["numerics"]
    rows = (tmp_path / "train.csv").read_text().splitlines()
    assert rows[0] == "step,loss_d,loss_g,seconds,it_per_s,img_per_s"
    assert [int(r.split(",")[0]) for r in rows[1:]] == [10, 20, 30, 40, 50, 60]
    scores = json.loads((tmp_path / "scores.json").read_text())
    assert calls == ["curve", "curve", "curve", "final", "best"]  # 20, 40, 60; final; best (fresh stream)
    assert scores["status"] == "completed" and scores["final"] == {"step": 60, "fid": 1.0, "kind": "final"}
    assert scores["best"]["step"] == 60  # the curve's FID fell at every evaluation
    curve = (tmp_path / "curve.csv").read_text().splitlines()
    assert curve == ["step,fid,kind", "20,9.0,curve", "40,8.0,curve", "60,7.0,curve"]
    assert scores["seed"] == 0 and scores["config_hash"] == cfg.hash() and "versions" in scores
    assert sorted(p.name for p in (tmp_path / "samples").iterdir()) == [
        "step_0000030.npy", "step_0000030.png", "step_0000060.npy", "step_0000060.png"]
    assert len(list((tmp_path / "checkpoints").glob("ckpt_*.pt"))) == cfg.keep_ckpts
    assert json.loads((tmp_path / "status.json").read_text())["state"] == "completed"
    assert (tmp_path / "G_final.pt").exists()


def test_same_config_same_weights(tmp_path):
    cfg = RunConfig.from_dict(DIGITS)
    train(cfg, tmp_path / "a", evaluator=NO_EVAL, progress=False)
    train(cfg, tmp_path / "b", evaluator=NO_EVAL, progress=False)
    assert _same(_weights(tmp_path / "a" / "G_final.pt"), _weights(tmp_path / "b" / "G_final.pt"))
    other = RunConfig.from_dict({**DIGITS, "seed": 1})
    train(other, tmp_path / "c", evaluator=NO_EVAL, progress=False)
    assert not _same(_weights(tmp_path / "a" / "G_final.pt"), _weights(tmp_path / "c" / "G_final.pt"))


def test_interrupted_and_resumed_equals_uninterrupted(tmp_path):
    cfg = RunConfig.from_dict(DIGITS)
    train(cfg, tmp_path / "full", evaluator=NO_EVAL, progress=False)
    assert train(cfg, tmp_path / "cut", evaluator=NO_EVAL, progress=False, stop_after=3)["state"] == "running"
    train(cfg, tmp_path / "cut", evaluator=NO_EVAL, progress=False)
    assert _same(_weights(tmp_path / "full" / "G_final.pt"), _weights(tmp_path / "cut" / "G_final.pt"))
    # the log was not doubled by the resume
    steps = [l.split(",")[0] for l in (tmp_path / "cut" / "train.csv").read_text().splitlines()[1:]]
    assert steps == ["2", "3", "4", "6"]


def _cli_train(cfg: dict, out: Path, ckpt_dir: Path) -> subprocess.Popen:
    config = out.parent / f"{out.name}.json"
    config.write_text(json.dumps(cfg))
    return subprocess.Popen([sys.executable, "-m", "repro", "train", str(config), "--out", str(out),
                             "--ckpt-dir", str(ckpt_dir), "--no-progress"], cwd=ROOT,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE)


@pytest.mark.slow
def test_sigkill_and_resume_is_bit_identical(tmp_path):
    """A real process, killed with SIGKILL mid-run, resumed by re-running the same command."""
    cfg = {**MOG, "g_updates": 3000, "ckpt_every": 200, "log_every": 100, "sample_every": 0,
           "eval_every": 0}
    ref = _cli_train(cfg, tmp_path / "ref", tmp_path / "ref_ckpt")
    assert ref.wait(timeout=600) == 0, ref.stderr.read().decode()

    p = _cli_train(cfg, tmp_path / "run", tmp_path / "run_ckpt")
    deadline = time.time() + 300
    while not list((tmp_path / "run_ckpt").glob("ckpt_*.pt")) and time.time() < deadline:
        time.sleep(0.05)
    p.send_signal(signal.SIGKILL)
    p.wait()
    assert p.returncode == -signal.SIGKILL
    status = json.loads((tmp_path / "run" / "status.json").read_text())
    assert status["state"] == "running" and not (tmp_path / "run" / "G_final.pt").exists()
    resumed = _cli_train(cfg, tmp_path / "run", tmp_path / "run_ckpt")
    assert resumed.wait(timeout=600) == 0, resumed.stderr.read().decode()
    assert _same(_weights(tmp_path / "ref" / "G_final.pt"), _weights(tmp_path / "run" / "G_final.pt"))
    scores = json.loads((tmp_path / "run" / "scores.json").read_text())
    assert 0 < scores["steps_this_session"] < 3000  # it really resumed


def test_damaged_newest_checkpoint_falls_back(tmp_path):
    cfg = RunConfig.from_dict({**DIGITS, "ckpt_every": 2})
    train(cfg, tmp_path / "full", evaluator=NO_EVAL, progress=False)
    train(cfg, tmp_path / "cut", evaluator=NO_EVAL, progress=False, stop_after=4)
    ckpts = sorted((tmp_path / "cut" / "checkpoints").glob("ckpt_*.pt"))
    assert [c.name for c in ckpts] == ["ckpt_000000002.pt", "ckpt_000000004.pt"]
    newest = ckpts[-1]
    newest.write_bytes(newest.read_bytes()[:100])  # truncated, as by a full disk
    with pytest.warns(UserWarning, match="unreadable"):
        train(cfg, tmp_path / "cut", evaluator=NO_EVAL, progress=False)
    assert _same(_weights(tmp_path / "full" / "G_final.pt"), _weights(tmp_path / "cut" / "G_final.pt"))


def test_resume_keeps_every_column_of_the_logs(tmp_path):
    from repro.train import CsvLog

    log = CsvLog(tmp_path / "curve.csv", ["step"])
    for step in (1, 2, 3):
        log.append({"step": step, "fid": 10.0 / step})
    again = CsvLog(tmp_path / "curve.csv", ["step"])  # as a resumed run opens it
    again.truncate_after(2)
    again.append({"step": 3, "fid": 3.0})
    assert (tmp_path / "curve.csv").read_text().splitlines() == ["step,fid", "1,10.0", "2,5.0", "3,3.0"]


def test_result_does_not_depend_on_a_warm_metrics_cache(tmp_path, monkeypatch):
    """A cold cache makes the evaluator train (and seed) the digits classifier inside the run;
    the run's weights must equal those of a run that found it cached."""
    cfg = RunConfig.from_dict({**DIGITS, "eval_every": 3})
    monkeypatch.setenv("REPRO_CACHE", str(tmp_path / "cache"))
    train(cfg, tmp_path / "cold", progress=False)
    assert list((tmp_path / "cache").glob("digits_classifier-*.pt"))
    train(cfg, tmp_path / "warm", progress=False)
    assert _same(_weights(tmp_path / "cold" / "G_final.pt"), _weights(tmp_path / "warm" / "G_final.pt"))
    cold, warm = (json.loads((tmp_path / d / "scores.json").read_text())["final"] for d in ("cold", "warm"))
    assert cold["fid"] == warm["fid"]


def test_checkpoints_keep_last_k(tmp_path):
    c = Checkpoints(tmp_path, keep=2)
    for step in (1, 2, 3, 4):
        c.save(step, {"step": step})
    assert [p.name for p in c.paths()] == ["ckpt_000000003.pt", "ckpt_000000004.pt"]
    assert c.load_latest("cpu") == {"step": 4}


def test_atomic_write_leaves_old_file_when_writer_dies(tmp_path):
    path = tmp_path / "scores.json"
    io.write_json(path, {"fid": 1.0})

    def dies(f):
        f.write(b"{half")
        raise KeyboardInterrupt

    with pytest.raises(KeyboardInterrupt):
        io.atomic_write(path, dies)
    assert json.loads(path.read_text()) == {"fid": 1.0}
    assert [p.name for p in tmp_path.iterdir()] == ["scores.json"]  # no temp file left behind


def test_real_divergence_is_a_result(tmp_path):
    """lr 1e30 makes the first update overflow the weights. With simultaneous updates the step-1
    losses are computed before any update, so the first non-finite loss is at step 2."""
    cfg = RunConfig.from_dict({**MOG, "loss": "least_squares", "lr_g": 1e30, "lr_d": 1e30})
    status = train(cfg, tmp_path, evaluator=NO_EVAL, progress=False)
    assert status["state"] == "diverged" and status["step"] == 2
    scores = json.loads((tmp_path / "scores.json").read_text())
    assert scores["status"] == "diverged" and scores["diverged_at"] == 2
    assert not (tmp_path / "G_final.pt").exists()
    # a rerun does not redo a finished run
    assert train(cfg, tmp_path, evaluator=NO_EVAL, progress=False) == status


def test_divergence_step_is_exact_between_log_lines(tmp_path, monkeypatch):
    calls = {"n": 0}
    real = losses.LOSSES["standard"]

    def g(fake):
        calls["n"] += 1
        return real.g(fake) * (float("nan") if calls["n"] == 13 else 1.0)

    monkeypatch.setitem(losses.LOSSES, "standard", losses.Loss("standard", real.d, g))
    cfg = RunConfig.from_dict({**MOG, "loss": "standard", "setting": "C", "update": "alternating",
                               "log_every": 25})
    status = train(cfg, tmp_path, evaluator=NO_EVAL, progress=False)
    assert _state(status) == {"state": "diverged", "step": 13, "reason": "non-finite loss"}


def test_other_config_in_same_directory_is_refused(tmp_path):
    train(RunConfig.from_dict({**MOG, "g_updates": 10}), tmp_path, evaluator=NO_EVAL, progress=False)
    with pytest.raises(RunDirError, match="another config"):
        train(RunConfig.from_dict({**MOG, "g_updates": 10, "seed": 3}), tmp_path, evaluator=NO_EVAL)


def test_missing_data_fails_before_any_network_is_built(tmp_path, monkeypatch):
    from repro import models

    monkeypatch.setattr(models, "build", lambda *a, **k: pytest.fail("built a network"))
    cfg = RunConfig.from_dict({"dataset": "cifar10", "arch": "sngan_cnn", "data_root": str(tmp_path)})
    from repro.data import DataNotFoundError

    with pytest.raises(DataNotFoundError, match="cifar-10-batches-py"):
        train(cfg, tmp_path / "run", evaluator=NO_EVAL)


def test_cli_help_and_errors(tmp_path):
    out = subprocess.run([sys.executable, "-m", "repro", "train", "--help"], capture_output=True, text=True,
                         cwd=ROOT)
    assert out.returncode == 0 and "setting: C" in out.stdout and "newest checkpoint" in out.stdout
    bad = subprocess.run([sys.executable, "-m", "repro", "train", "--out", str(tmp_path / "r"),
                          "--set", "dataset=digits", "--set", "arch=sngan_cnn", "--set", "norm_d=spectral"],
                         capture_output=True, text=True, cwd=ROOT)
    assert bad.returncode == 2 and "'norm_d'" in bad.stderr and "spectralnorm" in bad.stderr
    assert not (tmp_path / "r").exists()


def test_a_runs_config_json_trains_the_same_run_again(tmp_path):
    """``repro train RUN/config.json`` (what its help offers) reads back a run's record, derived
    keys (``norm_revision``) and all: the new run has the old one's hash and its losses."""
    cfg = RunConfig.from_dict({**MOG, "norm_d": "orthonormal", "g_updates": 20})
    train(cfg, tmp_path / "a", evaluator=NO_EVAL, progress=False)
    record = json.loads((tmp_path / "a" / "config.json").read_text())
    assert record["config"]["norm_revision"] is not None  # the key a table never has
    out = subprocess.run([sys.executable, "-m", "repro", "train", str(tmp_path / "a" / "config.json"),
                          "--out", str(tmp_path / "b"), "--set", "eval_every=0", "--no-progress"],
                         capture_output=True, text=True, cwd=ROOT)
    assert out.returncode == 0, out.stderr
    again = json.loads((tmp_path / "b" / "config.json").read_text())
    assert again["hash"] == record["hash"] == cfg.hash() and "deprecated" not in out.stderr
    losses_of = lambda run: pd.read_csv(run / "train.csv")[["step", "loss_d", "loss_g"]]  # noqa: E731
    pd.testing.assert_frame_equal(losses_of(tmp_path / "b"), losses_of(tmp_path / "a"))


def test_a_shorter_run_is_an_exact_prefix_of_a_longer_one(tmp_path):
    """What lets the smoke cells be derived from the published claim runs: with no linear decay,
    g_updates (and how often a run logs, evaluates, samples or checkpoints) does not touch the
    trajectory, so a 30-update run ends exactly where a 60-update run is at update 30."""
    short = {**MOG, "g_updates": 30, "eval_every": 10, "eval_protocol": "mog", "final_protocol": "mog"}
    long = {**short, "g_updates": 60, "eval_every": 15, "log_every": 5, "ckpt_every": 30, "sample_every": 0}
    train(RunConfig.from_dict(short), tmp_path / "short", progress=False)
    train(RunConfig.from_dict(long), tmp_path / "long", progress=False, stop_after=30)
    final = json.loads((tmp_path / "short" / "scores.json").read_text())["final"]
    curve = pd.read_csv(tmp_path / "long" / "curve.csv").set_index("step")
    for m in ("modes_covered", "hq_fraction", "kl_uniform", "top_mode_share"):
        assert curve.loc[30, m] == final[m] or (pd.isna(curve.loc[30, m]) and pd.isna(final[m])), m
    ckpt = torch.load(tmp_path / "long" / "checkpoints" / "ckpt_000000030.pt", weights_only=False)
    assert _same(_weights(tmp_path / "short" / "G_final.pt"), ckpt["G"])


def test_a_run_continues_after_its_device_or_cadence_changes(tmp_path):
    """device and the cadence keys are not the run's identity (repro.config.RESULT_NEUTRAL): a run
    cut at step 3 and continued with another device string, log/checkpoint/sample cadence ends
    bit-identical to an uninterrupted run, and records both sessions."""
    first = RunConfig.from_dict({**DIGITS, "device": "cpu"})
    train(first, tmp_path / "full", evaluator=NO_EVAL, progress=False)
    assert train(first, tmp_path / "cut", evaluator=NO_EVAL, progress=False, stop_after=3)["state"] == "running"
    second = RunConfig.from_dict({**DIGITS, "device": "auto", "log_every": 1, "ckpt_every": 2,
                                  "keep_ckpts": 3, "sample_every": 2})
    assert second.hash() == first.hash()
    status = train(second, tmp_path / "cut", evaluator=NO_EVAL, progress=False)
    assert _same(_weights(tmp_path / "full" / "G_final.pt"), _weights(tmp_path / "cut" / "G_final.pt"))
    segs = status["segments"]
    assert [(s["from_step"], s["to_step"], s["device"], s["cadence"]["log_every"]) for s in segs] == [
        (0, 3, "cpu", 2), (3, 6, "cpu", 1)]
    assert json.loads((tmp_path / "cut" / "scores.json").read_text())["segments"] == segs
    assert json.loads((tmp_path / "cut" / "status.json").read_text())["segments"] == segs
    steps = pd.read_csv(tmp_path / "cut" / "train.csv")["step"].tolist()
    assert steps == [2, 3, 4, 5, 6]  # log_every 2 (and the checkpoint at 3), then 1
    assert sorted(p.name for p in (tmp_path / "cut" / "samples").iterdir()) == [
        "step_0000004.png", "step_0000006.png"]


def _state(status: dict) -> dict:
    """A status without its sessions (``segments``: tested in tests/test_train.py)."""
    return {k: v for k, v in status.items() if k != "segments"}
