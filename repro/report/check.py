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
count still overlaps its own wide range. ``config/references/order_rules.yaml`` therefore lists,
per table, *order rules* -- pairs of cells whose order must hold (:func:`order_tests`; not to be
confused with a metric's *direction*, its better side): the rule is
**held** when a one-sided Welch t-test shows the ``better`` cell beating the ``worse`` one by more
than ``margin`` in the metric's direction (H0: gap <= margin), **broken** when the opposite test
shows the gap below the margin, **inconclusive** otherwise. Each test is at level
alpha = (1 - confidence) / 2 (0.05 at the default 90 %, the same alpha as the cells' TOST), and
the tests of one table are corrected together by Holm's step-down method (Holm 1979), so the
chance that any held order rule of a table is a fluke stays <= alpha. A broken order rule always
fails the check; an inconclusive one fails with ``strict=True`` or once both cells have reached
their adaptive cap. Each rule says which published claim it guards and why its margin is what it
is.
"""
from __future__ import annotations

import argparse
import math
import sys
from pathlib import Path
from typing import Iterable, Sequence

import numpy as np
import pandas as pd
from scipy import stats

from .. import deprecation, layout
from ..experiments import RENAMED_LABELS
from ..errors import UserError
from .cells import current_names
from .references import REFERENCE_DIR, norm_label
from .verdict import BETTER, CONFIDENCE, HELD, INCONCLUSIVE, STRADDLES, direction_of, effective_std

#: The order rules of the shipped tables (see the module docstring).
ORDER_RULES_FILE = REFERENCE_DIR / "order_rules.yaml"
#: Its name before issue 12: still read, with a deprecation line, where ORDER_RULES_FILE is absent.
OLD_ORDER_RULES_NAME = "directions.yaml"

#: Verdicts that pass, by reference kind.
PASSING = {"paper": (HELD, BETTER), "regression": (HELD,)}
#: Outcomes of an order rule's test.
BROKEN = "broken"


#: Columns of a verdicts file (:func:`repro.report.cells.cell_verdicts`) that every check reads.
VERDICT_COLUMNS = ("paper_table", "row", "column", "metric", "checkpoint", "verdict", "ref_hard", "mean")


def read_verdicts(path: str | Path) -> pd.DataFrame:
    """A ``.verdicts.csv`` file, older column names read as the current ones
    (:func:`repro.report.cells.current_names`); one that is empty, unparsable, without cells or
    without the verdict columns raises :class:`repro.errors.UserError` naming it (a check of
    nothing or of another file must not pass)."""
    from ..errors import UserError

    fix = "give the .verdicts.csv that `repro report` writes (rerun the report to rebuild it)"
    try:
        df = pd.read_csv(path)
    except (OSError, UnicodeDecodeError, ValueError, pd.errors.ParserError) as e:
        raise UserError(f"{path} is not a verdicts file ({type(e).__name__}: {e}); {fix}") from None
    df = current_names(df, path)
    missing = [c for c in VERDICT_COLUMNS if c not in df.columns]
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


def load_order_rules(path: str | Path = ORDER_RULES_FILE) -> list[dict]:
    """The order rules of a YAML file (a list of mappings: paper_table, metric, checkpoint, better
    and worse ({row, column}), margin, claim, why); a missing file or a malformed rule raises
    :class:`OrderRulesError` naming the file (and the rule's index). A missing
    ``order_rules.yaml`` beside an old ``directions.yaml`` reads the old file, and a rule's key
    ``table`` (before issue 12) is read as ``paper_table`` (one deprecation line each)."""
    import yaml

    path = Path(path)
    old = path.with_name(OLD_ORDER_RULES_NAME)
    if path.name == ORDER_RULES_FILE.name and not path.exists() and old.is_file():
        deprecation.tell(str(old), f"{old} is read as order rules; rename it to {path}")
        path = old
    try:
        rules = yaml.safe_load(Path(path).read_text()) or []
    except (OSError, UnicodeDecodeError, yaml.YAMLError) as e:
        raise OrderRulesError(f"order rules {path} are unreadable ({type(e).__name__}: {e}); "
                              f"give the YAML file of rules (config/references/order_rules.yaml)") from None
    if not isinstance(rules, list) or not all(isinstance(r, dict) for r in rules):
        raise OrderRulesError(f"{path}: expected a YAML list of rules (mappings)")
    for i, r in enumerate(rules):
        where = f"{path}, rule {i + 1}"
        old = deprecation.renamed(r, RENAMED_LABELS, kind="key", where=f"{where}: ", place=str(path),
                                  fix=f"rename it in {path}", error=lambda message, old: OrderRulesError(message))
        rules[i] = r = {old.get(k, k): v for k, v in r.items()}
        missing = [k for k in ("paper_table", "metric", "better", "worse", "margin", "claim", "why") if k not in r]
        if missing:
            raise OrderRulesError(f"{where}: missing {missing}")
        try:
            direction_of(r["metric"])  # a metric without a direction cannot be ordered
        except (KeyError, ValueError) as e:
            raise OrderRulesError(f"{where}: {e}") from None
        for side in ("better", "worse"):
            if not isinstance(r[side], dict) or set(r[side]) != {"row", "column"}:
                raise OrderRulesError(f"{where}: {side} must be {{row, column}}, got {r[side]}")
        try:
            margin_ok = float(r["margin"]) >= 0
        except (TypeError, ValueError):
            margin_ok = False
        if not margin_ok:
            raise OrderRulesError(f"{where}: margin must be a number >= 0, got {r['margin']}")
        r.setdefault("checkpoint", "final")
    return rules


def holm(p_values: Sequence[float]) -> np.ndarray:
    """Holm's step-down adjusted p-values (Holm 1979): sorted ascending, the i-th (0-based) of m
    is multiplied by m - i, made monotone and capped at 1. NaN stays NaN (and does not count)."""
    p = np.asarray(p_values, dtype=float)
    out = np.full_like(p, np.nan)
    ok = np.flatnonzero(np.isfinite(p))
    order = ok[np.argsort(p[ok], kind="stable")]
    m = len(order)
    running = 0.0
    for i, j in enumerate(order):
        running = max(running, min(1.0, (m - i) * p[j]))
        out[j] = running
    return out


def welch(mean_b: float, s_b: float, n_b: int, mean_w: float, s_w: float, n_w: int,
          margin: float, direction: str) -> tuple[float, float, float, float, float]:
    """(gap, its standard error, Welch-Satterthwaite df, p of H0 gap <= margin, p of H0 gap >=
    margin) for gap = better - worse in the metric's direction."""
    gap = mean_b - mean_w if direction == "higher" else mean_w - mean_b
    vb, vw = s_b ** 2 / n_b, s_w ** 2 / n_w
    se = math.sqrt(vb + vw)
    if se == 0:
        return gap, se, math.inf, float(gap <= margin), float(gap >= margin)
    df = (vb + vw) ** 2 / (vb ** 2 / (n_b - 1) + vw ** 2 / (n_w - 1))
    t = (gap - margin) / se
    return gap, se, df, float(stats.t.sf(t, df)), float(stats.t.cdf(t, df))


def order_tests(verdicts: pd.DataFrame, rules: Sequence[dict],
                confidence: float = CONFIDENCE) -> pd.DataFrame:
    """One row per order rule whose table is in `verdicts`: the Welch test of its order (module
    docstring), Holm-corrected over the rules of each table; columns paper_table, metric, checkpoint,
    better, worse, margin, cells ((row, column) of both sides), n_better, n_worse, gap, se, df, lower (the one-sided 1 - alpha lower
    bound of the gap), p, p_holm, p_broken_holm, at_cap, verdict (held / broken / inconclusive),
    reason, claim."""
    alpha = (1 - confidence) / 2
    rows = []
    if verdicts.empty:
        return pd.DataFrame(rows)
    tables = verdicts["paper_table"].map(norm_label)
    for r in rules:
        v = verdicts[(tables == norm_label(r["paper_table"])) & (verdicts["metric"] == r["metric"])
                     & (verdicts["checkpoint"] == r["checkpoint"])]
        if v.empty:
            continue  # the rule is about another table
        cells = {}
        for side in ("better", "worse"):
            c = v[(v["row"].astype(str) == str(r[side]["row"])) & (v["column"].astype(str) == str(r[side]["column"]))]
            cells[side] = c.iloc[0] if len(c) else None
        row = {"paper_table": r["paper_table"], "metric": r["metric"], "checkpoint": r["checkpoint"],
               "better": f"{r['better']['row']} / {r['better']['column']}",
               "worse": f"{r['worse']['row']} / {r['worse']['column']}", "margin": float(r["margin"]),
               "cells": ((str(r["better"]["row"]), str(r["better"]["column"])),
                         (str(r["worse"]["row"]), str(r["worse"]["column"]))),
               "claim": r["claim"], "gap": math.nan, "se": math.nan, "df": math.nan, "lower": math.nan,
               "p": math.nan, "p_broken": math.nan, "n_better": 0, "n_worse": 0,
               "at_cap": all(c is not None and at_cap(c) for c in cells.values())}
        stat = {side: _cell_stats(c) for side, c in cells.items()}
        row["n_better"], row["n_worse"] = stat["better"][0], stat["worse"][0]
        if min(row["n_better"], row["n_worse"]) >= 2:
            (nb, mb, sb), (nw, mw, sw) = stat["better"], stat["worse"]
            gap, se, df, p, p_broken = welch(mb, sb, nb, mw, sw, nw, row["margin"], direction_of(r["metric"]))
            lower = gap - float(stats.t.ppf(1 - alpha, df)) * se if se > 0 else gap
            row.update(gap=gap, se=se, df=df, lower=lower, p=p, p_broken=p_broken)
        elif not any(c is None for c in cells.values()):
            # one seed (or none) on a side: no test, but keep the point estimate for the message
            (nb, mb, _), (nw, mw, _) = stat["better"], stat["worse"]
            row["gap"] = (mb - mw) if direction_of(r["metric"]) == "higher" else (mw - mb)
        rows.append(row)
    out = pd.DataFrame(rows)
    if out.empty:
        return out
    out["p_holm"] = math.nan
    out["p_broken_holm"] = math.nan
    for _, idx in out.groupby(out["paper_table"].map(norm_label)).groups.items():
        out.loc[idx, "p_holm"] = holm(out.loc[idx, "p"])
        out.loc[idx, "p_broken_holm"] = holm(out.loc[idx, "p_broken"])
    verdicts_, reasons = [], []
    for _, t in out.iterrows():
        m = len(out[out["paper_table"].map(norm_label) == norm_label(t["paper_table"])])
        holm_note = f"Holm over {m} order rules of {t['paper_table']}" if m > 1 else "one order rule: no correction"
        if pd.isna(t["p"]):
            verdicts_.append(INCONCLUSIVE)
            reasons.append(f"no test: n = {t['n_better']} and {t['n_worse']} seeds (>= 2 each needed)")
        elif t["p_holm"] <= alpha:
            verdicts_.append(HELD)
            reasons.append(f"gap {_num(t['gap'])} > margin {_num(t['margin'])} shown: one-sided "
                           f"{1 - alpha:.0%} lower bound {_num(t['lower'])}, p {_num(t['p'], 3)}, "
                           f"Holm p {_num(t['p_holm'], 3)} <= {alpha:g} ({holm_note})")
        elif t["p_broken_holm"] <= alpha:
            verdicts_.append(BROKEN)
            reasons.append(f"gap {_num(t['gap'])} < margin {_num(t['margin'])} shown: Holm p "
                           f"{_num(t['p_broken_holm'], 3)} <= {alpha:g} ({holm_note})")
        else:
            verdicts_.append(INCONCLUSIVE)
            reasons.append(f"gap {_num(t['gap'])} ± SE {_num(t['se'])} (n = {t['n_better']} vs "
                           f"{t['n_worse']}): lower bound {_num(t['lower'])} does not clear the margin "
                           f"{_num(t['margin'])}; Holm p {_num(t['p_holm'], 3)} > {alpha:g} ({holm_note})")
    out["verdict"] = verdicts_
    out["reason"] = reasons
    return out


def _cell_stats(c) -> tuple[int, float, float]:
    """(n, mean, per-seed std with the evaluation floor) of one verdict row; (0, nan, nan) if None."""
    if c is None or pd.isna(c.get("n", math.nan)) or pd.isna(c["mean"]):
        return 0, math.nan, math.nan
    return int(c["n"]), float(c["mean"]), effective_std(float(c["mean"]), float(c["std"]))


def check_order_rules(verdicts: pd.DataFrame, rules: Sequence[dict], strict: bool = False,
                      confidence: float = CONFIDENCE) -> list[str]:
    """Failure messages of the order rules (:func:`order_tests`): every broken one, a cell
    missing from the table, and inconclusive ones with ``strict`` or at their adaptive cap."""
    tests = order_tests(verdicts, rules, confidence)
    failures = []
    for _, t in tests.iterrows():
        name = (f"{t['paper_table']} / {t['metric']} ({t['checkpoint']}): {t['better']} must beat "
                f"{t['worse']} by > {_num(t['margin'])}")
        if t["verdict"] == HELD:
            continue
        if t["verdict"] == BROKEN or strict or t["at_cap"] or min(t["n_better"], t["n_worse"]) == 0:
            cap = "; adaptive seeds at their cap" if t["at_cap"] and t["verdict"] == INCONCLUSIVE else ""
            failures.append(f"{name}: ORDER RULE {t['verdict'].upper()}: {t['reason']}{cap}; guards {t['claim']}")
    return failures


def order_rule_lines(verdicts: pd.DataFrame, rules: Sequence[dict], confidence: float = CONFIDENCE) -> list[str]:
    """One line per order rule that applies: its verdict and reason (what ``repro check`` prints)."""
    tests = order_tests(verdicts, rules, confidence)
    return [f"order rule {t['paper_table']} / {t['metric']}: {t['better']} vs {t['worse']}: "
            f"{t['verdict']}: {t['reason']}" for _, t in tests.iterrows()]


# The names before issue 12 ("direction" now means only a metric's better side), for callers
# outside the suite.
DIRECTIONS_FILE, DirectionsError, load_directions = ORDER_RULES_FILE, OrderRulesError, load_order_rules
direction_tests, check_directions, direction_lines = order_tests, check_order_rules, order_rule_lines


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


def main(argv: Sequence[str] | None = None) -> int:
    """``check [--strict] PATH...``: print failures; return 0 (all pass), 1 (failures) or 2 (no
    verdict files found)."""
    ap = argparse.ArgumentParser(prog="repro check", description=__doc__.split("\n\n")[0])
    ap.add_argument("paths", nargs="*", default=["results"],
                    help="*.verdicts.csv files or directories holding them (default: results)")
    ap.add_argument("--strict", action="store_true",
                    help="inconclusive hard cells and inconclusive order rules fail too")
    ap.add_argument("--order-rules", default=str(ORDER_RULES_FILE),
                    help="order rules (YAML; default config/references/order_rules.yaml)")
    ap.add_argument("--directions", dest="order_rules", action=deprecation.Alias, new="--order-rules",
                    help=argparse.SUPPRESS)
    args = ap.parse_args(argv)
    files = find_verdict_files(args.paths)
    if not files:
        print(f"check: no *.verdicts.csv under {' '.join(map(str, args.paths))}", file=sys.stderr)
        return 2
    df = _as_frame(files)
    rules = load_order_rules(args.order_rules)
    levels = set(df["confidence"].dropna()) if "confidence" in df else set()
    confidence = float(levels.pop()) if len(levels) == 1 else CONFIDENCE  # the verdicts' own level
    failures = check(df, strict=args.strict) + check_order_rules(df, rules, args.strict, confidence)
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


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
