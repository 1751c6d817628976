rule gate:
    """A real-data table's cells, checked with --strict: anything but 'held' stops the suite
    before any training job starts (issue 25, point 3; the gate's tables: common.smk)."""
    input:
        verdicts=outputs("report")["verdicts"],
        order_rules=ORDER_RULES,
    output:
        gate_file("{table}"),
    log:
        f"{LOGS}/{{table}}/gate.log",
    wildcard_constraints:
        table=gate_tables(),
    localrule: True
    conda:
        ENV
    shell:
        "(python -m repro check {input.verdicts} --strict --out {output} --order-rules {input.order_rules} || "
        "(echo 'error: the real-data gate failed for {wildcards.table}: real images do not score "
        "as the instrument should (Inception file, resize or quantisation); see the FAIL lines "
        "above and {input.verdicts}; no training job was started' >&2; exit 1)) 2>&1 | tee {log}"
