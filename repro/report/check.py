"""The regression check: which hard-bounded cells did not reproduce their number.

A cell is checked only when its reference row is ``hard`` (verified, and marked hard in
``config/references/``). What fails depends on the reference's ``kind``:

* ``paper`` -- ``worse`` or ``diverged`` fail; ``better`` than the paper is not a failure.
  ``inconclusive`` (too few seeds, another protocol or training budget, missing runs) is reported
  in the verdict table but fails only with ``strict=True``: a paper number often cannot be
  compared in a given run of the suite, and that is not a regression.
* ``regression`` -- our own smoke-suite ranges: anything but ``held`` fails, ``better`` and
  ``inconclusive`` included (a number that leaves its range either way, or a missing result, is a
  change someone must look at).

Each failure names the cell (table, row, column, metric, checkpoint), our number and interval, and
the reference value and range.

A cell's range cannot see a claim's *direction* break: LSGAN falling back to the regular GAN's
mode count still overlaps its own wide range. ``config/references/directions.yaml`` therefore
lists, per table, pairs of cells whose order must hold (:func:`check_directions`): the mean of the
``better`` cell must beat the mean of the ``worse`` one by at least ``margin`` in the metric's
direction. Each rule says which published claim it guards and why its margin is what it is.
"""
from __future__ import annotations

import argparse
import sys
from pathlib import Path
from typing import Iterable, Sequence

import pandas as pd

from .references import REFERENCE_DIR, norm_label
from .verdict import BETTER, HELD, INCONCLUSIVE, direction_of

#: The direction rules of the shipped tables (see the module docstring).
DIRECTIONS_FILE = REFERENCE_DIR / "directions.yaml"

#: Verdicts that pass, by reference kind.
PASSING = {"paper": (HELD, BETTER), "regression": (HELD,)}


#: Columns of a verdicts file (:func:`repro.report.cells.cell_verdicts`) that every check reads.
VERDICT_COLUMNS = ("table", "row", "column", "metric", "checkpoint", "verdict", "ref_hard", "mean")


def read_verdicts(path: str | Path) -> pd.DataFrame:
    """A ``.verdicts.csv`` file; one that is empty, unparsable, without cells or without the
    verdict columns raises :class:`repro.errors.UserError` naming it (a check of nothing or of
    another file must not pass)."""
    from ..errors import UserError

    fix = "give the .verdicts.csv that `repro report` writes (rerun the report to rebuild it)"
    try:
        df = pd.read_csv(path)
    except (OSError, UnicodeDecodeError, ValueError, pd.errors.ParserError) as e:
        raise UserError(f"{path} is not a verdicts file ({type(e).__name__}: {e}); {fix}") from None
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
    ours = (f"ours {_num(v['mean'])} ± {_num(v['std'])} (n={int(v['n'])}/{int(v['n_runs'])}, "
            f"interval [{_num(v['ours_low'])}, {_num(v['ours_high'])}])")
    ref = (f"reference {_num(v['ref_value'])} range [{_num(v['ref_low'])}, {_num(v['ref_high'])}] "
           f"({v['ref_kind']}, protocol {v['ref_protocol']})")
    return (f"{v['table']} / {v['row']} / {v['column']} / {v['metric']} ({v['checkpoint']}): "
            f"{v['verdict'].upper()}: {ours} vs {ref}; {v['reason']}")


def check(verdicts: pd.DataFrame | str | Path | Iterable, strict: bool = False) -> list[str]:
    """Failure messages for every hard-bounded cell whose verdict does not pass (see module
    docstring). `verdicts`: a :func:`repro.report.cells.cell_verdicts` frame, a ``.verdicts.csv``
    path, or several of these. ``strict``: paper-kind ``inconclusive`` cells fail too."""
    df = _as_frame(verdicts)
    if df.empty:
        return []
    failures = []
    for _, v in df.iterrows():
        if not _truthy(v["ref_hard"]):
            continue
        kind = v["ref_kind"] if v["ref_kind"] in PASSING else "paper"
        passing = PASSING[kind] + ((INCONCLUSIVE,) if kind == "paper" and not strict else ())
        if v["verdict"] not in passing:
            failures.append(failure_message(v))
    return failures


def load_directions(path: str | Path = DIRECTIONS_FILE) -> list[dict]:
    """The direction rules of a YAML file (a list of mappings: table, metric, checkpoint, better
    and worse ({row, column}), margin, claim, why); a malformed rule raises naming its index."""
    import yaml

    rules = yaml.safe_load(Path(path).read_text()) or []
    for i, r in enumerate(rules):
        where = f"{path}, rule {i + 1}"
        missing = [k for k in ("table", "metric", "better", "worse", "margin", "claim", "why") if k not in r]
        if missing:
            raise ValueError(f"{where}: missing {missing}")
        direction_of(r["metric"])  # a metric without a direction cannot be ordered
        for side in ("better", "worse"):
            if set(r[side]) != {"row", "column"}:
                raise ValueError(f"{where}: {side} must be {{row, column}}, got {r[side]}")
        if not float(r["margin"]) >= 0:
            raise ValueError(f"{where}: margin must be >= 0, got {r['margin']}")
        r.setdefault("checkpoint", "final")
    return rules


def check_directions(verdicts: pd.DataFrame, rules: Sequence[dict]) -> list[str]:
    """Failure messages for the direction rules whose table is in `verdicts` and whose order does
    not hold by the margin (a cell without a mean fails too: the direction cannot be shown)."""
    failures = []
    if verdicts.empty:
        return failures
    tables = verdicts["table"].map(norm_label)
    for r in rules:
        v = verdicts[(tables == norm_label(r["table"])) & (verdicts["metric"] == r["metric"])
                     & (verdicts["checkpoint"] == r["checkpoint"])]
        if v.empty:
            continue  # the rule is about another table
        means = {}
        for side in ("better", "worse"):
            cell = v[(v["row"].astype(str) == str(r[side]["row"])) & (v["column"].astype(str) == str(r[side]["column"]))]
            means[side] = float(cell["mean"].iloc[0]) if len(cell) else float("nan")
        gap = means["better"] - means["worse"]
        if direction_of(r["metric"]) == "lower":
            gap = -gap
        name = (f"{r['table']} / {r['metric']} ({r['checkpoint']}): {r['better']['row']} / "
                f"{r['better']['column']} must beat {r['worse']['row']} / {r['worse']['column']} "
                f"by >= {_num(r['margin'])}")
        if not gap >= float(r["margin"]):  # NaN (a missing cell) fails as well
            failures.append(f"{name}: DIRECTION BROKEN: {_num(means['better'])} vs {_num(means['worse'])} "
                            f"(gap {_num(gap)}); guards {r['claim']}")
    return failures


def find_verdict_files(paths: Sequence[str | Path]) -> list[Path]:
    """``*.verdicts.csv`` files: the given files, and those under given directories (paths that
    do not exist are skipped)."""
    found: list[Path] = []
    for p in map(Path, paths):
        if p.is_dir():
            found.extend(sorted(p.rglob("*.verdicts.csv")))
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
                    help="inconclusive cells with a hard paper reference fail too")
    ap.add_argument("--directions", default=str(DIRECTIONS_FILE),
                    help="direction rules (YAML; default config/references/directions.yaml)")
    args = ap.parse_args(argv)
    files = find_verdict_files(args.paths)
    if not files:
        print(f"check: no *.verdicts.csv under {' '.join(map(str, args.paths))}", file=sys.stderr)
        return 2
    df = _as_frame(files)
    failures = check(df, strict=args.strict) + check_directions(df, load_directions(args.directions))
    counts = df["verdict"].value_counts().to_dict() if not df.empty else {}
    hard = int(df["ref_hard"].map(_truthy).sum()) if not df.empty else 0
    for f in failures:
        print(f"FAIL {f}")
    print(f"check: {len(df)} cells in {len(files)} file(s), {hard} hard-bounded, "
          f"{len(failures)} failure(s); verdicts {counts}")
    return 1 if failures else 0


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
