"""repro.bench through bench/device.sh, the one device script, in the reduced mode it runs in on
a CPU: every section runs and writes its figures (on the GPU box the same code runs at the
papers' sizes)."""
import json
import math
import os
import subprocess
from pathlib import Path

import pytest

from repro import calibrate, models

ROOT = Path(__file__).resolve().parents[1]


@pytest.fixture(scope="module")
def bench(tmp_path_factory):
    out = tmp_path_factory.mktemp("bench")
    env = {**os.environ, "OUT": str(out), "REPRO_CACHE": str(out / "cache")}
    r = subprocess.run(["bash", str(ROOT / "bench" / "device.sh"), "--mode", "reduced", "--device", "cpu"],
                       capture_output=True, text=True, timeout=600, env=env, cwd=ROOT)
    return r, out, json.loads((out / "bench.json").read_text())


def test_script_succeeds_and_prints_its_table_last(bench):
    r, out, result = bench
    assert r.returncode == 0, r.stdout + r.stderr[-3000:]
    lines = r.stdout.strip().splitlines()
    assert lines[0].startswith(f"device benchmark: {calibrate.device_name('cpu')}, reduced mode")
    assert lines[-1] == f"every figure: {out / 'bench.json'}"
    assert result["errors"] == {} and set(result["sections"]) == {"smoke", "step_time", "concurrency", "fid",
                                                                  "calibrate"}
    assert result["versions"]["torch"] and result["numerics"]["device"] == "cpu"


def test_every_arch_and_d_treatment_steps_with_finite_losses_on_the_device(bench):
    smoke = bench[2]["sections"]["smoke"]
    expected = {(arch, norm) for arch, spec in models.ARCHS.items() for norm in spec.norms_d}
    assert {(s["arch"], s["norm_d"]) for s in smoke} == expected and len(smoke) == len(expected)
    for s in smoke:
        assert s["ok"] and s["devices"] == ["cpu"], s
        assert math.isfinite(s["loss_d"]) and math.isfinite(s["loss_g"])


def test_step_times_record_their_numerics(bench):
    rows = {(s["loop"], s["numerics"]): s for s in bench[2]["sections"]["step_time"]}
    for loop in ("suite", "eager"):
        fp32 = rows[(loop, "fp32")]
        assert fp32["ms_per_g_update"] > 0 and fp32["timed"] >= 1
        assert fp32["switches"]["tf32_cudnn"] is False and fp32["switches"]["precision"] == "fp32"
        assert "CUDA only" in rows[(loop, "tf32")]["skipped"]
    assert rows[("suite", "bf16")]["ms_per_g_update"] > 0  # the suite's precision: bf16 (autocast)


def test_concurrent_runs_do_not_change_each_others_results(bench):
    conc = bench[2]["sections"]["concurrency"]
    assert [c["runs"] for c in conc] == [1, 2]
    assert conc[0]["vs_one_run"] == 1 and all(c["aggregate_g_updates_per_s"] > 0 for c in conc)
    # same config and seed, alone or sharing the device: bit-identical weights (CPU)
    assert all(c["same_weights"] for c in conc) and conc[-1]["same_weights_all_rounds"]


def test_suite_and_cleanfid_paths_score_the_same_samples_alike(bench):
    suite, clean = bench[2]["sections"]["fid"]
    assert suite["n"] == clean["n"] == 64 and suite["resize"] == clean["resize"] == "legacy_tensorflow"
    assert suite["seconds"] > 0 and clean["seconds"] > 0
    # same images, same stand-in network, same resize: the same FID up to float rounding
    assert clean["fid"] == pytest.approx(suite["fid"], rel=1e-4)


def test_calibration_is_written_where_the_script_puts_its_files(bench):
    _, out, result = bench
    recs = calibrate.read(out / "calibration.json")
    mlp = recs[calibrate.device_name("cpu")]["mlp"]
    assert mlp["s_per_g_update"] == result["sections"]["calibrate"][0]["s_per_g_update"] > 0
    assert not (out / "cache" / "calibration.json").exists()  # the user's cache is left alone
