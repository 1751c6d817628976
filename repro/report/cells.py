"""From runs to cells: statistics over seeds, the matching reference and the verdict of each cell.

:func:`cell_verdicts` turns the output of :func:`repro.report.collect.collect` into one row per
cell (paper_table, row, column) x metric x checkpoint -- the long form that the paper table, the
``.verdicts.csv`` file and :mod:`repro.report.check` all read. The rules themselves live in
:mod:`repro.report.verdict`; this module only gathers their inputs.
"""
from __future__ import annotations

import json
import math
from typing import Iterable, Sequence

import pandas as pd

from . import real
from . import references as refs_mod
from .collect import CELL
from ..metrics import registry
from .verdict import (CONFIDENCE, MIN_SEEDS, SPENDING, Judgement, is_degraded, judge,
                      summarize)

#: Columns of the verdict table, in order.
VERDICT_COLUMNS = (
    "paper", "paper_table", "row", "column", "metric", "checkpoint", "n", "n_runs", "n_completed",
    "n_diverged", "n_missing", "mean", "std", "ours_low", "ours_high", "ref_value", "ref_std",
    "ref_low", "ref_high", "ref_tolerance", "ref_protocol", "ref_kind", "ref_hard", "ref_verified",
    "ref_source", "verdict", "reason", "degraded", "protocol_name", "protocol_key", "g_updates",
    "confidence", "seeds_needed", "seeds_cap", "values", "n_collapsed", "looks", "spending",
    "look_confidence", "failure_bound",
)

def format_looks(looks) -> str:
    """The schedule's looks as the verdicts file writes them ("3;10"; "" for fixed seeds)."""
    return ";".join(map(str, looks)) if looks and len(looks) > 1 else ""


def parse_looks(text) -> tuple[int, ...] | None:
    """:func:`format_looks` read back (None for fixed seeds)."""
    if text is None or (isinstance(text, float) and math.isnan(text)) or not str(text).strip():
        return None
    return tuple(int(float(x)) for x in str(text).split(";"))


def metrics_of(df: pd.DataFrame, references: pd.DataFrame | None = None,
               checkpoints: Iterable[str] = ("final",)) -> list[str]:
    """The judged metrics present in `df` (any checkpoint) or referenced for its cells, in
    the metric registry's order (:func:`repro.metrics.registry.directions`)."""
    judged = registry.directions()
    found = {m for m in judged for c in checkpoints if f"{c}_{m}" in df.columns
             and df[f"{c}_{m}"].notna().any()}
    if references is not None and not references.empty:
        tables = {refs_mod.norm_label(t) for t in df["paper_table"].unique()}
        found |= set(references.loc[references["paper_table"].map(refs_mod.norm_label).isin(tables), "metric"])
    return [m for m in judged if m in found]


def eval_noise(runs: pd.DataFrame, metric: str, checkpoint: str, protocol_name) -> float | None:
    """The evaluation noise of one score of `metric`, where the runs measure it: for IS, the
    median over runs of the std over splits divided by √splits (the standard error of the mean
    over the protocol's splits). None for other metrics or when unknown."""
    col = f"{checkpoint}_is_std"
    if metric != "is_mean" or col not in runs or not isinstance(protocol_name, str):
        return None
    from ..metrics.protocol import get_protocol

    try:
        splits = get_protocol(protocol_name).is_splits
    except (KeyError, ValueError):
        return None
    stds = pd.to_numeric(runs[col], errors="coerce").dropna()
    return float(stds.median()) / math.sqrt(splits) if len(stds) and splits else None


def _unique(values) -> object:
    vals = [v for v in pd.unique(pd.Series(list(values))) if v is not None and not pd.isna(v)]
    if not vals:
        return None
    return vals[0] if len(vals) == 1 else "mixed"


def cell_verdicts(df: pd.DataFrame, references: pd.DataFrame | None = None,
                  metrics: str | Sequence[str] | None = None,
                  checkpoints: str | Sequence[str] = ("final",),
                  min_seeds: int = MIN_SEEDS, confidence: float = CONFIDENCE,
                  seeds_cap: int | None = None, looks: Sequence[int] | None = None) -> pd.DataFrame:
    """One row per cell x metric x checkpoint, cells in order of first appearance in `df`.

    Args:
        df: collected runs (:func:`repro.report.collect.collect`).
        references: validated references (:func:`repro.report.references.load_references`), or
            None (every verdict then is at best ``inconclusive``).
        metrics: metric keys to judge (default :func:`metrics_of`).
        checkpoints: "final" and/or "best".
        min_seeds: completed runs needed for an interval.
        confidence: two-sided confidence of our interval (:func:`repro.report.verdict.judge`).
        seeds_cap: the most seeds adaptive rounds give a cell (None: the table's seeds are
            fixed); recorded so that ``repro check`` fails an undecided cell at its cap.
        looks: the seed counts of the declared rounds (:func:`repro.seeds.looks`); each cell is
            judged at the look its run count is (:func:`repro.report.verdict.look_of`).

    Columns: :data:`VERDICT_COLUMNS`. ``n`` counts completed runs with a finite value, ``std`` is
    the sample std (ddof=1) of the per-seed ``values`` (JSON: what order rules test), ``degraded``
    the number of completed runs whose final score is far
    worse than their best (:func:`repro.report.verdict.is_degraded`).
    """
    checkpoints = [checkpoints] if isinstance(checkpoints, str) else list(checkpoints)
    if metrics is None:
        metrics = metrics_of(df, references, checkpoints)
    metrics = [metrics] if isinstance(metrics, str) else list(metrics)
    out = []
    for cell, runs in df.groupby(list(CELL), sort=False, dropna=False):
        paper_table, row, column = cell
        status = runs["status"]
        completed = runs[status == "completed"]
        n_diverged = int((status == "diverged").sum())
        n_missing = int((status == "missing").sum())
        paper = _unique(runs["paper"]) if "paper" in runs else ""
        protocol_name = _unique(completed["protocol_name"])
        protocol_key = _unique(completed["protocol_key"])
        g_updates = _unique(runs["g_updates"]) if "g_updates" in runs else None
        for metric in metrics:
            finals = _column(completed, f"final_{metric}")
            bests = _column(completed, f"best_{metric}")
            degraded = sum(is_degraded(f, b, metric) for f, b in zip(finals, bests))
            for checkpoint in checkpoints:
                values = finals if checkpoint == "final" else bests
                n, mean, std = summarize(values)
                ref, shown, why = refs_mod.match(references, paper, paper_table, row, column, metric,
                                                 checkpoint, protocol_name, protocol_key,
                                                 None if g_updates == "mixed" else g_updates)
                if g_updates == "mixed" and ref is not None:
                    ref, why = None, "budget mixed: the cell's runs differ in g_updates"
                low, high = (None, None) if ref is None else (ref["low"], ref["high"])
                direction = registry.directions().get(metric) if ref is None else ref["direction"]
                j = judge(
                    values, n_diverged=n_diverged, n_missing=n_missing, ref_low=low, ref_high=high,
                    direction=direction, min_seeds=min_seeds, no_reference=why, confidence=confidence,
                    eval_std=eval_noise(completed, metric, checkpoint, protocol_name), looks=looks)
                if real.is_real_cell(runs):  # one score, no seeds: its own evaluation noise
                    std = _real_std(completed, checkpoint, metric)
                    j = Judgement(*real.judge_real(mean if n == 1 else None, std, low, high, direction, why))
                out.append({
                    "paper": paper, "paper_table": paper_table, "row": row, "column": column, "metric": metric,
                    "checkpoint": checkpoint, "n": n, "n_runs": len(runs),
                    "n_completed": len(completed), "n_diverged": n_diverged, "n_missing": n_missing,
                    "mean": mean, "std": std, "ours_low": j.low, "ours_high": j.high,
                    **_ref_columns(shown), "verdict": j.verdict, "reason": j.reason, "degraded": int(degraded),
                    "protocol_name": protocol_name, "protocol_key": protocol_key,
                    "g_updates": g_updates, "confidence": confidence,
                    "seeds_needed": j.seeds_needed, "seeds_cap": seeds_cap,
                    "values": json.dumps([v for v in values if math.isfinite(v)]),
                    **_design(j, looks),
                })
    return pd.DataFrame(out, columns=list(VERDICT_COLUMNS))


def _ref_columns(shown: dict | None) -> dict:
    """The ``ref_*`` columns of a cell: the reference row shown beside it (None: none)."""
    s = shown if shown is not None else {}
    return {"ref_value": s.get("value", math.nan), "ref_std": s.get("std", math.nan),
            "ref_low": s.get("low", math.nan), "ref_high": s.get("high", math.nan),
            "ref_tolerance": s.get("tolerance"), "ref_protocol": s.get("protocol"),
            "ref_kind": s.get("kind"), "ref_hard": bool(s.get("hard", False)),
            "ref_verified": bool(s.get("verified", False)), "ref_source": s.get("source")}


def _design(j: Judgement, looks: Sequence[int] | None) -> dict:
    """The columns issue 26 added: collapsed runs, the schedule and the look's confidence, the
    bound on the failure share (rule 6 of :mod:`repro.report.verdict`)."""
    return {"n_collapsed": j.n_collapsed, "looks": format_looks(looks), "spending": SPENDING,
            "look_confidence": j.confidence, "failure_bound": j.failure_bound}


def _column(runs: pd.DataFrame, name: str) -> list[float]:
    if name not in runs.columns:
        return [math.nan] * len(runs)
    return [math.nan if v is None or pd.isna(v) else float(v) for v in runs[name]]


def _real_std(runs: pd.DataFrame, checkpoint: str, metric: str) -> float:
    """The evaluation std of a real-data cell's one score (IS: over splits), NaN if none."""
    name = real.EVAL_STD.get(metric)
    values = _column(runs, f"{checkpoint}_{name}") if name else []
    return values[0] if len(values) == 1 else math.nan
