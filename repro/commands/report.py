"""Commands that turn runs into published results: ``report``, ``seed-round``, ``select``,
``derive-ranges``, ``rejudge``, ``publish``, ``simulate-verdicts``, ``summary`` (see :mod:`repro.commands`)."""
from __future__ import annotations

import argparse
import sys
from pathlib import Path

from . import confidence_option, order_rules_option, print_paths, references_option, table_runs_out


def report_arguments(p: argparse.ArgumentParser) -> None:
    table_runs_out(p, "smoke_mog")
    references_option(p)
    confidence_option(p)
    p.add_argument("--seeds-state", help="an adaptive table's last round state (repro seed-round): "
                                         "report only the runs it scheduled")


def report(a) -> int:
    """A table's paper-style tables, verdicts, provenance and learning curves."""
    from ..report.references import load_references
    from ..report.tables import write_report

    refs = load_references(a.references)  # default: config/references/*.csv
    run_ids = cap = looks = None
    if a.seeds_state:  # an adaptive table: only the runs its rounds scheduled (repro.seeds)
        from ..seeds import looks as schedule_looks, read_state

        state = read_state(a.seeds_state)
        run_ids, cap, looks = state["runs"], state["cap"], schedule_looks(state)
    print_paths(write_report(a.table, a.runs, a.out, references=refs, checkpoints=("final", "best"),
                             confidence=a.confidence, run_ids=run_ids, seeds_cap=cap, looks=looks))
    return 0


def seed_round_arguments(p: argparse.ArgumentParser) -> None:
    table_runs_out(p, "smoke_mog")
    p.add_argument("--round", type=int, required=True, help="the round just finished (0: the start seeds)")
    p.add_argument("--previous", help="state JSON of the round before (not for round 0)")
    p.add_argument("--start", type=int, required=True)
    p.add_argument("--step", type=int, help="seeds added per round (default: start)")
    p.add_argument("--cap", type=int, required=True)
    order_rules_option(p)
    references_option(p)
    confidence_option(p)


def seed_round(a) -> int:
    """One adaptive-seeds round of a table: judge its runs so far, write which runs come next."""
    from ..seeds import write_round

    spec = {"start": a.start, "step": a.step if a.step is not None else a.start, "cap": a.cap}
    state = write_round(a.table, a.runs, spec, a.round, a.out, previous=a.previous,
                        order_rules=a.order_rules, references=a.references, confidence=a.confidence)
    grown = ", ".join(f"{' / '.join(g['cell'][1:])} -> {g['seeds']} seeds" for g in state["grown"])
    print(f"round {a.round}: {'done' if state['done'] else 'more seeds for ' + grown}; "
          f"{len(state['runs'])} runs")
    return 0


def select_arguments(p: argparse.ArgumentParser) -> None:
    from ..report.select import RULES

    table_runs_out(p, "sngan_table2")
    p.add_argument("--from", dest="source", action="append", required=True,
                   help="TABLE_TSV:COLUMN, a source table and the target column it fills (repeatable)")
    p.add_argument("--rule", default="best_is", choices=list(RULES), help="selection rule (default best_is)")
    references_option(p)
    p.add_argument("--judge-seeds", help="comma-separated seeds of the target table's rows that judge each "
                                         "chosen setting (fresh: not used to choose; config selections: judge_seeds)")


def select(a) -> int:
    """A table's cells taken from other tables' runs (config/config.yaml: selections)."""
    from ..errors import UserError
    from ..report.references import load_references
    from ..report.select import select as select_cells

    sources = {}
    for spec in a.source:
        tsv, sep, column = spec.rpartition(":")
        if not sep or not tsv or not column:
            raise UserError(f"--from {spec!r}: expected TABLE_TSV:COLUMN, e.g. "
                            f"config/tables/sngan_sweep_cifar10.tsv:CIFAR-10")
        sources[Path(tsv).stem] = (tsv, column)
    refs = load_references(a.references)
    try:
        judge = [int(k) for k in a.judge_seeds.split(",")] if a.judge_seeds else None
    except ValueError:
        raise UserError(f"--judge-seeds {a.judge_seeds!r}: expected comma-separated seeds, e.g. 3,4,5") from None
    print_paths(select_cells(a.table, sources, a.runs, a.out, a.rule, refs, judge))
    return 0


def derive_ranges_arguments(p: argparse.ArgumentParser) -> None:
    p.add_argument("short", help="the table to range (e.g. config/tables/smoke_mog.tsv)")
    p.add_argument("long", nargs="?", help="the table whose runs it is a prefix of (e.g. config/tables/lsgan_mog.tsv)")
    p.add_argument("--runs", help="runs root of the long table")
    p.add_argument("--pool", nargs="+", metavar="VERDICTS_CSV",
                   help="instead of LONG: pool the same cell's other seeds from these published verdicts "
                        "(calibration tables, e.g. made on several CPUs)")
    p.add_argument("--metrics", required=True, help="comma-separated metric keys")
    p.add_argument("--tolerance", default="2sd", help="tolerance of every row (default 2sd)")


def derive_ranges(a) -> int:
    """Regression ranges for a short table's cells from a longer table's runs (CSV on stdout)."""
    from ..errors import UserError
    from ..report.references import pooled_ranges, prefix_ranges

    if bool(a.long) == bool(a.pool):
        raise UserError("derive-ranges: give exactly one of LONG (with --runs) or --pool VERDICTS_CSV ...")
    if a.long and not a.runs:
        raise UserError("derive-ranges: LONG needs --runs (the runs root of the long table)")
    try:
        if a.pool:
            df = pooled_ranges(a.short, a.pool, a.metrics.split(","), a.tolerance)
        else:
            df = prefix_ranges(a.short, a.long, a.runs, a.metrics.split(","), a.tolerance)
    except UserError:
        raise
    except ValueError as e:  # tables that are not prefixes, or runs not finished: say which
        print(f"error: {e}", file=sys.stderr)
        return 2
    print(df.to_csv(index=False), end="")
    return 0


def rejudge_arguments(p: argparse.ArgumentParser) -> None:
    p.add_argument("paths", nargs="+", help="*.verdicts.csv files or directories (e.g. results)")
    confidence_option(p)


def rejudge(a) -> int:
    """Re-judge published verdict files under the current rule (from their n, mean and std)."""
    from ..errors import UserError
    from ..report.check import find_verdict_files
    from ..report.rejudge import write

    files = find_verdict_files(a.paths)
    if not files:
        raise UserError(f"no *.verdicts.csv under {' '.join(a.paths)}")
    for f in files:
        changed = write(f, a.confidence)
        print(f"{f}: {len(changed)} verdict(s) changed")
        for _, c in changed.iterrows():
            print(f"  {c['paper_table']} / {c['row']} / {c['column']} / {c['metric']} ({c['checkpoint']}): "
                  f"{c['old_verdict']} -> {c['verdict']}: {c['reason']}")
    return 0


def publish_arguments(p: argparse.ArgumentParser) -> None:
    p.add_argument("folders", nargs="+", help="table folders of a suite's results, e.g. runs/results/smoke_mog")
    p.add_argument("--to", default="results", help="the published results directory (default results)")
    p.add_argument("--in-place", action="store_true",
                   help="seal published folders where they are, from their files alone (the runs' "
                        "scores seals are recorded where the runs are at hand)")


def publish(a) -> int:
    """Copy finished table folders into the published results and seal them (MANIFEST.json)."""
    from ..report import manifest

    for folder in a.folders:
        path = manifest.seal(folder, require_runs=False) if a.in_place else manifest.publish(folder, a.to)
        print(f"sealed: {path}")
    return 0


def simulate_verdicts_arguments(p: argparse.ArgumentParser) -> None:
    from ..report.simulate import SCENARIOS

    p.add_argument("--out", default="docs/verdicts", help="output prefix (default docs/verdicts: .csv, .png)")
    p.add_argument("--reps", type=int, default=20000, help="simulated cells per distribution, position and n")
    p.add_argument("--seed", type=int, default=0)
    confidence_option(p)
    p.add_argument("--json", action="store_true",
                   help="print the pipeline's scenarios (before/after issue 26) as JSON, one per line")
    p.add_argument("--scenario", action="append", choices=list(SCENARIOS),
                   help="only this scenario (repeatable; default all)")


def simulate_verdicts(a) -> int:
    """False-held rate and power of the verdict rule on simulated cells (docs/verdicts.md)."""
    import json

    from ..report.simulate import scenarios, scenarios_markdown, write

    if a.json:  # the pipeline's scenarios, one JSON object per line (issue 26)
        for row in scenarios(a.reps, a.seed, a.scenario):
            print(json.dumps(row), flush=True)
        return 0
    print_paths(write(a.out, reps=a.reps, seed=a.seed, confidence=a.confidence))
    print(scenarios_markdown(scenarios(a.reps, a.seed, a.scenario)), end="")
    return 0


def summary_arguments(p: argparse.ArgumentParser) -> None:
    p.add_argument("results", help="the suite's results directory (e.g. runs/results)")


def summary(a) -> int:
    """Where a finished suite's tables are, and one paragraph on what held (repro.report.summary)."""
    from ..report.summary import main as summary_main

    return summary_main(a.results)
