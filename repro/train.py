"""The training loop: one run config in, one self-describing run directory out.

The run directory's files, states and owner lock are defined in :mod:`repro.rundir` (one place
for the layout). A run is owned by one process at a time; it moves created -> running ->
completed | diverged, and ends sealed: ``scores.json`` vouches for its files by checksum.

Checkpoints go to ``ckpt_dir`` (default ``<out>/checkpoints``), which the workflow does not
declare as an output, so a rerun that deletes the outputs keeps them. Re-running the same command
continues from the newest readable checkpoint; on a CPU the result is bit-identical to an
uninterrupted run.

The inner loop keeps the device busy: data on the device, no host sync per step (losses are
summed on the device and read every ``log_every`` steps), the first non-finite loss's step is
recorded on the device without a sync.
"""
from __future__ import annotations

import contextlib
import copy
import datetime as _dt
import csv
import io as _io
import math
import random
import sys
import time
import warnings
from dataclasses import dataclass
from pathlib import Path
from typing import Callable

import numpy as np
import torch
from torch import nn

from . import data, io, losses, models, norms, rundir, samples, settings
from .config import CADENCE_KEYS, ConfigError, RunConfig
from .rundir import RunDirError  # noqa: F401  (re-exported: repro.train.RunDirError)


def pick_device(name: str) -> torch.device:
    if name == "auto":
        return torch.device("cuda" if torch.cuda.is_available() else "cpu")
    if name.startswith("cuda") and not torch.cuda.is_available():
        raise ConfigError(f"config key 'device': {name!r} asked for, but torch sees no CUDA device")
    return torch.device(name)


def seed_everything(seed: int) -> None:
    random.seed(seed)
    np.random.seed(seed)
    torch.manual_seed(seed)  # also seeds every CUDA device


def rng_state() -> dict:
    s = {"python": random.getstate(), "numpy": np.random.get_state(), "torch": torch.get_rng_state()}
    if torch.cuda.is_available():
        s["cuda"] = torch.cuda.get_rng_state_all()
    return s


@contextlib.contextmanager
def preserved_rng():
    """Run a block without moving the training RNGs (evaluation may train and seed the digits
    classifier on a cache miss: the run must not depend on whether that cache was warm)."""
    state = rng_state()
    try:
        yield
    finally:
        set_rng_state(state)


def set_rng_state(s: dict) -> None:
    random.setstate(s["python"])
    np.random.set_state(s["numpy"])
    torch.set_rng_state(s["torch"])
    if "cuda" in s and torch.cuda.is_available():
        torch.cuda.set_rng_state_all(s["cuda"])


# --------------------------------------------------------------------------- checkpoints
class Checkpoints:
    """Numbered checkpoints in one directory, written atomically, the newest ``keep`` kept.

    ``load_latest`` falls back to an older checkpoint when the newest cannot be read.
    """

    def __init__(self, directory: Path, keep: int):
        self.dir, self.keep = Path(directory), keep

    def paths(self) -> list[Path]:
        return rundir.ckpt_files(self.dir)

    def save(self, step: int, state: dict) -> Path:
        path = io.torch_save(self.dir / rundir.ckpt_file(step), state)
        for old in self.paths()[:-self.keep]:
            old.unlink(missing_ok=True)
        return path

    def load_latest(self, map_location) -> dict | None:
        paths = self.paths()
        for path in reversed(paths):
            try:
                return torch.load(path, map_location=map_location, weights_only=False)
            except Exception as e:  # a damaged file: say so and use the one before
                warnings.warn(f"checkpoint {path} is unreadable ({type(e).__name__}: {e}); "
                              f"falling back to the previous one")
        if paths:
            warnings.warn(f"none of the {len(paths)} checkpoints in {self.dir} is readable; "
                          f"the run restarts from step 0")
        return None

    def check_writable(self) -> None:
        """Fail now, not at the first checkpoint, when the directory cannot be written."""
        if self.dir.exists() and not self.dir.is_dir():
            raise RunDirError(f"checkpoint directory {self.dir} is an existing file; give a directory")
        try:
            self.dir.mkdir(parents=True, exist_ok=True)
            io.write_text(self.dir / ".writable", "")
        except OSError as e:
            raise RunDirError(f"checkpoint directory {self.dir} is not writable ({e.strerror}); "
                              f"give another --ckpt-dir") from None


# --------------------------------------------------------------------------- logs
class CsvLog:
    """An append-only CSV whose rows past a step can be dropped (on resume)."""

    def __init__(self, path: Path, fields: list[str]):
        self.path, self.fields = Path(path), fields

    def rows(self) -> list[dict]:
        if not self.path.exists():
            return []
        with open(self.path, newline="") as f:
            return list(csv.DictReader(f))

    def replace(self, rows: list[dict], fields: list[str]) -> None:
        """Rewrite the log as ``rows`` (a checkpoint's copy: what the run had logged up to it)."""
        self.fields = list(fields)
        self._rewrite(rows)

    def truncate_after(self, step: int) -> None:
        """Drop the rows past ``step`` (a resumed run writes them again), keeping every column."""
        rows = self.rows()
        if rows:
            self.fields += [k for k in rows[0] if k not in self.fields]
        self._rewrite([r for r in rows if int(r["step"]) <= step])

    def _rewrite(self, rows: list[dict]) -> None:
        buf = _io.StringIO()
        w = csv.DictWriter(buf, self.fields, extrasaction="ignore")
        w.writeheader()
        w.writerows(rows)
        io.write_text(self.path, buf.getvalue())

    def append(self, row: dict) -> None:
        new_fields = [k for k in row if k not in self.fields]
        if new_fields or not self.path.exists():  # header changes: rewrite the whole file atomically
            old = self.rows()
            self.fields = self.fields + new_fields
            self._rewrite(old + [row])
            return
        with open(self.path, "a", newline="") as f:
            csv.DictWriter(f, self.fields, extrasaction="ignore").writerow(row)


# --------------------------------------------------------------------------- the trainer
@dataclass
class Run:
    cfg: RunConfig
    out: Path
    source: data.Source
    device: torch.device
    G: nn.Module
    D: nn.Module
    opt_g: torch.optim.Optimizer
    opt_d: torch.optim.Optimizer
    sched_g: torch.optim.lr_scheduler.LRScheduler | None
    sched_d: torch.optim.lr_scheduler.LRScheduler | None
    fixed_z: torch.Tensor
    fixed_y: torch.Tensor | None


def setup(cfg: RunConfig, out: Path) -> Run:
    """Load data (a missing file fails here, before any network exists), then build the nets."""
    device = pick_device(cfg.device)
    source = data.load(cfg.dataset, cfg.resolution, cfg.data_root, cfg.download, cfg.data_subdir).to(device)
    if cfg.n_classes and source.labels is None:
        raise ConfigError(f"config key 'n_classes': dataset {cfg.dataset} has no labels")
    if device.type == "cuda":
        torch.backends.cudnn.benchmark = True
    seed_everything(cfg.seed)
    net = cfg.networks()
    G, D = models.build(cfg.arch, resolution=cfg.resolution, channels=cfg.channels, z_dim=net["z_dim"],
                        ch=net["ch"], norm_d=net["norm_d"], norm_g=net["norm_g"], n_classes=cfg.n_classes,
                        attention=cfg.attention, attention_variant=cfg.attention_variant,
                        **net["arch_kwargs"])
    G, D = G.to(device), D.to(device)
    o = cfg.optimizer()
    opt_g = _optimizer(o, G.parameters(), o["lr_g"], device)
    opt_d = _optimizer(o, [p for p in D.parameters() if p.requires_grad], o["lr_d"], device)
    sched_g = sched_d = None
    if o["linear_decay"]:  # linear decay to 0 over the run, stepped once per generator update
        decay = lambda step: 1.0 - step / cfg.g_updates  # noqa: E731
        sched_g = torch.optim.lr_scheduler.LambdaLR(opt_g, decay)
        sched_d = torch.optim.lr_scheduler.LambdaLR(opt_d, decay)
    # fixed noise for sample grids, from its own generator so it never shifts the training RNG
    g = torch.Generator(device="cpu").manual_seed(cfg.seed + 1)
    n_fixed = 2500 if not source.is_image else 64
    fixed_z = G.sample_z(n_fixed, generator=g).to(device)
    fixed_y = (torch.arange(n_fixed) % cfg.n_classes).to(device) if cfg.n_classes else None
    return Run(cfg, out, source, device, G, D, opt_g, opt_d, sched_g, sched_d, fixed_z, fixed_y)


def _optimizer(o: dict, params, lr: float, device: torch.device) -> torch.optim.Optimizer:
    """Adam (beta1, beta2), or RMSProp as TF's RMSPropOptimizer defaults (decay 0.9, eps 1e-10:
    the LSGAN code's; TF puts eps inside the sqrt and starts the mean square at 1, torch outside
    and at 0 -- a recorded difference, docs/fidelity.md)."""
    fused = {"fused": True} if device.type == "cuda" else {}
    if o["optim"] == "rmsprop":
        return torch.optim.RMSprop(params, lr=lr, alpha=settings.RMSPROP_ALPHA, eps=settings.RMSPROP_EPS)
    return torch.optim.Adam(params, lr=lr, betas=(o["beta1"], o["beta2"]), **fused)


def _check_config(cfg: RunConfig, rd: rundir.RunDir) -> None:
    """Refuse a directory that holds a run of another config (an unreadable config.json is
    rewritten: the checkpoints and scores carry the hash too)."""
    try:
        old = rd.read_json(rundir.CONFIG)
    except RunDirError as e:
        if (rd / rundir.CONFIG).is_dir():
            raise
        warnings.warn(f"{e}; it is rewritten from this run's config")
        (rd / rundir.CONFIG).unlink()
        return
    if old is not None and old.get("hash") != cfg.hash():
        raise RunDirError(
            f"{rd.path} holds a run of another config (hash {old.get('hash')}, this one {cfg.hash()}); "
            f"use another --out, or delete {rd.path} to start over")


def _write_config(cfg: RunConfig, rd: rundir.RunDir, device: torch.device) -> None:
    if (rd / rundir.CONFIG).exists():
        return
    io.write_json(rd / rundir.CONFIG, {"config": cfg.resolved(), "hash": cfg.hash(), "versions": io.versions(),
                                       "git_commit": io.git_commit(), "numerics": io.device_info(device)})


class _Steps:
    """The optimizer steps of one generator update; all losses stay on the device."""

    def __init__(self, run: Run):
        self.run, cfg = run, run.cfg
        self.loss = losses.get_loss(cfg.loss, cfg.ls_coding)
        self.norm_d = norms.get_norm(cfg.networks()["norm_d"])
        o = cfg.optimizer()
        self.n_dis, self.bs, self.bs_g = o["n_dis"], o["batch_size"], o["batch_size_g"]
        self.G = torch.compile(run.G) if cfg.compile else run.G
        self.D = torch.compile(run.D) if cfg.compile else run.D
        self.autocast = torch.autocast(run.device.type, dtype=torch.bfloat16, enabled=cfg.precision == "bf16")

    def _fake_labels(self, n):
        c = self.run.cfg.n_classes
        return torch.randint(c, (n,), device=self.run.device) if c else None

    def _d_loss(self, real, y_real, fake, y_fake):
        d_real, d_fake = self.D(real, y_real), self.D(fake, y_fake)
        loss = self.loss.d(d_real.float(), d_fake.float())
        pen = norms.d_penalty(self.norm_d, lambda x: self.D(x, y_real), self.run.D, real, fake)
        return loss if pen is None else loss + pen, d_fake

    def alternating(self):
        """SNGAN Algorithm: n_dis D updates on fresh batches, then one G update on a batch of
        ``batch_size_g`` (twice D's in the ResNet setting, as Gulrajani's and the SNGAN authors' code)."""
        run = self.run
        for _ in range(self.n_dis):
            real, y_real = run.source.sample(self.bs)
            y_fake = self._fake_labels(self.bs)
            with self.autocast:
                with torch.no_grad():
                    fake = self.G(run.G.sample_z(self.bs, device=run.device), y_fake)
                loss_d, _ = self._d_loss(real, y_real, fake, y_fake)
            run.opt_d.zero_grad(set_to_none=True)
            loss_d.backward()
            run.opt_d.step()
            norms.after_d_step(self.norm_d, run.D)
        y_fake = self._fake_labels(self.bs_g)
        with self.autocast:
            fake = self.G(run.G.sample_z(self.bs_g, device=run.device), y_fake)
            loss_g = self.loss.g(self.D(fake, y_fake).float())
        run.opt_g.zero_grad(set_to_none=True)
        loss_g.backward()
        run.opt_g.step()
        return loss_d.detach(), loss_g.detach()

    def simultaneous(self):
        """LSGAN official MoG code: both networks step from the same forward pass (two TF train
        ops run together), each with the gradient of its own loss at the pre-update weights."""
        run = self.run
        real, y_real = run.source.sample(self.bs)
        y_fake = self._fake_labels(self.bs)
        with self.autocast:
            fake = self.G(run.G.sample_z(self.bs, device=run.device), y_fake)
            loss_d, d_fake = self._d_loss(real, y_real, fake, y_fake)
            loss_g = self.loss.g(d_fake.float())
        d_params = [p for p in run.D.parameters() if p.requires_grad]
        g_params = list(run.G.parameters())
        grads_d = torch.autograd.grad(loss_d, d_params, retain_graph=True)
        grads_g = torch.autograd.grad(loss_g, g_params)
        for p, gr in zip(d_params, grads_d):
            p.grad = gr
        for p, gr in zip(g_params, grads_g):
            p.grad = gr
        run.opt_d.step()
        run.opt_g.step()
        norms.after_d_step(self.norm_d, run.D)
        return loss_d.detach(), loss_g.detach()


def _finite_weights(*nets: nn.Module) -> bool:
    """All weights finite, read with one host sync."""
    return bool(torch.stack([torch.isfinite(p).all() for net in nets for p in net.parameters()]).all())


def train(cfg: RunConfig, out: str | Path, ckpt_dir: str | Path | None = None,
          evaluator: Callable[[nn.Module, str], dict] | None = None, progress: bool | None = None,
          stop_after: int | None = None, time_limit_min: float | None = None) -> dict:
    """Train (or resume) the run; return the final status dict.

    ``evaluator(G, kind)`` scores G under the run's "curve" or "final" protocol, or the best
    checkpoint ("best") under the final protocol on a fresh sample stream (default:
    :func:`repro.evaluator.make_evaluator`, built before the first step so a missing feature
    network fails before any training). ``stop_after`` ends the call early after that many
    generator updates (tests use it to interrupt a run cleanly). ``time_limit_min``: the job's
    wall-time limit under SLURM; a run that will not finish in it says so in its log
    (:mod:`repro.timelimit`). The run directory is held by this process for the whole call
    (:meth:`repro.rundir.RunDir.owner`).
    """
    from . import evaluator as evaluator_mod  # the module; `evaluator` is the argument

    rd = rundir.RunDir(rundir.check_out(out))
    ckpts = Checkpoints(Path(ckpt_dir) if ckpt_dir else rd / rundir.CHECKPOINTS, cfg.keep_ckpts)
    if evaluator is None:
        evaluator_mod.preflight(cfg)
    device = pick_device(cfg.device)
    with rd.owner():
        _check_config(cfg, rd)  # refuses a directory that holds another config
        done = rd.finished(cfg.hash())
        if done is not None:
            return done  # finished (and intact) results are never redone or lost
        if (rd / rundir.SCORES).exists():
            _say(f"{rd.problem(cfg.hash())}: the run is rebuilt from its checkpoints")
        ckpts.check_writable()
        if rd.state() is None:
            rd.set_state(rundir.CREATED, 0)
        trainer = Trainer(cfg, rd, ckpts, device, evaluator, progress, time_limit_min)
        trainer.resume()
        return trainer.train(stop_after)


def _say(msg: str) -> None:
    print(f"repro train: {msg}", file=sys.stderr, flush=True)


class Trainer:
    """One run's loop, its steps as methods (as mimicry's ``Trainer``: :func:`train` calls
    ``resume`` once, then per generator update ``step``, and at their cadences ``log`` (with the
    divergence check), ``sample``, ``evaluate`` and ``checkpoint``; then ``finish``).

    Everything a checkpoint must restore lives on the instance: the networks and optimizers
    (``self.run``), the loss accumulator (``acc``, ``n_acc``), the logs and the best G so far.
    """

    def __init__(self, cfg: RunConfig, rd: rundir.RunDir, ckpts: Checkpoints, device: torch.device,
                 evaluator=None, progress: bool | None = None, time_limit_min: float | None = None):
        from . import evaluator as evaluator_mod, timelimit

        self.cfg, self.rd, self.ckpts, self.device = cfg, rd, ckpts, device
        self.run = setup(cfg, rd.path)
        if evaluator is None:
            with preserved_rng():
                evaluator = evaluator_mod.make_evaluator(cfg, self.run.source, device)
        self.evaluator = evaluator
        _write_config(cfg, rd, device)  # only once the config is known to be runnable here
        self.train_log = CsvLog(rd / rundir.TRAIN_LOG, rundir.TRAIN_FIELDS)
        self.curve = CsvLog(rd / rundir.CURVE, ["step"])
        self.start = self.step_no = 0
        self.acc = torch.zeros(2, device=device)  # summed (loss_d, loss_g) since the last log line
        self.n_acc = 0
        self.best_state = None
        self.steps = _Steps(self.run)
        self.update = self.steps.simultaneous if cfg.update == "simultaneous" else self.steps.alternating
        self.first_bad = torch.full((), -1, dtype=torch.long, device=device)
        self.diverged: dict | None = None
        self.progress, self.time_limit_min = progress, time_limit_min
        self.watch = timelimit.Watch(timelimit.deadline(time_limit_min), cfg.g_updates, cfg.ckpt_every)

    # ------------------------------------------------------------------ resume
    def resume(self) -> None:
        """Weights, optimizers, RNGs and the logs up to the newest readable checkpoint."""
        cfg, rd, run = self.cfg, self.rd, self.run
        state = self.ckpts.load_latest(map_location=self.device)
        if state is not None:
            if state["config_hash"] != cfg.hash():
                raise RunDirError(
                    f"checkpoints in {self.ckpts.dir} belong to config {state['config_hash']}, not "
                    f"{cfg.hash()}; delete them or give another --ckpt-dir")
            run.G.load_state_dict(state["G"])
            run.D.load_state_dict(state["D"])
            run.opt_g.load_state_dict(state["opt_g"])
            run.opt_d.load_state_dict(state["opt_d"])
            if run.sched_g:
                run.sched_g.load_state_dict(state["sched_g"])
                run.sched_d.load_state_dict(state["sched_d"])
            set_rng_state(state["rng"])
            self.start, self.acc, self.n_acc = state["step"], state["acc"].to(self.device), state["n_acc"]
        self._restore_logs(state)
        self.segments = [dict(s) for s in (state or {}).get("segments") or self._earlier_segment()]
        self.segments.append(self._segment())
        self.best = _Best(self.curve.rows())
        if self.best.step is not None and self.best_state is None and (rd / rundir.G_BEST).is_file():
            self.best_state = torch.load(rd / rundir.G_BEST, map_location=self.device, weights_only=True)
        self.step_no = self.start
        rd.set_state(rundir.RUNNING, self.start, segments=self.segments)
        if self.start:
            _say(f"resumed {rd.path} from the checkpoint of step {self.start} ({self.ckpts.dir})")

    def _segment(self) -> dict:
        """This session of the run: where it starts, on what it runs, at which cadence."""
        numerics = io.device_info(self.device)
        return {"from_step": self.start, "to_step": self.start, "device": numerics["device"],
                "gpu": numerics.get("gpu"), "cadence": {k: getattr(self.cfg, k) for k in CADENCE_KEYS},
                "started": _dt.datetime.now(_dt.timezone.utc).isoformat(timespec="seconds")}

    def _earlier_segment(self) -> list[dict]:
        """The sessions before a checkpoint of an older trainer (which kept no segments), as
        config.json recorded the first one."""
        if not self.start:
            return []
        with contextlib.suppress(RunDirError):
            rec = self.rd.read_json(rundir.CONFIG) or {}
            return [{"from_step": 0, "to_step": self.start, "device": (rec.get("numerics") or {}).get("device"),
                     "gpu": (rec.get("numerics") or {}).get("gpu"),
                     "cadence": {k: (rec.get("config") or {}).get(k) for k in CADENCE_KEYS}, "started": None}]
        return []

    def _restore_logs(self, state: dict | None) -> None:
        train_log, curve, start = self.train_log, self.curve, self.start
        logs = (state or {}).get("logs")
        if logs is not None:  # the logs as they were at the checkpoint, whatever happened to them since
            if _rows_upto(train_log, start) != logs["train"] or _rows_upto(curve, start) != logs["curve"]:
                _say(f"train.csv / curve.csv in {self.rd.path} do not match the checkpoint of step "
                     f"{start}; rebuilt from it")
            train_log.replace(logs["train"], logs["train_fields"])
            curve.replace(logs["curve"], logs["curve_fields"])
            self.best_state = logs.get("G_best")
            if self.best_state is not None:
                io.torch_save(self.rd / rundir.G_BEST, self.best_state)
        elif state is None:  # a fresh start: whatever logs are there belong to no checkpoint
            if train_log.path.exists() or curve.path.exists():
                _say(f"no readable checkpoint: the run in {self.rd.path} restarts from step 0")
            train_log.replace([], rundir.TRAIN_FIELDS)
            curve.replace([], ["step"])
        else:  # a checkpoint of an older trainer, without logs: keep the logs up to it
            if _rows_upto(train_log, start) is None or _rows_upto(curve, start) is None:
                raise RunDirError(f"the logs in {self.rd.path} are damaged and the checkpoints in "
                                  f"{self.ckpts.dir} hold no copy of them; delete both to start the run over")
            train_log.truncate_after(start)
            curve.truncate_after(start)

    # ------------------------------------------------------------------ the loop
    def train(self, stop_after: int | None = None) -> dict:
        """The loop from the resumed step to ``g_updates`` (or ``stop_after``); the final status."""
        cfg = self.cfg
        self.bar = _progress(self.progress, self.start, cfg.g_updates)
        self.t_last, self.step_last, self.wall0 = time.perf_counter(), self.start, time.perf_counter()
        while self.step_no < cfg.g_updates:
            self.step()
            step, last = self.step_no, self.step_no == cfg.g_updates
            # a checkpoint is only written after the divergence check, so it never holds NaNs
            if step % cfg.log_every == 0 or step % cfg.ckpt_every == 0 or last:
                if not self.log():
                    break
            if cfg.sample_every and (step % cfg.sample_every == 0 or last):
                self.sample()
            if cfg.eval_every and (step % cfg.eval_every == 0 or last):
                self.evaluate()
            if step % cfg.ckpt_every == 0 or last:
                self.checkpoint()
            if stop_after is not None and step >= stop_after and not last:
                self.bar.close()
                return {"state": "running", "step": step}
        self.bar.close()
        return self.finish()

    def step(self) -> None:
        """One generator update (with its n_dis D updates); the losses stay on the device and
        the first non-finite one's step is recorded there, without a host sync."""
        run = self.run
        try:
            loss_d, loss_g = self.update()
        except RuntimeError as e:  # an update too large for float32 (lr 3e38): the run diverges here
            if "overflow" not in str(e):
                raise
            loss_d = loss_g = torch.full((), float("nan"), device=self.acc.device)
        self.step_no += 1
        if run.sched_g:
            run.sched_g.step()
            run.sched_d.step()
        pair = torch.stack([loss_d, loss_g]).float()
        self.acc += pair
        self.n_acc += 1
        bad = ~torch.isfinite(pair).all()
        self.first_bad = torch.where(bad & (self.first_bad < 0), torch.full_like(self.first_bad, self.step_no),
                                     self.first_bad)

    def log(self) -> bool:
        """The divergence check (the one host sync, every ``log_every`` steps) and a train.csv
        row; False when the run diverged (``self.diverged`` says where and why)."""
        step, fb = self.step_no, int(self.first_bad)
        if fb >= 0 or not _finite_weights(self.run.G, self.run.D):
            self.diverged = {"step": fb if fb >= 0 else step,
                             "reason": "non-finite loss" if fb >= 0 else "non-finite weight"}
            return False
        now = time.perf_counter()
        rate = (step - self.step_last) / max(now - self.t_last, 1e-9)
        mean = (self.acc / self.n_acc).tolist()
        self.train_log.append({"step": step, "loss_d": f"{mean[0]:.6g}", "loss_g": f"{mean[1]:.6g}",
                               "seconds": f"{now - self.wall0:.3f}", "it_per_s": f"{rate:.4g}",
                               "img_per_s": f"{rate * self.steps.bs * (self.steps.n_dis + 1):.4g}"})
        self.acc.zero_()
        self.n_acc, self.t_last, self.step_last = 0, now, step
        self.bar(step, mean, rate)
        warning = self.watch.check(step, (step - self.start) / max(now - self.wall0, 1e-9))
        if warning:
            print(warning, file=sys.stderr, flush=True)
        return True

    def sample(self) -> Path:
        """The sample grid at the fixed noise (:mod:`repro.samples`)."""
        return samples.save_samples(self.run.G, self.run.fixed_z, self.run.fixed_y, self.rd.path, self.step_no)

    def evaluate(self) -> None:
        """A learning-curve point under the curve protocol (the training RNGs untouched), and
        the best G so far by the protocol's headline metric."""
        run, step = self.run, self.step_no
        with preserved_rng():
            scores = self.evaluator(run.G, "curve")
        self.curve.append({"step": step, **_flat(scores), **models.attention_gates(G=run.G, D=run.D)})
        if self.best.update(step, scores):
            self.best_state = {k: v.detach().clone() for k, v in run.G.state_dict().items()}
            io.torch_save(self.rd / rundir.G_BEST, self.best_state)

    def checkpoint(self) -> None:
        """Everything a resume needs, logs included, written atomically."""
        run, step = self.run, self.step_no
        self.ckpts.save(step, {"step": step, "G": run.G.state_dict(), "D": run.D.state_dict(),
                               "opt_g": run.opt_g.state_dict(), "opt_d": run.opt_d.state_dict(),
                               "sched_g": run.sched_g.state_dict() if run.sched_g else None,
                               "sched_d": run.sched_d.state_dict() if run.sched_d else None,
                               "rng": rng_state(), "acc": self.acc.cpu(), "n_acc": self.n_acc,
                               "config_hash": self.cfg.hash(), "segments": self._segments_upto(step),
                               "logs": {"train": self.train_log.rows(), "train_fields": self.train_log.fields,
                                        "curve": self.curve.rows(), "curve_fields": self.curve.fields,
                                        "G_best": self.best_state}})
        self.rd.set_state(rundir.RUNNING, step, segments=self.segments)  # how far the run is: one small write

    def _segments_upto(self, step: int) -> list[dict]:
        self.segments[-1]["to_step"] = step
        return [dict(s) for s in self.segments]

    def finish(self) -> dict:
        """Final (and best-checkpoint) scores under the final protocol, the seal, the state."""
        cfg, rd, run, step = self.cfg, self.rd, self.run, self.step_no
        if self.diverged is not None:
            scores = {"status": "diverged", "diverged_at": self.diverged["step"], "reason": self.diverged["reason"]}
            status = {"state": "diverged", **self.diverged}
        else:
            io.torch_save(rd / rundir.G_FINAL, run.G.state_dict())
            scores = {"status": "completed", "final": {"step": step, **self.evaluator(run.G, "final")}}
            if self.best.step is not None:  # the best curve checkpoint, scored under the final
                G_best = copy.deepcopy(run.G)  # protocol on samples that did not select it
                G_best.load_state_dict(self.best_state)
                scores["best"] = {"step": self.best.step, **self.evaluator(G_best, "best")}
            status = {"state": "completed", "step": step}
        status["segments"] = self._segments_upto(step)
        scores.update(config_hash=cfg.hash(), seed=cfg.seed, segments=status["segments"],
                      wall_seconds=round(time.perf_counter() - self.wall0, 3), steps_this_session=step - self.start, numerics=io.device_info(self.device),
                      versions=io.versions(), git_commit=io.git_commit())
        rd.seal(scores)  # the commit point: from here the run is finished
        return rd.set_state(status.pop("state"), status.pop("step"), **status)


def _rows_upto(log: CsvLog, step: int) -> list[dict] | None:
    """The rows of a log up to ``step``; None when the file cannot be parsed."""
    try:
        return [r for r in log.rows() if int(r["step"]) <= step]
    except (ValueError, KeyError, TypeError, csv.Error, UnicodeDecodeError):
        return None


def _flat(scores: dict) -> dict:
    """The scalar entries of a score dict (what a CSV row can hold)."""
    return {k: v for k, v in scores.items() if isinstance(v, (int, float, str))}


class _Best:
    """The best learning-curve evaluation so far, by its protocol's headline metric."""

    def __init__(self, rows: list[dict]):
        self.step = self.value = None
        for r in rows:
            self.update(int(r["step"]), r)

    def update(self, step: int, scores: dict) -> bool:
        from .evaluator import headline_of

        key, sign = headline_of(scores)
        if key is None or scores.get(key) in (None, ""):
            return False
        v = sign * float(scores[key])
        if not math.isfinite(v) or (self.value is not None and v >= self.value):
            return False
        self.step, self.value = step, v
        return True


def _hms(seconds: float) -> str:
    """0:04:05 for 245 s (hours grow without bound: a long run's ETA can pass a day)."""
    s = int(round(seconds))
    return f"{s // 3600}:{s % 3600 // 60:02d}:{s % 60:02d}"


def _progress(enabled: bool | None, start: int, total: int):
    """tqdm on a terminal (updates, rate, ETA, the mean losses), else a line per log interval."""
    if enabled is None:
        enabled = sys.stderr.isatty()

    class Bar:
        def __init__(self):
            self.tq = None
            if enabled:
                from tqdm import tqdm

                self.tq = tqdm(total=total, initial=start, unit="it", dynamic_ncols=True)
            self.last = start

        def __call__(self, step, mean, rate):
            if self.tq is not None:
                self.tq.update(step - self.last)
                self.tq.set_postfix(loss_d=f"{mean[0]:.3f}", loss_g=f"{mean[1]:.3f}")
            else:  # a log file or CI: one line per log interval, the ETA at this interval's rate
                eta = _hms((total - step) / rate) if rate > 0 else "?"
                print(f"step {step}/{total} ({100 * step / total:.0f}%)  loss_d {mean[0]:.4f}  "
                      f"loss_g {mean[1]:.4f}  {rate:.2f} it/s  eta {eta}", file=sys.stderr, flush=True)
            self.last = step

        def close(self):
            if self.tq is not None:
                self.tq.close()

    return Bar()
