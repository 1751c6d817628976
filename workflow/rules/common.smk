# Read and validate the suite's experiment tables before any job starts.
import sys

from snakemake.utils import validate

from repro import experiments

validate(config, "../schemas/config.schema.yaml")

# jobs run the repro CLI of the Python that runs Snakemake (the venv's), whatever is on PATH
PY = sys.executable
REPRO = f"{PY} -m repro"
RUNS = config["runs_dir"]
CKPT = config["ckpt_dir"]
RESULTS = config["results_dir"]
if config["suite"] not in config["suites"]:
    raise ValueError(f"suite {config['suite']!r} is not in config 'suites': {', '.join(config['suites'])}")
# table name -> its validated runs (a bad row stops here, naming file, line and column)
TABLES = {
    t: experiments.runs(f"config/tables/{t}.tsv", config["seeds"])
    for t in config["suites"][config["suite"]]
}


def table_tsv(wildcards):
    return f"config/tables/{wildcards.table}.tsv"


def run_scores(wildcards):
    return [f"{RUNS}/{wildcards.table}/{run}/scores.json" for run in TABLES[wildcards.table].index]


def train_resources(wildcards):
    return experiments.resources(TABLES[wildcards.table].loc[wildcards.run])
