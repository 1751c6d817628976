rule table:
    """The paper's table re-rendered from our runs, with a verdict per cell."""
    input:
        tsv=table_tsv,
        scores=run_scores,
    output:
        md=report(f"{RESULTS}/{{table}}/table.md", category="tables", subcategory="{table}"),
        csv=f"{RESULTS}/{{table}}/table.csv",
        tex=f"{RESULTS}/{{table}}/table.tex",
        verdicts=report(f"{RESULTS}/{{table}}/verdicts.csv", category="verdicts"),
        provenance=f"{RESULTS}/{{table}}/provenance.csv",
    params:
        runs=lambda w: f"{RUNS}/{w.table}",
        prefix=lambda w: f"{RESULTS}/{w.table}/",
    shell:
        "repro table {input.tsv} --runs {params.runs} --out {params.prefix}"


rule curves:
    """Learning curves (mean and spread over seeds), one figure per table."""
    input:
        tsv=table_tsv,
        scores=run_scores,
    output:
        png=report(f"{RESULTS}/{{table}}/curves.png", category="learning curves"),
        pdf=f"{RESULTS}/{{table}}/curves.pdf",
    params:
        runs=lambda w: f"{RUNS}/{w.table}",
        prefix=lambda w: f"{RESULTS}/{w.table}/curves",
    shell:
        "repro curves {input.tsv} --runs {params.runs} --out {params.prefix}"


rule check:
    """Fails, naming the cell, when a number leaves its reference range."""
    input:
        verdicts=f"{RESULTS}/{{table}}/verdicts.csv",
        curves=f"{RESULTS}/{{table}}/curves.png",
    output:
        f"{RESULTS}/{{table}}/check.txt",
    shell:
        "repro check {input.verdicts} --out {output}"
