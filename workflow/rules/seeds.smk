# Seeds until decided (repro.seeds): an adaptive table's seeds come in rounds. Round r's checkpoint
# judges the runs scheduled so far and writes which runs round r + 1 holds; Snakemake re-reads it
# and grows the DAG. The state files live with the runs (never published); a finished table's
# rerun finds every state file and schedules nothing. Every round is a look of a group-sequential
# design: the checkpoint passes the declared schedule (--start/--step/--cap; a round whose
# previous state ran under another schedule is refused) and the report the last state, which
# holds it, so each cell is judged at the level of its look (repro.report.verdict.look_alphas).


def round_state(table, r):
    return f"{RUNS}/{table}/rounds/{r}.json"


def scheduled_runs(table, r):
    """Run ids of round r: the start seeds, or what round r - 1's checkpoint asked for."""
    if r == 0:
        return seeds_mod.first_round(TABLES[table], ADAPTIVE[table])
    with open(checkpoints.seed_round.get(table=table, round=str(r - 1)).output[0]) as f:
        return json.load(f)["runs"]


def final_state(table):
    """The state file of the table's last round (the first one that says done)."""
    r = 0
    while True:
        path = checkpoints.seed_round.get(table=table, round=str(r)).output[0]
        with open(path) as f:
            if json.load(f)["done"]:
                return path
        r += 1


def final_runs(table):
    with open(final_state(table)) as f:
        return json.load(f)["runs"]


def seed_round_input(wildcards):
    r = int(wildcards.round)
    inputs = {"tsv": table_tsv(wildcards),
              "scores": [str(layout.run_path(RUNS, wildcards.table, run, rundir.SCORES))
                         for run in scheduled_runs(wildcards.table, r)],
              "order_rules": ORDER_RULES, "references": REFERENCE_CSVS}
    if r > 0:
        inputs["previous"] = round_state(wildcards.table, r - 1)
    return inputs


def seeds_state(wildcards):
    """The report's extra input for an adaptive table: its last round's state file."""
    return {"state": final_state(wildcards.table)} if wildcards.table in ADAPTIVE else {}


checkpoint seed_round:
    """One round of an adaptive table: which cells are still undecided, and their next seeds."""
    input:
        unpack(seed_round_input),
    output:
        f"{RUNS}/{{table}}/rounds/{{round}}.json",
    wildcard_constraints:
        round=r"\d+",
    log:
        f"{LOGS}/{{table}}/seed_round_{{round}}.log",
    params:
        spec=lambda w: "--start {start} --step {step} --cap {cap}".format(**ADAPTIVE[w.table]),
        previous=lambda w, input: f"--previous {input.previous}" if "previous" in input.keys() else "",
        runs=lambda w, output: Path(output[0]).parents[2],  # RUNS: <runs>/<table>/rounds/<r>.json
        confidence=CONFIDENCE,
    conda:
        ENV
    shell:
        "python -m repro seed-round {input.tsv} --runs {params.runs} --round {wildcards.round} --out {output} "
        "{params.spec} {params.previous} --order-rules {input.order_rules} --confidence {params.confidence} "
        "--references {input.references} 2>&1 | tee {log}"
