"""The lock-file GPU allocator (repro/gpus.py), on a machine with a pretend GPU count."""
import os
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest

from repro import gpus

ROOT = Path(__file__).resolve().parents[1]
PRINT_DEV = "import os; print(os.environ.get('CUDA_VISIBLE_DEVICES', '<unset>'), flush=True)"


@pytest.fixture
def clean_env(monkeypatch):
    monkeypatch.delenv(gpus.ENV, raising=False)
    monkeypatch.delenv(gpus.COUNT_ENV, raising=False)
    monkeypatch.delenv(gpus.LOCK_DIR_ENV, raising=False)


def _cli_env(**extra):
    env = {k: v for k, v in os.environ.items() if k not in (gpus.ENV, gpus.COUNT_ENV)}
    env["PYTHONPATH"] = str(ROOT) + os.pathsep + env.get("PYTHONPATH", "")
    env.update(extra)
    return env


def _holder(lock_dir, *, count=2, env_extra=None):
    """A `python -m repro.gpus` process that prints its device and then sleeps until killed."""
    cmd = [sys.executable, "-m", "repro.gpus", "--count", str(count), "--lock-dir", str(lock_dir),
           "--", sys.executable, "-c", PRINT_DEV + "; import time; time.sleep(120)"]
    p = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                         env=_cli_env(**(env_extra or {})))
    line = p.stdout.readline().strip()  # printed once the lock is held
    return p, line


def _stop(p):
    if p.poll() is None:
        p.kill()
    p.wait(timeout=10)
    p.stdout.close()
    p.stderr.close()


def test_two_threads_get_different_devices_and_a_third_waits(tmp_path):
    got, fds = [], []
    lock = threading.Lock()

    def take():
        i, fd = gpus.acquire(2, tmp_path, timeout=10)
        with lock:
            got.append(i)
            fds.append(fd)

    threads = [threading.Thread(target=take) for _ in range(2)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=20)
    assert sorted(got) == [0, 1]
    assert gpus.taken(2, tmp_path) == [True, True]

    with pytest.raises(TimeoutError, match="2 GPU"):
        gpus.acquire(2, tmp_path, timeout=0.3)

    # a third claimant blocks until one device is given back, then gets exactly that one
    third = {}
    waiter = threading.Thread(target=lambda: third.update(dev=gpus.acquire(2, tmp_path, timeout=20)))
    waiter.start()
    time.sleep(0.6)
    assert waiter.is_alive() and not third, "the third claim should still be waiting"
    freed = got[1]
    gpus.release(fds[1])
    waiter.join(timeout=20)
    assert third["dev"][0] == freed
    gpus.release(third["dev"][1])
    gpus.release(fds[0])
    assert gpus.taken(2, tmp_path) == [False, False]


def test_claim_gpu_sets_and_restores_the_environment(tmp_path, clean_env):
    with gpus.claim_gpu(n_gpus=2, lock_dir=tmp_path) as dev:
        assert dev == "0" and os.environ[gpus.ENV] == "0"
        with gpus.claim_gpu(n_gpus=2, lock_dir=tmp_path) as inner:  # already set: respected
            assert inner == "0"
        assert gpus.taken(2, tmp_path) == [True, False]
    assert gpus.ENV not in os.environ
    assert gpus.taken(2, tmp_path) == [False, False]


def test_existing_cuda_visible_devices_is_respected(tmp_path, monkeypatch):
    monkeypatch.setenv(gpus.ENV, "3")  # e.g. set by SLURM for this job
    with gpus.claim_gpu(n_gpus=4, lock_dir=tmp_path / "locks") as dev:
        assert dev == "3" and os.environ[gpus.ENV] == "3"
    assert os.environ[gpus.ENV] == "3"
    assert not (tmp_path / "locks").exists(), "no lock may be taken under a scheduler"

    out = subprocess.run(
        [sys.executable, "-m", "repro.gpus", "--count", "4", "--lock-dir", str(tmp_path / "locks"),
         "--", sys.executable, "-c", PRINT_DEV],
        capture_output=True, text=True, timeout=60, env=_cli_env(**{gpus.ENV: "2,3"}))
    assert out.returncode == 0, out.stderr
    assert out.stdout.strip() == "2,3"
    assert not (tmp_path / "locks").exists()


def test_no_gpu_is_a_no_op(tmp_path, clean_env):
    with gpus.claim_gpu(n_gpus=0, lock_dir=tmp_path / "locks") as dev:
        assert dev is None and gpus.ENV not in os.environ
    assert not (tmp_path / "locks").exists()

    out = subprocess.run(
        [sys.executable, "-m", "repro.gpus", "--lock-dir", str(tmp_path / "locks"),
         "--", sys.executable, "-c", PRINT_DEV],
        capture_output=True, text=True, timeout=60, env=_cli_env(**{gpus.COUNT_ENV: "0"}))
    assert (out.returncode, out.stdout.strip()) == (0, "<unset>"), out.stderr


def test_concurrent_processes_get_different_devices(tmp_path):
    a, dev_a = _holder(tmp_path)
    b, dev_b = _holder(tmp_path)
    try:
        assert {dev_a, dev_b} == {"0", "1"}
        assert gpus.taken(2, tmp_path) == [True, True]
        # a third job waits; with --timeout it gives up with EX_TEMPFAIL (for Snakemake's retries)
        t0 = time.monotonic()
        third = subprocess.run(
            [sys.executable, "-m", "repro.gpus", "--count", "2", "--lock-dir", str(tmp_path),
             "--timeout", "1", "--", sys.executable, "-c", PRINT_DEV],
            capture_output=True, text=True, timeout=60, env=_cli_env())
        assert third.returncode == 75 and third.stdout == ""
        assert time.monotonic() - t0 >= 1
    finally:
        _stop(a)
        _stop(b)


def test_gpu_of_a_sigkilled_job_becomes_free(tmp_path):
    a, dev_a = _holder(tmp_path)
    b, dev_b = _holder(tmp_path)
    try:
        os.kill(a.pid, signal.SIGKILL)  # no clean-up code runs: only the OS can drop the lock
        a.wait(timeout=10)
        c, dev_c = _holder(tmp_path)
        try:
            assert dev_c == dev_a
        finally:
            _stop(c)
    finally:
        _stop(a)
        _stop(b)


def test_cli_passes_exit_status_and_signals_through(tmp_path):
    base = [sys.executable, "-m", "repro.gpus", "--count", "1", "--lock-dir", str(tmp_path), "--"]
    r = subprocess.run(base + [sys.executable, "-c", "import sys; sys.exit(3)"],
                       capture_output=True, text=True, timeout=60, env=_cli_env())
    assert r.returncode == 3
    assert "CUDA_VISIBLE_DEVICES=0" in r.stderr

    # the command replaces the wrapper (exec): its PID receives the signals sent to the job
    p, dev = _holder(tmp_path, count=1)
    try:
        assert dev == "0"
        p.send_signal(signal.SIGTERM)
        assert p.wait(timeout=10) == -signal.SIGTERM
    finally:
        _stop(p)
    assert gpus.taken(1, tmp_path) == [False]

    r = subprocess.run(base + ["no-such-command-xyz"], capture_output=True, text=True, timeout=60,
                       env=_cli_env())
    assert r.returncode == 127 and "no-such-command-xyz" in r.stderr


def test_visible_gpu_count_honours_the_override(monkeypatch):
    monkeypatch.setenv(gpus.COUNT_ENV, "3")
    assert gpus.visible_gpu_count() == 3


# -- several jobs per GPU -----------------------------------------------------------------------

def _slot_holder(lock_dir, *, count, per_gpu):
    """Like _holder, with K slots per device; prints 'device slot'."""
    show = ("import os; print(os.environ.get('CUDA_VISIBLE_DEVICES'), os.environ.get('REPRO_GPU_SLOT'), "
            "flush=True); import time; time.sleep(120)")
    cmd = [sys.executable, "-m", "repro.gpus", "--count", str(count), "--lock-dir", str(lock_dir),
           "--jobs-per-gpu", str(per_gpu), "--", sys.executable, "-c", show]
    p = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=_cli_env())
    return p, p.stdout.readline().split()


def test_k_jobs_per_gpu_spread_over_devices_first_then_share(tmp_path):
    got = [gpus.acquire_slot(2, tmp_path, timeout=5, per_gpu=3) for _ in range(6)]
    # slot 0 of every device before slot 1 of any: jobs spread before they share
    assert [(i, k) for i, k, _ in got] == [(0, 0), (1, 0), (0, 1), (1, 1), (0, 2), (1, 2)]
    with pytest.raises(TimeoutError, match="2 GPU\\(s\\) x 3 slot"):
        gpus.acquire_slot(2, tmp_path, timeout=0.3, per_gpu=3)
    freed = got[3]  # device 1, slot 1
    gpus.release(freed[2])
    i, k, fd = gpus.acquire_slot(2, tmp_path, timeout=5, per_gpu=3)
    assert (i, k) == (1, 1)
    for _, _, f in got[:3] + got[4:]:
        gpus.release(f)
    gpus.release(fd)
    assert gpus.taken(2, tmp_path, 1) == [False, False]


def test_one_job_per_gpu_and_k_per_gpu_jobs_respect_each_other(tmp_path):
    i, fd = gpus.acquire(1, tmp_path)  # a K=1 job holds slot 0 of the only device
    i2, k2, fd2 = gpus.acquire_slot(1, tmp_path, timeout=5, per_gpu=2)
    assert (i, i2, k2) == (0, 0, 1)  # a K=2 job may share it, as the second job
    with pytest.raises(TimeoutError):
        gpus.acquire(1, tmp_path, timeout=0.3)  # another K=1 job may not
    for f in (fd, fd2):
        gpus.release(f)


def test_processes_share_a_gpu_k_at_a_time_and_list_shows_it(tmp_path):
    procs = []
    try:
        for _ in range(4):
            procs.append(_slot_holder(tmp_path, count=2, per_gpu=2))
        assert sorted(tuple(seen) for _, seen in procs) == [("0", "0"), ("0", "1"), ("1", "0"), ("1", "1")]
        listed = subprocess.run([sys.executable, "-m", "repro.gpus", "--count", "2", "--lock-dir", str(tmp_path),
                                 "--jobs-per-gpu", "2", "--list"], capture_output=True, text=True,
                                timeout=60, env=_cli_env())
        assert listed.stdout.splitlines() == ["gpu0: 2/2 slots taken", "gpu1: 2/2 slots taken"]
        fifth = subprocess.run([sys.executable, "-m", "repro.gpus", "--count", "2", "--lock-dir", str(tmp_path),
                                "--jobs-per-gpu", "2", "--timeout", "0.5", "--", sys.executable, "-c", PRINT_DEV],
                               capture_output=True, text=True, timeout=60, env=_cli_env())
        assert fifth.returncode == 75 and fifth.stdout == ""
    finally:
        for p, _ in procs:
            _stop(p)


def test_jobs_per_gpu_from_the_environment_and_bad_values(tmp_path, clean_env, monkeypatch):
    monkeypatch.setenv(gpus.PER_GPU_ENV, "2")
    with gpus.claim_gpu(n_gpus=1, lock_dir=tmp_path) as a:
        assert os.environ[gpus.SLOT_ENV] == "0"
        monkeypatch.delenv(gpus.ENV)  # a second job in another process would not see ours
        with gpus.claim_gpu(n_gpus=1, lock_dir=tmp_path) as b:
            assert (a, b, os.environ[gpus.SLOT_ENV]) == ("0", "0", "1")
        os.environ[gpus.ENV] = "0"
    assert gpus.SLOT_ENV not in os.environ
    r = subprocess.run([sys.executable, "-m", "repro.gpus", "--count", "1", "--jobs-per-gpu", "0", "--",
                        sys.executable, "-c", "pass"], capture_output=True, text=True, timeout=60, env=_cli_env())
    assert r.returncode == 2 and "--jobs-per-gpu must be >= 1" in r.stderr
