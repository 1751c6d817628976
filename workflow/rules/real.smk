# "Real data" cells (a table row with a `real` split): the real images are scored under the row's
# protocol by `repro real-row`; nothing trains. Such rows get this rule instead of `train`.


ruleorder: real_data > train


rule real_data:
    """One real-data cell: its real split scored like a generator's samples (repro.scoring)."""
    output:
        str(layout.run_path(RUNS, "{table}", "{run}", rundir.SCORES)),
    log:
        str(layout.run_path(RUNS, "{table}", "{run}", rundir.SCORE_LOG)),
    wildcard_constraints:
        run="|".join(re.escape(r) for _, r in sorted(REAL_RUNS)) or "(?!)",
    params:
        tsv=table_tsv,
        row=real_row,  # the row's cells: editing it reruns this job alone
        out=lambda w: layout.run_path(RUNS, w.table, w.run),
        data_root=f"--data-root {config['data_root']}" if config["data_root"] else "",
        device=config["device"],
    threads: 1
    resources:
        # offline (digits) on a CPU; Inception over CIFAR-10/STL-10 images wants the GPU
        gpu=lambda w: 0 if real_offline(w) else 1,
        mem_mb=lambda w: 1000 if real_offline(w) else 16000,
        runtime=30,
    conda:
        ENV
    shell:
        "OMP_NUM_THREADS={threads} python -m repro.gpus -- "
        "python -m repro real-row {params.tsv} {wildcards.run} --out {params.out} "
        "--device {params.device} {params.data_root} >> {log} 2>&1"
