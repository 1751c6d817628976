"""Measured rates: `repro calibrate` stores them per device, `repro plan` and the SLURM time limits
use them for the device that runs the jobs (else the assumed ones, and say which); a run that will
outlast its time limit says so in its log and resumes when resubmitted."""
import json
import math

import pytest

from repro import calibrate, experiments, timelimit
from repro.cli import main
from repro.config import RunConfig
from repro.errors import UserError
from repro.train import train

FAKE = "NVIDIA Fake"
ROW = {"dataset": "cifar10", "resolution": 32, "arch": "sngan_cnn", "norm_d": "spectralnorm", "setting": "A",
       "g_updates": 100000}


@pytest.fixture
def cache(tmp_path, monkeypatch):
    monkeypatch.setenv("REPRO_CACHE", str(tmp_path / "cache"))
    return tmp_path / "cache"


def _fake_record(arch="sngan_cnn", s_per_unit=0.002, resolution=32, date="2026-12-01"):
    return {"arch": arch, "device": FAKE, "s_per_unit": s_per_unit, "resolution": resolution, "date": date}


def test_measured_rate_is_stored_and_predicts_its_own_config(cache):
    rec = calibrate.measure("mlp", "cpu", steps=3, warmup=1)
    assert rec["device"] == calibrate.device_name("cpu") and rec["device"].startswith("cpu: ")
    assert rec["s_per_g_update"] > 0 and (rec["n_dis"], rec["batch_size"]) == (1, 512)  # lsgan_mog setting
    assert rec["versions"]["torch"] and "tf32_matmul" in rec["numerics"] and rec["steps"] == 3
    path = calibrate.save([rec])
    assert path == cache / "calibration.json"
    stored = json.loads(path.read_text())["devices"][rec["device"]]["mlp"]
    assert stored["s_per_g_update"] == rec["s_per_g_update"]
    r = experiments.rate("mlp", rec["device"])
    assert r["source"] == f"measured on {rec['device']}, {rec['date']}"
    # the timed config itself is predicted at exactly the measured seconds per G update
    cfg = calibrate.calibration_config("mlp", "cpu", g_updates=7200)
    assert experiments.estimate_hours(cfg, rec["device"]) == pytest.approx(7200 * rec["s_per_g_update"] / 3600)
    # another device has no measurement: assumed
    assert experiments.rate("mlp", FAKE)["source"] == "assumed"


def test_resources_use_the_jobs_gpu_rates_else_the_assumed_ones(cache):
    calibrate.save([_fake_record()])
    # setting A: n_dis 5, batch 64 -> 3 units per G update; runtime = hours x 60 x 1.5, in minutes
    assert experiments.resources(ROW, FAKE)["runtime"] == math.ceil(100000 * 0.002 * 3 / 60 * 1.5)  # 15
    stl = {**ROW, "dataset": "stl10", "resolution": 48}  # 2.25x the pixels of the timed 32x32
    assert experiments.resources(stl, FAKE)["runtime"] == math.ceil(100000 * 0.002 * 3 * 2.25 / 60 * 1.5)
    gp = {**ROW, "norm_d": "gradient_penalty"}  # the double backward's measured extra cost
    assert experiments.resources(gp, FAKE)["runtime"] == math.ceil(100000 * 0.002 * 3 * 1.6 / 60 * 1.5)
    short = {**ROW, "g_updates": 100}
    assert experiments.resources(short, FAKE)["runtime"] == 10  # the floor
    assumed = experiments.GPU_S_PER_UPDATE["sngan_cnn"]
    assert experiments.resources(ROW, "NVIDIA Other")["runtime"] == math.ceil(100000 * assumed * 3 / 60 * 1.5)
    assert experiments.resources(ROW)["runtime"] == math.ceil(100000 * assumed * 3 / 60 * 1.5)


def test_plan_says_where_its_rates_come_from(cache, capsys):
    calibrate.save([_fake_record()])
    assert main(["plan", "--suite", "sngan", "--gpu", FAKE]) == 0
    out = capsys.readouterr().out
    assert "on NVIDIA Fake" in out.splitlines()[0]
    assert "rates measured on NVIDIA Fake, 2026-12-01" in out
    tables = {t: experiments.runs(f"config/tables/{t}.tsv") for t in ("sngan_sweep_cifar10",)}
    p = experiments.plan(tables, FAKE)
    assert p.loc[0, "rates"] == "measured on NVIDIA Fake, 2026-12-01"
    cfgs = [experiments.run_config(r) for _, r in tables["sngan_sweep_cifar10"].iterrows()]
    hours = sum(c.g_updates * 0.002 * (c.optimizer()["n_dis"] + 1) / 2
                * (1.6 if c.norm_d == "gradient_penalty" else 1) for c in cfgs) / 3600
    assert p.loc[0, "gpu_hours_est"] == pytest.approx(round(hours, 1))
    assert main(["plan", "--suite", "sngan", "--gpu", "NVIDIA Other"]) == 0
    out = capsys.readouterr().out
    assert "rates assumed" in out and "measured on" not in out
    assert "measured rates exist for: NVIDIA Fake (repro plan --gpu NAME uses them)" in out


def test_damaged_calibration_file_is_one_error_line(cache, capsys):
    cache.mkdir()
    (cache / "calibration.json").write_text("{not json")
    assert main(["plan", "--suite", "sngan", "--gpu", FAKE]) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and err[0].startswith("error: ") and "calibration.json" in err[0]
    assert "delete it" in err[0]


def test_merge_adds_another_machines_rates(cache, tmp_path, capsys):
    other = tmp_path / "gpu_box" / "calibration.json"
    other.parent.mkdir()
    other.write_text(json.dumps({"format": 1, "devices": {FAKE: {"sagan": _fake_record("sagan", 0.01)}}}))
    calibrate.save([_fake_record()])
    assert main(["calibrate", "--merge", str(other)]) == 0
    both = calibrate.load()
    assert set(both[FAKE]) == {"sngan_cnn", "sagan"} and both[FAKE]["sagan"]["s_per_unit"] == 0.01
    assert main(["calibrate", "--merge", str(tmp_path / "nope.json")]) == 2
    assert "no such calibration file" in capsys.readouterr().err


def test_deadline_sources():
    assert timelimit.deadline(240, {"SLURM_JOB_ID": "7", "SLURM_JOB_END_TIME": "1900000000"}) == (
        1900000000.0, "SLURM_JOB_END_TIME")
    end, src = timelimit.deadline(240, {"SLURM_JOB_ID": "7", "SLURM_JOB_START_TIME": "1800000000"})
    assert end == 1800000000 + 240 * 60 and "240 min" in src
    assert timelimit.deadline(240, {}) is None  # not under SLURM: nothing enforces the limit
    # an unusable end time (0: no limit) falls back to the limit the workflow passed
    assert timelimit.deadline(240, {"SLURM_JOB_ID": "7", "SLURM_JOB_END_TIME": "0"})[1].startswith("the job's")
    end, src = timelimit.deadline(None, {"REPRO_TIME_LIMIT": "30"})
    assert end == pytest.approx(timelimit._STARTED + 1800) and "REPRO_TIME_LIMIT" in src
    with pytest.raises(UserError, match="REPRO_TIME_LIMIT='4h' is not a number of minutes"):
        timelimit.deadline(None, {"REPRO_TIME_LIMIT": "4h"})


def test_watch_warns_once_with_the_kill_step_and_the_resume_step():
    w = timelimit.Watch((1000.0 + 30, "SLURM_JOB_END_TIME"), total=1000, ckpt_every=150)
    assert w.check(100, 100.0, now=1000.0) is None  # 9 s left to do, 30 s to go
    msg = w.check(100, 10.0, now=1000.0)  # 90 s left to do, 30 s to go
    assert msg.startswith("warning: time limit: 900 G updates left")
    assert "near step 400 of 1000" in msg and "from step 300" in msg and "SLURM_JOB_END_TIME" in msg
    assert w.check(200, 1.0, now=1001.0) is None  # once only


def test_run_that_will_outlast_its_limit_warns_in_its_log_and_resumes(tmp_path, monkeypatch, capsys):
    cfg = RunConfig.from_dict(dict(dataset="mog_ring", resolution=0, arch="mlp", setting="lsgan_mog",
                                   update="simultaneous", batch_size=64, g_updates=40, log_every=10,
                                   ckpt_every=10))
    monkeypatch.setenv("REPRO_TIME_LIMIT", "0.0001")  # long over since this process started
    assert train(cfg, tmp_path, evaluator=lambda G, k: {}, progress=False, stop_after=20)["state"] == "running"
    err = capsys.readouterr().err
    assert err.count("warning: time limit") == 1 and "REPRO_TIME_LIMIT" in err
    # the limit is already past at the first log line (step 10): killed there, resumed from there
    assert "killed near step 10 of 40" in err and "from step 10" in err
    # resubmitted (here: called again), it continues from its newest checkpoint to the end
    done = train(cfg, tmp_path, evaluator=lambda G, k: {}, progress=False)
    assert (done["state"], done["step"]) == ("completed", 40)
    steps = [line.split(",")[0] for line in (tmp_path / "train.csv").read_text().splitlines()[1:]]
    assert steps == ["10", "20", "30", "40"]
