"""``repro plan``: a suite's jobs and their estimated GPU-hours, before anything runs
(see :mod:`repro.commands` for the shape)."""
from __future__ import annotations

import argparse
from pathlib import Path


def plan_arguments(p: argparse.ArgumentParser) -> None:
    p.add_argument("--config", default="config/config.yaml")
    p.add_argument("--suite", help="default: the config's suite")
    p.add_argument("--gpu", metavar="NAME", help="GPU model the jobs will run on, as `repro calibrate` "
                   "names it (e.g. 'NVIDIA H200'); default: the config's gpu_name, else this machine's GPU")


def plan(a) -> int:
    """The suite's runs per table (adaptive tables at their cap), their GPU-hours and rates."""
    from .. import workflow_config
    from ..experiments import jobs_gpu, plan as plan_jobs
    from ..report.select import plan_selection_rows

    conf = workflow_config.load(a.config)
    suite = a.suite or conf["suite"]
    if suite not in conf["suites"]:
        raise workflow_config.WorkflowConfigError(
            f"unknown suite {suite!r}; suites in {a.config}: {', '.join(conf['suites'])}")
    tables_dir = Path(a.config).parent / "tables"
    tables, adaptive = _suite_tables(conf, suite, tables_dir)
    gpu = jobs_gpu(a.gpu or conf.get("gpu_name"))
    tables.update(plan_selection_rows(conf, suite, tables, tables_dir, gpu))
    df = plan_jobs(tables, gpu)
    if adaptive:
        from ..seeds import plan_notes

        notes = plan_notes(tables, adaptive)[["table", "seeds", "first_round_runs"]]
        df = df.merge(notes, on="table", how="left")
    print(f"suite {suite}: {int(df['runs'].sum())} runs, {int(df['gpu_runs'].sum())} on a GPU, "
          f"~{df['gpu_hours_est'].sum():.1f} GPU-hours on {gpu or 'an unnamed GPU'}"
          + ("; adaptive tables counted at their cap (worst case)" if adaptive else ""))
    _print_rates(df, gpu)
    print(df.to_markdown(index=False))
    _print_selections(conf, suite, tables_dir)
    return 0


def _suite_tables(conf: dict, suite: str, tables_dir: Path) -> tuple[dict, dict]:
    """The suite's tables (run rows), every adaptive table cut to its cap (the worst case), and
    the adaptive tables' seed specs."""
    from ..experiments import runs

    tables = {t: runs(tables_dir / f"{t}.tsv", conf.get("seeds")) for t in conf["suites"][suite]}
    adaptive = {t: s for t, s in (conf.get("adaptive_seeds") or {}).items() if t in tables}
    if adaptive:
        from ..seeds import cells, parse, rows_per_cell

        for t, spec in adaptive.items():
            spec = parse(spec, t, rows_per_cell(tables[t]))
            keep = {r for ids in cells(tables[t]).values() for r in ids[:spec["cap"]]}
            tables[t] = tables[t][tables[t]["run_id"].astype(str).isin(keep)]
    return tables, adaptive


def _print_rates(df, gpu: str | None) -> None:
    """Where the seconds per update come from: assumed or measured (repro calibrate)."""
    sources = sorted({s for cell in df["rates"] for s in cell.split("; ") if s != "-"})
    for src in sources:
        print(f"rates {src}" + (" (repro/experiments.py GPU_S_PER_UPDATE; `repro calibrate` on the "
                                "GPU box, or --gpu NAME for one measured there, replaces them)"
                                if src == "assumed" else " (repro calibrate; cache/calibration.json)"))
    if "assumed" in sources:
        from .. import calibrate

        other = sorted(d for d in calibrate.load() if d != gpu)
        if other:
            print(f"measured rates exist for: {', '.join(other)} (repro plan --gpu NAME uses them)")


def _print_selections(conf: dict, suite: str, tables_dir: Path) -> None:
    """Say which cells come from other tables' runs (repro select) and so cost no runs."""
    from ..report.references import load_references
    from ..report.select import active, derived_cells

    for target, spec in active(conf, conf["suites"][suite]).items():
        sources = {t: (tables_dir / f"{t}.tsv", col) for t, col in spec["from"].items()}
        cells = derived_cells(tables_dir / f"{target}.tsv", sources, load_references(tables_dir.parent / "references"))
        judge = spec.get("judge_seeds")
        print(f"{target}: + {len(cells)} cells chosen from the runs of {', '.join(spec['from'])} "
              f"(repro select, rule {spec['rule']}): "
              + (f"each judged on {len(judge)} fresh runs of its chosen setting (seeds "
                 f"{', '.join(map(str, judge))}; {len(judge) * len(cells)} runs, counted above at the "
                 f"costliest setting)" if judge else "judged on the runs that chose them"))
