"""Cells of a paper table taken from another table's runs, by the paper's selection rule.

SNGAN's Table 2 reports each standard-CNN method at its best setting of the Figures 1-2 sweep
(the shared references: "best of settings A-F (Fig.1/2)"), so those cells are not trained again:
:func:`select` ranks the settings of every method in each sweep table by the rule and writes

* ``<prefix>.runs.tsv`` -- an experiment table for the report: the target table's own rows, plus
  the chosen sweep runs relabelled with the target's labels (``paper_table``, the dataset ``column``),
  each with ``runs_table`` naming the table whose run directory holds it;
* ``<prefix>.selection.csv`` / ``.md`` -- every (method, dataset, setting) with its seeds'
  mean scores and which one was chosen, so the choice can be checked.

Only cells the paper reports are derived: a (row, column) with no reference number in the
target table (SNGAN Table 2 shows "-" for BN and GAN-GP on STL-10) is left out.

The rule (:data:`RULES`): SNGAN does not say how "best" was judged. ``best_is`` -- the highest
mean final Inception Score over the seeds, the score Table 2's text and Figure 1 lead with --
is our reading, recorded in every selection file; ``best_fid`` is the alternative. A setting
counts only when most of its runs finished without diverging (a diverged setting is never
"best"). Picking the maximum of six noisy means favours the luckiest setting a little: the paper
did the same, so the comparison is like for like.
"""
from __future__ import annotations

from pathlib import Path

import pandas as pd

from .. import io, layout
from ..errors import UserError
from .collect import RUNS_TABLE, collect, read_experiment_table

#: rule name -> (score column of the collected runs, True if higher is better, tie-breaker column)
RULES = {"best_is": ("final_is_mean", True, "final_fid"),
         "best_fid": ("final_fid", False, "final_is_mean")}


def rank_settings(runs: pd.DataFrame, rule: str = "best_is") -> pd.DataFrame:
    """One line per (row, setting) of a sweep's collected runs: completed/total runs, mean IS and
    FID, and ``chosen`` (True for each row's best eligible setting under ``rule``)."""
    score, higher, tie = RULES[rule]
    lines = []
    for (row, setting), g in runs.groupby(["row", "column"], sort=False):
        done = g[g["status"] == "completed"]
        lines.append({"row": row, "setting": setting, "runs": len(g), "completed": len(done),
                      "is_mean": done.get("final_is_mean", pd.Series(dtype=float)).mean(),
                      "fid": done.get("final_fid", pd.Series(dtype=float)).mean()})
    table = pd.DataFrame(lines)
    if table.empty:
        return table.assign(eligible=[], chosen=[])
    key = {"final_is_mean": "is_mean", "final_fid": "fid"}
    table["eligible"] = (table["completed"] * 2 > table["runs"]) & table[key[score]].notna()
    table["chosen"] = False
    for row, g in table[table["eligible"]].groupby("row", sort=False):
        order = g.sort_values([key[score], key[tie]], ascending=[not higher, higher])
        table.loc[order.index[0], "chosen"] = True
    return table


def select(target_tsv: str | Path, sources: dict[str, tuple[str | Path, str]], runs_root: str | Path,
           out_prefix: str | Path, rule: str = "best_is",
           references: pd.DataFrame | None = None) -> dict[str, Path]:
    """Write the target table's report input with its cells taken from ``sources``.

    Args:
        target_tsv: the target experiment table (its own runs; its ``paper``/``table`` labels).
        sources: source table name -> (its TSV, the target column its cells fill), e.g.
            ``{"sngan_sweep_cifar10": ("config/tables/sngan_sweep_cifar10.tsv", "CIFAR-10")}``.
        runs_root: holds ``<table>/<run_id>/`` run directories.
        references: when given, only (row, column) cells with a reference number of the target
            table are derived.
    """
    if rule not in RULES:
        raise UserError(f"unknown selection rule {rule!r}; known: {', '.join(RULES)}")
    target = read_experiment_table(target_tsv)
    name = Path(target_tsv).stem
    target[RUNS_TABLE] = name
    paper, label = target["paper"].iloc[0], target["paper_table"].iloc[0]
    reported = None
    if references is not None:
        refs = references[(references["paper"] == paper) & (references["paper_table"] == label)]
        reported = set(zip(refs["row"], refs["column"]))
    picked, ranking = [target], []
    for source, (tsv, column) in sources.items():
        runs = collect(tsv, runs_root, table=source)
        if not (runs["status"] == "completed").any():  # an empty selection is no result
            raise UserError(f"no completed run of {source} under {Path(runs_root) / source}: nothing to "
                            f"select from; train the sweep first, or give the --runs that holds it")
        ranks = rank_settings(runs, rule).assign(source=source, column=column, rule=rule)
        if reported is not None:
            ranks = ranks[[(r, column) in reported for r in ranks["row"]]]
        ranking.append(ranks)
        raw = read_experiment_table(tsv)
        for _, best in ranks[ranks["chosen"]].iterrows():
            rows = raw[(raw["row"] == best["row"]) & (raw["column"] == best["setting"])].copy()
            picked.append(rows.assign(paper_table=label, column=column, **{RUNS_TABLE: source}))
    combined = pd.concat(picked, ignore_index=True)
    ranking = pd.concat(ranking, ignore_index=True) if ranking else pd.DataFrame()
    prefix = Path(out_prefix)
    cols = ["source", "column", "row", "setting", "runs", "completed", "is_mean", "fid", "eligible", "chosen", "rule"]
    ranking = ranking[[c for c in cols if c in ranking.columns]]
    note = (f"Cells of {paper} {label} taken from the sweep runs: per row and dataset, the setting "
            f"chosen by rule `{rule}` ({RULES[rule][0]}, {'higher' if RULES[rule][1] else 'lower'} "
            f"is better; a setting needs most of its runs completed). See repro/report/select.py.")
    out = layout.files("select", prefix)
    return {
        "runs": io.write_text(out["runs"], _tsv(combined)),
        "selection": io.write_text(out["selection"], ranking.to_csv(index=False)),
        "selection_md": io.write_text(out["selection_md"], note + "\n\n" + ranking.to_markdown(index=False) + "\n"),
    }


def _tsv(df: pd.DataFrame) -> str:
    """An experiment TSV (empty cells for missing values, mappings as YAML flow text)."""
    import yaml

    def cell(v):
        if v is None or (isinstance(v, float) and pd.isna(v)):
            return ""
        if isinstance(v, dict):
            return yaml.safe_dump(v, default_flow_style=True).strip()
        if isinstance(v, float) and v.is_integer():
            return str(int(v))
        return str(v)

    lines = ["\t".join(df.columns)] + ["\t".join(cell(v) for v in row) for row in df.itertuples(index=False)]
    return "\n".join(lines) + "\n"


def active(conf: dict, suite_tables) -> dict[str, dict]:
    """The selections of ``conf`` whose target and every source are in the suite."""
    tables = set(suite_tables)
    return {t: s for t, s in (conf.get("selections") or {}).items()
            if t in tables and set(s["from"]) <= tables}


def derived_cells(target_tsv: str | Path, sources: dict[str, tuple[str | Path, str]],
                  references: pd.DataFrame | None = None) -> list[tuple[str, str, str]]:
    """(source, row, column) of every cell a selection derives (before any run exists)."""
    target = read_experiment_table(target_tsv)
    paper, label = target["paper"].iloc[0], target["paper_table"].iloc[0]
    cells = []
    for source, (tsv, column) in sources.items():
        for row in dict.fromkeys(read_experiment_table(tsv)["row"]):
            cells.append((source, row, column))
    if references is not None:
        refs = references[(references["paper"] == paper) & (references["paper_table"] == label)]
        reported = set(zip(refs["row"], refs["column"]))
        cells = [c for c in cells if (c[1], c[2]) in reported]
    return cells
