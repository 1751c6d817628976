"""What a finished suite holds, in a few lines: where its files are and what held (``repro summary``).

`make smoke` ends with it. Every word about a result says which test made it and its error rate,
as the verdicts and order rules define them (README "Verdicts"; docs/verdicts.md simulates the
verdict rule: "held" is said of a cell on the edge of its range at most 5 % of the time for
normally spread seeds, 11-13 % for skewed ones).
"""
from __future__ import annotations

from collections import Counter
from pathlib import Path

import pandas as pd

from .. import layout
from .check import read_verdicts


def _tables(results: Path) -> list[Path]:
    return sorted(d for d in results.iterdir() if d.is_dir() and (d / f"{d.name}.verdicts.csv").is_file())


#: The verdicts file's columns the summary reads (a damaged file is one error line naming it).
SUMMARY_COLUMNS = ("checkpoint", "ref_kind", "verdict")


def _ranged(verdicts: pd.DataFrame) -> Counter:
    """Verdicts of the cells judged against a regression range, final checkpoint."""
    v = verdicts[(verdicts["checkpoint"] == "final") & (verdicts["ref_kind"] == "regression")]
    return Counter(v["verdict"])


def _order_rule_lines(table: Path) -> list[str]:
    check = layout.check_file(table.parent, table.name)
    if not check.is_file():
        return []
    return [line for line in check.read_text().splitlines() if line.startswith("order rule ")]


def summary(results: str | Path) -> str:
    """Where the tables and verdicts are, and one paragraph on what held."""
    results = Path(results)
    tables = _tables(results)
    counts, rules, checked, claims = Counter(), [], 0, []
    for t in tables:
        counts += _ranged(read_verdicts(t / f"{t.name}.verdicts.csv", SUMMARY_COLUMNS))
        rules += _order_rule_lines(t)
        checked += layout.check_file(results, t.name).is_file()
        claims += sorted(t.glob("*.claim.md"))
    lines = [f"Tables, learning curves and verdicts of {len(tables)} tables in {results}/<table>/: "
             "<table>.md (one cell per paper cell), <table>.csv (every field), <table>.verdicts.csv, "
             "check.txt" + (f"; claim verdicts: {', '.join(str(c) for c in claims)}" if claims else "") + "."]
    n = sum(counts.values())
    held_rules = sum(" held: " in r for r in rules)
    para = (f"{checked} of {len(tables)} tables passed their check. Of {n} cells judged against a regression "
            f"range, {counts.get('held', 0)} held (the 90 % interval of the mean over seeds lies inside the "
            "range and no run failed: equivalence by two one-sided tests at alpha 0.05, false-held rate "
            "<= 5 % for normal seeds, 11-13 % for skewed ones, docs/verdicts.md), "
            f"{counts.get('inconclusive', 0)} were inconclusive (too few seeds to show either; not a failure) "
            f"and {n - counts.get('held', 0) - counts.get('inconclusive', 0)} were shown outside it.")
    if rules:
        para += (f" Order rules: {held_rules} of {len(rules)} shown (one-sided Welch and permutation tests "
                 "of the gap against its margin, both at alpha 0.05 or, in seed rounds, at the level "
                 "their look spends, Holm within a claim; identical distributions shown ordered "
                 "<= 5 %, docs/verdicts.md)"
                 + ("; the others are listed in check.txt (an undecided rule fails only at its adaptive "
                    "cap)." if held_rules < len(rules) else "."))
    return "\n".join(lines + ["", para])


def main(results: str) -> int:
    from ..errors import UserError

    if not Path(results).is_dir():
        raise UserError(f"{results}: no such results directory; fix: run the suite first (make smoke)")
    print(summary(results))
    return 0
