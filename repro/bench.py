"""The device benchmark behind ``bench/device.sh``: one call measures what a GPU box needs known.

Sections (each a list of records in the JSON; a failing section is recorded, the others still run):

* ``smoke`` -- every arch x D treatment (:data:`repro.models.ARCHS`' ``norms_d``) runs a few real
  update steps through the suite's loop: losses finite, every parameter and buffer of G and D on
  the expected device.
* ``step_time`` -- SNGAN standard-CNN update time (SNGAN App. B, Table 3; setting A: n_dis 5,
  batch 64) through the suite's loop (:class:`repro.train._Steps`: data on the device, no host sync
  per step, fused Adam) and through a plain eager baseline (host->device batch copies, ``.item()``
  per step, unfused Adam), in fp32 with TF32 off, with TF32 on, and (the suite's ``precision:
  bf16``) BF16 autocast; each with the numerics switches in force (:func:`repro.io.device_info`).
* ``concurrency`` -- aggregate throughput of 1, 2, 4, 8 runs at once on one device, each its own
  process (as ``repro.gpus`` with ``jobs_per_gpu`` runs them), started together after warm-up;
  the runs' weight checksums show whether a result depends on what shares the device.
* ``fid`` -- time to score 50,000 samples of a standard-CNN G under ``50k-train`` with the suite's
  path (:func:`repro.metrics.evaluate_generator`: batched resize and network on the device) against
  clean-fid's generator path (``get_model_features`` + its ``frechet_distance``: what
  ``compute_fid(gen=...)`` runs with cached reference statistics), both with a random-weight
  stand-in of Inception-v3's architecture (:mod:`repro.metrics.standins`; the GPU machine reaches
  no network to fetch the real weights, and speed does not depend on the weights). The FID values
  themselves mean nothing (stand-in network, N(0, I) reference).
* ``calibrate`` -- ``repro calibrate`` for every arch (:mod:`repro.calibrate`); the rates go to
  ``<out>/calibration.json`` (``repro calibrate --merge`` adds them to another machine's cache).

``full`` mode (a CUDA device: paper sizes, <= 8 min on one H100-class GPU) and ``reduced`` mode
(a CPU: tiny sizes, the same code paths, well under a minute; CI runs it).
"""
from __future__ import annotations

import argparse
import contextlib
import datetime
import hashlib
import json
import os
import sys
import tempfile
import time
import traceback
from pathlib import Path

import numpy as np
import torch

from . import calibrate, io, losses, models, norms

#: What each mode runs. ``full`` fits <= 8 min on an H100-class GPU (estimates: ../shared/notes/perf.md).
MODES = {
    "full": dict(smoke_steps=3, step_steps=200, step_warmup=20, step_max_s=20.0,
                 concurrency=(1, 2, 4, 8), conc_steps=300, fid_n=50_000, fid_batch=500,
                 calib_archs=tuple(calibrate.PAPER_SIZE), calib_steps=200, calib_warmup=20),
    "reduced": dict(smoke_steps=1, step_steps=2, step_warmup=1, step_max_s=5.0,
                    concurrency=(1, 2), conc_steps=2, fid_n=64, fid_batch=32,
                    calib_archs=("mlp",), calib_steps=3, calib_warmup=1),
}
#: Tiny sizes of the reduced mode (the full mode uses calibrate.PAPER_SIZE).
REDUCED = {"sngan_cnn": dict(resolution=16, ch=8, batch_size=8),
           "sngan_resnet": dict(resolution=16, ch=8, batch_size=8),
           "sagan": dict(resolution=16, ch=8, batch_size=8, attention=8),
           "lsgan": dict(resolution=16, ch=8, batch_size=8, z_dim=16),
           "dcgan64": dict(resolution=64, ch=4, batch_size=4, z_dim=16),  # the only size it has
           "mlp": dict(ch=16, batch_size=64, z_dim=16)}
STEP_SIZE = {"full": dict(resolution=32, ch=64, batch_size=64), "reduced": dict(resolution=16, ch=8, batch_size=8)}
NUMERICS = ("fp32", "tf32", "bf16")


def _sync(device: torch.device):
    return torch.cuda.synchronize if device.type == "cuda" else (lambda: None)


@contextlib.contextmanager
def numerics(kind: str, device: torch.device):
    """TF32 off (``fp32``) or on (``tf32``, ``bf16``: the suite's default CUDA switches) for the block."""
    saved = torch.backends.cuda.matmul.allow_tf32, torch.backends.cudnn.allow_tf32
    tf32 = kind != "fp32" and device.type == "cuda"
    torch.backends.cuda.matmul.allow_tf32 = torch.backends.cudnn.allow_tf32 = tf32
    try:
        yield
    finally:
        torch.backends.cuda.matmul.allow_tf32, torch.backends.cudnn.allow_tf32 = saved


def _timed(step, device, steps: int, warmup: int, max_s: float) -> tuple[float, int]:
    """(seconds per call, calls timed): ``warmup`` untimed calls, then up to ``steps`` timed ones
    (fewer when ``max_s`` is reached), the device synchronised before each clock read."""
    sync = _sync(device)
    for _ in range(warmup):
        step()
    sync()
    t0, n = time.perf_counter(), 0
    while n < steps:
        step()
        n += 1
        if n % 10 == 0 or n == steps:
            sync()
            if time.perf_counter() - t0 > max_s:
                break
    sync()
    return (time.perf_counter() - t0) / n, n


# --------------------------------------------------------------------------- smoke
def _smoke_config(arch: str, norm: str, device: str, mode: str):
    over = {"norm_d": norm} if mode == "full" else {"norm_d": norm, **REDUCED[arch]}
    if arch in ("lsgan", "dcgan64") and norms.get_norm(norm).feature:  # it replaces the paper's BN in D
        over["arch_kwargs"] = {"bn_d": False}
    return calibrate.calibration_config(arch, device, **over)


def smoke(device: torch.device, mode: str) -> list[dict]:
    from .train import _Steps, setup

    out = []
    for arch, spec in models.ARCHS.items():
        for norm in spec.norms_d:
            rec = {"arch": arch, "norm_d": norm}
            t0 = time.perf_counter()
            try:
                cfg = _smoke_config(arch, norm, str(device), mode)
                with tempfile.TemporaryDirectory() as tmp:
                    run = setup(cfg, Path(tmp))
                    steps = _Steps(run)
                    update = steps.simultaneous if cfg.update == "simultaneous" else steps.alternating
                    for _ in range(MODES[mode]["smoke_steps"]):
                        loss_d, loss_g = update()
                    tensors = [*run.G.parameters(), *run.G.buffers(), *run.D.parameters(), *run.D.buffers()]
                    rec.update(loss_d=float(loss_d), loss_g=float(loss_g),
                               devices=sorted({t.device.type for t in tensors}))
                rec["ok"] = bool(np.isfinite([rec["loss_d"], rec["loss_g"]]).all()
                                 and rec["devices"] == [device.type])
            except Exception as e:  # noqa: BLE001 - recorded: the table shows which combination failed
                rec.update(ok=False, error=f"{type(e).__name__}: {e}")
            rec["seconds"] = round(time.perf_counter() - t0, 3)
            out.append(rec)
    return out


# --------------------------------------------------------------------------- step time
def _step_config(device: str, mode: str, precision: str = "fp32", size: dict | None = None):
    return calibrate.calibration_config("sngan_cnn", device, precision=precision, **(size or STEP_SIZE[mode]))


def suite_step(device: torch.device, mode: str, precision: str = "fp32", tmp: str | None = None,
               size: dict | None = None):
    """One SNGAN standard-CNN G update (n_dis D updates first) through the suite's loop, at the
    mode's size or ``size`` (resolution, ch, batch_size)."""
    from .train import _Steps, setup

    run = setup(_step_config(str(device), mode, precision, size), Path(tmp or tempfile.mkdtemp()))
    steps = _Steps(run)
    return steps.alternating, run


def eager_step(device: torch.device, mode: str, size: dict | None = None):
    """The same update as most GAN code writes it: host-memory data copied per batch, a loss
    ``.item()`` per step (a host sync), unfused Adam, no cudnn autotuning."""
    cfg = _step_config(str(device), mode, size=size)
    torch.manual_seed(0)
    r = cfg.resolution
    G, D = models.build("sngan_cnn", resolution=r, ch=cfg.ch, norm_d="spectralnorm")
    G, D = G.to(device), D.to(device)
    o = cfg.optimizer()
    opt_g = torch.optim.Adam(G.parameters(), o["lr_g"], (o["beta1"], o["beta2"]))
    opt_d = torch.optim.Adam(D.parameters(), o["lr_d"], (o["beta1"], o["beta2"]))
    images = np.random.default_rng(0).integers(0, 256, (2048, 3, r, r), dtype=np.uint8)
    loss, bs = losses.get_loss("standard"), o["batch_size"]

    def step():
        for _ in range(o["n_dis"]):
            idx = np.random.randint(0, len(images), bs)
            real = torch.from_numpy(images[idx]).to(device).float() / 127.5 - 1
            fake = G(torch.randn(bs, G.z_dim, device=device)).detach()
            l_d = loss.d(D(real), D(fake))
            opt_d.zero_grad()
            l_d.backward()
            opt_d.step()
            l_d.item()
        l_g = loss.g(D(G(torch.randn(bs, G.z_dim, device=device))))
        opt_g.zero_grad()
        l_g.backward()
        opt_g.step()
        l_g.item()
    step.nets = (G, D)  # for a caller that checks the update really happened
    return step


def step_time(device: torch.device, mode: str) -> list[dict]:
    m, out = MODES[mode], []
    for loop in ("suite", "eager"):
        for kind in NUMERICS:
            rec = {"loop": loop, "numerics": kind}
            if kind == "tf32" and device.type != "cuda":
                out.append({**rec, "skipped": "TF32 exists on CUDA only"})
                continue
            if kind == "bf16" and loop == "eager":
                out.append({**rec, "skipped": "the eager baseline has no autocast"})
                continue
            bench_cudnn = torch.backends.cudnn.benchmark
            try:
                with numerics(kind, device), tempfile.TemporaryDirectory() as tmp:
                    torch.backends.cudnn.benchmark = False  # the suite's setup turns it on for itself
                    step = suite_step(device, mode, "bf16" if kind == "bf16" else "fp32", tmp)[0] \
                        if loop == "suite" else eager_step(device, mode)
                    s, n = _timed(step, device, m["step_steps"], m["step_warmup"], m["step_max_s"])
                    rec.update(ms_per_g_update=s * 1e3, g_updates_per_s=1 / s, timed=n,
                               switches={**io.device_info(device), "precision": kind})
            except Exception as e:  # noqa: BLE001
                rec["error"] = f"{type(e).__name__}: {e}"
            finally:
                torch.backends.cudnn.benchmark = bench_cudnn
            out.append(rec)
    return out


# --------------------------------------------------------------------------- concurrency
def _checksum(module: torch.nn.Module) -> str:
    h = hashlib.sha256()
    for t in module.state_dict().values():
        h.update(t.detach().cpu().contiguous().numpy().tobytes())
    return h.hexdigest()[:16]


def worker(conn, device: str, mode: str, steps: int) -> None:
    """One concurrent run, driven over a pipe: on ``prep`` it builds the run afresh (same seed
    every round) and warms it up, answering ``ready``; on ``go`` it times ``steps`` G updates and
    answers its figures. Building afresh each round makes every round's runs comparable."""
    torch.set_num_threads(1)
    dev = torch.device(device)
    state = {}
    while True:
        cmd = conn.recv()
        if cmd == "prep":
            state["tmp"] = tempfile.TemporaryDirectory()
            state["step"], state["run"] = suite_step(dev, mode, tmp=state["tmp"].name)
            state["step"]()
            _sync(dev)()
            conn.send("ready")
        elif cmd == "go":
            t0 = time.perf_counter()
            for _ in range(steps):
                state["step"]()
            _sync(dev)()
            conn.send({"seconds": time.perf_counter() - t0, "steps": steps,
                       "checksum": _checksum(state["run"].G)})
            state.pop("tmp").cleanup()
        else:
            return


def _reply(conn, p, timeout_s: float):
    if not conn.poll(timeout_s):
        raise RuntimeError(f"a concurrent run did not answer within {timeout_s:g} s (exit code {p.exitcode})")
    return conn.recv()


def concurrency(device: torch.device, mode: str, timeout_s: float = 300,
                start_method: str | None = None) -> list[dict]:
    """Aggregate throughput of n runs at once, for each n of the mode. The processes (max n) are
    started once -- forked on a CPU (no second torch import), spawned on CUDA (a CUDA context
    cannot be forked) -- and each round uses the first n, rebuilt and warmed up before the round
    starts, so start-up and warm-up stay out of the figures."""
    import multiprocessing as mp

    m, out = MODES[mode], []
    ctx = mp.get_context(start_method or ("fork" if device.type == "cpu" else "spawn"))
    pipes, procs = [], []
    for _ in range(max(m["concurrency"])):
        parent, child = ctx.Pipe()
        p = ctx.Process(target=worker, args=(child, str(device), mode, m["conc_steps"]), daemon=True)
        p.start()
        pipes.append(parent)
        procs.append(p)
    try:
        for n in m["concurrency"]:
            for c in pipes[:n]:
                c.send("prep")
            for c, p in zip(pipes[:n], procs):
                assert _reply(c, p, timeout_s) == "ready"
            for c in pipes[:n]:  # as near together as the pipes allow (microseconds apart)
                c.send("go")
            runs = [_reply(c, p, timeout_s) for c, p in zip(pipes[:n], procs)]
            wall = max(r["seconds"] for r in runs)
            out.append({"runs": n, "steps_each": m["conc_steps"], "wall_s": wall,
                        "aggregate_g_updates_per_s": sum(r["steps"] for r in runs) / wall,
                        "per_run_g_updates_per_s": [r["steps"] / r["seconds"] for r in runs],
                        "checksums": [r["checksum"] for r in runs]})
    finally:
        for c in pipes:
            with contextlib.suppress(OSError, BrokenPipeError):
                c.send("quit")
        for p in procs:
            p.join(timeout=30)
            if p.is_alive():
                p.kill()
                p.join()
    base = out[0]["aggregate_g_updates_per_s"]
    every = {c for rec in out for c in rec["checksums"]}
    for rec in out:
        rec["vs_one_run"] = rec["aggregate_g_updates_per_s"] / base
        rec["same_weights"] = len(set(rec["checksums"])) == 1
    out[-1]["same_weights_all_rounds"] = len(every) == 1
    return out


# --------------------------------------------------------------------------- FID
def fid(device: torch.device, mode: str) -> list[dict]:
    from .metrics import evaluate_generator, frechet_distance, get_protocol
    from .metrics.compare import _feature_fn, _generator_for_cleanfid
    from .metrics.fid import feature_stats
    from .metrics.standins import RandomInception, TinyNet, standin_extractor

    m = MODES[mode]
    n, batch = m["fid_n"], m["fid_batch"]
    torch.manual_seed(0)
    G = models.build("sngan_cnn", resolution=32, ch=STEP_SIZE[mode]["ch"], norm_d="spectralnorm")[0]
    G = G.to(device).eval()
    net = (RandomInception(seed=0) if mode == "full" else TinyNet(seed=0)).to(device)
    base = get_protocol("50k-train")
    ex = standin_extractor(net, resize_mode=base.resize, quantize=base.quantize, device=device,
                           batch_size=batch)
    protocol = base.replace(network_sha256=ex.sha256, n_fake=n, n_real=n, is_n=n, feature_batch=batch,
                            is_splits=min(base.is_splits, n))
    dim = int(ex(torch.zeros(1, 3, 32, 32, dtype=torch.uint8, device=device))[0].shape[1])
    ref = (np.zeros(dim), np.eye(dim))  # a stand-in reference: speed does not depend on it

    def sample_fn(k, generator):
        return G(torch.randn(k, G.z_dim, device=device, generator=generator))

    out = []
    t0 = time.perf_counter()
    ours = evaluate_generator(sample_fn, protocol, ref, ex, device, seed=0, sample_batch=batch)
    _sync(device)()
    out.append({"path": "suite (evaluate_generator)", "n": n, "seconds": time.perf_counter() - t0,
                "fid": ours["fid"], "network": type(net).__name__, "resize": base.resize})
    try:
        from cleanfid import fid as cfid
    except ImportError as e:
        out.append({"path": "clean-fid compute_fid(gen=...)", "n": n,
                    "skipped": f"clean-fid not installed ({e}); carry its wheel (BENCHMARKS.md)"})
        return out
    t0 = time.perf_counter()
    with torch.random.fork_rng(devices=[]):
        torch.manual_seed(0)
        feats = cfid.get_model_features(_generator_for_cleanfid(sample_fn, 0, device, base.quantize),
                                        _feature_fn(ex), mode=base.resize, z_dim=1, num_gen=n,
                                        batch_size=batch, device=torch.device(device), verbose=False)
    mu, sigma = feature_stats(feats)
    try:
        theirs = float(cfid.frechet_distance(mu, sigma, *ref))  # clean-fid's own sqrtm
    except TypeError:  # its sqrtm(disp=False) on SciPy >= 1.18: ours (float64 eigenvalues)
        theirs = frechet_distance(mu, sigma, *ref)
    out.append({"path": "clean-fid compute_fid(gen=...)", "n": n, "seconds": time.perf_counter() - t0,
                "fid": theirs, "network": type(net).__name__, "resize": base.resize})
    out[1]["vs_suite"] = out[1]["seconds"] / out[0]["seconds"]
    return out


# --------------------------------------------------------------------------- calibrate
def calibration(device: torch.device, mode: str, out_dir: Path) -> list[dict]:
    m = MODES[mode]
    records = [calibrate.measure(a, str(device), steps=m["calib_steps"], warmup=m["calib_warmup"])
               for a in m["calib_archs"]]
    calibrate.save(records, out_dir)  # <out>/calibration.json
    return [{k: r[k] for k in ("arch", "device", "s_per_g_update", "s_per_unit", "n_dis", "batch_size",
                               "resolution", "ch", "steps", "date")} for r in records]


# --------------------------------------------------------------------------- the whole run
SECTIONS = ("smoke", "step_time", "concurrency", "fid", "calibrate")


def run(device: str = "auto", mode: str = "auto", out: str | Path = "bench/out",
        only: tuple[str, ...] = SECTIONS, start_method: str | None = None) -> dict:
    from .train import pick_device

    dev = pick_device(device)
    mode = ("full" if dev.type == "cuda" else "reduced") if mode == "auto" else mode
    out = Path(out)
    out.mkdir(parents=True, exist_ok=True)
    result = {"mode": mode, "device": calibrate.device_name(dev), "started":
              datetime.datetime.now(datetime.timezone.utc).isoformat(timespec="seconds"),
              "versions": io.versions(), "numerics": io.device_info(dev), "git_commit": io.git_commit(),
              "torch_threads": torch.get_num_threads(), "sections": {}, "errors": {}, "seconds": {}}
    t_all = time.perf_counter()
    calls = {"smoke": lambda: smoke(dev, mode), "step_time": lambda: step_time(dev, mode),
             "concurrency": lambda: concurrency(dev, mode, start_method=start_method), "fid": lambda: fid(dev, mode),
             "calibrate": lambda: calibration(dev, mode, out)}
    for name in only:
        t0 = time.perf_counter()
        print(f"[bench] {name} ...", file=sys.stderr, flush=True)
        try:
            result["sections"][name] = calls[name]()
        except Exception:  # noqa: BLE001 - one failing section must not lose the others' figures
            result["errors"][name] = traceback.format_exc(limit=6)
        result["seconds"][name] = round(time.perf_counter() - t0, 2)
        io.write_json(out / "bench.json", result)  # after every section: a killed run keeps the rest
    result["wall_s"] = round(time.perf_counter() - t_all, 2)
    io.write_json(out / "bench.json", result)
    return result


def table(result: dict) -> str:
    """The short table printed last (every figure is in bench.json)."""
    s, lines = result["sections"], [f"device benchmark: {result['device']}, {result['mode']} mode, "
                                     f"torch {result['versions']['torch']}, {result.get('wall_s', 0):.0f} s"]
    if "smoke" in s:
        bad = [f"{r['arch']}/{r['norm_d']}" for r in s["smoke"] if not r["ok"]]
        lines.append(f"smoke: {len(s['smoke']) - len(bad)}/{len(s['smoke'])} arch x D treatment runs "
                     f"finite on {result['numerics']['device']}" + (f"; FAILED: {', '.join(bad)}" if bad else ""))
    for r in s.get("step_time", []):
        what = f"sngan_cnn step  {r['loop']:5s} {r['numerics']:4s}"
        lines.append(f"{what}  " + (f"{r['ms_per_g_update']:9.2f} ms/G update  {r['g_updates_per_s']:8.1f} it/s"
                                    if "ms_per_g_update" in r else r.get("skipped") or r.get("error", "")))
    for r in s.get("concurrency", []):
        lines.append(f"concurrent runs {r['runs']}: {r['aggregate_g_updates_per_s']:8.1f} it/s in all "
                     f"({r['vs_one_run']:.2f}x one run), same weights: {r['same_weights']}")
    for r in s.get("fid", []):
        lines.append(f"FID {r['n']} samples, {r['path']}: "
                     + (f"{r['seconds']:.1f} s" if "seconds" in r else r["skipped"]))
    for r in s.get("calibrate", []):
        lines.append(f"calibrate {r['arch']:12s} {r['s_per_g_update'] * 1e3:9.2f} ms/G update "
                     f"(n_dis {r['n_dis']}, batch {r['batch_size']}, {r['steps']} steps)")
    for name in result["errors"]:
        lines.append(f"{name}: ERROR (traceback in bench.json)")
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(prog="python -m repro.bench", description=__doc__.split("\n\n")[0])
    p.add_argument("--device", default="auto", help="auto | cpu | cuda")
    p.add_argument("--mode", default="auto", choices=["auto", "full", "reduced"],
                   help="auto: full on CUDA, reduced on a CPU")
    p.add_argument("--out", default=os.environ.get("OUT") or "bench/out", help="where bench.json and "
                   "calibration.json go (default $OUT, else bench/out)")
    p.add_argument("--only", nargs="+", choices=SECTIONS, default=list(SECTIONS))
    p.add_argument("--start-method", choices=["fork", "spawn"], help="how the concurrent runs start "
                   "(default: fork on a CPU, spawn on CUDA, where a CUDA context cannot be forked)")
    a = p.parse_args(argv)
    result = run(a.device, a.mode, a.out, tuple(a.only), a.start_method)
    print(table(result), flush=True)
    print(f"every figure: {Path(a.out) / 'bench.json'}", flush=True)
    return 1 if result["errors"] or any(not r["ok"] for r in result["sections"].get("smoke", [])) else 0


if __name__ == "__main__":
    sys.exit(main())
