"""Reference numbers: load, validate and look up ``config/references/*.csv``.

One CSV row is one published (or regression) number for one cell of a paper table::

    paper, paper_table, row, column, metric, value, std, direction, protocol, tolerance, source
    (+ optional: checkpoint, g_updates, tolerance_note, kind, verified, hard, note, source_*)

* ``paper, paper_table, row, column`` name the cell as the experiment tables do (``paper`` and
  ``paper_table`` match case-insensitively, ignoring spaces, '_' and '-': "Table 2" = "table2";
  ``row`` and ``column`` match exactly); ``metric`` is a score key of
  :func:`repro.metrics.registry.directions` (``fid``, ``is_mean``, ``modes_covered``, ...),
  ``direction`` must agree with it.
* ``protocol`` names the evaluation protocol the number was computed under. Ours are compared with
  it only under the same protocol: same name, and -- when the name is registered in
  :data:`repro.metrics.protocol.PROTOCOLS` -- the same key. A cell may hold several references that
  differ by protocol (third-party benchmarks); the one matching our protocol is used.
* ``checkpoint`` ("final" by default, or "best") is the checkpoint the number describes.
* ``g_updates`` (optional): the training budget of the number; ours are compared only when the
  cell's runs trained for as many generator updates (a shortened run is not a reproduction).
* ``tolerance``: half-width of the reference range, as ``"10%"`` (of the value), ``"2sd"``
  (multiples of ``std``) or a plain number (metric units). Range = value ± tolerance.
* ``verified`` (default: True unless ``source`` says UNVERIFIED): an unverified number is loaded
  and shown, but never compared -- its cells are ``inconclusive``.
* ``hard`` (default: ``verified``): whether :mod:`repro.report.check` fails when the cell's verdict
  is not acceptable. A hard row must be verified. Third-party numbers are typically soft: the
  verdict is computed and shown, but does not fail the check.
* ``kind``: ``paper`` (default; ``better`` than the paper is fine) or ``regression`` (our own
  smoke-suite ranges and the real-data gate: leaving the range on either side is a failure).
* ``instrument`` (+ ``instrument_source``): the network that measured the number, a name of
  :data:`repro.metrics.protocol.INSTRUMENTS` (issue 25). Empty: the protocol's own (our regression
  rows). A number made with another instrument than our protocol's (the Chainer port of Inception,
  pytorch-fid's, an unstated one) is shown but never compared (``inconclusive``, "instrument
  mismatch") and can never be ``hard``: the same images read differently through another port.

Rows are unique on (paper, paper_table, row, column, metric, checkpoint, protocol).
"""
from __future__ import annotations

import math
import re
from pathlib import Path
from typing import Iterable

import pandas as pd

from ..config import TRAJECTORY_NEUTRAL
from ..metrics import registry
from ..metrics.protocol import INSTRUMENT_OF, INSTRUMENTS, PROTOCOLS
from .verdict import direction_of
from ..errors import UserError

#: The repository's reference directory.
#: The shipped references, read from the working directory's ``config/`` (the repository, where
#: Snakemake and ``repro`` run; :func:`repro.io.config_dir`): user data, not package data, so an
#: installed ``repro`` reads the checkout it is run in. The workflow passes the files explicitly.
REFERENCE_DIR = Path("config") / "references"
REQUIRED = ("paper", "paper_table", "row", "column", "metric", "value", "std", "protocol", "source",
            "tolerance", "direction")
OPTIONAL_DEFAULTS = {"checkpoint": "final", "g_updates": None, "tolerance_note": "", "kind": "paper",
                     "verified": None, "hard": None, "note": "", "instrument": "", "instrument_source": ""}
#: The instruments our protocols measure with: the only ones a hard reference may name.
OUR_INSTRUMENTS = frozenset(INSTRUMENT_OF.values())
KEY = ("paper", "paper_table", "row", "column", "metric", "checkpoint", "protocol")
KINDS = ("paper", "regression")


class ReferenceError(UserError, ValueError):
    """A reference file is malformed (the message names the file, line and column)."""


def norm_label(text) -> str:
    """Normalised paper/table label: lower case without spaces, '_' or '-' ("Table 2" -> "table2")."""
    return re.sub(r"[\s_\-]+", "", str(text)).lower()


def _bool(v, default: bool | None) -> bool | None:
    if v is None or (isinstance(v, float) and math.isnan(v)) or str(v).strip() == "":
        return default
    s = str(v).strip().lower()
    if s in ("true", "1", "yes", "y"):
        return True
    if s in ("false", "0", "no", "n"):
        return False
    raise ValueError(f"not a boolean: {v!r}")


def resolve_tolerance(spec: str, value: float, std: float) -> float:
    """The absolute half-width of a tolerance spec: "10%", "2sd" or a number."""
    s = str(spec).strip().lower()
    if s.endswith("%"):
        tol = float(s[:-1]) / 100 * abs(value)
    elif s.endswith("sd"):
        if math.isnan(std):
            raise ValueError(f"tolerance {spec!r} needs a std")
        tol = float(s[:-2]) * std
    else:
        tol = float(s)
    if not tol >= 0:
        raise ValueError(f"tolerance {spec!r} must be >= 0")
    return tol


def validate(df: pd.DataFrame, origin: str = "<references>") -> pd.DataFrame:
    """Check and complete a reference table; add ``tol``, ``low``, ``high`` (NaN-free for
    numeric rows). Raises :class:`ReferenceError` naming ``origin``, line and column."""
    missing = [c for c in REQUIRED if c not in df.columns]
    if missing:
        raise ReferenceError(f"{origin}: missing column(s) {missing}; required: {list(REQUIRED)}")
    df = df.copy()
    for c, default in OPTIONAL_DEFAULTS.items():
        if c not in df.columns:
            df[c] = default
    rows = []
    for i, r in df.iterrows():
        line = i + 2  # header on line 1

        def bad(column, msg):
            return ReferenceError(f"{origin}, line {line}, column {column!r}: {msg}")

        r = dict(r)
        for c in ("paper", "paper_table", "row", "column", "metric", "protocol", "source"):
            if not str(r[c]).strip():
                raise bad(c, "must not be empty")
            r[c] = str(r[c]).strip()
        try:
            r["value"] = float(r["value"])
        except (TypeError, ValueError):
            raise bad("value", f"not a number: {r['value']!r}") from None
        if not math.isfinite(r["value"]):
            raise bad("value", f"not finite: {r['value']!r}")
        try:
            r["std"] = float(r["std"]) if str(r["std"]).strip() not in ("", "nan", "None") else math.nan
        except (TypeError, ValueError):
            raise bad("std", f"not a number: {r['std']!r}") from None
        if r["direction"] not in ("lower", "higher"):
            raise bad("direction", f"must be 'lower' or 'higher', got {r['direction']!r}")
        known = registry.directions().get(r["metric"])  # the registry as it is now
        if known is not None and known != r["direction"]:
            raise bad("direction", f"{r['metric']} is {known}-is-better")
        r["checkpoint"] = str(r["checkpoint"] or "final").strip()
        if r["checkpoint"] not in ("final", "best"):
            raise bad("checkpoint", f"must be 'final' or 'best', got {r['checkpoint']!r}")
        r["kind"] = str(r["kind"] or "paper").strip()
        if r["kind"] not in KINDS:
            raise bad("kind", f"must be one of {KINDS}, got {r['kind']!r}")
        g = r["g_updates"]
        if g is None or (isinstance(g, float) and math.isnan(g)) or str(g).strip() == "":
            r["g_updates"] = math.nan
        else:
            try:
                r["g_updates"] = float(int(float(g)))
            except (TypeError, ValueError):
                raise bad("g_updates", f"not an integer: {g!r}") from None
        unverified_source = "UNVERIFIED" in r["source"].upper()
        try:
            verified = _bool(r["verified"], not unverified_source)
            hard = _bool(r["hard"], verified)
        except ValueError as e:
            raise bad("verified/hard", str(e)) from None
        if verified and unverified_source:
            raise bad("verified", "the source says UNVERIFIED")
        if hard and not verified:
            raise bad("hard", "an unverified number can never be a hard bound")
        r["verified"], r["hard"] = verified, hard
        r["instrument"] = _instrument(r["instrument"], hard, bad)
        try:
            r["tol"] = resolve_tolerance(r["tolerance"], r["value"], r["std"])
        except ValueError as e:
            raise bad("tolerance", str(e)) from None
        r["low"], r["high"] = r["value"] - r["tol"], r["value"] + r["tol"]
        r["origin"] = f"{origin}:{line}"
        rows.append(r)
    out = pd.DataFrame(rows, columns=list(df.columns) + ["tol", "low", "high", "origin"])
    _check_unique(out)
    return out


def _instrument(name, hard: bool, bad) -> str:
    """A row's instrument, checked: a known name (or empty: the protocol's own), and never a
    foreign one on a hard row (issue 25: another port of Inception reads the same images apart)."""
    name = str(name or "").strip()
    if name and name not in INSTRUMENTS:
        raise bad("instrument", f"unknown instrument {name!r}; known: {', '.join(INSTRUMENTS)}")
    if hard and name and name not in OUR_INSTRUMENTS:
        raise bad("hard", f"a number made with {name!r} is not our instrument's "
                          f"({', '.join(sorted(OUR_INSTRUMENTS))}): it can never be a hard bound; set hard=false")
    return name


def _check_unique(df: pd.DataFrame) -> None:
    key = df[list(KEY)].astype(str).copy()
    key["paper"] = key["paper"].map(norm_label)
    key["paper_table"] = key["paper_table"].map(norm_label)
    dup = key.duplicated(keep=False)
    if dup.any():
        raise ReferenceError("duplicate references for one cell/metric/checkpoint/protocol: "
                             + "; ".join(df.loc[dup, "origin"]))


def load_references(paths: str | Path | Iterable[str | Path] | None = None) -> pd.DataFrame:
    """Load and validate reference CSVs: a file, a directory of ``*.csv``, or several of these
    (default: :data:`REFERENCE_DIR`). Returns one validated frame (see :func:`validate`)."""
    if paths is None:
        paths = [REFERENCE_DIR]
    elif isinstance(paths, (str, Path)):
        paths = [paths]
    files: list[Path] = []
    for p in map(Path, paths):
        files.extend(sorted(p.glob("*.csv")) if p.is_dir() else [p])
    frames = []
    for f in files:
        try:
            raw = pd.read_csv(f, dtype=str, keep_default_na=False)
        except (OSError, UnicodeDecodeError, ValueError, pd.errors.ParserError) as e:
            raise ReferenceError(f"reference file {f} is unreadable ({type(e).__name__}: {e}); give "
                                 f"reference CSVs or a directory of them (config/references)") from None
        frames.append(validate(raw, origin=str(f)))
    if not frames:
        return validate(pd.DataFrame(columns=list(REQUIRED)))
    out = pd.concat(frames, ignore_index=True)
    _check_unique(out)
    return out


def candidates(refs: pd.DataFrame | None, paper, paper_table, row, column, metric: str,
               checkpoint: str = "final") -> pd.DataFrame:
    """The reference rows of one cell, metric and checkpoint (any protocol)."""
    if refs is None or refs.empty:
        return pd.DataFrame(columns=[] if refs is None else refs.columns)
    m = ((refs["paper"].map(norm_label) == norm_label(paper))
         & (refs["paper_table"].map(norm_label) == norm_label(paper_table))
         & (refs["row"] == str(row)) & (refs["column"] == str(column))
         & (refs["metric"] == metric) & (refs["checkpoint"] == checkpoint))
    return refs[m]


def same_protocol(ref_protocol: str, protocol_name, protocol_key) -> bool:
    """Whether our scores (protocol name and key) were computed under the reference's protocol."""
    if protocol_name is None or (isinstance(protocol_name, float) and math.isnan(protocol_name)):
        return False
    if ref_protocol != protocol_name:
        return False
    registered = PROTOCOLS.get(ref_protocol)
    return registered is None or registered.key() == protocol_key


def instrument_of(protocol_name: str) -> str | None:
    """The instrument of a registered protocol's scores (None for an unregistered name)."""
    p = PROTOCOLS.get(protocol_name)
    return p.instrument if p is not None else None


def match(refs: pd.DataFrame | None, paper, paper_table, row, column, metric: str, checkpoint: str,
          protocol_name, protocol_key, g_updates=None) -> tuple[pd.Series | None, pd.Series | None, str]:
    """The reference to compare a cell with.

    Returns ``(usable, shown, reason)``: ``usable`` is the reference row our numbers may be
    compared with (None when there is none, with ``reason`` saying why); ``shown`` is the row to
    display in the paper column (the usable one, else the first candidate, preferring hard then
    verified rows).
    """
    cands = candidates(refs, paper, paper_table, row, column, metric, checkpoint)
    if cands.empty:
        return None, None, f"no reference for {metric} ({checkpoint})"
    same = cands[[same_protocol(p, protocol_name, protocol_key) for p in cands["protocol"]]]
    if same.empty:
        shown = cands.sort_values(["hard", "verified"], ascending=False, kind="stable").iloc[0]
        listed = ", ".join(sorted(set(cands["protocol"])))
        return None, shown, f"protocol mismatch: ours {protocol_name} ({protocol_key}), reference {listed}"
    ref = same.iloc[0]
    if not ref["verified"]:
        return None, ref, f"unverified reference ({ref['source']})"
    ours = instrument_of(ref["protocol"])
    if ref.get("instrument") and ours and ref["instrument"] != ours:
        return None, ref, (f"instrument mismatch: the reference was measured with {ref['instrument']}, "
                           f"ours with {ours} (its instrument_source: {ref['origin']})")
    if not math.isnan(ref["g_updates"]) and g_updates is not None and not pd.isna(g_updates) \
            and float(g_updates) != ref["g_updates"]:
        return None, ref, (f"budget mismatch: ours {int(float(g_updates))} generator updates, "
                           f"reference {int(ref['g_updates'])}")
    return ref, ref, ""


# -- regression ranges from a longer table's runs ------------------------------------------------

#: Run-config keys that do not change a run's trajectory up to its last update (no linear decay;
#: evaluation, sampling and checkpoints never touch the training RNG): a run that differs from a
#: longer one only in these is that run's exact prefix (defined in repro.config; tests/test_train.py
#: checks it).
PREFIX_FREE = TRAJECTORY_NEUTRAL


def prefix_ranges(short_tsv: str | Path, long_tsv: str | Path, runs_root: str | Path,
                  metrics: Iterable[str], tolerance: str = "2sd") -> pd.DataFrame:
    """Regression reference rows for every cell of `short_tsv` (the smoke suite), from the runs
    of `long_tsv` (a published claim) at the short table's last update.

    Each short cell must match long cells by its row and column labels, and its runs must be
    exact prefixes of theirs: the same run config but for :data:`PREFIX_FREE`, without linear
    decay, with the long runs evaluated at that update under the short runs' final protocol.
    value/std = mean/std over the long table's seeds at that update (read from their
    ``curve.csv``); a cell whose long runs are not all completed raises (a range from part of
    the seeds would be narrower than it should be).
    """
    from ..experiments import run_config, runs
    from .collect import collect
    from .curves import collect_curves

    try:  # a tolerance that could never be read back is refused before any work
        resolve_tolerance(tolerance, 1.0, 1.0)
    except ValueError as e:
        raise ReferenceError(f"--tolerance {tolerance!r}: {e}; allowed: '10%', '2sd' or a number >= 0") from None
    short, long = runs(short_tsv), runs(long_tsv)
    done = collect(long_tsv, runs_root)
    curves = collect_curves(long_tsv, runs_root)

    def trajectory(row) -> dict:
        return {k: v for k, v in run_config(row).resolved().items() if k not in PREFIX_FREE}

    out = []
    for (label, column), cell in short.groupby(["row", "column"], sort=False):
        first = cell.iloc[0]
        cfg = run_config(first)
        twins = long[(long["row"] == label) & (long["column"].astype(str) == str(column))]
        where = f"{short_tsv} cell {label!r} / {column!r}"
        if twins.empty:
            raise ValueError(f"{where}: no cell with these labels in {long_tsv}")
        for _, t in twins.iterrows():
            tcfg = run_config(t)
            if trajectory(t) != trajectory(first) or cfg.linear_decay:
                raise ValueError(f"{where}: run {t['run_id']} of {long_tsv} trains another config")
            if tcfg.g_updates < cfg.g_updates or not tcfg.eval_every or cfg.g_updates % tcfg.eval_every \
                    or (tcfg.eval_protocol or "") != (cfg.final_protocol or ""):
                raise ValueError(f"{where}: run {t['run_id']} is not evaluated at update "
                                 f"{cfg.g_updates} under protocol {cfg.final_protocol!r}")
        status = done.set_index("run_id").loc[list(twins["run_id"]), "status"]
        if (status != "completed").any():
            raise ValueError(f"{where}: runs not completed in {runs_root}: "
                             f"{', '.join(status.index[status != 'completed'])}")
        at = curves[curves["run_id"].isin(twins["run_id"]) & (curves["step"] == cfg.g_updates)]
        seeds = ", ".join(str(s) for s in sorted(at["seed"]))
        for metric in metrics:
            values = at[metric].astype(float)
            out.append(_regression_row(
                first, cfg, metric, values.mean(), values.std(ddof=1), tolerance,
                note=(f"mean and std over {len(values)} seeds ({seeds}) of {Path(long_tsv).stem} at update "
                      f"{cfg.g_updates}, of which this cell's runs are exact prefixes"),
                source=f"results/{Path(long_tsv).stem} (runs of {Path(long_tsv).name})"))
    return pd.DataFrame(out)


def _regression_row(first, cfg, metric: str, mean: float, std: float, tolerance: str, note: str,
                    source: str) -> dict:
    """One hard regression reference row of smoke.csv for the cell of table row `first`."""
    return {"paper": first["paper"], "paper_table": first["paper_table"], "row": first["row"], "column": first["column"],
            "metric": metric, "checkpoint": "final", "value": round(mean, 6), "std": round(std, 6),
            "direction": direction_of(metric), "protocol": cfg.final_protocol, "g_updates": cfg.g_updates,
            "tolerance": tolerance, "tolerance_note": note, "kind": "regression", "verified": "true",
            "hard": "true", "source": source, "note": ""}


#: What :func:`pooled_ranges` reads of each verdicts file.
POOLED_COLUMNS = ("row", "column", "metric", "checkpoint", "n", "mean", "std", "g_updates", "protocol_name")


def pooled_ranges(short_tsv: str | Path, verdict_files: Iterable[str | Path], metrics: Iterable[str],
                  tolerance: str = "2sd") -> pd.DataFrame:
    """Regression reference rows for every cell of `short_tsv` from other seeds of the same cell,
    as published in verdicts CSVs (``n``, ``mean``, ``std`` per cell and metric at the final
    checkpoint), pooled into one sample.

    For cells whose runs are chaotic (a GAN on a mixture of Gaussians): a run repeated on another
    CPU is a fresh draw, not a copy (docs/fidelity.md, "Bit-identity and the CPU"), so the range
    must describe the spread over seeds *and* machines: pool calibration tables made on several
    CPUs. Each file's cell must have trained for the short cell's ``g_updates`` under its final
    protocol. The pooled mean and sd are those of the union of the groups' runs (exact, from each
    group's n, mean and sd).
    """
    from ..experiments import run_config, runs

    try:
        resolve_tolerance(tolerance, 1.0, 1.0)
    except ValueError as e:
        raise ReferenceError(f"--tolerance {tolerance!r}: {e}; allowed: '10%', '2sd' or a number >= 0") from None
    files = [Path(f) for f in verdict_files]
    groups = []
    for f in files:
        if not f.is_file():
            raise ReferenceError(f"{f}: no such verdicts file; fix: run the calibration table's report first")
        v = pd.read_csv(f)
        missing = [c for c in POOLED_COLUMNS if c not in v.columns]
        if missing:  # another file (a provenance CSV...) is named, not a KeyError
            raise ReferenceError(f"{f} is not a verdicts file: no column(s) {missing}; give the "
                                 f".verdicts.csv that `repro report` writes for the calibration table")
        groups.append((f, v))
    short = runs(short_tsv)
    out = []
    for (label, column), cell in short.groupby(["row", "column"], sort=False):
        first = cell.iloc[0]
        cfg = run_config(first)
        for metric in metrics:
            parts = []
            for f, v in groups:
                hit = v[(v["row"] == label) & (v["column"].astype(str) == str(column)) & (v["metric"] == metric)
                        & (v["checkpoint"] == "final")]
                if len(hit) != 1:
                    raise ReferenceError(f"{f}: no single final {metric!r} row for cell {label!r} / {column!r}")
                h = hit.iloc[0]
                if int(h["g_updates"]) != cfg.g_updates or str(h["protocol_name"]) != str(cfg.final_protocol):
                    raise ReferenceError(f"{f}: cell {label!r} / {column!r} trained {int(h['g_updates'])} updates "
                                         f"under {h['protocol_name']!r}, not {cfg.g_updates} under "
                                         f"{cfg.final_protocol!r}")
                parts.append((int(h["n"]), float(h["mean"]), float(h["std"]), f.parent.name))
            n, mean, std = pool((p[0], p[1], p[2]) for p in parts)
            sources = "; ".join(f"{k} runs of {name}" for k, _, _, name in parts)
            out.append(_regression_row(
                first, cfg, metric, mean, std, tolerance,
                note=(f"mean and std over {n} runs of this cell's config, pooled ({sources}); on another "
                      "CPU a run is a fresh draw, not a copy"),
                source=" + ".join(f"results/{p[3]}" for p in parts)))
    return pd.DataFrame(out)


def pool(groups: Iterable[tuple[int, float, float]]) -> tuple[int, float, float]:
    """(n, mean, sd) of the union of samples given as (n, mean, sd) each (sd with ddof=1)."""
    groups = [(int(n), float(m), float(s)) for n, m, s in groups]
    total = sum(n for n, _, _ in groups)
    mean = sum(n * m for n, m, _ in groups) / total
    ss = sum((n - 1) * s * s + n * (m - mean) ** 2 for n, m, s in groups)
    return total, mean, math.sqrt(ss / (total - 1))
