"""Seeds until decided: adaptive rounds of seeds for the cells a table's verdicts leave open.

A table listed under ``adaptive_seeds`` in ``config/config.yaml`` (``{start, step, cap}``) runs
``start`` seeds per cell first. After each round, :func:`next_round` judges every cell (the
verdicts ``repro report`` writes, :func:`repro.report.cells.cell_verdicts`) and the table's order
rules (:func:`repro.report.check.order_tests`); a cell gets ``step`` more seeds when

* one of its hard-referenced metrics is *undecided* -- its interval straddles the range
  (:func:`repro.report.check.undecided`), or
* it is one side of an order rule whose test is inconclusive (the rule's cells behind the
  others first: a rule is judged where all its cells have the same seed count),

and it has fewer than ``cap`` seeds. Rounds stop when no cell gets more (``done``).

Every round is a *look* at the data, and stopping a cell when a look decides it would make a
false "held" likelier than the 5 % one look promises (8.7 % over 3 -> 10; 19 % one seed at a
time to 20: docs/verdicts.md). The schedule is therefore a group-sequential design, declared in
config before the first round: its looks are the seed counts start, start + step, ..., cap
(:func:`looks`), each cell is judged at the level its look spends
(:func:`repro.report.verdict.look_alphas`), so is each order rule (its test is a stopping rule
too: :class:`repro.report.order_test.Look`, :func:`repro.report.check.rule_look`), and the
schedule is frozen by round 0's state: a later round under another schedule is refused
(:func:`check_schedule`), and a cell whose seed count is no declared look is not judged.

Seed k of a cell is always the same run: the table lists one row per cell and seed up to the cap,
and a cell with m seeds runs its rows with the m smallest seeds. Rerunning the workflow therefore
reproduces the same rounds, and a finished one schedules nothing. The worst case -- every cell at
its cap -- is what ``repro plan`` counts.

In Snakemake each round is a ``checkpoint`` (``workflow/rules/seeds.smk``) writing
``<runs>/<table>/rounds/<r>.json``; the DAG grows by the runs the JSON asks for, the same on one
machine and on SLURM.
"""
from __future__ import annotations

import json
from pathlib import Path
from typing import Sequence

import pandas as pd

from . import io
from .errors import UserError
from .report.verdict import CONFIDENCE, look_confidence

CELL = ("paper_table", "row", "column")


class AdaptiveSeedsError(UserError, ValueError):
    pass


def parse(spec: dict, table: str, n_rows_per_cell: dict | None = None,
          where: str = "config 'adaptive_seeds'") -> dict:
    """{start, step, cap} of one table, checked: 1 <= start <= cap, step >= 1, and every cell of
    the table has a row for each of its cap's seeds (`n_rows_per_cell`: cell -> rows)."""
    if not isinstance(spec, dict) or not {"start", "cap"} <= set(spec) or set(spec) - {"start", "step", "cap"}:
        raise AdaptiveSeedsError(f"{where}, table {table!r}: expected {{start, step, cap}}, got {spec!r}")
    start, cap, step = spec["start"], spec["cap"], spec.get("step", spec["start"])
    if not all(isinstance(v, int) and not isinstance(v, bool) for v in (start, cap, step)) \
            or not (1 <= start <= cap and step >= 1):
        raise AdaptiveSeedsError(f"{where}, table {table!r}: need integers 1 <= start <= cap and "
                                 f"step >= 1, got start={start!r} step={step!r} cap={cap!r}")
    short = {c: n for c, n in (n_rows_per_cell or {}).items() if n < cap}
    if short:
        cell, n = next(iter(short.items()))
        raise AdaptiveSeedsError(f"{where}, table {table!r}: cap {cap} but cell {cell} has rows for "
                                 f"only {n} seeds; add rows up to seed {cap - 1} or lower the cap")
    return {"start": start, "step": step, "cap": cap}


def looks(spec: dict) -> tuple[int, ...]:
    """The seed counts at which a schedule {start, step, cap} looks: start, start + step, ...,
    cap (the last round may add fewer than step)."""
    out = list(range(spec["start"], spec["cap"], spec["step"]))
    return tuple(out + [spec["cap"]])


def check_schedule(spec: dict, previous: dict, where: str) -> None:
    """Refuse a round whose schedule differs from the one its earlier rounds ran under: looks
    added or moved after seeing the data void the design's error rate."""
    before = {k: previous.get(k) for k in ("start", "step", "cap")}
    if before != {k: spec[k] for k in ("start", "step", "cap")}:
        raise AdaptiveSeedsError(
            f"{where}: the rounds so far ran under the schedule {before}, now {spec}; a schedule "
            "is declared before the first round and not changed after seeing verdicts. Restore "
            "it in config 'adaptive_seeds', or delete the table's rounds/ and runs to start anew")


def cells(rows: pd.DataFrame) -> dict[tuple, list[str]]:
    """cell (table, row, column) -> its run ids ordered by seed (seed k of a cell is fixed)."""
    out: dict[tuple, list[str]] = {}
    keyed = rows.assign(_seed=pd.to_numeric(rows["seed"], errors="coerce"))
    for cell, g in keyed.groupby([c for c in CELL if c in keyed], sort=False, dropna=False):
        out[tuple(cell) if isinstance(cell, tuple) else (cell,)] = list(g.sort_values("_seed", kind="stable")["run_id"].astype(str))
    return out


def rows_per_cell(rows: pd.DataFrame) -> dict[tuple, int]:
    return {c: len(r) for c, r in cells(rows).items()}


def first_round(rows: pd.DataFrame, spec: dict) -> list[str]:
    """Run ids of round 0: the `start` smallest seeds of every cell, in table order."""
    chosen = {r for ids in cells(rows).values() for r in ids[:spec["start"]]}
    return [r for r in rows["run_id"].astype(str) if r in chosen]


def open_cells(verdicts: pd.DataFrame, rules: Sequence[dict],
               confidence: float = CONFIDENCE) -> set[tuple[str, str]]:
    """(row, column) of the cells that more seeds could decide: an undecided hard cell, or a cell
    of an inconclusive order rule -- all of them when they have the same seed count, else only
    those behind (a rule is judged where its cells share a look,
    :func:`repro.report.check.rule_look`, so the cells behind catch up first)."""
    from .report.check import _truthy, order_tests, undecided

    out = {(str(v["row"]), str(v["column"])) for _, v in verdicts.iterrows()
           if _truthy(v["ref_hard"]) and undecided(v)}
    runs = {(str(v["row"]), str(v["column"])): int(v["n_runs"]) for _, v in verdicts.iterrows()}
    tests = order_tests(verdicts, rules, confidence)
    for _, t in tests.iterrows():
        if t["verdict"] == "inconclusive":
            counts = {c: runs[c] for c in t["cells"] if c in runs}
            most = max(counts.values(), default=0)
            out.update(c for c in t["cells"] if c not in counts or counts[c] < most
                       or len(set(counts.values())) == 1)
    return out


def next_round(rows: pd.DataFrame, spec: dict, scheduled: Sequence[str], verdicts: pd.DataFrame,
               rules: Sequence[dict], round_no: int, confidence: float = CONFIDENCE) -> dict:
    """The state after round `round_no`: which runs round `round_no` + 1 holds (cumulative), the
    cells that got more seeds, and ``done`` when none did. `verdicts` judge the `scheduled` runs."""
    by_cell = cells(rows)
    scheduled = set(map(str, scheduled))
    have = {c: [r for r in ids if r in scheduled] for c, ids in by_cell.items()}
    wanted = open_cells(verdicts, rules, confidence)
    grown = {}
    for cell, ids in by_cell.items():
        n = len(have[cell])
        if (str(cell[-2]), str(cell[-1])) in wanted and n < spec["cap"]:
            grown[cell] = min(n + spec["step"], spec["cap"])
    runs = set(scheduled)
    for cell, m in grown.items():
        runs.update(by_cell[cell][:m])
    ordered = [r for r in rows["run_id"].astype(str) if r in runs]
    return {"round": round_no, "start": spec["start"], "step": spec["step"], "cap": spec["cap"],
            "runs": ordered, "done": not grown,
            "grown": [{"cell": list(map(str, c)), "seeds": m} for c, m in grown.items()],
            "seeds_per_cell": {" / ".join(map(str, c)): len([r for r in ids if r in runs])
                               for c, ids in by_cell.items()}}


def read_state(path: str | Path) -> dict:
    """A round's state JSON (written by :func:`write_round`)."""
    try:
        return json.loads(Path(path).read_text())
    except (OSError, ValueError) as e:
        raise AdaptiveSeedsError(f"{path}: cannot read the adaptive-seeds state ({e}); delete it "
                                 "and rerun the workflow to redo that round") from None


def write_round(table_tsv: str | Path, runs_root: str | Path, spec: dict, round_no: int,
                out: str | Path, previous: str | Path | None = None,
                order_rules: str | Path | None = None, references=None,
                table: str | None = None, confidence: float = CONFIDENCE) -> dict:
    """Judge the runs of round `round_no` (round 0: the start seeds; else the runs the previous
    state lists) and write the next state to `out` atomically."""
    from .experiments import runs as table_runs
    from .report.cells import cell_verdicts
    from .report.check import ORDER_RULES_FILE, load_order_rules
    from .report.collect import collect
    from .report.references import load_references

    rows = table_runs(table_tsv).reset_index(drop=True)
    spec = parse(spec, table or Path(table_tsv).stem, rows_per_cell(rows))
    if previous is None:
        scheduled = first_round(rows, spec)
    else:
        state = read_state(previous)
        check_schedule(spec, state, str(previous))
        scheduled = state["runs"]
    df = collect(table_tsv, runs_root, table=table)
    df = df[df["run_id"].astype(str).isin(set(scheduled))].reset_index(drop=True)
    refs = load_references(references) if references is None or not isinstance(references, pd.DataFrame) else references
    verdicts = cell_verdicts(df, refs, checkpoints=("final", "best"), confidence=confidence,
                             seeds_cap=spec["cap"], looks=looks(spec))
    rules = load_order_rules(order_rules or ORDER_RULES_FILE)
    state = next_round(rows, spec, scheduled, verdicts, rules, round_no, confidence)
    io.write_text(out, json.dumps(state, indent=1) + "\n")
    return state


def plan_notes(tables: dict[str, pd.DataFrame], adaptive: dict | None) -> pd.DataFrame:
    """Per table: ``seeds`` ("fixed", or "adaptive 3 (+7) to 10 (looks judged at 95.8%, 93.6%)":
    each look's two-sided confidence, :func:`repro.report.verdict.look_confidence`) and
    ``first_round_runs``.
    The plan's run counts and hours are the worst case: every cell at its cap."""
    lines = []
    for name, rows in tables.items():
        spec = (adaptive or {}).get(name)
        if spec is None:
            lines.append({"table": name, "seeds": "fixed", "first_round_runs": len(rows)})
            continue
        spec = parse(spec, name, rows_per_cell(rows))
        capped = {c: ids[:spec["cap"]] for c, ids in cells(rows).items()}
        conf = ", ".join(f"{look_confidence(looks(spec), k):.1%}" for k in range(1, len(looks(spec)) + 1))
        lines.append({"table": name, "seeds": f"adaptive {spec['start']} (+{spec['step']}) to {spec['cap']}"
                                              f" (looks judged at {conf})",
                      "first_round_runs": len(first_round(rows, spec)),
                      "worst_case_runs": sum(map(len, capped.values()))})
    return pd.DataFrame(lines)
