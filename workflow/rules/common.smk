# Read and check the suite's config and experiment tables before any job starts; the functions
# the rules call (no rules here).
import json
import re
import shlex
import sys
from pathlib import Path

from repro import claims, experiments, layout, rundir, workflow_config
from repro import seeds as seeds_mod
from repro.report.select import active as active_selections, fresh_runs
from repro.datasets import REAL_SETS

# `--config seeds=[0,1]` arrives as text: typed, then checked against the package's schema
# (repro/schemas/config.schema.yaml, package data: one schema wherever repro is installed)
with workflow_config.one_line_errors():
    config.update(workflow_config.check(config))

# Jobs run `python -m repro` with the Python that runs Snakemake (the venv's), whatever is on
# PATH; under --sdm conda, the rules' environment's Python (workflow/envs/repro.yaml) with this
# checkout's package on PYTHONPATH.
if any(m.name == "CONDA" for m in workflow.deployment_settings.deployment_method):
    _root = shlex.quote(str(Path(workflow.basedir).resolve()))
    shell.prefix(f"set -euo pipefail; export PYTHONPATH={_root}${{PYTHONPATH:+:$PYTHONPATH}}; ")
else:
    shell.prefix(f"set -euo pipefail; export PATH={shlex.quote(str(Path(sys.executable).parent))}:$PATH; ")
ENV = "../envs/repro.yaml"
RUNS = config["runs_dir"]
CKPT = config["ckpt_dir"]
RESULTS = config["results_dir"]
LOGS = f"{RUNS}/.logs"  # the report, select, check and claim jobs' logs (a run's own log is in it)
# two-sided confidence of every verdict's interval (repro.report.verdict; 0.90 = TOST at 0.05)
CONFIDENCE = config.get("confidence", 0.90)
# table name -> its validated runs (a bad row stops here, naming file, line and column)
with workflow_config.one_line_errors():
    TABLES = {
        t: experiments.runs(f"config/tables/{t}.tsv", config["seeds"])
        for t in config["suites"][config["suite"]]
    }

# A damaged scores.json, or a run of an older version of its row, is set aside (never deleted)
# before the DAG is built, so the plan shows its rebuild (repro.workflow_config.repair). Not in
# a cluster job's own Snakemake, which runs one job of a plan already made.
if not (workflow.remote_exec or workflow.subprocess_exec):
    for _note in workflow_config.repair(RUNS, CKPT, TABLES):
        print(f"gan-repro: {_note}", file=sys.stderr)

# table name -> the analysis that judges the paper's claim from its runs (checked: known kinds)
CLAIMS = config.get("claims") or {}


# table -> its cells taken from other tables' runs (config 'selections'), when the suite has them
SELECTIONS = active_selections(config, TABLES)


# table -> run ids of its rows that judge a selection's chosen settings on fresh seeds (config
# selections: judge_seeds; repro.report.select.fresh_mask): trained only for the chosen setting
FRESH = {t: fresh_runs(t, TABLES[t], spec) for t, spec in SELECTIONS.items()}


def selection_tables():
    """Wildcard regex of the tables with an active selection (matches nothing when none is)."""
    return "|".join(re.escape(t) for t in SELECTIONS) or "(?!)"


def claim_tables(kind):
    """Wildcard regex of the tables judged by the claim `kind` (one that matches nothing when none is)."""
    return "|".join(re.escape(t) for t, k in CLAIMS.items() if k == kind) or "(?!)"


def table_tsv(wildcards):
    return f"config/tables/{wildcards.table}.tsv"


def row_hash(wildcards):
    """The config hash of a run's table row: a train job's `params`, so editing one row reruns
    that row's job alone (the TSV itself is not an input: any edit would rerun every row)."""
    return workflow_config.expected_hash(TABLES[wildcards.table].loc[wildcards.run])


def real_row(wildcards):
    """A real-data row's cells, as its job's `params` (an edit reruns it)."""
    return json.dumps({k: str(v) for k, v in TABLES[wildcards.table].loc[wildcards.run].items()}, sort_keys=True)


# table name -> {start, step, cap} of its adaptive seeds (repro.seeds; workflow/rules/seeds.smk)
with workflow_config.one_line_errors():
    ADAPTIVE = {t: seeds_mod.parse(spec, t, seeds_mod.rows_per_cell(TABLES[t]))
                for t, spec in (config.get("adaptive_seeds") or {}).items() if t in TABLES}
    if ADAPTIVE and config["seeds"] is not None:
        raise workflow_config.WorkflowConfigError(
            f"config 'seeds' picks seeds by hand, 'adaptive_seeds' in rounds: not both (adaptive "
            f"tables in this suite: {', '.join(ADAPTIVE)}); set seeds: null")


def table_scores(table):
    """The scores of a table's runs: every row, or for an adaptive table the runs its last round
    scheduled (read from the seed_round checkpoints: the DAG grows round by round)."""
    runs = final_runs(table) if table in ADAPTIVE else TABLES[table].index
    fresh = FRESH.get(table, set())  # judged only where chosen: see report_scores
    return [str(layout.run_path(RUNS, table, run, rundir.SCORES)) for run in runs if run not in fresh]


def run_scores(wildcards):
    return table_scores(wildcards.table)


# the GPU model the jobs run on: its `repro calibrate` rates (else assumed ones) size `runtime`
JOBS_GPU = experiments.jobs_gpu(config.get("gpu_name"))


def train_resources(wildcards):
    return experiments.resources(TABLES[wildcards.table].loc[wildcards.run], JOBS_GPU)


# "Real data" cells (a table row with a `real` split): scored by the real_data rule, not trained
REAL_RUNS = {
    (t, r) for t, df in TABLES.items() if "real" in df.columns for r in df.index[df["real"].notna()]
}


def real_offline(w):
    """Real digits: a CPU job of seconds; CIFAR-10/STL-10 through Inception: a GPU job."""
    return REAL_SETS[TABLES[w.table].loc[w.run, "real"]]["dataset"] == "digits"


def report_tsv(wildcards):
    """What the report reads: the table, or, with a selection, the table plus the chosen runs."""
    t = wildcards.table
    return f"{RESULTS}/{t}/{t}.runs.tsv" if t in SELECTIONS else table_tsv(wildcards)


def select_scores(wildcards):
    """The table's scores and, with a selection, every run of its source tables."""
    sources = SELECTIONS.get(wildcards.table, {}).get("from", {})
    return table_scores(wildcards.table) + [str(layout.run_path(RUNS, s, run, rundir.SCORES))
                                    for s in sources for run in TABLES[s].index]


def report_scores(wildcards):
    """What select reads and, with fresh judge seeds, the chosen settings' fresh runs (read from
    the select checkpoint's runs.tsv: the DAG grows once the sweep has chosen)."""
    t = wildcards.table
    if not FRESH.get(t):
        return select_scores(wildcards)
    from repro.report.collect import RUNS_TABLE, read_experiment_table

    chosen = read_experiment_table(checkpoints.select.get(table=t).output["runs"])
    fresh = [r for r, owner in zip(chosen["run_id"], chosen[RUNS_TABLE]) if owner == t and r in FRESH[t]]
    return select_scores(wildcards) + [str(layout.run_path(RUNS, t, r, rundir.SCORES)) for r in fresh]


# what report, select, seed-round and check read besides the runs: declared as their inputs and
# passed to the command, so editing a reference range or an order rule reruns them
REFERENCE_CSVS = sorted(str(p) for p in Path("config/references").glob("*.csv"))
ORDER_RULES = "config/references/order_rules.yaml"


def result_spec(kind):
    """The files of `kind`: "report", "select" (repro.layout) or "claim:<name>" (its registry record)."""
    return claims.get(kind[len("claim:"):]).files if kind.startswith("claim:") else layout.spec(kind)


def outputs(kind):
    """The files a report, selection or claim writes for a table (the names its writer uses), as
    a rule's named outputs; the ones Snakemake's report shows, in their category."""
    prefix = str(layout.table_prefix(RESULTS, "{table}"))
    return {name: report(prefix + suffix, category=category, subcategory="{table}",
                         caption=f"../report/{REPORT_CAPTIONS[category]}") if category else prefix + suffix
            for name, (suffix, category) in result_spec(kind).items()}


def published(table):
    """Every file the suite makes for `table` (tables, verdicts, check, claim, selection) and the
    runs it reads: the final targets. Listing the runs and an adaptive table's round files here,
    not only the tables made from them, is what makes a rerun rebuild a deleted scores.json, run
    directory or round file: Snakemake does not rerun a job whose output is missing when the
    files made from it are all there."""
    prefix = layout.table_prefix(RESULTS, table)
    kinds = ["report"] + (["select"] if table in SELECTIONS else [])
    kinds += [f"claim:{CLAIMS[table]}"] if table in CLAIMS else []
    files = [str(p) for k in kinds for p in layout.paths(result_spec(k), prefix).values()]
    return files + [str(layout.check_file(RESULTS, table))]


def table_targets(table):
    """An input function of the `all` rule: a table's published files, its runs and (adaptive tables)
    its round files. One per table, so that a table waiting on its seed rounds leaves the
    others' jobs in the plan (a dry run shows every table's training jobs)."""

    def targets(wildcards):
        return published(table) + table_scores(table) + ([final_state(table)] if table in ADAPTIVE else [])

    return targets


# `snakemake --report` captions (workflow/report/), by the report category of repro.layout
REPORT_CAPTIONS = {"tables": "tables.rst", "verdicts": "verdicts.rst", "learning curves": "curves.rst",
                   "claims": "claims.rst"}


def selection_args(wildcards):
    spec = SELECTIONS[wildcards.table]
    froms = " ".join(f"--from {shlex.quote(f'config/tables/{s}.tsv:{c}')}" for s, c in spec["from"].items())
    judge = f" --judge-seeds {','.join(map(str, spec['judge_seeds']))}" if spec.get("judge_seeds") else ""
    return f"--rule {spec['rule']} {froms}{judge}"


# The real-data gate (issue 25, point 3): a suite's "Real data" tables (sngan_real: real CIFAR-10 /
# STL-10 through Inception; smoke_real: real digits through the digits classifier) are scored and
# checked, strictly, before any training job of the suite starts. Their cells are hard regression
# ranges (config/references/), so wrong Inception weights, resize or quantisation fail the suite
# here, in minutes, instead of after GPU-days of training (tests/workflow/test_real_data_gate.py).


def is_gate_table(df):
    """A table of real-data rows only (a `real` split on every row): nothing to train."""
    return "real" in df.columns and len(df) > 0 and df["real"].notna().all()


GATE_TABLES = sorted(t for t, df in TABLES.items() if is_gate_table(df))


def gate_file(table):
    return str(layout.table_prefix(RESULTS, table)) + ".gate.txt"


def gate_files(wildcards):
    """What every training job of the suite waits for: the passed gate of each real-data table."""
    return [gate_file(t) for t in GATE_TABLES]


def gate_tables():
    """Wildcard regex of the gate's tables (one that matches nothing when there are none)."""
    return "|".join(re.escape(t) for t in GATE_TABLES) or "(?!)"
