"""Learning curves of a table: metric vs generator updates, one line per cell, mean over seeds.

Layout (readable with many cells): a grid with one panel row per paper *row* label and one panel
column per metric; inside a panel, one colour per paper *column* label (the same colour for a
column label in every panel, one shared legend). Each line is the mean over the cell's seeds at
each evaluated step, with a shaded min-max band over seeds (no band for a single seed). Runs that
diverged simply stop. Curves are read from each run's ``curve.csv`` (a cheap learning-curve
protocol, comparable only with itself); one cell mixing curve protocols is an error.

Figures are built with :class:`matplotlib.figure.Figure` (no pyplot, so no global backend
state; PNG is rendered by Agg) and written atomically with :func:`repro.io.save_figure`.
"""
from __future__ import annotations

from pathlib import Path
from typing import Sequence

import numpy as np
import pandas as pd

from .. import io, rundir
from ..metrics import registry
from .collect import CELL, MixedProtocolsError, read_experiment_table, run_dir



def collect_curves(table_tsv: str | Path, runs_root: str | Path, table: str | None = None) -> pd.DataFrame:
    """All learning-curve points of a table, long form: run_id, paper_table, row, column, seed, step,
    the metric columns of curve.csv, protocol_name, protocol_key. Runs without curve.csv are
    skipped; a cell whose curves carry more than one protocol key raises MixedProtocolsError."""
    table_tsv = Path(table_tsv)
    name = table or table_tsv.stem
    runs = read_experiment_table(table_tsv)
    if "paper_table" not in runs.columns:
        runs["paper_table"] = name
    frames = []
    for _, r in runs.iterrows():
        c = read_curve(run_dir(runs_root, name, r))
        if c is None or c.empty:
            continue
        for k in ("run_id", *CELL, "seed"):
            c[k] = r.get(k)
        frames.append(c)
    if not frames:
        return pd.DataFrame(columns=["run_id", *CELL, "seed", "step"])
    curves = pd.concat(frames, ignore_index=True)
    if "protocol_key" in curves.columns:
        for cell, g in curves.groupby(list(CELL), sort=False, dropna=False):
            keys = sorted(set(g["protocol_key"].dropna()))
            if len(keys) > 1:
                raise MixedProtocolsError(f"learning curves of cell paper_table={cell[0]!r} row={cell[1]!r} "
                                          f"column={cell[2]!r} mix protocol keys {keys}")
    return curves


def read_curve(run_dir: Path) -> pd.DataFrame | None:
    """A run's curve.csv (None when it has none); a file that does not parse, has no ``step``
    column, or no longer matches a sealed run's checksum raises RunDirError naming it."""
    rd = rundir.RunDir(run_dir)
    path = rd / rundir.CURVE
    if not path.exists():
        return None
    fix = rundir.rebuild_hint(run_dir) if (rd / rundir.SCORES).exists() else \
        "rerun its training: the trainer rebuilds curve.csv from its checkpoint"
    problem = rd.problem(files=(rundir.CURVE,)) if (rd / rundir.SCORES).exists() else None
    if problem is not None:
        raise rundir.RunDirError(f"{problem}; {fix}")
    try:
        c = pd.read_csv(path)
        steps = pd.to_numeric(c["step"], errors="raise")
    except (OSError, UnicodeDecodeError, ValueError, KeyError, pd.errors.ParserError) as e:
        raise rundir.RunDirError(f"{path} is unreadable as a learning curve ({type(e).__name__}: "
                                 f"{e}); {fix}") from None
    return c.assign(step=steps)


def default_metrics(curves: pd.DataFrame) -> list[str]:
    """The first default panel group that the curves have (image tables: FID and IS; mixture
    tables: modes and HQ share), as the metric registry has them now (:func:`registry.panels`)."""
    for group in registry.panels():
        present = [m for m in group if m in curves.columns and curves[m].notna().any()]
        if present:
            return present
    return []


def plot_curves(curves: pd.DataFrame, out_prefix: str | Path, metrics: Sequence[str] | None = None,
                title: str | None = None, band: str = "minmax",
                formats: Sequence[str] = ("png", "pdf"), legend_title: str = "column",
                references: pd.DataFrame | None = None) -> list[Path]:
    """Draw the curves (:func:`collect_curves`) and write ``<prefix>.png`` and ``<prefix>.pdf``.

    Args:
        metrics: panels (default :func:`default_metrics`).
        band: "minmax" (min-max over seeds) or "std" (mean ± std over seeds).
        references: reference ranges to draw as hatched horizontal bands in the cell's colour
            (rows with row, column, metric, ref_low, ref_high: e.g. the final-checkpoint lines of
            :func:`repro.report.cells.cell_verdicts`). The range belongs to the final protocol,
            the curves to a cheaper one: the band shows where the final score must land.
    Returns the written paths.
    """
    from matplotlib.figure import Figure

    if band not in ("minmax", "std"):
        raise ValueError(f"band must be 'minmax' or 'std', got {band!r}")
    metrics = list(metrics) if metrics is not None else default_metrics(curves)
    if not metrics:
        raise ValueError("no metric to plot: the curves have none of "
                         f"{[m for g in registry.panels() for m in g]}")
    rows = list(dict.fromkeys(curves["row"]))
    columns = list(dict.fromkeys(curves["column"]))
    colours = {c: f"C{i % 10}" for i, c in enumerate(columns)}
    styles = {c: ("-", "--", ":", "-.")[(i // 10) % 4] for i, c in enumerate(columns)}

    titles = registry.curve_labels()  # read now: a metric registered after import has its title
    fig = Figure(figsize=(4.2 * len(metrics), 2.3 * len(rows) + 0.9), layout="constrained")
    axes = np.atleast_2d(fig.subplots(len(rows), len(metrics), sharex=True, squeeze=False))
    for i, row in enumerate(rows):
        for j, metric in enumerate(metrics):
            ax = axes[i, j]
            for column in columns:
                cell = curves[(curves["row"] == row) & (curves["column"] == column)]
                if metric not in cell.columns or cell[metric].isna().all():
                    continue
                stats = (cell.dropna(subset=[metric]).groupby("step")[metric]
                         .agg(["mean", "std", "min", "max", "count"]).sort_index())
                x = stats.index.to_numpy(dtype=float)
                ax.plot(x, stats["mean"], color=colours[column], linestyle=styles[column],
                        linewidth=1.4, marker="o", markersize=2.5, label=str(column))
                if stats["count"].max() > 1:
                    lo, hi = ((stats["min"], stats["max"]) if band == "minmax" else
                              (stats["mean"] - stats["std"].fillna(0), stats["mean"] + stats["std"].fillna(0)))
                    ax.fill_between(x, lo, hi, color=colours[column], alpha=0.2, linewidth=0)
                for lo, hi in _ranges(references, row, column, metric):
                    ax.axhspan(lo, hi, facecolor="none", edgecolor=colours[column], hatch="///",
                               alpha=0.5, linewidth=0, label="reference range")
            ax.grid(True, alpha=0.3)
            if i == 0:
                ax.set_title(titles.get(metric, metric))
            if j == 0:
                ax.set_ylabel(str(row))
            if i == len(rows) - 1:
                ax.set_xlabel("generator updates")
    handles = {}
    for ax in axes.flat:
        for h, label in zip(*ax.get_legend_handles_labels()):
            handles.setdefault(label, h)
    if handles:
        fig.legend(list(handles.values()), list(handles.keys()), loc="outside lower center",
                   ncols=min(len(handles), 6), title=legend_title)
    if title is None and "paper_table" in curves.columns and len(curves):
        title = f"{curves['paper_table'].iloc[0]}: learning curves (mean over seeds, band: "
        title += ("min-max)" if band == "minmax" else "± std)")
        if references is not None and "reference range" in handles:
            title += "; hatched: reference range"
    if title:
        fig.suptitle(title)
    prefix = Path(out_prefix)
    return [io.save_figure(prefix.with_name(f"{prefix.name}.{fmt}"), fig, dpi=120) for fmt in formats]


def no_curves(out_prefix: str | Path, text: str, formats: Sequence[str] = ("png", "pdf")) -> list[Path]:
    """A figure that says why a table has no learning curves (its rule still declares them)."""
    from matplotlib.figure import Figure

    fig = Figure(figsize=(4, 1))
    fig.text(0.5, 0.5, text, ha="center", va="center")
    prefix = Path(out_prefix)
    return [io.save_figure(prefix.with_name(f"{prefix.name}.{fmt}"), fig, dpi=120) for fmt in formats]


def _ranges(references: pd.DataFrame | None, row, column, metric) -> list[tuple[float, float]]:
    """The finite (ref_low, ref_high) of one cell and metric in `references`."""
    if references is None or references.empty:
        return []
    r = references[(references["row"].astype(str) == str(row)) & (references["column"].astype(str) == str(column))
                   & (references["metric"] == metric)]
    r = r[r["ref_low"].notna() & r["ref_high"].notna()]
    return [(float(a), float(b)) for a, b in zip(r["ref_low"], r["ref_high"])]
