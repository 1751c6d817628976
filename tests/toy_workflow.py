"""The repository's workflow copied where a test runs Snakemake, and Snakemake run as the tests
run it: shared by the workflow, layout, adaptive-seed, experiment-table and fault tests
(importable from every test: tests/ is on sys.path)."""
from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
#: What a copy of the workflow needs: the entry point, its rules and its config.
WORKFLOW = ("Snakefile", "workflow", "config")


def copy_workflow(dst: Path, extra: tuple[str, ...] = ()) -> Path:
    """The repository's WORKFLOW (and `extra` paths) in `dst`, without Python caches."""
    dst.mkdir(parents=True, exist_ok=True)
    for name in (*WORKFLOW, *extra):
        if (ROOT / name).is_dir():
            shutil.copytree(ROOT / name, dst / name, ignore=shutil.ignore_patterns("__pycache__"))
        else:
            shutil.copy2(ROOT / name, dst / name)
    return dst


def snakemake(wf: Path, *args: str, timeout: float = 600) -> subprocess.CompletedProcess:
    """``python -m snakemake ARGS`` in `wf`, with no SLURM or profile setting of the calling shell
    leaking into the run (one OpenMP thread a job: tests/conftest.py)."""
    env = {k: v for k, v in os.environ.items() if not k.startswith(("SLURM_", "SNAKEMAKE_PROFILE"))}
    return subprocess.run([sys.executable, "-m", "snakemake", *args], cwd=wf, env=env,
                          capture_output=True, text=True, timeout=timeout)
