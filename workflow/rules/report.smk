rule select:
    """A table's cells taken from other tables' runs by the paper's rule (config 'selections';
    SNGAN Table 2: each method's best sweep setting): the report's input and the ranking."""
    input:
        tsv=table_tsv,
        scores=report_scores,
        references=REFERENCE_CSVS,
    output:
        runs=f"{RESULTS}/{{table}}/{{table}}.runs.tsv",
        selection=f"{RESULTS}/{{table}}/{{table}}.selection.csv",
        md=f"{RESULTS}/{{table}}/{{table}}.selection.md",
    wildcard_constraints:
        table=selection_tables(),
    params:
        runs=RUNS,
        prefix=lambda w: f"{RESULTS}/{w.table}/{w.table}",
        args=selection_args,
    shell:
        "{REPRO} select {input.tsv} --runs {params.runs} --out {params.prefix} {params.args} "
        "--references {input.references}"


rule report:
    """The paper's table re-rendered from our runs (final and best checkpoint), a verdict per
    cell, provenance, and the learning curves."""
    input:
        unpack(seeds_state),
        tsv=report_tsv,
        scores=report_scores,
        references=REFERENCE_CSVS,
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
        state=lambda w, input: f"--seeds-state {input.state}" if "state" in input.keys() else "",
    shell:
        "{REPRO} report {input.tsv} --runs {params.runs} --out {params.prefix} {params.state} "
        "--confidence {CONFIDENCE} --references {input.references}"


rule check:
    """Fails, naming the cell, when a number leaves its reference range or a claim's direction
    (config/references/directions.yaml) breaks."""
    input:
        verdicts=f"{RESULTS}/{{table}}/{{table}}.verdicts.csv",
        directions=DIRECTIONS,
    output:
        f"{RESULTS}/{{table}}/check.txt",
    shell:
        "{REPRO} check {input.verdicts} --out {output} --directions {input.directions}"


rule claim_mog_modes:
    """LSGAN's mixture-of-Gaussians claim: verdict, per-run CSV, curves and sample densities."""
    input:
        tsv=table_tsv,
        scores=run_scores,
    output:
        md=report(f"{RESULTS}/{{table}}/{{table}}.claim.md", category="claims"),
        csv=f"{RESULTS}/{{table}}/{{table}}.claim.csv",
        curves=report(f"{RESULTS}/{{table}}/{{table}}.claim_curves.png", category="claims"),
        samples=report(f"{RESULTS}/{{table}}/{{table}}.samples.png", category="claims"),
    wildcard_constraints:
        table=claim_tables("mog_modes"),
    params:
        runs=RUNS,
        prefix=lambda w: f"{RESULTS}/{w.table}/{w.table}",
    shell:
        "{REPRO} claim mog_modes {input.tsv} --runs {params.runs} --out {params.prefix}"


rule claim_settings_robustness:
    """SNGAN's robustness claim: verdict, cells, Table-2-style best settings, Figure-1-style bars."""
    input:
        tsv=table_tsv,
        scores=run_scores,
    output:
        md=report(f"{RESULTS}/{{table}}/{{table}}.claim.md", category="claims"),
        cells=f"{RESULTS}/{{table}}/{{table}}.cells.csv",
        best_md=f"{RESULTS}/{{table}}/{{table}}.best_setting.md",
        best_csv=f"{RESULTS}/{{table}}/{{table}}.best_setting.csv",
        best_tex=f"{RESULTS}/{{table}}/{{table}}.best_setting.tex",
        bars=report(f"{RESULTS}/{{table}}/{{table}}.bars.png", category="claims"),
    wildcard_constraints:
        table=claim_tables("settings_robustness"),
    params:
        runs=RUNS,
        prefix=lambda w: f"{RESULTS}/{w.table}/{w.table}",
    shell:
        "{REPRO} claim settings_robustness {input.tsv} --runs {params.runs} --out {params.prefix}"


rule claim_sagan_claims:
    """SAGAN's three claims at small scale: verdicts, gamma curves, SN/TTUR by updates and time."""
    input:
        tsv=table_tsv,
        scores=run_scores,
    output:
        md=report(f"{RESULTS}/{{table}}/{{table}}.claim.md", category="claims"),
        gamma_csv=f"{RESULTS}/{{table}}/{{table}}.gamma.csv",
        gamma=report(f"{RESULTS}/{{table}}/{{table}}.gamma.png", category="claims"),
        sn_ttur_csv=f"{RESULTS}/{{table}}/{{table}}.sn_ttur.csv",
        sn_ttur=report(f"{RESULTS}/{{table}}/{{table}}.sn_ttur.png", category="claims"),
    wildcard_constraints:
        table=claim_tables("sagan_claims"),
    params:
        runs=RUNS,
        prefix=lambda w: f"{RESULTS}/{w.table}/{w.table}",
    shell:
        "{REPRO} claim sagan_claims {input.tsv} --runs {params.runs} --out {params.prefix}"
