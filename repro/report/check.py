"""The regression check: which hard-bounded cells did not reproduce their number.

A cell is checked only when its reference row is ``hard`` (verified, and marked hard in
``config/references/``). What fails depends on the reference's ``kind``:

* ``paper`` -- ``worse`` or ``diverged`` fail (our interval is shown beyond the paper's range);
  ``better`` than the paper is not a failure. ``inconclusive`` (too few seeds, another protocol
  or training budget, missing runs, an interval that straddles the range) is listed but fails
  only with ``strict=True``: a paper number often cannot be compared in a given run of the
  suite, and that is not a regression.
* ``regression`` -- our own smoke-suite ranges: ``better``, ``worse`` and ``diverged`` fail (a
  number shown to have left its range either way is a change someone must look at), and so does
  an ``inconclusive`` cell that was never compared (missing runs, too few seeds, no reference).
  An *undecided* cell -- its interval straddles the range -- is listed and fails only with
  ``strict=True``: 2-3 smoke seeds rarely show equivalence, and that is not a regression.

Whatever the kind, an undecided cell fails once adaptive seeds have reached its cap
(``seeds_cap`` in the verdicts, :mod:`repro.seeds`): no more seeds will come to decide it.
Each failure names the cell (table, row, column, metric, checkpoint), our number and interval, and
the reference value and range.

A cell's range cannot see a claim's order break: LSGAN falling back to the regular GAN's mode
count still overlaps its own wide range, and the +-5 % IS / +-10 % FID bands of rival methods
overlap, so every cell can be "held" while an order the paper states is reversed.
``config/references/order_rules.yaml`` therefore lists *order rules* (:func:`order_tests`; not to
be confused with a metric's *direction*, its better side), each quoting the paper's sentence,
figure or table (``source``) and written only where the paper states the order. A rule orders one
cell against another, or (``aggregate: worst``) the worst of one row's cells against the worst of
another's (SNGAN Figs. 1-2: SN-GANs' worst setting against each other method's worst). It is
judged on the cells' per-seed values (the verdicts' ``values`` column) by
:mod:`repro.report.order_test`: **held** when a one-sided Welch t-test and a permutation test both
show ``better`` ahead of ``worse`` by more than ``margin`` in the metric's direction,
**reversed** when both show the opposite order, **inconclusive** otherwise, each at alpha =
(1 - confidence) / 2 (0.05 at the default 90 %, the cells' TOST level) -- or, for cells grown in
declared adaptive rounds, at the group-sequential level of the look their seed count is, the
level the cells themselves are judged at (:func:`rule_look`; cells at different counts are not
judged until the ones behind catch up). The rules of one claim are
corrected together by Holm's step-down method, so the chance that any held rule of a claim is a
fluke stays <= alpha (simulated in tests/report/test_order_test.py). A reversed order rule always
fails the check, naming the rule and its source; an inconclusive one fails with ``strict=True``
or once its cells have reached their adaptive cap. A verdicts file without per-seed values
(written before issue 26) leaves every rule inconclusive and says so.
"""
from __future__ import annotations

import json
import math
import sys
from pathlib import Path
from typing import Iterable, Sequence

import pandas as pd

from .. import layout
from ..errors import UserError
from .cells import parse_looks
from .references import REFERENCE_DIR, norm_label
from . import order_test as ot
from .order_test import REVERSED, Look, OrderResult, worst_order_test
from .verdict import (BETTER, CONFIDENCE, DIVERGED, HELD, INCONCLUSIVE, SPENDING, STRADDLES,
                      direction_of, look_of)

#: The order rules of the shipped tables (see the module docstring).
ORDER_RULES_FILE = REFERENCE_DIR / "order_rules.yaml"

#: Verdicts that pass, by reference kind.
PASSING = {"paper": (HELD, BETTER), "regression": (HELD,)}


#: Columns of a verdicts file (:data:`repro.report.cells.VERDICT_COLUMNS`) that ``repro check``
#: reads: the cell, its verdict, what a failure line shows (:func:`failure_message`), the adaptive
#: cap (:func:`at_cap`) and the per-seed values the order rules test (:func:`cell_values`).
CHECKED_COLUMNS = ("paper_table", "row", "column", "metric", "checkpoint", "n", "n_runs", "mean", "std",
                   "ours_low", "ours_high", "ref_value", "ref_low", "ref_high", "ref_protocol", "ref_kind",
                   "ref_hard", "verdict", "reason", "confidence", "seeds_cap", "values")


def read_verdicts(path: str | Path, columns: Sequence[str] = CHECKED_COLUMNS) -> pd.DataFrame:
    """A ``.verdicts.csv`` file holding the `columns` its reader needs (default: those ``repro
    check`` reads). One that is unparsable, empty, without cells or without one of `columns` (not a
    verdicts file, or one written by an older suite) raises :class:`repro.errors.UserError` naming
    it and the columns (a check of nothing or of another file must not pass)."""
    fix = ("give the .verdicts.csv that `repro report` writes (rebuild one an older suite wrote from its "
           "runs: `repro report TABLE --runs RUNS --out PREFIX`)")
    try:
        df = pd.read_csv(path)
    except (OSError, UnicodeDecodeError, ValueError, pd.errors.ParserError) as e:
        raise UserError(f"{path} is not a verdicts file ({type(e).__name__}: {e}); {fix}") from None
    missing = [c for c in columns if c not in df.columns]
    if missing:
        raise UserError(f"{path} is not a verdicts file: no column(s) {missing}; {fix}")
    if df.empty:
        raise UserError(f"{path} holds no cells; {fix}")
    return df


def _as_frame(verdicts) -> pd.DataFrame:
    if isinstance(verdicts, pd.DataFrame):
        return verdicts
    if isinstance(verdicts, (str, Path)):
        verdicts = [verdicts]
    frames = [v if isinstance(v, pd.DataFrame) else read_verdicts(v) for v in verdicts]
    return pd.concat(frames, ignore_index=True) if frames else pd.DataFrame()


def _truthy(v) -> bool:
    return str(v).strip().lower() in ("true", "1", "yes")


def _num(x, digits=4) -> str:
    return "nan" if pd.isna(x) else f"{float(x):.{digits}g}"


def failure_message(v: pd.Series) -> str:
    """One line naming the cell, our number and interval, and the reference range."""
    conf = v.get("confidence")
    level = f"{float(conf):.0%} " if conf is not None and not pd.isna(conf) else ""
    ours = (f"ours {_num(v['mean'])} ± {_num(v['std'])} (n={int(v['n'])}/{int(v['n_runs'])}, "
            f"{level}interval [{_num(v['ours_low'])}, {_num(v['ours_high'])}])")
    ref = (f"reference {_num(v['ref_value'])} range [{_num(v['ref_low'])}, {_num(v['ref_high'])}] "
           f"({v['ref_kind']}, protocol {v['ref_protocol']})")
    return (f"{v['paper_table']} / {v['row']} / {v['column']} / {v['metric']} ({v['checkpoint']}): "
            f"{v['verdict'].upper()}: {ours} vs {ref}; {v['reason']}")


def undecided(v: pd.Series) -> bool:
    """Whether an inconclusive cell's interval was compared with a range and straddles it (as
    opposed to a cell that could not be compared: missing runs, one seed, no reference)."""
    return v["verdict"] == INCONCLUSIVE and STRADDLES in str(v.get("reason", ""))


def at_cap(v: pd.Series) -> bool:
    """Whether adaptive seeds have given the cell all the runs they ever will."""
    cap = v.get("seeds_cap")
    return cap is not None and not pd.isna(cap) and int(v["n_runs"]) >= int(cap)


def check(verdicts: pd.DataFrame | str | Path | Iterable, strict: bool = False) -> list[str]:
    """Failure messages for every hard-bounded cell whose verdict does not pass (see module
    docstring). `verdicts`: a :func:`repro.report.cells.cell_verdicts` frame, a ``.verdicts.csv``
    path, or several of these. ``strict``: inconclusive hard cells fail too."""
    df = _as_frame(verdicts)
    if df.empty:
        return []
    failures = []
    for _, v in df.iterrows():
        if not _truthy(v["ref_hard"]) or v["verdict"] in PASSING.get(v["ref_kind"], PASSING["paper"]):
            continue
        if v["verdict"] == INCONCLUSIVE and not strict:
            if undecided(v) and not at_cap(v):
                continue  # listed by undecided_cells
            if v["ref_kind"] != "regression" and not undecided(v):
                continue  # a paper number not comparable in this run is not a regression
        msg = failure_message(v)
        failures.append(msg + ("; adaptive seeds at their cap" if at_cap(v) and undecided(v) else ""))
    return failures


def undecided_cells(verdicts: pd.DataFrame) -> list[str]:
    """One line per hard-bounded cell that is inconclusive (listed whether or not it fails)."""
    if verdicts.empty:
        return []
    return [failure_message(v) for _, v in verdicts.iterrows()
            if _truthy(v["ref_hard"]) and v["verdict"] == INCONCLUSIVE]


class OrderRulesError(UserError, ValueError):
    """An order-rules file that cannot be read or holds a malformed rule (one error line)."""


#: An order rule's keys: the required ones first, then the optional ones.
RULE_KEYS = ("paper_table", "metric", "better", "worse", "margin", "claim", "source", "why", "checkpoint", "aggregate")
#: The checkpoints a verdicts file judges (repro.report.cells).
SCORED_CHECKPOINTS = ("final", "best")


def load_order_rules(path: str | Path = ORDER_RULES_FILE) -> list[dict]:
    """The order rules of a YAML file (a list of mappings: paper_table, metric, checkpoint, better
    and worse ({row, column}, or {row, columns} with ``aggregate: worst``), margin, claim, source
    (the paper's sentence, figure or table), why); a missing file or a malformed rule raises
    :class:`OrderRulesError` naming the file (and the rule's index)."""
    import yaml

    path = Path(path)
    try:
        rules = yaml.safe_load(Path(path).read_text())
    except (OSError, UnicodeDecodeError, yaml.YAMLError) as e:
        raise OrderRulesError(f"order rules {path} are unreadable ({type(e).__name__}: {e}); "
                              f"give the YAML file of rules (config/references/order_rules.yaml)") from None
    if rules is None:  # an empty file would drop every claim's test without a word
        raise OrderRulesError(f"{path} is empty; list the order rules, write [] for a suite with "
                              f"none, or leave --order-rules out to use {ORDER_RULES_FILE}")
    if not isinstance(rules, list) or not all(isinstance(r, dict) for r in rules):
        raise OrderRulesError(f"{path}: expected a YAML list of rules (mappings)")
    for i, r in enumerate(rules):
        where = f"{path}, rule {i + 1}"
        missing = [k for k in RULE_KEYS[:8] if k not in r]
        if missing:
            raise OrderRulesError(f"{where}: missing {missing}")
        unknown = sorted(set(r) - set(RULE_KEYS))
        if unknown:
            raise OrderRulesError(f"{where}: unknown key(s) {unknown}; a rule's keys: {', '.join(RULE_KEYS)}")
        if r.setdefault("checkpoint", "final") not in SCORED_CHECKPOINTS:
            raise OrderRulesError(f"{where}: checkpoint must be one of {', '.join(SCORED_CHECKPOINTS)}, "
                                  f"got {r['checkpoint']!r}")
        try:
            direction_of(r["metric"])  # a metric without a direction cannot be ordered
        except (KeyError, ValueError) as e:
            raise OrderRulesError(f"{where}: {e}") from None
        for side in ("better", "worse"):
            ok = isinstance(r[side], dict) and (set(r[side]) == {"row", "column"} or (
                set(r[side]) == {"row", "columns"} and isinstance(r[side]["columns"], list) and r[side]["columns"]))
            if not ok:
                raise OrderRulesError(f"{where}: {side} must be {{row, column}} (one cell) or {{row, "
                                      f"columns: [..]}} (several, with aggregate: worst), got {r[side]}")
        several = any("columns" in r[side] for side in ("better", "worse"))
        if several != (r.get("aggregate") == "worst") or r.get("aggregate") not in (None, "worst"):
            raise OrderRulesError(f"{where}: aggregate: worst goes with sides of several columns "
                                  f"({{row, columns: [..]}}) and only with them; got aggregate "
                                  f"{r.get('aggregate')!r}")
        try:
            margin_ok = float(r["margin"]) >= 0
        except (TypeError, ValueError):
            margin_ok = False
        if not margin_ok:
            raise OrderRulesError(f"{where}: margin must be a number >= 0, got {r['margin']}")
    return rules


def _side_cells(r: dict, side: str) -> list[str]:
    """The columns of one side of a rule: ``{row, column}`` is one cell, ``{row, columns}`` several."""
    spec = r[side]
    return [str(c) for c in spec["columns"]] if "columns" in spec else [str(spec["column"])]


def _side_name(r: dict, side: str) -> str:
    cols = _side_cells(r, side)
    return f"{r[side]['row']} / {cols[0]}" if len(cols) == 1 else f"{r[side]['row']} / worst of {','.join(cols)}"


def cell_values(c) -> list[float] | None:
    """The per-seed values of one verdict row (its ``values`` column, JSON); None for a diverged
    cell (most runs diverged: beyond any finite cell, :func:`repro.report.order_test.worst_order_test`)."""
    if c["verdict"] == DIVERGED:
        return None
    raw = c.get("values")
    if not isinstance(raw, str):
        raise _NoValues
    return [float(x) for x in json.loads(raw)]


class _NoValues(Exception):
    """A verdicts file without per-seed values (written before issue 26)."""


def rule_look(cells: Sequence[pd.Series]) -> tuple[Look | None, str]:
    """The look of a declared schedule at which an order rule's cells are judged (the ``looks``,
    ``spending`` and ``n_runs`` columns the cells' own verdicts used, :mod:`repro.report.cells`),
    or (None, why not): fixed seeds (no schedule) are one look; under a schedule every cell of
    the rule must have the same seed count and it must be a declared look -- the count both
    sides have, since rounds grow the sides of an open rule together (:func:`repro.seeds.open_cells`
    grows the ones behind first). Cells at different counts, or at a count that is no look, are
    not judged, as cells are not (:func:`repro.report.verdict.look_of`)."""
    schedules = {parse_looks(c.get("looks")) for c in cells}
    if schedules == {None}:
        return None, ""
    counts = {f"{c['row']} / {c['column']}": int(c["n_runs"]) for c in cells}
    if len(schedules) > 1:
        return None, f"its cells ran under different seed schedules ({', '.join(sorted(map(str, schedules)))})"
    (looks,) = schedules
    if len(set(counts.values())) > 1:
        return None, (f"its cells have different seed counts ({', '.join(f'{k}: {n}' for k, n in counts.items())}): "
                      "an order rule is judged where every cell has the same declared look; the "
                      "next round grows the cells behind")
    n = next(iter(counts.values()))
    k = look_of(looks, n)
    if k is None:
        return None, (f"{n} runs is not a look of the declared schedule {', '.join(map(str, looks))}: "
                      "seeds added outside it void its error rate")
    spending = cells[0].get("spending")
    return Look(looks, k, spending if isinstance(spending, str) and spending else SPENDING), ""


def _rule_result(v: pd.DataFrame, r: dict, confidence: float) -> tuple[OrderResult | None, str, bool]:
    """(the rule's test, or None with why not; whether all its cells are at their adaptive cap)."""
    alpha = (1 - confidence) / 2
    cells, missing = {}, []
    for side in ("better", "worse"):
        cells[side] = {}
        for col in _side_cells(r, side):
            c = v[(v["row"].astype(str) == str(r[side]["row"])) & (v["column"].astype(str) == col)]
            if c.empty:
                missing.append(f"{r[side]['row']} / {col}")
            else:
                cells[side][col] = c.iloc[0]
    if missing:
        return None, f"no cell {', '.join(missing)} in the verdicts", False
    capped = all(at_cap(c) for side in cells.values() for c in side.values())
    look, why_not = rule_look([c for side in cells.values() for c in side.values()])
    if why_not:
        return None, f"not judged: {why_not}", capped
    try:
        values = {side: {k: cell_values(c) for k, c in cs.items()} for side, cs in cells.items()}
    except _NoValues:
        return None, ("no per-seed values in this verdicts file (written before issue 26): "
                      "`repro report` the table again to test the order"), capped
    lower = direction_of(r["metric"]) == "lower"
    if r.get("aggregate") == "worst":
        return worst_order_test(values["better"], values["worse"], float(r["margin"]), lower, alpha, look), "", capped
    (b,), (w,) = values["better"].values(), values["worse"].values()
    return ot._pair(b, w, float(r["margin"]), lower, alpha, look), "", capped


def order_tests(verdicts: pd.DataFrame, rules: Sequence[dict],
                confidence: float = CONFIDENCE) -> pd.DataFrame:
    """One row per order rule whose table is in `verdicts`: the order test of the cells' per-seed
    values (:mod:`repro.report.order_test`; module docstring), Holm-corrected over the rules of each
    claim; columns paper_table, metric, checkpoint, better, worse, margin, cells ((row, column) of
    every cell of both sides), n_better, n_worse, gap, lower (lower confidence bound of the gap),
    p, p_reversed (Holm-adjusted without a schedule), level (what p is compared with: alpha, or
    at a look of a declared schedule its group-sequential level, :func:`rule_look`), look
    ("look 2 of 8", "" for fixed seeds), at_cap, verdict (held / reversed / inconclusive),
    reason, claim, source, test."""
    alpha = (1 - confidence) / 2
    if verdicts.empty:
        return pd.DataFrame()
    tables = verdicts["paper_table"].map(norm_label)
    rows, results = [], []
    for r in rules:
        v = verdicts[(tables == norm_label(r["paper_table"])) & (verdicts["metric"] == r["metric"])
                     & (verdicts["checkpoint"] == r["checkpoint"])]
        if v.empty:
            continue  # the rule is about another table
        result, why_not, capped = _rule_result(v, r, confidence)
        rows.append({"paper_table": r["paper_table"], "metric": r["metric"], "checkpoint": r["checkpoint"],
                     "better": _side_name(r, "better"), "worse": _side_name(r, "worse"),
                     "margin": float(r["margin"]), "claim": r["claim"], "source": r.get("source", ""),
                     "cells": tuple((str(r[s]["row"]), c) for s in ("better", "worse") for c in _side_cells(r, s)),
                     "at_cap": capped, "why_not": why_not})
        results.append(result)
    out = pd.DataFrame(rows)
    if out.empty:
        return out
    for claim in dict.fromkeys(out["claim"]):
        idx = [i for i in range(len(out)) if out["claim"].iloc[i] == claim and results[i] is not None]
        for i, res in zip(idx, ot.holm([results[i] for i in idx], alpha)):
            results[i] = res
    out["verdict"] = [INCONCLUSIVE if res is None else res.verdict for res in results]
    out["reason"] = [w if res is None else res.reason() for res, w in zip(results, out["why_not"])]
    out["look"] = ["" if res is None or res.look is None else str(res.look) for res in results]
    for col, attr in (("n_better", "n_better"), ("n_worse", "n_worse"), ("gap", "gap"),
                      ("lower", "lower_bound"), ("p", "p_value"), ("p_reversed", "p_reversed"),
                      ("level", "level"), ("test", "test")):
        out[col] = [math.nan if res is None and col != "test" else "" if res is None else getattr(res, attr)
                    for res in results]
    return out.drop(columns="why_not")


def check_order_rules(verdicts: pd.DataFrame, rules: Sequence[dict], strict: bool = False,
                      confidence: float = CONFIDENCE) -> list[str]:
    """Failure messages of the order rules (:func:`order_tests`): every reversed one (naming the
    rule and the paper's source), and inconclusive ones (a cell missing from the table included:
    a report of part of a table is not a regression) with ``strict`` or at their adaptive cap."""
    tests = order_tests(verdicts, rules, confidence)
    failures = []
    for _, t in tests.iterrows():
        name = (f"{t['paper_table']} / {t['metric']} ({t['checkpoint']}): {t['better']} must beat "
                f"{t['worse']} by > {_num(t['margin'])}")
        if t["verdict"] == HELD:
            continue
        if t["verdict"] == REVERSED or strict or t["at_cap"]:
            cap = "; adaptive seeds at their cap" if t["at_cap"] and t["verdict"] == INCONCLUSIVE else ""
            failures.append(f"{name}: ORDER RULE {t['verdict'].upper()}: {t['reason']}{cap}; guards "
                            f"{t['claim']}; source: {t['source'] or '-'}")
    return failures


def order_rule_lines(verdicts: pd.DataFrame, rules: Sequence[dict], confidence: float = CONFIDENCE) -> list[str]:
    """One line per order rule that applies: its verdict and reason (what ``repro check`` prints)."""
    tests = order_tests(verdicts, rules, confidence)
    return [f"order rule {t['paper_table']} / {t['metric']}: {t['better']} vs {t['worse']}: "
            f"{t['verdict']}: {t['reason']}" for _, t in tests.iterrows()]


def find_verdict_files(paths: Sequence[str | Path]) -> list[Path]:
    """``*.verdicts.csv`` files: the given files, and those under given directories (paths that
    do not exist are skipped)."""
    found: list[Path] = []
    for p in map(Path, paths):
        if p.is_dir():
            found.extend(sorted(p.rglob(f"*{layout.REPORT['verdicts'][0]}")))
        elif p.is_file():
            found.append(p)
    return found


def run_check(paths: Sequence[str | Path], strict: bool = False,
              order_rules: str | Path = ORDER_RULES_FILE) -> int:
    """``repro check [--strict] PATH...`` (parsed in :mod:`repro.cli`): print failures; return
    0 (all pass), 1 (failures) or 2 (no verdict files found)."""
    files = find_verdict_files(paths)
    if not files:
        print(f"check: no *.verdicts.csv under {' '.join(map(str, paths))}", file=sys.stderr)
        return 2
    df = _as_frame(files)
    rules = load_order_rules(order_rules)
    levels = set(df["confidence"].dropna()) if "confidence" in df else set()
    confidence = float(levels.pop()) if len(levels) == 1 else CONFIDENCE  # the verdicts' own level
    failures = check(df, strict=strict) + check_order_rules(df, rules, strict, confidence)
    counts = df["verdict"].value_counts().to_dict() if not df.empty else {}
    hard = int(df["ref_hard"].map(_truthy).sum()) if not df.empty else 0
    for line in order_rule_lines(df, rules, confidence):
        print(line)
    for line in undecided_cells(df):
        print(f"UNDECIDED {line}")
    for f in failures:
        print(f"FAIL {f}")
    print(f"check: {len(df)} cells in {len(files)} file(s), {hard} hard-bounded, "
          f"{len(failures)} failure(s); verdicts {counts}")
    return 1 if failures else 0

