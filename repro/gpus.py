"""GPU slots for concurrent jobs on a GPU machine, with lock files: K jobs per device.

Snakemake only *counts* GPUs (``resources: gpu=1`` against ``--resources gpu=N``); it never says
which device a job should use, so without help every job lands on device 0. This module hands each
job its own device:

* If ``CUDA_VISIBLE_DEVICES`` is already set (SLURM sets it for jobs given ``--gpus``/``--gres``, or
  the user chose devices by hand), it is left alone.
* Otherwise the job takes an exclusive ``fcntl.flock`` on the first free ``<lock_dir>/gpu<i>.lock``
  (i over the machine's GPUs) and gets ``CUDA_VISIBLE_DEVICES=i``. The lock lives as long as the
  open file, so the OS frees it when the job ends *or is killed* (SIGKILL, OOM killer): no stale
  lock files to clean up. All jobs taking part must use the same lock directory
  (``$REPRO_GPU_LOCK_DIR``, default ``/tmp/repro-gpu-locks``; it must be a local directory: flock
  is not reliable across NFS clients).
* With ``K`` jobs per GPU (``--jobs-per-gpu K``, ``$REPRO_JOBS_PER_GPU``; the workflow's
  ``jobs_per_gpu``) each device has K slots, ``gpu<i>.lock`` and ``gpu<i>.slot<k>.lock`` for
  k = 1..K-1; slots are filled across devices first (the second job on a device starts only when
  every device has one). Each job is still its own process with its own CUDA context, RNG and
  numerics switches, so its result does not depend on what shares its GPU; a small GAN leaves
  most of a big GPU idle, so K jobs on it give more runs per hour (``bench/device.sh`` measures
  how many). The job's slot is in ``$REPRO_GPU_SLOT``.
* With no GPU it does nothing.

From Python, before anything initialises CUDA::

    with claim_gpu() as dev:    # "1", or None without a GPU
        train(...)

From a Snakemake rule (``python -m repro.gpus`` exec()s the command in its own process, with the
lock still held, so exit status and signals are the command's own)::

    rule train:
        resources: gpu=1
        shell: "python -m repro.gpus -- repro train ..."

Run ``python -m repro.gpus --list`` to see which devices are taken.
"""
from __future__ import annotations

import argparse
import contextlib
import fcntl
import os
import random
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Iterator

ENV = "CUDA_VISIBLE_DEVICES"
LOCK_DIR_ENV = "REPRO_GPU_LOCK_DIR"
COUNT_ENV = "REPRO_GPU_COUNT"  # overrides detection (tests; using only the first N devices)
PER_GPU_ENV = "REPRO_JOBS_PER_GPU"
SLOT_ENV = "REPRO_GPU_SLOT"
DEFAULT_LOCK_DIR = Path(tempfile.gettempdir()) / "repro-gpu-locks"
POLL_S = 0.25


def visible_gpu_count() -> int:
    """Number of GPUs on this machine: ``$REPRO_GPU_COUNT``, else ``nvidia-smi -L``, else torch.

    Call it only while ``CUDA_VISIBLE_DEVICES`` is unset (it then counts all devices).
    ``nvidia-smi`` is tried first because it neither imports torch (seconds) nor initialises CUDA.
    """
    raw = os.environ.get(COUNT_ENV, "").strip()
    if raw:
        if not raw.isdigit():  # one error line, not a traceback in a workflow job's log
            raise SystemExit(f"error: ${COUNT_ENV}={raw!r} is not a number of GPUs; unset it or give a whole number")
        return int(raw)
    smi = shutil.which("nvidia-smi")
    if smi:
        try:
            out = subprocess.run([smi, "-L"], capture_output=True, text=True, timeout=30)
            if out.returncode == 0:
                return sum(1 for line in out.stdout.splitlines() if line.startswith("GPU "))
        except (OSError, subprocess.TimeoutExpired):
            pass
    elif not Path("/proc/driver/nvidia").exists():
        return 0  # no NVIDIA driver loaded: no CUDA device, and no need to import torch
    try:
        import torch

        return torch.cuda.device_count()
    except Exception:  # noqa: BLE001 - no torch, or a broken CUDA install: no usable GPU
        return 0


def lock_dir_default() -> Path:
    return Path(os.environ.get(LOCK_DIR_ENV) or DEFAULT_LOCK_DIR)


def jobs_per_gpu_default() -> int:
    text = os.environ.get(PER_GPU_ENV, "").strip()
    return int(text) if text else 1


def _lock_path(lock_dir: Path, i: int, slot: int = 0) -> Path:
    # slot 0 keeps the one-job-per-GPU name, so K=1 jobs and K>1 jobs exclude each other there
    return lock_dir / (f"gpu{i}.lock" if slot == 0 else f"gpu{i}.slot{slot}.lock")


def _open_lock(lock_dir: Path, i: int, slot: int = 0) -> int:
    path = _lock_path(lock_dir, i, slot)
    # Read-only is enough for flock and lets another user's job open a lock file this user made.
    fd = os.open(path, os.O_RDONLY | os.O_CREAT | os.O_CLOEXEC, 0o666)
    with contextlib.suppress(OSError):
        os.fchmod(fd, 0o666)  # umask; fails harmlessly on another user's file
    return fd


def _prepare(lock_dir: Path) -> None:
    if not lock_dir.is_dir():
        lock_dir.mkdir(parents=True, exist_ok=True)
        with contextlib.suppress(OSError):
            lock_dir.chmod(0o1777)  # shared between users like /tmp (sticky)


def acquire(n_gpus: int, lock_dir: Path, timeout: float | None = None,
            per_gpu: int = 1) -> tuple[int, int]:
    """Lock the first free device of ``range(n_gpus)``; wait (poll) while all are taken.

    Returns ``(device_index, fd)``; the lock is held until ``fd`` (and every copy of it) is closed.
    Raises ``TimeoutError`` after ``timeout`` seconds (None: wait for ever). ``per_gpu``: slots
    per device (see :func:`acquire_slot`).
    """
    i, _, fd = acquire_slot(n_gpus, lock_dir, timeout, per_gpu)
    return i, fd


def acquire_slot(n_gpus: int, lock_dir: Path, timeout: float | None = None,
                 per_gpu: int = 1) -> tuple[int, int, int]:
    """Lock the first free slot of ``per_gpu`` per device, slot 0 of every device before slot 1
    of any; wait (poll) while all are taken. Returns ``(device_index, slot, fd)``."""
    if n_gpus < 1:
        raise ValueError("acquire() needs at least one GPU")
    if per_gpu < 1:
        raise ValueError(f"jobs per GPU must be >= 1, got {per_gpu}")
    _prepare(lock_dir)
    deadline = None if timeout is None else time.monotonic() + timeout
    order = [(i, k) for k in range(per_gpu) for i in range(n_gpus)]
    while True:
        for i, k in order:
            fd = _open_lock(lock_dir, i, k)
            try:
                fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
            except BlockingIOError:
                os.close(fd)
                continue
            except BaseException:
                os.close(fd)
                raise
            return i, k, fd
        if deadline is not None and time.monotonic() >= deadline:
            raise TimeoutError(
                f"all {n_gpus} GPU(s) x {per_gpu} slot(s) stayed taken for {timeout:g} s (locks in "
                f"{lock_dir}); is Snakemake's --resources gpu=N larger than GPUs x jobs_per_gpu?"
            )
        # jitter: waiters started together do not poll in lock-step
        time.sleep(POLL_S * (0.5 + random.random()))


def release(fd: int) -> None:
    os.close(fd)  # closing the last copy of the descriptor drops the flock


@contextlib.contextmanager
def claim_gpu(
    n_gpus: int | None = None,
    lock_dir: str | os.PathLike | None = None,
    timeout: float | None = None,
    per_gpu: int | None = None,
) -> Iterator[str | None]:
    """Give this process one GPU of its own for the duration of the ``with`` block.

    Yields the ``CUDA_VISIBLE_DEVICES`` value in force (e.g. ``"1"``), or ``None`` when there is
    no GPU (nothing is changed then). An existing ``CUDA_VISIBLE_DEVICES`` (from SLURM or the user)
    is respected and yielded as it is. ``n_gpus`` is the machine's GPU count (detected by
    ``visible_gpu_count()`` when None); ``per_gpu`` its jobs per device (default
    ``$REPRO_JOBS_PER_GPU`` or 1). ``CUDA_VISIBLE_DEVICES`` only takes effect if CUDA is not
    yet initialised in this process, so enter the block early.
    """
    if ENV in os.environ:
        yield os.environ[ENV] or None
        return
    n = visible_gpu_count() if n_gpus is None else n_gpus
    if n < 1:
        yield None
        return
    k = jobs_per_gpu_default() if per_gpu is None else per_gpu
    i, slot, fd = acquire_slot(n, Path(lock_dir) if lock_dir is not None else lock_dir_default(),
                               timeout, k)
    os.environ[ENV], os.environ[SLOT_ENV] = str(i), str(slot)
    try:
        yield str(i)
    finally:
        os.environ.pop(ENV, None)
        os.environ.pop(SLOT_ENV, None)
        release(fd)


def taken(n_gpus: int, lock_dir: Path, slot: int = 0) -> list[bool]:
    """Which devices have ``slot`` locked right now (a snapshot; for ``--list``)."""
    out = []
    for i in range(n_gpus):
        path = _lock_path(lock_dir, i, slot)
        if not path.exists():
            out.append(False)
            continue
        fd = os.open(path, os.O_RDONLY | os.O_CLOEXEC)
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
            out.append(False)
        except BlockingIOError:
            out.append(True)
        finally:
            os.close(fd)
    return out


def main(argv: list[str] | None = None) -> int:
    argv = list(sys.argv[1:] if argv is None else argv)
    if "--" in argv:
        k = argv.index("--")
        own, command = argv[:k], argv[k + 1:]
    else:
        own, command = argv, []
    p = argparse.ArgumentParser(
        prog="python -m repro.gpus",
        description="Run COMMAND with a GPU of its own (CUDA_VISIBLE_DEVICES=i, held by a lock "
        "file until the command ends). Leaves an existing CUDA_VISIBLE_DEVICES alone; without a "
        "GPU it just runs COMMAND.",
        usage="%(prog)s [options] -- COMMAND [ARG ...]\n       %(prog)s --list",
    )
    p.add_argument("--lock-dir", type=Path, default=None,
                   help=f"shared lock directory (default ${LOCK_DIR_ENV} or {DEFAULT_LOCK_DIR})")
    p.add_argument("--count", type=int, default=None,
                   help="GPUs on this machine (default: detected; also $%s)" % COUNT_ENV)
    p.add_argument("--timeout", type=float, default=None,
                   help="give up (exit 75) after waiting this many seconds for a free GPU")
    p.add_argument("--jobs-per-gpu", type=int, default=None, metavar="K",
                   help=f"concurrent jobs per GPU (default ${PER_GPU_ENV} or 1)")
    p.add_argument("--list", action="store_true", help="show which GPUs are taken and exit")
    a = p.parse_args(own)
    lock_dir = a.lock_dir or lock_dir_default()
    per_gpu = jobs_per_gpu_default() if a.jobs_per_gpu is None else a.jobs_per_gpu
    if per_gpu < 1:
        p.error(f"--jobs-per-gpu must be >= 1, got {per_gpu}")

    if a.list:
        n = visible_gpu_count() if a.count is None else a.count
        slots = [taken(n, lock_dir, k) for k in range(per_gpu)]
        for i in range(n):
            busy = sum(s[i] for s in slots)
            print(f"gpu{i}: {'taken' if busy else 'free'}" if per_gpu == 1
                  else f"gpu{i}: {busy}/{per_gpu} slots taken")
        if n == 0:
            print("no GPU")
        return 0
    if not command:
        p.error("no command given (put it after --)")

    env_note = None
    if ENV not in os.environ:
        n = visible_gpu_count() if a.count is None else a.count
        if n >= 1:
            try:
                i, slot, fd = acquire_slot(n, lock_dir, a.timeout, per_gpu)
            except TimeoutError as e:
                print(f"repro.gpus: {e}", file=sys.stderr)
                return 75  # EX_TEMPFAIL: Snakemake's --retries can try again
            # exec keeps this process (so the PID, signals and exit status are the command's),
            # and the inherited descriptor keeps the lock until the command and its children exit.
            os.set_inheritable(fd, True)
            os.environ[ENV], os.environ[SLOT_ENV] = str(i), str(slot)
            env_note = f"{ENV}={i}" + (f" (slot {slot} of {per_gpu})" if per_gpu > 1 else "")
    if env_note:
        print(f"repro.gpus: {env_note} for {command[0]}", file=sys.stderr, flush=True)
    try:
        os.execvp(command[0], command)
    except OSError as e:
        print(f"repro.gpus: cannot run {command[0]!r}: {e}", file=sys.stderr)
        return 127 if isinstance(e, FileNotFoundError) else 126


if __name__ == "__main__":
    sys.exit(main())
