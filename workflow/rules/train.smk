rule train:
    """One run: one cell of a paper table with one seed."""
    input:
        gate_files,  # the suite's real-data gate passed (workflow/rules/gate.smk)
    output:
        str(layout.run_path(RUNS, "{table}", "{run}", rundir.SCORES)),
    log:
        # this attempt's output; Snakemake deletes a job's log when it starts the job
        f"{LOGS}/{{table}}/train/{{run}}.log",
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
        # every attempt's output is also appended to the run's train.log, which is no `log:`: a
        # job refused by the run's owner lock (a second Snakemake, --nolock) would have deleted
        # the holder's log with its lines (the holder kept writing to the unlinked file)
        "OMP_NUM_THREADS={threads} python -m repro.gpus --jobs-per-gpu {params.jobs_per_gpu} -- "
        "python -m repro train-row {params.tsv} {wildcards.run} --out {params.out} --ckpt-dir {params.ckpt} "
        "--device {params.device} {params.data_root} --time-limit {resources.runtime} 2>&1 "
        f"| tee -a {{params.out}}/{rundir.WORKFLOW_LOG} > {{log}}"


onstart:
    # before any job starts (not run in a dry run): repro.workflow_config.held_runs
    _held = workflow_config.held_runs(RUNS, [(j.wildcards.table, j.wildcards.run)
                                             for j in workflow.dag.needrun_jobs() if j.rule.name == "train"])
    if _held:
        sys.exit(f"error: {_held}")
