"""Measured training speed: ``repro calibrate`` times real update steps, ``repro plan`` and the
workflow's SLURM time limits read the result.

Each arch is timed at the paper's size (width, resolution, batch size and n_dis of the setting
the suite's tables use it with; :data:`PAPER_SIZE`) through the suite's own loop
(:class:`repro.train._Steps` on data resident on the device), warm-up steps excluded and the
device synchronised before the clock is read. A measurement is stored per device name in
``<cache>/calibration.json`` (:func:`repro.io.cache_dir`; atomic write) with the date, the library
versions and the numerics switches in force, as seconds per generator update and normalised to
the unit of :data:`repro.experiments.GPU_S_PER_UPDATE` (one G update at n_dis 1, batch <= 64).
"""
from __future__ import annotations

import datetime
import json
import os
import time
from pathlib import Path

from . import io
from .errors import UserError

FILE = "calibration.json"
FORMAT = 1

#: The size each arch is timed at: the paper's network on the paper's data shape, with the
#: setting the suite's tables train it with (data are synthetic images of that shape: the speed
#: does not depend on the pixels).
PAPER_SIZE = {
    "sngan_cnn": dict(dataset="synthetic", resolution=32, norm_d="spectralnorm", setting="A"),  # SNGAN App. B, Table 3
    "sngan_resnet": dict(dataset="synthetic", resolution=32, norm_d="spectralnorm", setting="sngan_resnet"),  # Table 4
    "sagan": dict(dataset="synthetic", resolution=32, norm_d="spectralnorm", setting="sagan_ttur",
                  n_classes=2, attention=16, loss="hinge"),  # SAGAN Sec. 5 at CIFAR-10 scale
    "lsgan": dict(dataset="synthetic", resolution=112, setting="lsgan_lsun", loss="least_squares"),  # LSGAN Fig. 3
    "dcgan64": dict(dataset="synthetic", resolution=64, setting="lsgan_nobn_adam",
                    loss="least_squares"),  # LSGAN stability_comparison (64x64 DCGAN nets)
    "mlp": dict(dataset="mog_ring", resolution=0, setting="lsgan_mog", loss="least_squares",
                update="simultaneous"),  # LSGAN official MoG code
}


class CalibrationError(UserError, ValueError):
    pass


def unit_factor(n_dis: int, batch_size: int) -> float:
    """Cost of one G update relative to the unit (one G update at n_dis 1, batch <= 64): a D step
    costs about as much as a G step, and the work grows with the batch beyond 64."""
    return (n_dis + 1) / 2 * max(1.0, batch_size / 64)


def device_name(device) -> str:
    """What a measurement is filed under: the GPU's name (``NVIDIA H200``), or ``cpu: <model>``."""
    import torch

    device = torch.device(device)
    if device.type == "cuda":
        return torch.cuda.get_device_name(device)
    return f"cpu: {io.cpu_model()}"


def calibration_config(arch: str, device: str, **overrides):
    from .config import RunConfig

    return RunConfig.from_dict({"arch": arch, "device": device, "g_updates": 10 ** 6,
                                **PAPER_SIZE[arch], **overrides})


def time_updates(cfg, steps: int, warmup: int) -> float:
    """Seconds per generator update of ``cfg`` through the suite's loop (median-free: the mean of
    ``steps`` updates after ``warmup`` untimed ones, with the device synchronised at both ends)."""
    import tempfile

    import torch

    from .train import _Steps, setup

    with tempfile.TemporaryDirectory() as tmp:
        run = setup(cfg, Path(tmp))
        steps_ = _Steps(run)
        update = steps_.simultaneous if cfg.update == "simultaneous" else steps_.alternating
        sync = torch.cuda.synchronize if run.device.type == "cuda" else (lambda: None)
        for _ in range(warmup):
            update()
        sync()
        t0 = time.perf_counter()
        for _ in range(steps):
            update()
        sync()
        return (time.perf_counter() - t0) / steps


def measure(arch: str, device: str = "auto", steps: int = 200, warmup: int = 20) -> dict:
    """Time ``steps`` updates of ``arch`` at :data:`PAPER_SIZE`; the record :func:`save` stores."""
    import torch

    from .train import pick_device

    if arch not in PAPER_SIZE:
        raise CalibrationError(f"unknown arch {arch!r}; calibrated archs: {', '.join(PAPER_SIZE)}")
    if steps < 1 or warmup < 0:
        raise CalibrationError(f"--steps must be >= 1 and --warmup >= 0 (got {steps}, {warmup})")
    cfg = calibration_config(arch, device)
    dev = pick_device(cfg.device)
    s = time_updates(cfg, steps, warmup)
    o, net = cfg.optimizer(), cfg.networks()
    return {"arch": arch, "s_per_g_update": s, "s_per_unit": s / unit_factor(o["n_dis"], o["batch_size"]),
            "n_dis": o["n_dis"], "batch_size": o["batch_size"], "resolution": cfg.resolution,
            "ch": net["ch"], "norm_d": net["norm_d"], "setting": cfg.setting, "steps": steps,
            "warmup": warmup, "device": device_name(dev), "date": datetime.date.today().isoformat(),
            "measured_at": datetime.datetime.now(datetime.timezone.utc).isoformat(timespec="seconds"),
            "numerics": io.device_info(dev), "versions": io.versions(),
            "torch_threads": torch.get_num_threads()}


# --------------------------------------------------------------------------- the cache file
def path(cache: str | os.PathLike | None = None) -> Path:
    return io.cache_dir(cache) / FILE


def load(cache: str | os.PathLike | None = None) -> dict:
    """``{device name: {arch: record}}`` from the cache (empty when nothing was measured)."""
    return read(path(cache))


def read(p: Path) -> dict:
    """``{device name: {arch: record}}`` of one calibration file ({} when it does not exist)."""
    p = Path(p)
    if not p.exists():
        return {}
    try:
        data = json.loads(p.read_text())
        devices = data["devices"]
        if data.get("format") != FORMAT or not isinstance(devices, dict):
            raise ValueError(f"format {data.get('format')!r}, expected {FORMAT}")
        return devices
    except (ValueError, KeyError, TypeError) as e:
        raise CalibrationError(f"{p} is not a calibration file ({type(e).__name__}: {e}); delete it "
                               f"and run `repro calibrate` again") from None


def save(records: list[dict], cache: str | os.PathLike | None = None) -> Path:
    """Merge ``records`` into the cache file (newest per device and arch wins), atomically."""
    devices = load(cache)
    for r in records:
        devices.setdefault(r["device"], {})[r["arch"]] = r
    return io.write_json(path(cache), {"format": FORMAT, "devices": devices})


def merge_file(src: str | os.PathLike, cache: str | os.PathLike | None = None) -> list[dict]:
    """Add the records of another calibration file (e.g. the one ``bench/device.sh`` writes on
    the GPU box) to this machine's cache; returns them."""
    p = Path(src)
    if not p.is_file():
        raise CalibrationError(f"{p}: no such calibration file")
    records = [r for recs in read(p).values() for r in recs.values()]
    save(records, cache)
    return records


def lookup(device: str | None, arch: str, cache: str | os.PathLike | None = None) -> dict | None:
    """The measured record of ``arch`` on ``device`` (a name as :func:`device_name` gives), if any."""
    if device is None:
        return None
    return load(cache).get(device, {}).get(arch)
