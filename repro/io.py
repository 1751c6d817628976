"""Atomic file writes and provenance: what every result file is written with.

A killed job leaves either the old file or the new one, never half of one: every writer goes
through :func:`atomic_write` (temporary file in the same directory, fsync, rename, fsync of the
directory).
"""
from __future__ import annotations

import contextlib
import hashlib
import io
import json
import os
import platform
import subprocess
import tempfile
from importlib import metadata
from pathlib import Path
from typing import TYPE_CHECKING, Callable, IO

__all__ = ["atomic_write", "write_text", "write_json", "torch_save", "save_figure", "stable_hash",
           "sha256_file", "cache_dir", "versions", "git_commit", "device_info"]

if TYPE_CHECKING:  # torch is imported where it is used: reading results needs none
    import torch


def atomic_write(path: str | os.PathLike, write: Callable[[IO[bytes]], None]) -> Path:
    """Call ``write(f)`` on a temporary binary file, then move it over ``path`` atomically."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    try:
        os.chmod(tmp, 0o666 & ~_umask())  # mkstemp makes 0600; give what open() would (shared caches)
        with os.fdopen(fd, "wb") as f:
            write(f)
            f.flush()
            os.fsync(f.fileno())
        os.replace(tmp, path)
    except BaseException:
        with contextlib.suppress(FileNotFoundError):
            os.unlink(tmp)
        raise
    with contextlib.suppress(OSError):  # make the rename itself durable
        dfd = os.open(path.parent, os.O_RDONLY)
        try:
            os.fsync(dfd)
        finally:
            os.close(dfd)
    return path


def _umask() -> int:
    mask = os.umask(0)
    os.umask(mask)
    return mask


def write_text(path, text: str) -> Path:
    return atomic_write(path, lambda f: f.write(text.encode()))


def write_json(path, obj) -> Path:
    return write_text(path, json.dumps(obj, indent=2, sort_keys=True, default=_jsonable) + "\n")


def torch_save(path, obj) -> Path:
    import torch

    return atomic_write(path, lambda f: torch.save(obj, f))


def save_figure(path, fig, **kw) -> Path:
    """Save a matplotlib figure atomically (format from the suffix)."""
    def write(f):
        buf = io.BytesIO()
        fig.savefig(buf, format=Path(path).suffix.lstrip("."), **kw)
        f.write(buf.getvalue())
    return atomic_write(path, write)


def _jsonable(o):
    if hasattr(o, "item"):
        return o.item()
    if isinstance(o, Path):
        return str(o)
    raise TypeError(f"not JSON serializable: {type(o).__name__}")


# --------------------------------------------------------------------------- cache, hashes
CACHE_ENV = "REPRO_CACHE"


def project_root() -> Path:
    """Where the suite's working files go by default: the working directory (the repository,
    where ``snakemake`` and ``repro`` are run), whether repro is installed editable or not --
    never the package's own directory, so caches never land in site-packages."""
    return Path.cwd()


def cache_dir(explicit: str | os.PathLike | None = None) -> Path:
    """The cache directory: ``explicit``, else ``$REPRO_CACHE``, else ``./cache`` in the working
    directory (read at call time, so tests and jobs can point it elsewhere)."""
    if explicit is not None:
        return Path(explicit)
    env = os.environ.get(CACHE_ENV)
    return Path(env) if env else project_root() / "cache"


def sha256_file(path: str | os.PathLike, chunk: int = 1 << 20) -> str:
    """Hex sha256 of a file, read in 1 MiB chunks."""
    digest = hashlib.sha256()
    with open(path, "rb") as handle:
        for block in iter(lambda: handle.read(chunk), b""):
            digest.update(block)
    return digest.hexdigest()


def stable_hash(obj, length: int = 16) -> str:
    """Hex sha256 of the canonical JSON of ``obj`` (sorted keys, no whitespace), truncated."""
    text = json.dumps(obj, sort_keys=True, separators=(",", ":"), default=str)
    return hashlib.sha256(text.encode("utf-8")).hexdigest()[:length]


# --------------------------------------------------------------------------- provenance
_PACKAGES = ("torch", "torchvision", "numpy", "scipy", "clean-fid", "scikit-learn", "pandas", "snakemake")


def versions() -> dict:
    out = {"python": platform.python_version()}
    for name in _PACKAGES:
        try:
            out[name] = metadata.version(name)
        except metadata.PackageNotFoundError:
            out[name] = None
    try:
        out["gan-repro"] = metadata.version("gan-repro")
    except metadata.PackageNotFoundError:
        out["gan-repro"] = None
    import torch

    out["torch"] = torch.__version__  # with its build tag, e.g. +cu132
    return out


def git_commit() -> str | None:
    """The commit of the repro checkout (with '+dirty' for local changes), if it is one."""
    here = Path(__file__).resolve().parent
    try:
        sha = subprocess.run(["git", "rev-parse", "HEAD"], cwd=here, capture_output=True, text=True,
                             timeout=10).stdout.strip()
        dirty = subprocess.run(["git", "status", "--porcelain", "--untracked-files=no"], cwd=here,
                               capture_output=True, text=True, timeout=10).stdout.strip()
    except (OSError, subprocess.SubprocessError):
        return None
    return (sha + ("+dirty" if dirty else "")) or None


def cpu_model() -> str:
    """The CPU's model name from /proc/cpuinfo (Linux), else the platform's processor string."""
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or platform.machine()


def device_info(device: torch.device) -> dict:
    """The device and every numerics switch that changes a GAN's trajectory (TF32 included)."""
    import torch

    info = {
        "device": str(device),
        "cpu": platform.processor() or platform.machine(),
        # the vector ISA torch's CPU kernels use (AVX2, AVX512, ...) and the CPU model: float
        # reductions round differently per ISA, and a GAN's trajectory is chaotic, so runs are
        # bit-identical only on the same capability (docs/fidelity.md, "Bit-identity and the CPU")
        "cpu_capability": torch.backends.cpu.get_cpu_capability(),
        "cpu_model": cpu_model(),
        "torch_threads": torch.get_num_threads(),
        "float32_matmul_precision": torch.get_float32_matmul_precision(),
        "tf32_matmul": torch.backends.cuda.matmul.allow_tf32,
        "tf32_cudnn": torch.backends.cudnn.allow_tf32,
        "cudnn_benchmark": torch.backends.cudnn.benchmark,
    }
    if device.type == "cuda":
        info["gpu"] = torch.cuda.get_device_name(device)
        info["cuda"] = torch.version.cuda
        info["cudnn"] = torch.backends.cudnn.version()
    return info
