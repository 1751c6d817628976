"""The run directory: every file name in it, its states, its one owner, and what "finished" means.

One place for the layout, used by the trainer (:mod:`repro.train`) and by every reader
(:mod:`repro.report`), so a file name or a rule about it is never spelled twice::

    config.json   resolved config, its hash, library versions, device and numerics switches
    status.json   {"state": created | running | completed | diverged, "step": ..., "segments": ...}
    train.csv     :data:`TRAIN_FIELDS` (every ``log_every`` steps)
    curve.csv     step and metrics at every evaluation (learning curve)
    scores.json   final and best scores with their protocol; the seal of a finished run
    samples/      PNG grids (and .npy points for 2-D data) at a fixed noise (:func:`sample_file`)
    G_final.pt    the generator's final weights (G_best.pt: best checkpoint by the protocol)
    .lock         held (``fcntl.flock``) by the one process that trains the run; names it
    train.log     the workflow jobs' stdout/stderr, appended (workflow/rules/train.smk)
    checkpoints/  default checkpoint directory (the workflow puts them elsewhere; :func:`ckpt_file`)

A run trained in several sessions (resumed after an interruption, perhaps on another device or
with another logging / checkpoint / evaluation cadence: keys that are not its identity,
:data:`repro.config.RESULT_NEUTRAL`) lists them as ``segments`` in status.json and scores.json:
``from_step``, ``to_step``, ``device``, ``gpu``, ``cadence``, ``started``.

States: ``created -> running -> completed | diverged`` (:data:`TRANSITIONS`); each transition is
one atomic write of ``status.json``. A finished run is *sealed*: ``scores.json`` carries the
config hash, the sha256 of every file it vouches for (:data:`VOUCHED`, those present) and a digest
of its own content, so "finished" means "finished and intact" (:meth:`RunDir.finished`). A
``scores.json`` without a seal is damaged like any other (an edited file whose seal key was
removed reads exactly like one): every reader refuses it and the trainer rebuilds the run.

The owner lock is an ``flock`` on ``.lock``: the kernel drops it when its process dies, so a crash
or SIGKILL never leaves it stale, and a second command is told who holds it (pid, host, since).
"""
from __future__ import annotations

import contextlib
import datetime as _dt
import errno
import json
import os
import socket
from pathlib import Path

from . import io
from .errors import UserError

CONFIG = "config.json"
STATUS = "status.json"
TRAIN_LOG = "train.csv"
CURVE = "curve.csv"
SCORES = "scores.json"
SAMPLES = "samples"
G_FINAL = "G_final.pt"
G_BEST = "G_best.pt"
LOCK = ".lock"
CHECKPOINTS = "checkpoints"
WORKFLOW_LOG = "train.log"  # written by the train rule's shell redirect, not by repro
SCORE_LOG = "score.log"  # the same, for a real-data cell (workflow/rules/real.smk)
#: Files a sealed scores.json vouches for (by sha256), when the run wrote them.
VOUCHED = (CONFIG, TRAIN_LOG, CURVE, G_FINAL, G_BEST)
#: Columns of train.csv, in order (one row every ``log_every`` generator updates).
TRAIN_FIELDS = ["step", "loss_d", "loss_g", "seconds", "it_per_s", "img_per_s"]


# ---------------------------------------------------------------------- numbered files
# Sample grids (``samples/step_0001000.png`` / ``.npy``) and checkpoints (``ckpt_000001000.pt``)
# are numbered by generator update; the writer and every reader go through these functions.
def sample_file(step: int, suffix: str = ".png") -> str:
    """The name of the sample grid (``.png``) or 2-D points (``.npy``) drawn at ``step``."""
    return f"step_{int(step):07d}{suffix}"


def sample_files(run_dir, suffix: str = ".png") -> list[tuple[int, Path]]:
    """(step, path) of every sample file of a run with ``suffix``, by step."""
    found = (Path(run_dir) / SAMPLES).glob(f"step_*{suffix}")
    return sorted((_step_of(p, "step_"), p) for p in found if _step_of(p, "step_") is not None)


def ckpt_file(step: int) -> str:
    """The name of the training checkpoint of ``step``."""
    return f"ckpt_{int(step):09d}.pt"


def ckpt_files(directory) -> list[Path]:
    """The checkpoints in ``directory``, oldest first."""
    return [p for _, p in sorted((_step_of(p, "ckpt_"), p) for p in Path(directory).glob("ckpt_*.pt")
                                 if _step_of(p, "ckpt_") is not None)]


def _step_of(path: Path, prefix: str) -> int | None:
    digits = path.stem[len(prefix):]
    return int(digits) if path.stem.startswith(prefix) and digits.isdigit() else None

CREATED, RUNNING, COMPLETED, DIVERGED = "created", "running", "completed", "diverged"
FINISHED = (COMPLETED, DIVERGED)
#: Allowed state changes (None: no or an unreadable status.json). A finished run goes back to
#: running only when its files no longer vouch for each other and it is rebuilt.
TRANSITIONS = {None: {CREATED, RUNNING}, CREATED: {CREATED, RUNNING},
               RUNNING: {RUNNING, COMPLETED, DIVERGED},
               COMPLETED: {RUNNING, COMPLETED}, DIVERGED: {RUNNING, DIVERGED}}

#: The key of a scores.json's digest of its own content.
SEAL = "seal"


class RunDirError(UserError, RuntimeError):
    """A run directory that cannot be used as asked (another config, another owner, damage)."""


def check_out(out) -> Path:
    """``--out`` as a run-directory path: refuse an empty path (it would be the current
    directory), an existing file and a path under a file, before any work."""
    if out is None or str(out).strip() == "":
        raise RunDirError("--out is empty: give the run directory to write, e.g. --out runs/try")
    out = Path(out)
    if out.exists() and not out.is_dir():
        raise RunDirError(f"--out {out} is an existing file, not a directory; give a directory path")
    above = next((p for p in out.parents if p.exists()), None)
    if above is not None and not above.is_dir():
        raise RunDirError(f"--out {out} lies under {above}, a file, not a directory; give another path")
    return out


def rebuild_hint(run_dir) -> str:
    return (f"delete {Path(run_dir) / SCORES} and rerun the workflow (or the run's `repro train` "
            f"command): the trainer rebuilds the run from its checkpoints")


class RunDir:
    """One run directory (see the module docstring for its files and states)."""

    def __init__(self, path: str | os.PathLike):
        self.path = Path(path)

    def __truediv__(self, name: str) -> Path:
        return self.path / name

    # ------------------------------------------------------------------ reading
    def read_json(self, name: str) -> dict | None:
        """A JSON file of the run as a dict; None when absent; RunDirError naming the file when
        it cannot be read or is not a JSON object."""
        path = self / name
        if not path.exists():
            return None
        if path.is_dir():
            raise RunDirError(f"{path} is a directory; the run expects a file there: remove it")
        try:
            obj = json.loads(path.read_text())
        except (OSError, UnicodeDecodeError, ValueError) as e:
            raise RunDirError(f"{path} is unreadable ({type(e).__name__}: {e})") from None
        if not isinstance(obj, dict):
            raise RunDirError(f"{path} is not a JSON object (got {type(obj).__name__})")
        return obj

    def state(self) -> str | None:
        """The recorded state; None when status.json is absent or unreadable (it is derived and
        rewritten by the trainer)."""
        with contextlib.suppress(RunDirError):
            return (self.read_json(STATUS) or {}).get("state")
        return None

    # ------------------------------------------------------------------ writing
    def set_state(self, state: str, step: int, **extra) -> dict:
        """One transition of the state machine, written atomically."""
        current = self.state()
        if state not in TRANSITIONS.get(current, ()):
            raise RuntimeError(f"{self.path}: no transition {current} -> {state}")  # a bug in the suite
        status = {"state": state, "step": int(step), **extra}
        io.write_json(self / STATUS, status)
        return status

    def seal(self, scores: dict) -> None:
        """Write the final scores.json: checksums of the files it vouches for and a digest of
        its own content (the finished run's one commit point)."""
        files = {name: io.sha256_file(self / name) for name in VOUCHED if (self / name).is_file()}
        record = {**scores, "files": files}
        record[SEAL] = io.stable_hash(record, length=64)
        io.write_json(self / SCORES, record)

    # ------------------------------------------------------------------ verification
    def problem(self, config_hash: str | None = None, files=VOUCHED) -> str | None:
        """Why the run's scores.json does not vouch for it (None: intact). Checks: parseable, a known status, the seal, ``config_hash`` when given, and the
        sha256 of ``files`` (readers pass the ones they read)."""
        try:
            scores = self.read_json(SCORES)
        except RunDirError as e:
            return str(e)
        if scores is None:
            return f"{self / SCORES} is missing"
        if scores.get("status") not in FINISHED:
            return f"{self / SCORES} has no finished status (status {scores.get('status')!r})"
        if SEAL not in scores:  # a removed seal hides any edit: unsealed is damaged
            return f"{self / SCORES} has no seal (edited, or not written by the trainer)"
        body = {k: v for k, v in scores.items() if k != SEAL}
        if io.stable_hash(body, length=64) != scores[SEAL]:
            return f"{self / SCORES} does not match its own seal (edited or damaged)"
        if config_hash is not None and scores.get("config_hash") != config_hash:
            return (f"{self / SCORES} is of config {scores.get('config_hash')}, not {config_hash} "
                    f"(the config changed after the run)")
        for name, digest in (scores.get("files") or {}).items():
            if name not in files:
                continue
            path = self / name
            if not path.is_file():
                return f"{path} is missing (the run's scores.json vouches for it)"
            if io.sha256_file(path) != digest:
                return f"{path} does not match the checksum in {SCORES} (changed after the run finished)"
        return None

    def finished(self, config_hash: str) -> dict | None:
        """The status of a finished, intact run of ``config_hash`` (status.json repaired when it
        disagrees); None when the run must still be trained or rebuilt."""
        if not (self / SCORES).exists() or self.problem(config_hash) is not None:
            return None
        scores = self.read_json(SCORES)
        if scores.get("config_hash") not in (None, config_hash):
            return None
        try:
            if scores["status"] == COMPLETED:
                status = {"state": COMPLETED, "step": int(scores["final"]["step"])}
            else:
                status = {"state": DIVERGED, "step": int(scores["diverged_at"]), "reason": scores.get("reason")}
        except (KeyError, TypeError, ValueError):  # a record without its steps
            return None
        if "segments" in scores:
            status["segments"] = scores["segments"]
        with contextlib.suppress(RunDirError):
            if self.read_json(STATUS) == status:
                return status
        io.write_json(self / STATUS, status)  # killed between the seal and status.json
        return status

    # ------------------------------------------------------------------ the owner
    def holder(self) -> str | None:
        """Why the run cannot be touched now (the refusal :meth:`owner` gives: a process trains
        it, named), else None; the lock is taken and dropped at once when free."""
        if not self.path.is_dir():
            return None
        try:
            with self.owner():
                return None
        except RunDirError as e:
            return str(e)

    @contextlib.contextmanager
    def owner(self):
        """Hold the run directory for this process (``flock`` on ``.lock``, released by the
        kernel when the process ends, however it ends); a second owner gets a RunDirError
        naming the holder."""
        import fcntl

        self.path.mkdir(parents=True, exist_ok=True)
        fd = os.open(self / LOCK, os.O_RDWR | os.O_CREAT, 0o666)
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except OSError as e:
            if e.errno not in (errno.EWOULDBLOCK, errno.EAGAIN, errno.EACCES):
                os.close(fd)
                raise
            holder = os.pread(fd, 4096, 0).decode(errors="replace").strip() or "another process"
            os.close(fd)
            raise RunDirError(f"{self.path} is being trained by {holder}; wait for it to end, or "
                              f"stop it (a killed process frees the directory at once)") from None
        try:
            since = _dt.datetime.now(_dt.timezone.utc).isoformat(timespec="seconds")
            note = f"pid {os.getpid()} on host {socket.gethostname()} since {since}"
            os.ftruncate(fd, 0)
            os.pwrite(fd, note.encode(), 0)
            yield self
        finally:
            os.close(fd)  # drops the lock
