"""repro.io and packaging: where the cache goes, and a non-editable install that reads only its
own package data and the config/ it is pointed at."""
from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from repro import io

ROOT = Path(__file__).resolve().parents[1]


def test_cache_dir_is_explicit_then_env_then_the_working_directory(tmp_path, monkeypatch):
    monkeypatch.delenv(io.CACHE_ENV, raising=False)
    monkeypatch.chdir(tmp_path)
    assert io.cache_dir() == tmp_path / "cache"  # not found by looking for the checkout
    monkeypatch.setenv(io.CACHE_ENV, str(tmp_path / "env"))
    assert io.cache_dir() == tmp_path / "env"
    assert io.cache_dir(tmp_path / "given") == tmp_path / "given"


@pytest.fixture(scope="module")
def installed(tmp_path_factory):
    """`pip install --no-deps --target DIR .`: repro as a wheel builds it (no editable finder,
    no checkout next to the package); the venv's torch etc. stay available behind it."""
    import shutil

    src, target = tmp_path_factory.mktemp("src"), tmp_path_factory.mktemp("site")
    for name in ("pyproject.toml", "README.md"):  # a copy: the build leaves build/ in its source
        shutil.copy2(ROOT / name, src / name)
    shutil.copytree(ROOT / "repro", src / "repro", ignore=shutil.ignore_patterns("__pycache__"))
    out = subprocess.run([sys.executable, "-m", "pip", "install", "--no-deps", "--no-build-isolation",
                          "--no-compile", "--quiet", "--target", str(target), str(src)],
                         capture_output=True, text=True, timeout=600)
    assert out.returncode == 0, out.stdout[-2000:] + out.stderr[-2000:]
    return target


@pytest.mark.slow  # pip builds and installs a wheel: 34 s on the shared 2-core machine (issue 22)
def test_a_non_editable_install_runs_from_another_directory(installed, tmp_path):
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    env = {**os.environ, "PYTHONPATH": str(installed)}
    env.pop(io.CACHE_ENV, None)

    def repro(*args):
        return subprocess.run([sys.executable, "-m", "repro", *args], cwd=elsewhere, env=env,
                              capture_output=True, text=True, timeout=300)

    where = subprocess.run([sys.executable, "-c", "import repro.io, repro.experiments as e; "
                            "print(repro.__file__); print(e.SCHEMA); print(repro.io.cache_dir())"],
                           cwd=elsewhere, env=env, capture_output=True, text=True, timeout=120)
    pkg, schema, cache = where.stdout.split("\n")[:3]
    assert pkg.startswith(str(installed)) and schema.startswith(str(installed)), where.stdout + where.stderr
    assert Path(schema).is_file() and Path(cache) == elsewhere / "cache"
    # the schemas (package data) validate the repository's config and tables
    plan = repro("plan", "--config", str(ROOT / "config" / "config.yaml"), "--suite", "smoke")
    assert plan.returncode == 0 and "smoke_mog" in plan.stdout, plan.stdout[-1500:] + plan.stderr[-1500:]
    # a published verdicts file checked against the repository's order rules
    check = repro("check", str(ROOT / "results" / "lsgan_mog" / "lsgan_mog.verdicts.csv"),
                  "--order-rules", str(ROOT / "config" / "references" / "order_rules.yaml"))
    assert "Traceback" not in check.stderr and "check: " in check.stdout, check.stdout[-1500:] + check.stderr[-1500:]
