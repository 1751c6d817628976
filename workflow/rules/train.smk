rule train:
    """One run: one cell of a paper table with one seed."""
    input:
        table_tsv,
        gate_files,  # the suite's real-data gate passed (workflow/rules/gate.smk)
    output:
        str(layout.run_path(RUNS, "{table}", "{run}", rundir.SCORES)),
    log:
        str(layout.run_path(RUNS, "{table}", "{run}", rundir.WORKFLOW_LOG)),
    params:
        ckpt=lambda w: f"{CKPT}/{w.table}/{w.run}",
        out=lambda w: layout.run_path(RUNS, w.table, w.run),
        data_root=f"--data-root {config['data_root']}" if config["data_root"] else "",
        jobs_per_gpu=config.get("jobs_per_gpu", 1),
    threads: 1
    resources:
        gpu=lambda w: train_resources(w)["gpu"],
        mem_mb=lambda w: train_resources(w)["mem_mb"],
        runtime=lambda w: train_resources(w)["runtime"],
    retries: 1
    shell:
        "OMP_NUM_THREADS={threads} {PY} -m repro.gpus --jobs-per-gpu {params.jobs_per_gpu} -- "
        "{REPRO} train-row {input[0]} {wildcards.run} --out {params.out} --ckpt-dir {params.ckpt} "
        "--device {config[device]} {params.data_root} --time-limit {resources.runtime} > {log} 2>&1"
