# The real-data gate (issue 25, point 3): a suite's "Real data" tables (sngan_real: real CIFAR-10 /
# STL-10 through Inception; smoke_real: real digits through the digits classifier) are scored and
# checked, strictly, before any training job of the suite starts. Their cells are hard regression
# ranges (config/references/), so wrong Inception weights, resize or quantisation fail the suite
# here, in minutes, instead of after GPU-days of training (tests/test_gate.py).


def is_gate_table(df):
    """A table of real-data rows only (a `real` split on every row): nothing to train."""
    return "real" in df.columns and len(df) > 0 and df["real"].notna().all()


GATE_TABLES = sorted(t for t, df in TABLES.items() if is_gate_table(df))


def gate_file(table):
    return str(layout.table_prefix(RESULTS, table)) + ".gate.txt"


def gate_files(wildcards):
    """What every training job of the suite waits for: the passed gate of each real-data table."""
    return [gate_file(t) for t in GATE_TABLES]


rule gate:
    """A real-data table's cells, checked with --strict: anything but 'held' stops the suite."""
    input:
        verdicts=outputs("report")["verdicts"],
        order_rules=ORDER_RULES,
    output:
        gate_file("{table}"),
    wildcard_constraints:
        table="|".join(re.escape(t) for t in GATE_TABLES) or "(?!)",
    localrule: True
    shell:
        "{REPRO} check {input.verdicts} --strict --out {output} --order-rules {input.order_rules} || "
        "(echo 'error: the real-data gate failed for {wildcards.table}: real images do not score "
        "as the instrument should (Inception file, resize or quantisation); see the FAIL lines "
        "above and {input.verdicts}; no training job was started' >&2; exit 1)"
