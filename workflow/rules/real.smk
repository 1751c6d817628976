# "Real data" cells (a table row with a `real` split): the real images are scored under the row's
# protocol by `repro real-row`; nothing trains. Such rows get this rule instead of `train`.
from repro.scoring import REAL_SETS

REAL_RUNS = {
    (t, r) for t, df in TABLES.items() if "real" in df.columns for r in df.index[df["real"].notna()]
}


def real_offline(w):
    """Real digits: a CPU job of seconds; CIFAR-10/STL-10 through Inception: a GPU job."""
    return REAL_SETS[TABLES[w.table].loc[w.run, "real"]]["dataset"] == "digits"


ruleorder: real_data > train


rule real_data:
    """One real-data cell: its real split scored like a generator's samples (repro.scoring)."""
    input:
        table_tsv,
    output:
        str(layout.run_path(RUNS, "{table}", "{run}", rundir.SCORES)),
    log:
        str(layout.run_path(RUNS, "{table}", "{run}", rundir.SCORE_LOG)),
    wildcard_constraints:
        run="|".join(re.escape(r) for _, r in sorted(REAL_RUNS)) or "(?!)",
    params:
        out=lambda w: layout.run_path(RUNS, w.table, w.run),
        data_root=f"--data-root {config['data_root']}" if config["data_root"] else "",
    threads: 1
    resources:
        # offline (digits) on a CPU; Inception over CIFAR-10/STL-10 images wants the GPU
        gpu=lambda w: 0 if real_offline(w) else 1,
        mem_mb=lambda w: 1000 if real_offline(w) else 16000,
        runtime=30,
    shell:
        "OMP_NUM_THREADS={threads} {PY} -m repro.gpus -- "
        "{REPRO} real-row {input} {wildcards.run} --out {params.out} "
        "--device {config[device]} {params.data_root} > {log} 2>&1"
