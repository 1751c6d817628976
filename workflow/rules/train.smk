rule train:
    """One run: one cell of a paper table with one seed."""
    input:
        gate_files,  # the suite's real-data gate passed (workflow/rules/gate.smk)
    output:
        str(layout.run_path(RUNS, "{table}", "{run}", rundir.SCORES)),
    log:
        str(layout.run_path(RUNS, "{table}", "{run}", rundir.WORKFLOW_LOG)),
    params:
        tsv=table_tsv,
        config_hash=row_hash,  # the row's identity: editing it reruns this job alone
        ckpt=lambda w: f"{CKPT}/{w.table}/{w.run}",
        out=lambda w: layout.run_path(RUNS, w.table, w.run),
        data_root=f"--data-root {config['data_root']}" if config["data_root"] else "",
        device=config["device"],
        jobs_per_gpu=config.get("jobs_per_gpu", 1),
    threads: 1
    resources:
        gpu=lambda w: train_resources(w)["gpu"],
        mem_mb=lambda w: train_resources(w)["mem_mb"],
        runtime=lambda w: train_resources(w)["runtime"],
    retries: 1
    conda:
        ENV
    shell:
        # appended, never truncated: a second Snakemake (--nolock) refused by the run's owner lock
        # must not wipe the log of the job that holds it; retries add their attempt below
        "OMP_NUM_THREADS={threads} python -m repro.gpus --jobs-per-gpu {params.jobs_per_gpu} -- "
        "python -m repro train-row {params.tsv} {wildcards.run} --out {params.out} --ckpt-dir {params.ckpt} "
        "--device {params.device} {params.data_root} --time-limit {resources.runtime} >> {log} 2>&1"
