"""Gather the results of one experiment table into a DataFrame, one row per run.

A run of table ``<name>`` (``config/tables/<name>.tsv``) lives in ``<runs_root>/<name>/<run_id>/``
(see :mod:`repro.train` for the run-directory contract). :func:`collect` reads each run's
``scores.json`` (and ``status.json`` for runs still going) and never fails because some runs are
absent: a run without a directory or without ``scores.json`` gets status ``missing``, so a table
can be assembled from partial results and a killed job never hides the finished runs of others.

It does fail, loudly, when results cannot be read together:

* the runs of one cell (paper_table, row, column) were scored under different protocols
  (:class:`MixedProtocolsError`, naming the cell and the keys) -- their numbers are not comparable;
* a run's ``final`` and ``best`` records carry different protocol keys;
* the seed recorded in ``scores.json`` differs from the table's ``seed`` (the directory holds
  another run's results).
"""
from __future__ import annotations

import json
import math
from pathlib import Path

import pandas as pd

from .. import layout, rundir
from ..errors import UserError
from ..experiments import LABELS, read_table, run_config
from ..metrics import registry
from ..metrics.protocol import IncomparableScoresError

#: Columns that place a run in the paper's table.
CELL = ("paper_table", "row", "column")
# LABELS (repro.experiments): the label columns of an experiment table, always read as text.
#: Run statuses in the collected frame.
STATUSES = ("completed", "diverged", "missing")
#: Provenance columns (also written as the table's provenance CSV).
PROVENANCE = ("run_id", "paper_table", "row", "column", "seed", "status", "config_hash", "protocol_name",
              "protocol_key", "git_commit", "device", "cpu", "torch", "versions", "wall_seconds", "run_dir")


class RunsError(UserError, ValueError):
    """A table's runs cannot be read together (named table, run and fix)."""


class MixedProtocolsError(IncomparableScoresError):
    """The runs of one cell were scored under different protocols."""


#: Optional table column: the run-directory name of the table that trained the run, for a table
#: whose cells are taken from another table's runs (``repro select``); default: this table's.
RUNS_TABLE = "runs_table"


def run_dir(runs_root: str | Path, name: str, row) -> Path:
    """``<runs_root>/<runs_table or name>/<run_id>``: where one table row's run lives."""
    owner = row.get(RUNS_TABLE) if hasattr(row, "get") else None
    owner = owner if isinstance(owner, str) and owner else name
    return layout.run_path(runs_root, owner, row["run_id"])


def read_experiment_table(table_tsv: str | Path) -> pd.DataFrame:
    """An experiment TSV, parsed by :func:`repro.experiments.read_table` (the one parser), with
    the labels as text and all-numeric columns as numbers; empty cells are None/NaN."""
    df = read_table(table_tsv)
    for c in df.columns:
        if c in LABELS:
            df[c] = df[c].map(lambda v: None if v is None else str(v))
            continue
        present = df[c].notna()
        numbers = pd.to_numeric(df[c].where(present), errors="coerce")
        if numbers[present].notna().all():
            df[c] = numbers
    missing = [c for c in ("run_id", "row", "column") if c not in df.columns]
    if missing:
        raise RunsError(f"{table_tsv}: an experiment table needs the columns run_id, row, column; "
                        f"missing {missing}")
    if df.empty:
        raise RunsError(f"{table_tsv} has a header but no runs; add one row per run (cell x seed)")
    if df["run_id"].duplicated().any():
        dup = sorted(set(df.loc[df["run_id"].duplicated(), "run_id"]))
        raise RunsError(f"{table_tsv}: duplicate run_id(s) {dup}")
    return df


def _read_json(path: Path) -> dict | None:
    try:
        return json.loads(path.read_text())
    except (OSError, ValueError):
        return None


def _number(v):
    """A JSON number as float (bools and non-numbers -> NaN)."""
    if isinstance(v, bool) or not isinstance(v, (int, float)):
        return math.nan
    return float(v)


def score_metrics() -> tuple[str, ...]:
    """The metric keys read from the final/best score records (``final_<m>``, ``best_<m>``): the
    judged ones, then the recorded ones, as registered now (:mod:`repro.metrics.registry`), so a
    metric registered after import is collected too."""
    return tuple(registry.directions()) + registry.recorded()


def read_run(run_dir: str | Path, config_hash: str | None = None) -> dict:
    """The result fields of one run directory (status ``missing`` when it has no scores.json).

    A scores.json that is there but does not vouch for the run (unparsable, not sealed intact,
    of another config than ``config_hash``, a curve.csv or config.json changed since) raises
    :class:`repro.rundir.RunDirError` naming the file and the fix: a damaged result is never
    shown as a missing one, nor as this row's."""
    run_dir = Path(run_dir)
    out: dict = {"status": "missing", "run_dir": str(run_dir)}
    if not run_dir.is_dir():
        out["note"] = "no run directory"
        return out
    rd = rundir.RunDir(run_dir)
    state = _read_json(rd / rundir.STATUS) or {}
    out["run_state"] = state.get("state") if isinstance(state, dict) else None
    scores_path = rd / rundir.SCORES
    if not scores_path.exists():
        out["note"] = f"no scores.json (state {state.get('state', '?')}, step {state.get('step', '?')})"
        return out
    problem = rd.problem(config_hash, files=(rundir.CURVE, rundir.CONFIG))
    if problem is not None:
        raise rundir.RunDirError(f"{problem}; {rundir.rebuild_hint(run_dir)}")
    scores = rd.read_json(rundir.SCORES)

    out["status"] = scores["status"]
    out["diverged_at"] = _number(scores.get("diverged_at"))
    keys = {}
    for kind in ("final", "best"):
        record = scores.get(kind)
        if not isinstance(record, dict):
            continue
        out[f"{kind}_step"] = _number(record.get("step"))
        for m in score_metrics():
            if m in record:
                out[f"{kind}_{m}"] = _number(record[m])
        if record.get("protocol_key"):
            keys[kind] = (record.get("protocol_name"), record["protocol_key"])
    if len(set(keys.values())) > 1:
        raise MixedProtocolsError(f"{run_dir}: final and best scores under different protocols: {keys}")
    if keys:
        out["protocol_name"], out["protocol_key"] = next(iter(keys.values()))

    numerics = scores.get("numerics") or {}
    versions = scores.get("versions") or {}
    out.update(
        config_hash=scores.get("config_hash"),
        scores_seed=scores.get("seed"),
        git_commit=scores.get("git_commit"),
        device=numerics.get("gpu") or numerics.get("device"),
        cpu=_cpu(numerics),
        torch=versions.get("torch"),
        versions=json.dumps(versions, sort_keys=True) if versions else None,
        wall_seconds=_number(scores.get("wall_seconds")),
    )
    return out


def _cpu(numerics: dict) -> str | None:
    """"AMD EPYC (AVX2)": the CPU model and torch's vector ISA, which decide bit-identity of CPU runs."""
    model, isa = numerics.get("cpu_model"), numerics.get("cpu_capability")
    if not (model or isa):
        return None  # runs made before the suite recorded them
    return f"{model or numerics.get('cpu')} ({isa or '?'})"


def collect(table_tsv: str | Path, runs_root: str | Path, table: str | None = None) -> pd.DataFrame:
    """One row per run of the experiment table: its TSV columns plus its results.

    Args:
        table_tsv: the experiment table (``config/tables/<name>.tsv``).
        runs_root: the directory holding ``<name>/<run_id>/`` run directories.
        table: the run-directory name of the table (default: the TSV's file stem). When the TSV has
            no ``paper_table`` column, this name fills it.

    Added columns: status (completed | diverged | missing), run_state (from status.json), note,
    diverged_at, final_step, final_<metric>, best_step, best_<metric> (for every metric of
    :func:`score_metrics` found), protocol_name, protocol_key, config_hash, git_commit, device (the GPU
    name when there is one), cpu (model and vector ISA), torch, versions (JSON), wall_seconds, run_dir. ``seed`` is filled from
    scores.json when the table has none.

    Raises :class:`MixedProtocolsError` when one cell's runs carry different protocol keys.
    """
    table_tsv = Path(table_tsv)
    name = table or table_tsv.stem
    df = read_experiment_table(table_tsv)
    if "paper_table" not in df.columns:
        df["paper_table"] = name
    if "paper" not in df.columns:
        df["paper"] = ""

    results = []
    hashes = _row_hashes(table_tsv)
    for (_, row), seed in zip(df.iterrows(), df["seed"] if "seed" in df.columns else [None] * len(df)):
        run_id = row["run_id"]
        r = read_run(run_dir(runs_root, name, row), hashes.get(str(run_id)))
        scores_seed = r.pop("scores_seed", None)
        if scores_seed is not None and seed is not None and not pd.isna(seed) and int(seed) != int(scores_seed):
            raise RunsError(f"run {run_id!r} of {table_tsv}: table seed {seed} but scores.json "
                             f"seed {scores_seed} in {r['run_dir']}")
        r["seed"] = seed if seed is not None and not pd.isna(seed) else scores_seed
        results.append(r)
    res = pd.DataFrame(results, index=df.index)
    df["seed"] = res.pop("seed")
    clash = sorted(set(res.columns) & set(df.columns))
    if clash:
        raise RunsError(f"{table_tsv}: columns {clash} are result columns; rename them in the table")
    df = df.join(res)
    for c in ("status", "protocol_name", "protocol_key", "note", "run_state"):
        if c not in df.columns:
            df[c] = None
    _check_protocols(df)
    return df


def _row_hashes(table_tsv: Path) -> dict:
    """run_id -> the config hash of its table row (what a sealed run must have been trained
    from); rows that are not run configs (partial tables of tests) are not checked."""
    out = {}
    for _, row in read_table(table_tsv).iterrows():
        try:
            out[str(row["run_id"])] = run_config(row).hash()
        except UserError:
            continue
    return out


def _check_protocols(df: pd.DataFrame) -> None:
    """Raise MixedProtocolsError when one cell's runs carry more than one protocol key."""
    scored = df[df["protocol_key"].notna()]
    for cell, group in scored.groupby(list(CELL), sort=False, dropna=False):
        keys = group.groupby("protocol_key", sort=False)["protocol_name"].first()
        if len(keys) > 1:
            paper_table, row, column = cell
            listing = ", ".join(f"{k} ({n}: runs {', '.join(group.loc[group['protocol_key'] == k, 'run_id'])})"
                                for k, n in keys.items())
            raise MixedProtocolsError(f"cell paper_table={paper_table!r} row={row!r} column={column!r} mixes "
                                      f"protocol keys: {listing}")


def provenance(df: pd.DataFrame) -> pd.DataFrame:
    """One row per run: what produced its numbers (run_id, config hash, seed, protocol, commit,
    versions, device, ...), in :data:`PROVENANCE` order."""
    out = df.copy()
    for c in PROVENANCE:
        if c not in out.columns:
            out[c] = None
    return out[list(PROVENANCE)].reset_index(drop=True)
