checkpoint select:
    """A table's cells taken from other tables' runs by the paper's rule (config 'selections';
    SNGAN Table 2: each method's best sweep setting): the report's input and the ranking. A
    checkpoint: with judge_seeds the chosen settings' fresh runs are known only after it."""
    input:
        tsv=table_tsv,
        scores=select_scores,
        references=REFERENCE_CSVS,
    output:
        **outputs("select"),
    log:
        f"{LOGS}/{{table}}/select.log",
    wildcard_constraints:
        table=selection_tables(),
    params:
        runs=RUNS,
        prefix=lambda w: layout.table_prefix(RESULTS, w.table),
        args=selection_args,
    conda:
        ENV
    shell:
        "python -m repro select {input.tsv} --runs {params.runs} --out {params.prefix} {params.args} "
        "--references {input.references} 2>&1 | tee {log}"


rule report:
    """The paper's table re-rendered from our runs (final and best checkpoint), a verdict per
    cell, provenance, and the learning curves."""
    input:
        unpack(seeds_state),
        tsv=report_tsv,
        scores=report_scores,
        references=REFERENCE_CSVS,
    output:
        **outputs("report"),
    log:
        f"{LOGS}/{{table}}/report.log",
    params:
        runs=RUNS,  # the table's runs are RUNS/<table>/<run_id>
        prefix=lambda w: layout.table_prefix(RESULTS, w.table),
        state=lambda w, input: f"--seeds-state {input.state}" if "state" in input.keys() else "",
        confidence=CONFIDENCE,  # a params: changing it reruns the report (--rerun-triggers params)
    conda:
        ENV
    shell:
        "python -m repro report {input.tsv} --runs {params.runs} --out {params.prefix} {params.state} "
        "--confidence {params.confidence} --references {input.references} 2>&1 | tee {log}"


rule check:
    """Fails, naming the cell, when a number leaves its reference range or a claim's order rule
    (config/references/order_rules.yaml) breaks."""
    input:
        verdicts=outputs("report")["verdicts"],
        order_rules=ORDER_RULES,
    output:
        str(layout.check_file(RESULTS, "{table}")),
    log:
        f"{LOGS}/{{table}}/check.log",
    conda:
        ENV
    shell:
        "python -m repro check {input.verdicts} --out {output} --order-rules {input.order_rules} 2>&1 | tee {log}"


# One rule definition serves every claim registered in repro/claims/ (repro.claims.names()): a
# claim's files differ from claim to claim and Snakemake's output: takes no function, so the
# definition is instantiated once per claim, as claim_<name>, its outputs from the claim's record.
for _claim in claims.names():

    rule:
        """A paper's claim judged from a table's runs (repro claim; config 'claims' names the tables)."""
        name:
            f"claim_{_claim}"
        input:
            tsv=table_tsv,
            scores=run_scores,
        output:
            **outputs(f"claim:{_claim}"),
        wildcard_constraints:
            table=claim_tables(_claim),
        log:
            f"{LOGS}/{{table}}/claim.log",
        localrule: True
        params:
            claim=_claim,
            runs=RUNS,
            prefix=lambda w: layout.table_prefix(RESULTS, w.table),
        conda:
            ENV
        shell:
            "python -m repro claim {params.claim} {input.tsv} --runs {params.runs} --out {params.prefix} 2>&1 | tee {log}"
