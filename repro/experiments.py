"""Experiment tables: one TSV per paper table, one row per run (cell x seed).

A row holds the paper's labels (``paper, paper_table, row, column``: ``paper_table`` is the paper's
table or figure the row reproduces, the file stem names the experiment table itself), what is trained (run-config
keys: ``dataset, arch, norm_d, loss, setting, ...``), the ``seed`` and the final ``protocol``.
Empty cells mean "the default". Every row is checked twice before any job starts: against the
JSON schema in ``repro/schemas/`` (types, required columns, ranges) and by building its
:class:`~repro.config.RunConfig` (known names, combinations an architecture cannot take). Errors
name the file, its line number (1 = the header) and the column.
"""
from __future__ import annotations

import dataclasses
from importlib import resources
import math
import re
from pathlib import Path

import pandas as pd

from .config import MACHINE_KEYS, ConfigError, RunConfig, check_given
from .datasets import REAL_SETS
from .metrics.protocol import protocols_for
from .errors import UserError
from .values import ValueParseError, parse_value

__all__ = ["TableError", "LABELS", "read_table", "validate", "run_config", "row_config", "runs",
           "is_real", "check_real_row", "plan", "estimate_hours", "resources"]

#: Columns that label a run rather than configure it.
LABELS = ("run_id", "paper", "paper_table", "row", "column")
#: Table columns whose name differs from the run-config key.
RENAMED = {"protocol": "final_protocol"}
SCHEMA = resources.files("repro") / "schemas" / "experiments.schema.yaml"  # package data (pyproject.toml)
#: run-config keys that a table may not set: the workflow decides where things go.
NOT_IN_TABLES = MACHINE_KEYS  # where and on what a run executes: per machine (repro.config)


class TableError(UserError, ValueError):
    pass


def read_table(path: str | Path) -> pd.DataFrame:
    """Read an experiment TSV as strings-with-types: ints stay ints, empty cells become None.

    Refuses, naming the file (and line and column): a missing file or a directory, a file that
    is empty or not UTF-8, a header that is not tab-separated or repeats a column, a row whose
    field count differs from the header's, a cell that does not parse (:mod:`repro.values`).
    ``df.attrs["lines"]`` holds each row's line number in the file (1 = the header).
    """
    path = Path(path)
    if path.is_dir():
        raise TableError(f"experiment table {path} is a directory; give the .tsv file")
    if not path.is_file():
        raise TableError(f"experiment table {path} not found")
    try:
        text = path.read_bytes().decode("utf-8-sig")
    except UnicodeDecodeError as e:
        line = path.read_bytes()[:e.start].count(b"\n") + 1
        raise TableError(f"{path}, line {line}: not UTF-8 (byte 0x{e.object[e.start]:02x}); "
                         f"save the table as UTF-8") from None
    lines = text.splitlines()
    if not lines or not lines[0].strip():
        raise TableError(f"{path} is empty; an experiment table starts with a tab-separated header "
                         f"line (run_id, paper, paper_table, row, column, dataset, arch, g_updates, seed, ...)")
    header = [h.strip() for h in lines[0].split("\t")]
    if len(header) == 1 and any(sep in header[0] for sep in (",", ";", " ")):
        raise TableError(f"{path}, line 1: the header is not tab-separated ({header[0][:60]!r}); "
                         f"separate the columns with tabs")
    seen = set()
    for j, h in enumerate(header):
        if h in seen or not h:
            raise TableError(f"{path}, line 1, column {j + 1}: "
                             + (f"column {h!r} appears twice" if h else "empty column name"))
        seen.add(h)
    cells, numbers = {h: [] for h in header}, []
    for n, line in enumerate(lines[1:], start=2):
        if not line.strip():
            continue
        fields = line.split("\t")
        if len(fields) != len(header):
            raise TableError(f"{path}, line {n}: {len(fields)} tab-separated fields, the header has "
                             f"{len(header)}; give every row one field per column (empty for the default)")
        for h, v in zip(header, fields):
            try:
                cells[h].append(_parse_cell(v))
            except ValueParseError as e:
                raise TableError(f"{path}, line {n}, column {h!r}: {e}") from None
        numbers.append(n)
    # object columns of Python values: an int column with empty cells stays int, not float
    df = pd.DataFrame({h: pd.Series(cells[h], dtype=object) for h in header})
    df.attrs["lines"] = numbers
    return df


#: The one parser of cells and ``--set`` values (:mod:`repro.values`).
_parse_cell = parse_value


def _line(df: pd.DataFrame, i: int) -> int:
    """File line of the i-th data row (the header is line 1)."""
    lines = df.attrs.get("lines")
    return lines[i] if lines and i < len(lines) else i + 2


def validate(path: str | Path, schema: str | Path = SCHEMA) -> pd.DataFrame:
    """Read and check a table; raise :class:`TableError` naming file, line and column."""
    from snakemake.exceptions import WorkflowError
    from snakemake.utils import validate as snakemake_validate

    df = read_table(path)
    if df.empty:
        raise TableError(f"{path} has a header but no runs; add one row per run (cell x seed)")
    try:
        snakemake_validate(df, str(schema), set_default=False)
    except WorkflowError as e:  # its message holds the 0-based row and a dump of the schema
        m = re.search(r"row (\d+)", str(e))
        if not m:
            raise TableError(f"{path}: {e}") from None
        i = int(m.group(1))
        column, msg = _schema_error(df.iloc[i], schema)
        raise TableError(f"{path}, line {_line(df, i)}, column {column!r}: {msg}") from None
    dup = df["run_id"][df["run_id"].duplicated()]
    if len(dup):
        i = dup.index[0]
        first = df.index[df["run_id"] == dup.iloc[0]][0]
        raise TableError(f"{path}, line {_line(df, i)}, column 'run_id': duplicate run id "
                         f"{dup.iloc[0]!r} (first on line {_line(df, first)})")
    first_of: dict[str, int] = {}
    for i, row in df.iterrows():
        try:
            if is_real(row):  # real data: no run config, nothing to repeat
                check_real_row(row)
                continue
            h = run_config(row).hash()
        except ConfigError as e:
            key = e.key or (re.search(r"config key '?(\w+)'?", str(e)) or [None, "?"])[1]
            column = {v: k for k, v in RENAMED.items()}.get(key, key)
            raise TableError(f"{path}, line {_line(df, i)}, column {column!r}: {e}") from None
        if h in first_of:  # one cell would count the same run twice
            j = first_of[h]
            raise TableError(f"{path}, line {_line(df, i)}: run {row['run_id']!r} has the same config as "
                             f"run {df['run_id'][j]!r} (line {_line(df, j)}); change its seed or remove it")
        first_of[h] = i
    return df


def _schema_error(row: pd.Series, schema: str | Path) -> tuple[str, str]:
    """The column and message of the first schema violation of one row (snakemake's error
    carries only the row number, so the row is checked once more for the details)."""
    import jsonschema
    import yaml

    record = {k: v for k, v in row.items() if v is not None}
    validator = jsonschema.Draft202012Validator(yaml.safe_load(Path(schema).read_text()))
    err = jsonschema.exceptions.best_match(validator.iter_errors(record))
    if err is None:
        return "?", "rejected by the schema"
    if err.validator == "required":
        return err.message.split("'")[1], err.message
    return "/".join(map(str, err.path)) or "?", err.message


def run_config(row: pd.Series | dict) -> RunConfig:
    """The run config of one table row (labels dropped, empty cells left to defaults)."""
    known = {f.name for f in dataclasses.fields(RunConfig)}
    d = {}
    for key, value in dict(row).items():
        if key in LABELS or value is None or (isinstance(value, float) and math.isnan(value)):
            continue
        key = RENAMED.get(key, key)
        if key in NOT_IN_TABLES or key not in known:
            raise ConfigError(f"config key {key!r} cannot be set in an experiment table; "
                              f"allowed columns: {', '.join(sorted((known - set(NOT_IN_TABLES)) | set(LABELS)))}")
        d[key] = value
    check_given(d)
    return RunConfig.from_dict(d)


def is_real(row: pd.Series | dict) -> bool:
    """A "Real data" row: a ``real`` split (repro.datasets.REAL_SETS) is scored, nothing trains."""
    value = dict(row).get("real")
    return value is not None and not (isinstance(value, float) and math.isnan(value))


def check_real_row(row: pd.Series | dict) -> None:
    """A real-data row names a registered split of its dataset and a protocol that fits it."""
    row = dict(row)
    name, dataset, protocol = row["real"], row.get("dataset"), row.get("protocol")
    if name not in REAL_SETS:
        raise ConfigError(f"config key 'real': {name!r} is not a registered real split; "
                          f"registered: {', '.join(REAL_SETS)}")
    if REAL_SETS[name]["dataset"] != dataset:
        raise ConfigError(f"config key 'dataset': {dataset!r}, but real split {name!r} is "
                          f"{REAL_SETS[name]['dataset']}")
    if protocol is None or protocol not in protocols_for(dataset):
        raise ConfigError(f"config key 'protocol': a real-data row needs a protocol that fits "
                          f"{dataset}: {', '.join(protocols_for(dataset))}")


def runs(path: str | Path, seeds: list[int] | None = None) -> pd.DataFrame:
    """The validated rows of a table, restricted to ``seeds`` when given."""
    df = validate(path)
    if seeds is not None:
        df = df[df["seed"].isin(seeds)]
        if df.empty:
            raise TableError(f"{path}: no row has a seed in {list(seeds)} (config 'seeds'); "
                             f"the table's seeds are {sorted(set(validate(path)['seed']))}")
    return df.set_index("run_id", drop=False)


def row_config(path: str | Path, run_id: str, **overrides) -> RunConfig:
    """The run config of ``run_id`` in the table at ``path`` (what ``repro train-row`` trains);
    the whole table is validated first, so a job refuses what the dry run refuses."""
    df = validate(path)
    match = df[df["run_id"] == run_id]
    if match.empty:
        raise TableError(f"{path}: no run with run_id {run_id!r}")
    cfg = run_config(match.iloc[0])
    return dataclasses.replace(cfg, **overrides) if overrides else cfg


# --------------------------------------------------------------------------- job sizes
#: Seconds per generator update on one GPU, per architecture, at the paper's width and batch
#: size and n_dis = 1 (a run costs ~ g_updates * calibrate.unit_factor(n_dis, batch) of these).
#: ASSUMED, used where `repro calibrate` has measured nothing for the device that runs the jobs.
#: Pessimistic on purpose, since a SLURM limit derived from them must not kill a run that is
#: merely slower than guessed: 8x the first guesses (sngan_cnn 0.004 s). For sngan_cnn that is
#: 0.096 s per n_dis-5 iteration, i.e. a SLURM limit (x RUNTIME_MARGIN) of 0.144 s per iteration,
#: twice (with the profiles' one resubmission, which resumes from the checkpoint) 0.29 s: the only
#: published PyTorch timing of this network's 100k run, StudioGAN's CIFAR-10 log (9 h 22 min,
#: 0.28 s per iteration with FID-10k every 2k steps, GPU not named; ../shared/notes/perf.md);
#: 4-8x the launch-bound eager estimate for an H100 (2-4 ms per D or G step). The other archs keep
#: the first guesses' ratios to sngan_cnn.
GPU_S_PER_UPDATE = {"sngan_cnn": 0.032, "sngan_resnet": 0.096, "sagan": 0.4, "lsgan": 0.24, "dcgan64": 0.048, "mlp": 0.008}
#: Extra cost of a D treatment relative to the calibrated one: WGAN-GP's double backward. Measured
#: on the 2-core CPU (BENCHMARKS.md, sngan_digits at n_dis 5: 2.9 G updates/s against 4.5 for SN).
NORM_COST = {"gradient_penalty": 1.6}
#: SLURM time limit = estimate x this (evaluations, sample grids and checkpoints are not in the
#: calibrated step time), and never under RUNTIME_MIN minutes.
RUNTIME_MARGIN, RUNTIME_MIN = 1.5, 10


def resources(row: pd.Series | dict, gpu_name: str | None = None) -> dict:
    """Snakemake resources of one run: a GPU for the papers' image data (none offline),
    memory, and a runtime estimate in minutes (SLURM's time limit) from the rates of
    :func:`rate` for ``gpu_name`` (see :func:`jobs_gpu`)."""
    from . import data

    cfg = run_config(row)
    offline = data.DATASETS[cfg.dataset]["offline"]
    hours = estimate_hours(cfg, None if offline else gpu_name)
    return {"gpu": 0 if offline else 1, "mem_mb": 4000 if offline else 16000,
            "runtime": max(RUNTIME_MIN, math.ceil(round(hours * 60 * RUNTIME_MARGIN, 6)))}  # no float fuzz


def rate(arch: str, gpu_name: str | None = None, cache=None) -> dict:
    """Seconds per unit (one G update at n_dis 1, batch <= 64) of ``arch`` on ``gpu_name``:
    measured by ``repro calibrate`` when the cache holds a record for that device, else assumed
    (:data:`GPU_S_PER_UPDATE`). Returns ``{"s_per_unit", "resolution", "source"}``."""
    from . import calibrate, models

    rec = calibrate.lookup(gpu_name, arch, cache)
    if rec is not None:
        return {"s_per_unit": rec["s_per_unit"], "resolution": rec["resolution"],
                "source": f"measured on {rec['device']}, {rec['date']}"}
    return {"s_per_unit": GPU_S_PER_UPDATE[arch], "resolution": models.ARCHS[arch].resolutions[0],
            "source": "assumed"}


def estimate_hours(cfg: RunConfig, gpu_name: str | None = None, cache=None) -> float:
    """Training hours of one run: the rate scaled by n_dis and batch size
    (:func:`repro.calibrate.unit_factor`), by the pixel count beyond the timed resolution (the
    convolutions' work grows with it) and by the D treatment's extra cost (:data:`NORM_COST`)."""
    from .calibrate import unit_factor

    o, r = cfg.optimizer(), rate(cfg.arch, gpu_name, cache)
    pixels = max(1.0, (cfg.resolution / r["resolution"]) ** 2) if r["resolution"] else 1.0
    per_update = (r["s_per_unit"] * unit_factor(o["n_dis"], o["batch_size"]) * pixels
                  * NORM_COST.get(cfg.networks()["norm_d"], 1.0))
    return cfg.g_updates * per_update / 3600


def jobs_gpu(explicit: str | None = None) -> str | None:
    """The GPU model the jobs will run on: ``explicit`` (``repro plan --gpu``, the workflow's
    ``gpu_name``), else this machine's first GPU (``nvidia-smi``), else None (assumed rates)."""
    if explicit:
        return explicit
    import shutil
    import subprocess

    smi = shutil.which("nvidia-smi")
    if not smi:
        return None
    try:
        out = subprocess.run([smi, "--query-gpu=name", "--format=csv,noheader"], capture_output=True,
                             text=True, timeout=30)
    except (OSError, subprocess.TimeoutExpired):
        return None
    names = [line.strip() for line in out.stdout.splitlines() if line.strip()]
    return names[0] if out.returncode == 0 and names else None


def plan(tables: dict[str, pd.DataFrame], gpu_name: str | None = None, cache=None) -> pd.DataFrame:
    """One line per table: runs, GPU runs, the estimated GPU-hours on ``gpu_name`` and where the
    rates come from ("measured on <device>, <date>" or "assumed"; see :func:`rate`)."""
    from . import data

    lines = []
    for name, df in tables.items():
        cfgs = [run_config(r) for _, r in df.iterrows() if not is_real(r)]  # real data: no training
        gpu = [c for c in cfgs if not data.DATASETS[c.dataset]["offline"]]
        sources = sorted({rate(c.arch, gpu_name, cache)["source"] for c in gpu})
        lines.append({"table": name, "runs": len(cfgs), "gpu_runs": len(gpu),
                      "gpu_hours_est": round(sum(estimate_hours(c, gpu_name, cache) for c in gpu), 1),
                      "cpu_runs": len(cfgs) - len(gpu), "real_cells": len(df) - len(cfgs),
                      "rates": "; ".join(sources) or "-"})
    return pd.DataFrame(lines)
