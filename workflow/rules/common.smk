# Read and validate the suite's experiment tables before any job starts.
import glob
import json
import re
import shlex
import sys

from snakemake.utils import validate

from repro import experiments, layout, rundir
from repro.workflow_config import SCHEMA
from repro import seeds as seeds_mod
from repro.report.claims import CLAIMS as CLAIM_ANALYSES
from repro.report.select import active as active_selections

validate(config, str(SCHEMA))  # the package's copy (package data): one schema, wherever repro is installed

# jobs run the repro CLI of the Python that runs Snakemake (the venv's), whatever is on PATH
PY = sys.executable
REPRO = f"{PY} -m repro"
RUNS = config["runs_dir"]
CKPT = config["ckpt_dir"]
RESULTS = config["results_dir"]
# two-sided confidence of every verdict's interval (repro.report.verdict; 0.90 = TOST at 0.05)
CONFIDENCE = config.get("confidence", 0.90)
if config["suite"] not in config["suites"]:
    raise ValueError(f"suite {config['suite']!r} is not in config 'suites': {', '.join(config['suites'])}")
# table name -> its validated runs (a bad row stops here, naming file, line and column)
TABLES = {
    t: experiments.runs(f"config/tables/{t}.tsv", config["seeds"])
    for t in config["suites"][config["suite"]]
}

# table name -> the analysis that judges the paper's claim from its runs
CLAIMS = config.get("claims") or {}
for _table, _kind in CLAIMS.items():
    if _kind not in CLAIM_ANALYSES:
        raise ValueError(f"config 'claims': table {_table!r} names unknown claim {_kind!r}; "
                         f"known: {', '.join(CLAIM_ANALYSES)}")


# table -> its cells taken from other tables' runs (config 'selections'), when the suite has them
SELECTIONS = active_selections(config, TABLES)


def selection_tables():
    """Wildcard regex of the tables with an active selection (matches nothing when none is)."""
    return "|".join(re.escape(t) for t in SELECTIONS) or "(?!)"


def claim_tables(kind):
    """Wildcard regex of the tables judged by `kind` (one that matches nothing when none is)."""
    return "|".join(re.escape(t) for t, k in CLAIMS.items() if k == kind) or "(?!)"


def table_tsv(wildcards):
    return f"config/tables/{wildcards.table}.tsv"


# table name -> {start, step, cap} of its adaptive seeds (repro.seeds; workflow/rules/seeds.smk)
ADAPTIVE = {t: seeds_mod.parse(spec, t, seeds_mod.rows_per_cell(TABLES[t]))
            for t, spec in (config.get("adaptive_seeds") or {}).items() if t in TABLES}
if ADAPTIVE and config["seeds"] is not None:
    raise ValueError(f"config 'seeds' picks seeds by hand, 'adaptive_seeds' in rounds: not both "
                     f"(adaptive tables in this suite: {', '.join(ADAPTIVE)}); set seeds: null")


def run_scores(wildcards):
    """The scores of a table's runs: every row, or for an adaptive table the runs its last round
    scheduled (read from the seed_round checkpoints: the DAG grows round by round)."""
    runs = final_runs(wildcards.table) if wildcards.table in ADAPTIVE else TABLES[wildcards.table].index
    return [str(layout.run_path(RUNS, wildcards.table, run, rundir.SCORES)) for run in runs]


# the GPU model the jobs run on: its `repro calibrate` rates (else assumed ones) size `runtime`
JOBS_GPU = experiments.jobs_gpu(config.get("gpu_name"))


def train_resources(wildcards):
    return experiments.resources(TABLES[wildcards.table].loc[wildcards.run], JOBS_GPU)


def report_tsv(wildcards):
    """What the report reads: the table, or, with a selection, the table plus the chosen runs."""
    t = wildcards.table
    return f"{RESULTS}/{t}/{t}.runs.tsv" if t in SELECTIONS else table_tsv(wildcards)


def report_scores(wildcards):
    """The table's scores and, with a selection, every run of its source tables."""
    sources = SELECTIONS.get(wildcards.table, {}).get("from", {})
    return run_scores(wildcards) + [str(layout.run_path(RUNS, s, run, rundir.SCORES))
                                    for s in sources for run in TABLES[s].index]


# what report, select, seed-round and check read besides the runs: declared as their inputs and
# passed to the command, so editing a reference range or an order rule reruns them
REFERENCE_CSVS = sorted(glob.glob("config/references/*.csv"))
ORDER_RULES = "config/references/order_rules.yaml"


def outputs(kind):
    """The files a report, selection or claim writes for a table (repro.layout: the names its
    writer uses), as a rule's named outputs; the ones Snakemake's report shows, in their category."""
    prefix = str(layout.table_prefix(RESULTS, "{table}"))
    return {name: report(prefix + suffix, category=category, subcategory="{table}",
                         caption=f"../report/{REPORT_CAPTIONS[category]}") if category else prefix + suffix
            for name, (suffix, category) in layout.spec(kind).items()}


# `snakemake --report` captions (workflow/report/), by the report category of repro.layout
REPORT_CAPTIONS = {"tables": "tables.rst", "verdicts": "verdicts.rst", "learning curves": "curves.rst",
                   "claims": "claims.rst"}


def selection_args(wildcards):
    spec = SELECTIONS[wildcards.table]
    froms = " ".join(f"--from {shlex.quote(f'config/tables/{s}.tsv:{c}')}" for s, c in spec["from"].items())
    return f"--rule {spec['rule']} {froms}"
