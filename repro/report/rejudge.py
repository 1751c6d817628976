"""Re-judge published verdicts under the current rule, without their runs.

A ``.verdicts.csv`` keeps, per cell, n, mean and sample std over the seeds and the counts of
completed, diverged, collapsed and missing runs -- everything the Student-t rule of
:func:`repro.report.verdict.judge_summary` needs. :func:`rejudge` recomputes every cell that was
compared with a reference (old verdict held / better / worse, or inconclusive because its
interval straddled the range); cells that were never compared
(diverged, missing, too few seeds, no usable reference) keep their verdict and reason, since
those rules did not change. :func:`write` republishes the verdicts and re-renders the paper
tables (``<prefix>.md/.csv/.tex`` and ``.best.*``) from them, and returns the changed cells; a
sealed folder (:mod:`repro.report.manifest`) must match its manifest first and is sealed again
after.

A cell is judged at the look of its schedule (column ``looks``, :mod:`repro.seeds`). Collapsed
runs (rule 6 of :mod:`repro.report.verdict`) are counted again from the cell's per-seed ``values``
where the file keeps them, else kept as published (``n_collapsed``).

Not re-judged here: the claims (``*.claim.md``; their analyses in :mod:`repro.claims`
read the runs), the counts of degraded runs (kept as published) and the learning curves.
"""
from __future__ import annotations

import json
from pathlib import Path

import pandas as pd

from .. import io, layout
from ..errors import UserError
from .cells import VERDICT_COLUMNS, parse_looks
from .check import read_verdicts, undecided
from .tables import FLOAT_FORMAT, headline, paper_table, write_table
from .verdict import (BETTER, CONFIDENCE, HELD, WORSE, collapsed_runs, direction_of, judge_summary,
                      look_confidence, look_of, mean_interval)

#: Old verdicts that came from comparing an interval with a reference (the rule that changed).
COMPARED = (HELD, BETTER, WORSE)


def rejudge(verdicts: pd.DataFrame, confidence: float = CONFIDENCE) -> pd.DataFrame:
    """`verdicts` (a read ``.verdicts.csv``) with the compared cells judged again, plus the column
    ``old_verdict``."""
    out = verdicts.copy()
    out["old_verdict"] = out["verdict"]
    out["confidence"] = confidence
    out["seeds_needed"] = out["seeds_needed"].astype(object)
    for i, v in out.iterrows():
        # every cell's interval is the new one; only compared cells can change their verdict
        looks = parse_looks(v["looks"])
        look = look_of(looks, int(v["n_runs"]))
        conf = look_confidence(looks, look, confidence) if look else confidence
        out.loc[i, ["ours_low", "ours_high"]] = mean_interval(float(v["mean"]), float(v["std"]),
                                                              int(v["n"]), conf)
        out.at[i, "look_confidence"] = conf
        if v["verdict"] not in COMPARED and not undecided(v):
            continue
        direction, low, high = direction_of(v["metric"]), float(v["ref_low"]), float(v["ref_high"])
        collapsed = (collapsed_runs(json.loads(v["values"]), low, high, direction)
                     if isinstance(v["values"], str) else int(v["n_collapsed"]))
        out.at[i, "n_collapsed"] = collapsed
        j = judge_summary(int(v["n"]), float(v["mean"]), float(v["std"]), n_completed=int(v["n_completed"]),
                          n_diverged=int(v["n_diverged"]), n_missing=int(v["n_missing"]),
                          n_collapsed=collapsed, ref_low=low, ref_high=high, direction=direction,
                          confidence=confidence, looks=looks)
        out.loc[i, ["verdict", "reason", "ours_low", "ours_high", "look_confidence", "failure_bound"]] = [
            j.verdict, j.reason, j.low, j.high, j.confidence, j.failure_bound]
        out.at[i, "seeds_needed"] = j.seeds_needed
    return out


def write(verdicts_csv: str | Path, confidence: float = CONFIDENCE) -> pd.DataFrame:
    """Re-judge a published ``<prefix>.verdicts.csv`` in place, re-render its paper tables, and
    return the changed cells (paper_table, row, column, metric, checkpoint, old_verdict, verdict).
    The file must hold every column :func:`repro.report.cells.cell_verdicts` writes: all are
    written back."""
    from . import manifest

    path = Path(verdicts_csv)
    manifest.verify(path.parent)  # a forged row is refused, not re-rendered
    verdicts = read_verdicts(path, VERDICT_COLUMNS)  # another file is named before its name is cut
    suffix = layout.REPORT["verdicts"][0]
    if not path.name.endswith(suffix) or path.name == suffix:
        raise UserError(f"{path}: a verdicts file is named <table>{suffix} (its tables are named after it); "
                        f"rename it")
    prefix = path.with_name(path.name[: -len(suffix)])
    new = rejudge(verdicts, confidence)
    for checkpoint in dict.fromkeys(new["checkpoint"]):
        cells = new[new["checkpoint"] == checkpoint]
        metrics = list(dict.fromkeys(cells["metric"]))
        t = paper_table(cells[["paper_table", "row", "column"]], None, metrics, checkpoint, verdicts=new)
        p = prefix if checkpoint == "final" else prefix.with_name(f"{prefix.name}.{checkpoint}")
        write_table(t, p, caption=f"{cells['paper_table'].iloc[0]} ({checkpoint} checkpoint). {headline(cells)}")
    io.write_text(path, new[list(VERDICT_COLUMNS)].to_csv(index=False, float_format=FLOAT_FORMAT))
    manifest.reseal(path.parent)  # derived from the sealed verdicts: sealed again, same runs
    changed = new[new["old_verdict"] != new["verdict"]]
    return changed[["paper_table", "row", "column", "metric", "checkpoint", "n", "mean", "std",
                    "old_verdict", "verdict", "reason"]]
