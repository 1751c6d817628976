"""Re-render a paper table from our runs, and write it as Markdown, CSV and LaTeX.

Layout of :func:`paper_table`: one row per paper row label and, per paper column label, three
columns ``ours`` / ``paper`` / ``verdict`` (a column MultiIndex (column, field); with several
metrics (column, metric, field)). Rows and columns keep the order of their first appearance in the
experiment table. Cells are text:

* ours: mean ± std, the verdict's interval of the mean in brackets (90 % by default) and the
  seeds: ``"29.31 ± 0.42 [28.60, 30.02] (n=3)"``; with some runs diverged or missing ``"(n=2; 1/3 diverged)"``;
  a diverged cell ``"diverged (2/3)"``; no results ``"missing (0/3)"``; runs whose final score
  degraded far from their best add ``"; 1 degraded"`` (:func:`repro.report.verdict.is_degraded`);
* paper: the reference value (``"7.42 ± 0.08"`` when it has a std), ``"(unverified)"`` appended
  for numbers that are never compared, ``"-"`` when there is none;
* verdict: one word of :data:`repro.report.verdict.VERDICTS`; an undecided cell adds the seeds
  that would decide it at its observed mean and spread: ``"inconclusive (~12 seeds)"``.

:func:`write_table` writes ``<prefix>.md`` (one cell per paper cell, as the papers print them:
``"249.1 ± 39.2 (264) ✓"``, with a legend; :func:`compact`), ``<prefix>.csv`` (every field, headers
flattened to "CIFAR-10 ours"), ``<prefix>.tex`` (``to_latex`` with
multicolumn headers), and, when given, ``<prefix>.verdicts.csv`` (the long form, one line per
cell x metric x checkpoint) and ``<prefix>.provenance.csv`` (one line per run). Every file is
written atomically (:func:`repro.io.write_text`).
"""
from __future__ import annotations

import re
from pathlib import Path
from typing import Sequence

import pandas as pd

from .. import io, layout
from ..layout import TABLE_FORMATS
from ..metrics import registry
from .cells import cell_verdicts
from .collect import collect, provenance
from .verdict import (BETTER, CONFIDENCE, DIVERGED, HELD, INCONCLUSIVE, MIN_SEEDS, WORSE, t_quantile,
                      tost_p)

#: Family-wise error rate of a table's headline (Holm across its hard cells).
FAMILY_ALPHA = 0.05

FIELDS = ("ours", "paper", "verdict")
#: Floats in the verdicts CSV: 10 significant digits (hides binary noise like 32.230000000000004).
FLOAT_FORMAT = "%.10g"


def _fmt(x: float, metric: str) -> str:
    """`x` at the metric's decimals in the metric registry (3 for a metric it does not judge)."""
    return f"{x:.{registry.decimals().get(metric, 3)}f}"


def format_ours(v: pd.Series) -> str:
    """The "ours" text of one verdict row."""
    metric, n_runs = v["metric"], int(v["n_runs"])
    if v["verdict"] == DIVERGED:
        return f"diverged ({int(v['n_diverged'])}/{n_runs})"
    if v["n"] == 0:
        if v["n_diverged"]:
            return f"no value ({int(v['n_diverged'])}/{n_runs} diverged)"
        return f"missing ({int(v['n_completed'])}/{n_runs})" if v["n_completed"] == 0 else f"no value (0/{n_runs})"
    text = _fmt(v["mean"], metric)
    if v["n"] >= 2 or not pd.isna(v["std"]):  # one score with a std: a real-data cell's IS splits
        text += f" ± {_fmt(v['std'], metric)}"
        if not pd.isna(v.get("ours_low", float("nan"))):
            text += f" [{_fmt(v['ours_low'], metric)}, {_fmt(v['ours_high'], metric)}]"
    notes = [f"n={int(v['n'])}"]
    if v["n_diverged"]:
        notes.append(f"{int(v['n_diverged'])}/{n_runs} diverged")
    if v["n_missing"]:
        notes.append(f"{int(v['n_missing'])} missing")
    if v["degraded"]:
        notes.append(f"{int(v['degraded'])} degraded")
    return f"{text} ({'; '.join(notes)})"


def format_verdict(v: pd.Series) -> str:
    """The "verdict" text of one verdict row: the word, and the seeds needed when undecided."""
    need = v.get("seeds_needed")
    if v["verdict"] == INCONCLUSIVE and need is not None and not pd.isna(need):
        return f"{INCONCLUSIVE} (~{int(need)} seeds)"
    return v["verdict"]


def format_paper(v: pd.Series) -> str:
    """The "paper" text of one verdict row."""
    if v["ref_value"] is None or pd.isna(v["ref_value"]):
        return "-"
    text = f"{v['ref_value']:g}"
    if not pd.isna(v["ref_std"]):
        text += f" ± {v['ref_std']:g}"
    if not v["ref_verified"]:
        text += " (unverified)"
    return text


def family_p(v: pd.Series) -> float:
    """A hard cell's p-value for the family: its equivalence test's (TOST) p-value, recovered
    from the recorded interval (half-width = t x se at the look's confidence), times the number
    of looks of its schedule (Bonferroni over the looks, valid whatever look it stopped at); 1
    when it has a failed run or was never compared with its range."""
    from .cells import parse_looks

    if int(v.get("n_diverged", 0) or 0) + int(v.get("n_collapsed", 0) or 0) > 0:
        return 1.0
    low, high, n = float(v["ours_low"]), float(v["ours_high"]), int(v["n"])
    if n < 2 or pd.isna(low) or pd.isna(high) or pd.isna(v["ref_low"]) or pd.isna(v["ref_high"]):
        return 1.0
    conf = v.get("look_confidence")
    conf = float(v["confidence"]) if conf is None or pd.isna(conf) else float(conf)
    se = (high - low) / 2 / t_quantile(conf, n - 1)
    k = len(parse_looks(v.get("looks")) or (1,))
    return min(1.0, k * tost_p((low + high) / 2, se * n ** 0.5, n, float(v["ref_low"]), float(v["ref_high"])))


def headline(verdicts: pd.DataFrame, alpha: float = FAMILY_ALPHA) -> str:
    """The table's count of held hard cells, with the control that applies: each cell's verdict
    keeps its own level, so m cells on their edges give up to alpha x m false helds; the count
    held under Holm's step-down across the m cells (statsmodels) has family-wise error <= alpha."""
    from statsmodels.stats.multitest import multipletests

    hard = verdicts[verdicts["ref_hard"].astype(str).str.lower().isin(("true", "1"))]
    m = len(hard)
    if m == 0:
        return "No hard-referenced cell: no count of held cells."
    held = int((hard["verdict"] == HELD).sum())
    family = int(multipletests([family_p(v) for _, v in hard.iterrows()], alpha, "holm")[0].sum())
    return (f"{held} of {m} hard cells held, each at its own level (alpha {alpha:g} per cell: up to "
            f"{alpha * m:.2g} false helds expected were every cell on its range's edge); "
            f"{family} of {m} held under Holm across the {m} (family-wise error <= {alpha:g}).")


def paper_table(df: pd.DataFrame, references: pd.DataFrame | None = None,
                metric: str | Sequence[str] = "fid", checkpoint: str = "final",
                min_seeds: int = MIN_SEEDS, verdicts: pd.DataFrame | None = None) -> pd.DataFrame:
    """The paper's table filled with our numbers: index = row labels (named "row"), columns =
    (column, field) -- or (column, metric, field) when `metric` is a list of several.

    Args:
        df: collected runs of one table (:func:`repro.report.collect.collect`).
        references: validated references, or None.
        metric: one metric key or several.
        checkpoint: "final" or "best".
        verdicts: precomputed :func:`repro.report.cells.cell_verdicts` output (else computed).
    Cells of the grid that the experiment table does not run are empty strings.
    """
    metrics = [metric] if isinstance(metric, str) else list(metric)
    if verdicts is None:
        verdicts = cell_verdicts(df, references, metrics, [checkpoint], min_seeds)
    v = verdicts[(verdicts["checkpoint"] == checkpoint) & verdicts["metric"].isin(metrics)]
    rows = list(dict.fromkeys(df["row"]))
    columns = list(dict.fromkeys(df["column"]))
    multi = len(metrics) > 1
    labels = registry.labels()  # short header names, from the metric registry as it is now
    keys = [(c, *((labels.get(m, m),) if multi else ()), f) for c in columns for m in metrics
            for f in FIELDS]
    names = ["column", *(["metric"] if multi else []), "field"]
    table = pd.DataFrame("", index=pd.Index(rows, name="row"),
                         columns=pd.MultiIndex.from_tuples(keys, names=names), dtype=object)
    for _, r in v.iterrows():
        prefix = (r["column"], *((labels.get(r["metric"], r["metric"]),) if multi else ()))
        table.loc[r["row"], prefix + ("ours",)] = format_ours(r)
        table.loc[r["row"], prefix + ("paper",)] = format_paper(r)
        table.loc[r["row"], prefix + ("verdict",)] = format_verdict(r)
    return table


#: The Markdown table's verdict marks (one cell per paper cell, as the papers print them).
MARKS = {HELD: "✓", BETTER: "▲", WORSE: "✗", DIVERGED: "✗", INCONCLUSIVE: "?"}
LEGEND = ("Each cell: ours, mean ± sd over seeds (the paper's or reference value) and the verdict: "
          "✓ held (the 90 % interval of our mean lies inside the reference range), ▲ better, "
          "✗ worse or diverged, ? inconclusive; † an unverified reference (never judged). Intervals, "
          "seeds, diverged/degraded runs and seeds needed: the .csv beside this file.")


def _compact_cell(ours: str, paper: str, verdict: str) -> str:
    """"249.1 ± 39.2 (264) ✓" from a cell's three texts (empty when the table does not run it);
    notes other than the seed count follow the mark ("✓, 6 degraded")."""
    if not ours:
        return ""
    main = re.sub(r" \[[^\]]*\]", "", ours)  # the interval stays in the CSV
    notes = ""
    found = re.search(r" \((n=\d+)(?:; ([^)]*))?\)$", main)
    if found:
        main, notes = main[:found.start()], found.group(2) or ""
    ref = "" if paper in ("", "-") else paper.split(" ± ")[0].replace(" (unverified)", "")
    if ref and "(unverified)" in paper:
        ref += "†"
    text = f"{main} ({ref}) " if ref else f"{main} "
    return text + MARKS.get(verdict.split(" (")[0], "?") + (f", {notes}" if notes else "")


def compact(table: pd.DataFrame) -> pd.DataFrame:
    """One text cell per paper cell: rows as the paper's (a row per metric when there are
    several: "SN-GANs FID"), columns its column labels. The Markdown layout."""
    if not isinstance(table.columns, pd.MultiIndex) or table.columns.names[-1] != "field":
        return table
    columns = list(dict.fromkeys(key[0] for key in table.columns))
    metrics = list(dict.fromkeys(key[1] for key in table.columns)) if table.columns.nlevels == 3 else [None]
    rows, labels = [], []
    for row in table.index:
        for m in metrics:
            pre = [(c,) if m is None else (c, m) for c in columns]
            rows.append([_compact_cell(*(str(table.loc[row, p + (f,)]) if p + (f,) in table.columns else ""
                                         for f in FIELDS)) for p in pre])
            labels.append(row if m is None else f"{row} {m}")
    return pd.DataFrame(rows, index=pd.Index(labels, name=table.index.name), columns=columns)


def _latex(table: pd.DataFrame, caption: str | None) -> str:
    """``to_latex`` with special characters escaped and "±" as ``$\\pm$`` (no inputenc needed)."""
    tex = table.to_latex(escape=True, multicolumn=True, multicolumn_format="c", caption=caption)
    return tex.replace("±", r"$\pm$")


def flat_columns(table: pd.DataFrame) -> pd.DataFrame:
    """`table` with its column MultiIndex joined into single header strings ("CIFAR-10 IS ours")."""
    flat = table.copy()
    if isinstance(flat.columns, pd.MultiIndex):
        flat.columns = [" ".join(str(x) for x in key) for key in flat.columns]
    return flat


def write_table(table: pd.DataFrame, out_prefix: str | Path, *, verdicts: pd.DataFrame | None = None,
                provenance: pd.DataFrame | None = None, caption: str | None = None) -> dict[str, Path]:
    """Write `table` as ``<prefix>.md``, ``.csv``, ``.tex`` (and ``.verdicts.csv``,
    ``.provenance.csv`` when those frames are given), atomically. Returns {kind: path}."""
    prefix = Path(out_prefix)
    flat = flat_columns(table)
    short = compact(table)
    md = short.to_markdown(disable_numparse=True)  # cells are text: keep "7.40" as written
    if short is not table:
        md = f"{md}\n\n{LEGEND}"
    if caption:
        md = f"{caption}\n\n{md}"
    text = {"md": md + "\n", "csv": flat.to_csv(), "tex": _latex(table, caption)}
    paths = {name: io.write_text(prefix.with_name(prefix.name + suffix), text[name])
             for name, suffix in TABLE_FORMATS.items()}
    if verdicts is not None:
        paths["verdicts"] = io.write_text(layout.files("report", prefix)["verdicts"],
                                          verdicts.to_csv(index=False, float_format=FLOAT_FORMAT))
    if provenance is not None:
        paths["provenance"] = io.write_text(layout.files("report", prefix)["provenance"],
                                            provenance.to_csv(index=False))
    return paths


def write_report(table_tsv: str | Path, runs_root: str | Path, out_prefix: str | Path,
                 references: pd.DataFrame | None = None, metrics: Sequence[str] | None = None,
                 checkpoints: Sequence[str] = ("final",), min_seeds: int = MIN_SEEDS,
                 curves: bool = True, table: str | None = None, confidence: float = CONFIDENCE,
                 run_ids: Sequence[str] | None = None,
                 seeds_cap: int | None = None, looks: Sequence[int] | None = None) -> dict[str, Path]:
    """Everything for one experiment table: collect the runs, judge every cell, write the paper
    table (one file set per checkpoint: ``<prefix>`` for final, ``<prefix>.best`` for best),
    the verdicts and provenance CSVs and the learning-curve figure (``<prefix>.curves.png/.pdf``).

    `run_ids` restricts the table to those runs (the seeds that adaptive rounds scheduled,
    :mod:`repro.seeds`); `seeds_cap` and the schedule's `looks` are recorded in the verdicts,
    each cell judged at its look (see :func:`repro.report.cells.cell_verdicts`). Returns
    {kind: path} of everything written.
    """
    df = collect(table_tsv, runs_root, table=table)
    if run_ids is not None:
        df = df[df["run_id"].astype(str).isin(set(map(str, run_ids)))].reset_index(drop=True)
    verdicts = cell_verdicts(df, references, metrics, checkpoints, min_seeds, confidence, seeds_cap, looks)
    shown = list(dict.fromkeys(verdicts["metric"])) if metrics is None else list(metrics)
    prefix = Path(out_prefix)
    out = layout.files("report", prefix)
    paths: dict[str, Path] = {}
    for checkpoint in checkpoints:
        t = paper_table(df, references, shown, checkpoint, min_seeds, verdicts=verdicts)
        p = prefix if checkpoint == "final" else prefix.with_name(f"{prefix.name}.{checkpoint}")
        caption = f"{df['paper_table'].iloc[0]} ({checkpoint} checkpoint)" if len(df) else None
        if caption:
            caption += ". " + headline(verdicts[verdicts["checkpoint"] == checkpoint])
        written = write_table(t, p, caption=caption)
        paths.update({(k if checkpoint == "final" else f"{checkpoint}_{k}"): v for k, v in written.items()})
    paths["verdicts"] = io.write_text(out["verdicts"], verdicts.to_csv(index=False, float_format=FLOAT_FORMAT))
    paths["provenance"] = io.write_text(out["provenance"], provenance(df).to_csv(index=False))
    if curves:
        paths.update(_write_curves(table_tsv, runs_root, table, run_ids, df, verdicts, out))
    return paths


def _write_curves(table_tsv, runs_root, table, run_ids, df, verdicts, out) -> dict[str, Path]:
    """The learning-curve figures (``curves_png``, ``curves_pdf``); without a curve to draw, a
    figure that says why (the report's rule declares them whatever the runs hold)."""
    from .curves import collect_curves, no_curves, plot_curves

    c = collect_curves(table_tsv, runs_root, table=table)
    if run_ids is not None and not c.empty:
        c = c[c["run_id"].astype(str).isin(set(map(str, run_ids)))]
    fmts = [p.suffix.lstrip(".") for name, p in out.items() if name.startswith("curves_")]
    stem = out["curves_png"].with_suffix("")
    if not c.empty:
        figs = plot_curves(c, stem, references=verdicts[verdicts["checkpoint"] == "final"], formats=fmts)
    elif "real" in df.columns and len(df) and df["real"].notna().all():
        figs = no_curves(stem, "real-data cells: no training", formats=fmts)
    else:
        figs = no_curves(stem, "no learning curve: no finished run evaluated during training "
                               "(eval_every 0, or no run finished yet)", formats=fmts)
    return {f"curves_{p.suffix.lstrip('.')}": p for p in figs}

