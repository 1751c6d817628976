"""Re-judge published verdicts under the current rule, without their runs.

A ``.verdicts.csv`` keeps, per cell, n, mean and sample std over the seeds and the counts of
completed, diverged and missing runs -- everything the Student-t rule of
:func:`repro.report.verdict.judge_summary` needs. :func:`rejudge` recomputes every cell that was
compared with a reference (old verdict held / better / worse); cells that were never compared
(diverged, missing, too few seeds, no usable reference) keep their verdict and reason, since
those rules did not change. :func:`write` republishes the verdicts and re-renders the paper
tables (``<prefix>.md/.csv/.tex`` and ``.best.*``) from them, and returns the changed cells; a
sealed folder (:mod:`repro.report.manifest`) must match its manifest first and is sealed again
after.

Not re-judged here: the claims (``*.claim.md``; their analyses in :mod:`repro.report.claims`
read the runs), the counts of degraded runs (kept as published) and the learning curves. A file
written before the degraded count had its name (column ``collapsed``) is read and rewritten under
the current one (:data:`repro.report.cells.RENAMED_COLUMNS`).
"""
from __future__ import annotations

from pathlib import Path

import pandas as pd

from .. import io, layout
from ..errors import UserError
from .cells import VERDICT_COLUMNS, current_names
from .check import read_verdicts
from .tables import FLOAT_FORMAT, paper_table, write_table
from .verdict import BETTER, CONFIDENCE, DIRECTIONS, HELD, WORSE, judge_summary, mean_interval

#: Old verdicts that came from comparing an interval with a reference (the rule that changed).
COMPARED = (HELD, BETTER, WORSE)


def rejudge(verdicts: pd.DataFrame, confidence: float = CONFIDENCE) -> pd.DataFrame:
    """`verdicts` with the compared cells judged again (columns :data:`VERDICT_COLUMNS`, plus
    ``old_verdict``); older column names are read as the current ones."""
    out = current_names(verdicts).copy()
    for col in VERDICT_COLUMNS:
        if col not in out:
            out[col] = None
    out["old_verdict"] = out["verdict"]
    out["confidence"] = confidence
    out["seeds_needed"] = out["seeds_needed"].astype(object)
    for i, v in out.iterrows():
        # every cell's interval is the new one; only compared cells can change their verdict
        out.loc[i, ["ours_low", "ours_high"]] = mean_interval(float(v["mean"]), float(v["std"]),
                                                              int(v["n"]), confidence)
        if v["verdict"] not in COMPARED:
            continue
        j = judge_summary(int(v["n"]), float(v["mean"]), float(v["std"]), n_completed=int(v["n_completed"]),
                          n_diverged=int(v["n_diverged"]), n_missing=int(v["n_missing"]),
                          ref_low=float(v["ref_low"]), ref_high=float(v["ref_high"]),
                          direction=DIRECTIONS[v["metric"]], confidence=confidence)
        out.loc[i, ["verdict", "reason", "ours_low", "ours_high"]] = [j.verdict, j.reason, j.low, j.high]
        out.at[i, "seeds_needed"] = j.seeds_needed
    return out


def write(verdicts_csv: str | Path, confidence: float = CONFIDENCE) -> pd.DataFrame:
    """Re-judge a published ``<prefix>.verdicts.csv`` in place, re-render its paper tables, and
    return the changed cells (paper_table, row, column, metric, checkpoint, old_verdict, verdict)."""
    from . import manifest

    path = Path(verdicts_csv)
    manifest.verify(path.parent)  # a forged row is refused, not re-rendered
    verdicts = read_verdicts(path)  # another file is named before its name is cut
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
        write_table(t, p, caption=f"{cells['paper_table'].iloc[0]} ({checkpoint} checkpoint)")
    io.write_text(path, new[list(VERDICT_COLUMNS)].to_csv(index=False, float_format=FLOAT_FORMAT))
    manifest.reseal(path.parent)  # derived from the sealed verdicts: sealed again, same runs
    changed = new[new["old_verdict"] != new["verdict"]]
    return changed[["paper_table", "row", "column", "metric", "checkpoint", "n", "mean", "std",
                    "old_verdict", "verdict", "reason"]]
