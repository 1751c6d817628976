"""A job's wall-time limit, and the warning a run writes to its log when it will not finish in it.

SLURM kills a job at its limit; a killed run resumes from its newest checkpoint when resubmitted
(the profiles' ``retries``), so what is lost is the time since that checkpoint and the queue
wait. The warning, written once and before the kill, says so and when to expect it, from the
run's measured update rate. Where the limit comes from, first match wins:

1. ``$SLURM_JOB_END_TIME`` (the job's projected end, a UNIX time, which recent SLURM versions
   set in the job's environment);
2. ``time_limit_min`` under SLURM (``$SLURM_JOB_ID`` set): the workflow passes the job's
   ``runtime`` resource, which its SLURM profile turns into ``sbatch -t``; counted from
   ``$SLURM_JOB_START_TIME`` when set, else from when this process started;
3. ``$REPRO_TIME_LIMIT`` (minutes from when this process started), on any machine.

Outside SLURM no limit is enforced, so without ``$REPRO_TIME_LIMIT`` nothing is watched.
"""
from __future__ import annotations

import os
import time

ENV = "REPRO_TIME_LIMIT"
_STARTED = time.time()  # this process's start, near enough (the module is imported at start-up)


def deadline(time_limit_min: float | None = None, env: dict | None = None) -> tuple[float, str] | None:
    """``(UNIX time the job is killed at, where that comes from)``, or None when unlimited."""
    env = os.environ if env is None else env
    end = env.get("SLURM_JOB_END_TIME", "").strip()
    if end.isdigit() and float(end) > _STARTED:  # 0 or a past time: no usable limit (unlimited job)
        return float(end), "SLURM_JOB_END_TIME"
    if env.get("SLURM_JOB_ID") and time_limit_min:
        start = env.get("SLURM_JOB_START_TIME", "").strip()
        t0 = float(start) if start.isdigit() else _STARTED
        return t0 + 60 * float(time_limit_min), f"the job's SLURM time limit ({time_limit_min:g} min)"
    if env.get(ENV, "").strip():
        try:
            minutes = float(env[ENV])
        except ValueError:
            from .errors import UserError

            raise UserError(f"${ENV}={env[ENV]!r} is not a number of minutes; set e.g. {ENV}=240") from None
        return _STARTED + 60 * minutes, f"${ENV} ({minutes:g} min)"
    return None


class Watch:
    """Warns once, when the updates left at the run's rate so far end after the deadline."""

    def __init__(self, limit: tuple[float, str] | None, total: int, ckpt_every: int):
        self.limit, self.total, self.ckpt_every, self.warned = limit, total, ckpt_every, False

    def check(self, step: int, rate: float, now: float | None = None) -> str | None:
        """The warning (once), given ``step`` done and ``rate`` G updates per second."""
        if self.limit is None or self.warned or rate <= 0:
            return None
        now = time.time() if now is None else now
        end, source = self.limit
        need = (self.total - step) / rate
        if now + need <= end:
            return None
        self.warned = True
        left = max(0.0, end - now)
        at = min(self.total, step + int(left * rate))
        last_ckpt = at - at % self.ckpt_every
        return (f"warning: time limit: {self.total - step} G updates left at {rate:.3g} it/s need "
                f"{need / 60:.1f} min, but {source} ends in {left / 60:.1f} min: the job will be "
                f"killed near step {at} of {self.total}. Resubmitted (Snakemake --retries), it resumes "
                f"from its newest checkpoint (every {self.ckpt_every} updates, so from step "
                f"{last_ckpt}); or give it a longer limit (runtime resource, `repro calibrate`).")
