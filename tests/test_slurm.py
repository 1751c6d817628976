"""Running the workflow through SLURM gives the same results as running it locally.

The SLURM tests bring up a single-node cluster on this machine (tests/slurm_cluster.py: root and
apt-get needed, else they skip; REPRO_REQUIRE_SLURM=1 makes that a failure) and submit through
snakemake-executor-plugin-slurm with profiles/slurm-noacct. A SLURM job costs 10-30 s more
than the same job run locally (two nested Snakemake start-ups in the job, and the plugin's status
checks 1, 12, 33, ... s after a submission), so the workflows stay small, and each local reference
run goes at the same time as its SLURM run.
"""
from __future__ import annotations

import concurrent.futures
import json
import os
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
import yaml

# tests/ is on sys.path under pytest's default import mode; this makes it so under the others too
sys.path.insert(0, str(Path(__file__).resolve().parent))
import slurm_cluster as cluster_harness  # noqa: E402
from slurm_cluster import slurm_cluster  # noqa: E402,F401 (the fixture)

ROOT = Path(__file__).resolve().parents[1]
PROFILES = ROOT / "profiles"
SNAKEMAKE = [sys.executable, "-m", "snakemake"]
# the plugin's first status check comes 40 s after a submission unless told otherwise
SLURM_FLAGS = ["--profile", str(PROFILES / "slurm-noacct"),
               "--slurm-init-seconds-before-status-checks", "1",
               # small enough for any CI machine's memory (the profile asks 8 GB per job)
               "--default-resources", "mem_mb=500", "runtime=15"]
NOACCT_ONLY = {"slurm-status-command", "slurm-no-account"}


def run_snakemake(args, cwd, env, timeout):
    """Run Snakemake in its own process group; on timeout kill the whole group (never hang)."""
    t0 = time.monotonic()
    p = subprocess.Popen(SNAKEMAKE + list(args), cwd=cwd, env=env, stdout=subprocess.PIPE,
                         stderr=subprocess.STDOUT, text=True, start_new_session=True)
    try:
        out, _ = p.communicate(timeout=timeout)
    except subprocess.TimeoutExpired:
        os.killpg(p.pid, signal.SIGKILL)  # it may ignore SIGTERM while polling
        out, _ = p.communicate()
        pytest.fail(f"snakemake {' '.join(args)} took over {timeout} s; output:\n{out[-6000:]}")
    if p.returncode != 0:
        pytest.fail(f"snakemake {' '.join(args)} exited {p.returncode}; output:\n{out[-6000:]}")
    return out, time.monotonic() - t0


def run_concurrently(*runs):
    """run_snakemake(*args) for each args tuple, all at once: a local run computes while the
    SLURM run mostly waits for its status checks. Returns [(output, seconds), ...]."""
    with concurrent.futures.ThreadPoolExecutor(len(runs)) as pool:
        futures = [pool.submit(run_snakemake, *r) for r in runs]
        return [f.result() for f in futures]


def local_env(**extra):
    env = {k: v for k, v in os.environ.items()
           if not k.startswith(("SLURM_", "SNAKEMAKE_PROFILE", "CUDA_VISIBLE_DEVICES"))}
    env.update(extra)
    return env


def test_noacct_profile_differs_from_slurm_profile_only_in_accounting_keys():
    slurm = yaml.safe_load((PROFILES / "slurm" / "config.yaml").read_text())
    noacct = yaml.safe_load((PROFILES / "slurm-noacct" / "config.yaml").read_text())
    assert set(noacct) - set(slurm) == NOACCT_ONLY
    assert {k: v for k, v in noacct.items() if k not in NOACCT_ONLY} == slurm
    assert noacct["slurm-status-command"] == "squeue"
    local = yaml.safe_load((PROFILES / "local-gpu" / "config.yaml").read_text())
    assert local["cores"] == "all" and local["resources"]["gpu"] >= 1


def test_cluster_harness_says_why_it_cannot_run(monkeypatch, tmp_path):
    monkeypatch.setattr(os, "geteuid", lambda: 1000)
    with pytest.raises(cluster_harness.ClusterUnavailable, match="root"):
        cluster_harness.start(tmp_path / "c")
    monkeypatch.setattr(os, "geteuid", lambda: 0)
    monkeypatch.setattr(shutil, "which", lambda name: None)  # no SLURM, no apt-get
    with pytest.raises(cluster_harness.ClusterUnavailable, match="apt-get"):
        cluster_harness.install()
    assert not (tmp_path / "c").exists()


# ------------------------------------------------------------------------------- toy workflow
TOY_SNAKEFILE = """\
PY = {python!r}

# small rules run in the main Snakemake process (no SLURM round trip), after the SLURM jobs
localrules: all, total

rule all:
    input: "out/sum.json"

rule part:
    output: "out/part_{{name}}.json"
    shell: "{{PY}} compute.py {{wildcards.name}} {{output}}"

# through SLURM: sbatch --gpus=1 on the fake-GPU node; locally: a device from repro.gpus
rule gpu:
    output: "out/gpu.json", env="env/gpu.json"
    resources: gpu=1
    shell: "{{PY}} -m repro.gpus -- {{PY}} compute.py gpu {{output[0]}} {{output.env}}"

rule total:
    input: "out/part_a.json", "out/gpu.json"
    output: "out/sum.json"
    shell: "{{PY}} compute.py sum {{output}} {{input}}"
"""

TOY_COMPUTE = """\
import hashlib, json, math, os, sys

name, out = sys.argv[1], sys.argv[2]
if name == "sum":
    parts = [json.load(open(p)) for p in sys.argv[3:]]
    result = {"value": math.fsum(p["value"] for p in parts), "of": sorted(p["name"] for p in parts)}
else:
    seed = int(hashlib.sha256(name.encode()).hexdigest()[:8], 16)
    value = math.fsum(math.sin(seed * 1e-9 + i) / (i + 1) for i in range(200_000))
    result = {"name": name, "value": value}
    if name == "gpu":
        keys = ("CUDA_VISIBLE_DEVICES", "SLURM_JOB_ID", "SLURM_JOB_GPUS", "SLURM_GPUS_ON_NODE")
        json.dump({k: os.environ.get(k) for k in keys}, open(sys.argv[3], "w"))
json.dump(result, open(out, "w"), sort_keys=True)
"""


def _toy(dirpath: Path) -> Path:
    dirpath.mkdir(parents=True)
    (dirpath / "Snakefile").write_text(TOY_SNAKEFILE.format(python=sys.executable))
    (dirpath / "compute.py").write_text(TOY_COMPUTE)
    return dirpath


def _outputs(wd: Path) -> dict:
    return {p.name: p.read_text() for p in sorted((wd / "out").glob("*.json"))}


@pytest.mark.slurm
@pytest.mark.slow
def test_toy_workflow_gives_the_same_results_through_slurm(slurm_cluster, tmp_path):
    # locally with the local-gpu profile on a pretend 2-GPU box (repro.gpus hands out devices),
    # and through SLURM, at the same time
    local, remote = _toy(tmp_path / "local"), _toy(tmp_path / "slurm")
    lenv = local_env(REPRO_GPU_COUNT="2", REPRO_GPU_LOCK_DIR=str(tmp_path / "gpu-locks"),
                     PYTHONPATH=str(ROOT))
    senv = dict(slurm_cluster.env, PYTHONPATH=str(ROOT))
    (_, took_local), (out, took) = run_concurrently(
        (["--profile", str(PROFILES / "local-gpu"), "--cores", "2", "--resources", "gpu=2"],
         local, lenv, 120),
        (SLURM_FLAGS, remote, senv, 240))
    print(f"toy workflow, 2 SLURM jobs + 1 local: local {took_local:.1f} s, "
          f"through SLURM {took:.1f} s")
    assert out.count("submitted with SLURM jobid") == 2

    assert _outputs(remote) == _outputs(local)
    assert sorted(_outputs(local)) == ["gpu.json", "part_a.json", "sum.json"]

    slurm_env = json.loads((remote / "env" / "gpu.json").read_text())
    assert slurm_env["SLURM_JOB_ID"], "the GPU job did not run under SLURM"
    assert slurm_env["CUDA_VISIBLE_DEVICES"] == "0", slurm_env  # set by SLURM from the fake gres
    assert slurm_env["SLURM_GPUS_ON_NODE"] == "1", slurm_env
    local_env_ = json.loads((local / "env" / "gpu.json").read_text())
    assert local_env_["SLURM_JOB_ID"] is None
    assert local_env_["CUDA_VISIBLE_DEVICES"] in ("0", "1"), local_env_  # from repro.gpus


# ------------------------------------------------------------------------------ the real workflow
#: Smoke tables left out: their runs go through the same `repro train-row` job as smoke_digits' and
#: smoke_sagan's, and each SLURM job costs 10-30 s of status checks (the plugin's interval grows
#: by 10 s while no job finishes): smoke_mog_short's cheapest run is 1,000 MLP updates (~15 s of a
#: core, twice), smoke_treatments' another digits CNN. Three jobs remain (a CNN, SAGAN, real data).
SLURM_SKIPS = ("smoke_mog_short", "smoke_treatments")


def _smoke_runs(wf: Path) -> dict[str, str]:
    """The cheapest run (fewest g_updates; the first of equals) of every table of the smoke
    suite but :data:`SLURM_SKIPS`: {table: run_id}, one training job per table."""
    config = yaml.safe_load((wf / "config" / "config.yaml").read_text())
    picked = {}
    for table in config["suites"]["smoke"]:
        if table in SLURM_SKIPS:
            continue
        lines = (wf / "config" / "tables" / f"{table}.tsv").read_text().splitlines()
        header = lines[0].split("\t")
        rows = [dict(zip(header, line.split("\t"))) for line in lines[1:] if line.strip()]
        cheapest = min(rows, key=lambda r: int(r.get("g_updates") or 0))  # min() keeps the first
        picked[table] = cheapest["run_id"]
    return picked


def _workflow_copy(dst: Path) -> Path:
    """Snakefile, workflow/ and config/ in a directory of their own (own .snakemake/, outputs)."""
    dst.mkdir(parents=True)
    shutil.copy2(ROOT / "Snakefile", dst / "Snakefile")
    for d in ("workflow", "config"):
        shutil.copytree(ROOT / d, dst / d, ignore=shutil.ignore_patterns("__pycache__"))
    return dst


def _final_metrics(scores: Path) -> dict:
    """The numbers of the final checkpoint's evaluation, without timings."""
    d = json.loads(scores.read_text())
    assert d.get("status", "completed") == "completed", d.get("status")
    return {k: v for k, v in d["final"].items()
            if isinstance(v, (int, float, list)) and "second" not in k and "time" not in k}


@pytest.mark.slurm
@pytest.mark.slow
@pytest.mark.skipif(not (ROOT / "Snakefile").exists() or not (ROOT / "config" / "config.yaml").exists(),
                    reason="the workflow (Snakefile, config/config.yaml) is not there yet")
def test_smoke_training_runs_give_the_same_scores_through_slurm(slurm_cluster, tmp_path):
    # in case a rule calls `python`/`repro` from PATH: this interpreter's (like the Makefile)
    bindir = str(Path(sys.executable).parent)
    args = ["--config", "suite=smoke", "runs_dir=runs", "ckpt_dir=checkpoints",
            "results_dir=results",
            # CI machines may have little memory; the smoke runs need far less than they ask
            "--set-resources", "train:mem_mb=1000"]
    runs, targets = {}, {}
    for where in ("local", "slurm"):
        wf = _workflow_copy(tmp_path / where)
        targets[where] = [f"runs/{t}/{r}/scores.json" for t, r in _smoke_runs(wf).items()]
        base_env = slurm_cluster.env if where == "slurm" else local_env()
        env = dict(base_env, PATH=bindir + os.pathsep + base_env["PATH"])
        flags = SLURM_FLAGS if where == "slurm" else ["--cores", "2"]
        runs[where] = (flags + args + ["--"] + targets[where], wf, env, 480)
    (_, took_local), (out, took) = run_concurrently(runs["local"], runs["slurm"])
    n = len(targets["slurm"])
    print(f"{n} smoke training runs: local {took_local:.1f} s, through SLURM {took:.1f} s "
          "(at the same time)")
    assert out.count("submitted with SLURM jobid") == n, out[-3000:]
    results = {where: {t: _final_metrics(runs[where][1] / t) for t in targets[where]}
               for where in runs}

    assert results["slurm"] == results["local"]
    for metrics in results["local"].values():
        assert len(metrics) >= 3, metrics  # real metrics were compared, not an empty dict


# ------------------------------------------------------------------------- adaptive seeds
@pytest.mark.slurm
@pytest.mark.slow
def test_adaptive_seed_rounds_run_through_slurm(slurm_cluster, tmp_path):
    """The seed_round checkpoint grows the DAG the same way when the runs go through SLURM: two
    undecidable cells (tests/test_adaptive_seeds.py) go from 1 seed to the cap of 2: 4 training
    jobs in two rounds, each submitted with sbatch."""
    from test_adaptive_seeds import make_adaptive_workflow

    wf = make_adaptive_workflow(tmp_path / "wf", spec={"start": 1, "step": 1, "cap": 2}, cells=("A", "B"))
    bindir = str(Path(sys.executable).parent)
    env = dict(slurm_cluster.env, PATH=bindir + os.pathsep + slurm_cluster.env["PATH"])
    out, took = run_snakemake(SLURM_FLAGS + ["--set-resources", "train:mem_mb=1000", "--",
                                             "results/adaptive_t/adaptive_t.verdicts.csv"], wf, env, 480)
    print(f"adaptive rounds through SLURM: {took:.1f} s")
    assert out.count("submitted with SLURM jobid") == 4, out[-3000:]
    rounds = wf / "runs" / "adaptive_t" / "rounds"
    last = json.loads((rounds / "1.json").read_text())
    assert last["done"] and not (rounds / "2.json").exists()
    assert last["seeds_per_cell"] == {"adaptive_t / A / ring": 2, "adaptive_t / B / ring": 2}
