rule report:
    """The paper's table re-rendered from our runs (final and best checkpoint), a verdict per
    cell, provenance, and the learning curves."""
    input:
        tsv=table_tsv,
        scores=run_scores,
    output:
        md=report(f"{RESULTS}/{{table}}/{{table}}.md", category="tables"),
        csv=f"{RESULTS}/{{table}}/{{table}}.csv",
        tex=f"{RESULTS}/{{table}}/{{table}}.tex",
        best_md=f"{RESULTS}/{{table}}/{{table}}.best.md",
        best_csv=f"{RESULTS}/{{table}}/{{table}}.best.csv",
        best_tex=f"{RESULTS}/{{table}}/{{table}}.best.tex",
        verdicts=report(f"{RESULTS}/{{table}}/{{table}}.verdicts.csv", category="verdicts"),
        provenance=f"{RESULTS}/{{table}}/{{table}}.provenance.csv",
        curves=report(f"{RESULTS}/{{table}}/{{table}}.curves.png", category="learning curves"),
        curves_pdf=f"{RESULTS}/{{table}}/{{table}}.curves.pdf",
    params:
        runs=RUNS,  # the table's runs are RUNS/<table>/<run_id>
        prefix=lambda w: f"{RESULTS}/{w.table}/{w.table}",
    shell:
        "{REPRO} report {input.tsv} --runs {params.runs} --out {params.prefix}"


rule check:
    """Fails, naming the cell, when a number leaves its reference range."""
    input:
        f"{RESULTS}/{{table}}/{{table}}.verdicts.csv",
    output:
        f"{RESULTS}/{{table}}/check.txt",
    shell:
        "{REPRO} check {input} --out {output}"
