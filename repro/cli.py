"""``repro`` command line: ``repro train | train-row | plan | calibrate | report | claim | check | evaluate | download | fingerprint | summary | settings``."""
from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

TRAIN_HELP = """\
Train one run (one cell of a paper table, one seed) and write a self-describing run directory.

CONFIG is a YAML or JSON file of run-config keys (see repro/config.py, or any run's config.json),
e.g.

    dataset: cifar10        # cifar10 | stl10 | image_folder | digits | synthetic | mog_ring | mog_grid
    resolution: 32
    arch: sngan_cnn         # sngan_cnn | sngan_resnet | sagan | lsgan | dcgan64 | mlp
    norm_d: spectralnorm    # D's treatment: none | batchnorm | layernorm | weightnorm |
                            # spectralnorm | weight_clipping | gradient_penalty | orthonormal
    loss: standard          # standard | hinge | wasserstein | least_squares (+ ls_coding)
    setting: C              # SNGAN A-F, sngan_resnet, sagan_ttur, lsgan_lsun, lsgan_mog ...
    g_updates: 100000
    seed: 0

Running the same command again continues from the newest checkpoint; a finished run is left as
it is. A diverged run (non-finite loss or weight) ends with state 'diverged' and exit status 0:
it is a result, not a crash.
"""


from .values import parse_value as _parse_value  # the one parser of table cells and --set values


def order_rules_option(p) -> None:
    """``--order-rules FILE`` (a claim's ordered pairs of cells, ``repro.report.check``), and its
    name before issue 12, ``--directions``, kept as a deprecated alias."""
    from .deprecation import Alias

    p.add_argument("--order-rules", help="order rules (default config/references/order_rules.yaml)")
    p.add_argument("--directions", dest="order_rules", action=Alias, new="--order-rules", help=argparse.SUPPRESS)


def cmd_train(a) -> int:
    from .config import RunConfig, check_given
    from .train import train
    from .values import parse_assignment

    d, resolved = {}, False
    if a.config:
        d, resolved = _load_mapping(a.config)
        d = json.loads(json.dumps(d))
    given = dict(parse_assignment(item) for item in a.set or [])
    # a run's config.json spells every default out (ls_coding too): only what is given is checked
    check_given({"loss": d.get("loss"), **given} if resolved else {**d, **given})
    d.update(given)
    cfg = RunConfig.from_dict(d)
    status = train(cfg, a.out, ckpt_dir=a.ckpt_dir, progress=a.progress)
    print(json.dumps(status))
    return 0


def _load_mapping(path: str) -> tuple[dict, bool]:
    """The config keys of a YAML/JSON file, and whether it is a run's resolved config.json."""
    from .config import ConfigError, record_keys
    from .workflow_config import load_yaml_mapping

    d = load_yaml_mapping(path, "run config")  # JSON is YAML too
    resolved = "config" in d and "hash" in d  # a run's config.json: {"config": ..., "hash": ...}
    d = d.get("config", d)
    if not isinstance(d, dict):
        raise ConfigError(f"{path}: 'config' must be a mapping of config keys")
    return (record_keys(d) if resolved else d), resolved


def cmd_train_row(a) -> int:
    """Train one row of an experiment table (what the workflow's train rule runs)."""
    from .experiments import row_config
    from .train import train

    overrides = {k: v for k, v in (("data_root", a.data_root), ("device", a.device)) if v}
    cfg = row_config(a.table, a.run_id, **overrides)
    cfg.validate()
    print(json.dumps(train(cfg, a.out, ckpt_dir=a.ckpt_dir, progress=a.progress,
                           time_limit_min=a.time_limit)))
    return 0


def cmd_plan(a) -> int:
    """The jobs of a suite and their estimated GPU-hours, before anything runs."""
    from . import workflow_config
    from .experiments import jobs_gpu, plan, runs

    conf = workflow_config.load(a.config)
    suite = a.suite or conf["suite"]
    if suite not in conf["suites"]:
        raise workflow_config.WorkflowConfigError(
            f"unknown suite {suite!r}; suites in {a.config}: {', '.join(conf['suites'])}")
    tables = {t: runs(Path(a.config).parent / "tables" / f"{t}.tsv", conf.get("seeds"))
              for t in conf["suites"][suite]}
    adaptive = {t: s for t, s in (conf.get("adaptive_seeds") or {}).items() if t in tables}
    if adaptive:  # the worst case: every cell of an adaptive table at its cap
        from .seeds import cells, parse, rows_per_cell

        for t, spec in adaptive.items():
            spec = parse(spec, t, rows_per_cell(tables[t]))
            keep = {r for ids in cells(tables[t]).values() for r in ids[:spec["cap"]]}
            tables[t] = tables[t][tables[t]["run_id"].astype(str).isin(keep)]
    gpu = jobs_gpu(a.gpu or conf.get("gpu_name"))
    df = plan(tables, gpu)
    if adaptive:
        from .seeds import plan_notes

        notes = plan_notes(tables, adaptive)[["table", "seeds", "first_round_runs"]]
        df = df.merge(notes, on="table", how="left")
    sources = sorted({s for cell in df["rates"] for s in cell.split("; ") if s != "-"})
    print(f"suite {suite}: {int(df['runs'].sum())} runs, {int(df['gpu_runs'].sum())} on a GPU, "
          f"~{df['gpu_hours_est'].sum():.1f} GPU-hours on {gpu or 'an unnamed GPU'}"
          + ("; adaptive tables counted at their cap (worst case)" if adaptive else ""))
    for src in sources:
        print(f"rates {src}" + (" (repro/experiments.py GPU_S_PER_UPDATE; `repro calibrate` on the "
                                "GPU box, or --gpu NAME for one measured there, replaces them)"
                                if src == "assumed" else " (repro calibrate; cache/calibration.json)"))
    if "assumed" in sources:
        from . import calibrate

        other = sorted(d for d in calibrate.load() if d != gpu)
        if other:
            print(f"measured rates exist for: {', '.join(other)} (repro plan --gpu NAME uses them)")
    print(df.to_markdown(index=False))
    _plan_selections(conf, suite, Path(a.config).parent / "tables")
    return 0


def cmd_calibrate(a) -> int:
    """Time real update steps of each arch at the paper's size; store the rates in the cache."""
    from . import calibrate

    if a.merge:
        records = calibrate.merge_file(a.merge)
    else:
        archs = a.arch or list(calibrate.PAPER_SIZE)
        records = []
        for arch in archs:
            if arch not in calibrate.PAPER_SIZE:
                raise calibrate.CalibrationError(
                    f"--arch {arch!r}: unknown; calibrated archs: {', '.join(calibrate.PAPER_SIZE)}")
        from .train import pick_device

        cuda = pick_device(a.device).type == "cuda"
        steps = a.steps or (200 if cuda else 5)
        warmup = a.warmup if a.warmup is not None else (20 if cuda else 1)
        for arch in archs:
            r = calibrate.measure(arch, a.device, steps=steps, warmup=warmup)
            records.append(r)
            calibrate.save([r])  # each arch as soon as it is measured: an interrupt keeps the rest
            print(f"{r['device']}  {arch:13s} {r['s_per_g_update'] * 1e3:10.2f} ms per G update "
                  f"(n_dis {r['n_dis']}, batch {r['batch_size']}, {r['resolution']}px, ch {r['ch']}; "
                  f"{r['steps']} timed after {r['warmup']})", flush=True)
    print(f"rates of {len(records)} arch(s) stored in {calibrate.path()}")
    return 0


def _plan_selections(conf: dict, suite: str, tables_dir: Path) -> None:
    """Say which cells come from other tables' runs (repro select) and so cost no runs."""
    from .report.references import load_references
    from .report.select import active, derived_cells

    for target, spec in active(conf, conf["suites"][suite]).items():
        sources = {t: (tables_dir / f"{t}.tsv", col) for t, col in spec["from"].items()}
        cells = derived_cells(tables_dir / f"{target}.tsv", sources, load_references(tables_dir.parent / "references"))
        print(f"{target}: + {len(cells)} cells taken from the runs of {', '.join(spec['from'])} "
              f"(repro select, rule {spec['rule']}): no runs of their own")


def cmd_report(a) -> int:
    """A table's paper-style tables, verdicts, provenance and learning curves."""
    from .report.references import load_references
    from .report.tables import write_report

    refs = load_references(a.references)  # default: config/references/*.csv
    run_ids = cap = None
    if a.seeds_state:  # an adaptive table: only the runs its rounds scheduled (repro.seeds)
        from .seeds import read_state

        state = read_state(a.seeds_state)
        run_ids, cap = state["runs"], state["cap"]
    paths = write_report(a.table, a.runs, a.out, references=refs, checkpoints=("final", "best"),
                         confidence=a.confidence, run_ids=run_ids, seeds_cap=cap)
    for kind, path in paths.items():
        print(f"{kind}: {path}")
    return 0


def cmd_claim(a) -> int:
    """What a table's runs say about the paper's claim (config/config.yaml: claims)."""
    from .report.claims import write_claim

    for kind, path in write_claim(a.kind, a.table, a.runs, a.out).items():
        print(f"{kind}: {path}")
    return 0


def cmd_select(a) -> int:
    """A table's cells taken from other tables' runs (config/config.yaml: selections)."""
    from .errors import UserError
    from .report.references import load_references
    from .report.select import select

    sources = {}
    for spec in a.source:
        tsv, sep, column = spec.rpartition(":")
        if not sep or not tsv or not column:
            raise UserError(f"--from {spec!r}: expected TABLE_TSV:COLUMN, e.g. "
                            f"config/tables/sngan_sweep_cifar10.tsv:CIFAR-10")
        sources[Path(tsv).stem] = (tsv, column)
    refs = load_references(a.references)
    for kind, path in select(a.table, sources, a.runs, a.out, a.rule, refs).items():
        print(f"{kind}: {path}")
    return 0


def cmd_derive_ranges(a) -> int:
    """Regression ranges for a short table's cells from a longer table's runs (CSV on stdout)."""
    from .errors import UserError
    from .report.references import pooled_ranges, prefix_ranges

    if bool(a.long) == bool(a.pool):
        raise UserError("derive-ranges: give exactly one of LONG (with --runs) or --pool VERDICTS_CSV ...")
    if a.long and not a.runs:
        raise UserError("derive-ranges: LONG needs --runs (the runs root of the long table)")
    try:
        if a.pool:
            df = pooled_ranges(a.short, a.pool, a.metrics.split(","), a.tolerance)
        else:
            df = prefix_ranges(a.short, a.long, a.runs, a.metrics.split(","), a.tolerance)
    except UserError:
        raise
    except ValueError as e:  # tables that are not prefixes, or runs not finished: say which
        print(f"error: {e}", file=sys.stderr)
        return 2
    print(df.to_csv(index=False), end="")
    return 0


def cmd_check(a) -> int:
    """The regression check over verdict files; with --out, a record written only on success."""
    import contextlib
    import io as _io

    from . import io
    from .report.check import main as check_main

    buf = _io.StringIO()
    with contextlib.redirect_stdout(buf):
        code = check_main([*a.paths, *(["--strict"] if a.strict else []),
                           *(["--order-rules", a.order_rules] if a.order_rules else [])])
    print(buf.getvalue(), end="")
    if code == 0 and a.out:
        io.write_text(a.out, buf.getvalue())
    return code


def cmd_simulate_verdicts(a) -> int:
    """False-held rate and power of the verdict rule on simulated cells (docs/verdicts.md)."""
    from .report.simulate import write

    for kind, path in write(a.out, reps=a.reps, seed=a.seed, confidence=a.confidence).items():
        print(f"{kind}: {path}")
    return 0


def cmd_seed_round(a) -> int:
    """One adaptive-seeds round of a table: judge its runs so far, write which runs come next."""
    from .seeds import write_round

    spec = {"start": a.start, "step": a.step if a.step is not None else a.start, "cap": a.cap}
    state = write_round(a.table, a.runs, spec, a.round, a.out, previous=a.previous,
                        order_rules=a.order_rules, references=a.references, confidence=a.confidence)
    grown = ", ".join(f"{' / '.join(g['cell'][1:])} -> {g['seeds']} seeds" for g in state["grown"])
    print(f"round {a.round}: {'done' if state['done'] else 'more seeds for ' + grown}; "
          f"{len(state['runs'])} runs")
    return 0


def cmd_rejudge(a) -> int:
    """Re-judge published verdict files under the current rule (from their n, mean and std)."""
    from .report.check import find_verdict_files
    from .report.rejudge import write

    files = find_verdict_files(a.paths)
    if not files:
        from .errors import UserError

        raise UserError(f"no *.verdicts.csv under {' '.join(a.paths)}")
    for f in files:
        changed = write(f, a.confidence)
        print(f"{f}: {len(changed)} verdict(s) changed")
        for _, c in changed.iterrows():
            print(f"  {c['paper_table']} / {c['row']} / {c['column']} / {c['metric']} ({c['checkpoint']}): "
                  f"{c['old_verdict']} -> {c['verdict']}: {c['reason']}")
    return 0


def cmd_download(a) -> int:
    from . import download

    if a.list or a.name is None:
        import pandas as pd

        print(pd.DataFrame(download.listing()).to_markdown(index=False))
        return 0
    if a.name == "inception":
        download.download_inception()
    else:
        download.download_dataset(a.name, a.root)
    return 0


def cmd_evaluate(a) -> int:
    """Score a run, a checkpoint, images, an .npz or real data under named protocols."""
    from .scoring import evaluate, table

    from .values import parse_assignment

    config = dict(parse_assignment(item) for item in a.set or [])  # as `repro train` reads --set
    result = evaluate(a.run, checkpoint=a.checkpoint, arch=a.arch, config=config, images=a.images,
                      npz=a.npz, real=a.real, dataset=a.dataset, protocols=a.protocol,
                      device=a.device, seed=a.seed, data_root=a.data_root, out=a.out)
    print(table(result).to_markdown(index=False, floatfmt=".6g"))
    if result.get("note"):
        print(f"\nnote: {result['note']}")
    if a.out:
        print(f"scores: {a.out}", file=sys.stderr)
    return 0


def cmd_real_row(a) -> int:
    """Score one "Real data" row of an experiment table (what the workflow's real_data rule runs)."""
    from .scoring import score_real_row

    scores = score_real_row(a.table, a.run_id, a.out, data_root=a.data_root, device=a.device)
    final = scores["final"]
    print(json.dumps({k: final.get(k) for k in ("protocol_name", "fid", "is_mean", "is_std")}))
    return 0


def cmd_fingerprint(a) -> int:
    from .fingerprint import main as fingerprint_main

    return fingerprint_main(refresh_them=a.refresh)


def cmd_summary(a) -> int:
    from .report.summary import main as summary_main

    return summary_main(a.results)


def cmd_settings(a) -> int:
    from .settings import settings_table

    print(settings_table().to_markdown())
    return 0


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(prog="repro", description="gan-repro: rerun GAN papers' tables.")
    sub = p.add_subparsers(dest="cmd", required=True)

    t = sub.add_parser("train", help="train one run", description=TRAIN_HELP,
                       formatter_class=argparse.RawDescriptionHelpFormatter)
    t.add_argument("config", nargs="?", help="YAML/JSON run config")
    t.add_argument("--out", required=True, help="run directory")
    t.add_argument("--ckpt-dir", help="checkpoint directory (default OUT/checkpoints)")
    t.add_argument("--set", action="append", metavar="KEY=VALUE", help="override a config key")
    t.add_argument("--progress", action=argparse.BooleanOptionalAction, default=None,
                   help="progress bar (default: when stderr is a terminal)")
    t.set_defaults(fn=cmd_train)

    r = sub.add_parser("train-row", help="train one run of an experiment table")
    r.add_argument("table", help="experiment table (TSV)")
    r.add_argument("run_id")
    r.add_argument("--out", required=True, help="run directory")
    r.add_argument("--ckpt-dir", help="checkpoint directory (default OUT/checkpoints)")
    r.add_argument("--data-root", help="data root (default $REPRO_DATA or ./data)")
    r.add_argument("--device", help="auto | cpu | cuda | cuda:N")
    r.add_argument("--progress", action=argparse.BooleanOptionalAction, default=None)
    r.add_argument("--time-limit", type=float, metavar="MIN", help="the job's wall-time limit in minutes "
                   "(the workflow passes its runtime resource); under SLURM a run that will not finish "
                   "in it warns in its log (repro.timelimit; $REPRO_TIME_LIMIT does so anywhere)")
    r.set_defaults(fn=cmd_train_row)

    pl = sub.add_parser("plan", help="list a suite's jobs and estimated GPU-hours")
    pl.add_argument("--config", default="config/config.yaml")
    pl.add_argument("--suite", help="default: the config's suite")
    pl.add_argument("--gpu", metavar="NAME", help="GPU model the jobs will run on, as `repro calibrate` "
                    "names it (e.g. 'NVIDIA H200'); default: the config's gpu_name, else this machine's GPU")
    pl.set_defaults(fn=cmd_plan)

    ca = sub.add_parser("calibrate", help="measure seconds per update of each arch on this machine")
    ca.add_argument("--device", default="auto", choices=["auto", "cpu", "cuda"], help="default: auto")
    ca.add_argument("--arch", action="append", metavar="NAME",
                    help="an arch to time (repeatable; default: every arch)")
    ca.add_argument("--steps", type=int, help="timed G updates per arch (default 200 on CUDA, 5 on a "
                    "CPU, where one G update at the paper's size takes seconds to minutes)")
    ca.add_argument("--warmup", type=int, help="untimed G updates first (default 20 on CUDA, 1 on a CPU)")
    ca.add_argument("--merge", metavar="FILE", help="instead of measuring, add the rates of a "
                    "calibration.json from another machine (e.g. bench/device.sh's) to this cache")
    ca.set_defaults(fn=cmd_calibrate)

    def table_runs_out(p, example):  # what report and claim read and where they write
        p.add_argument("table", help="experiment table (TSV)")
        p.add_argument("--runs", required=True, help="runs root: the table's runs are RUNS/<table>/<run_id>")
        p.add_argument("--out", required=True, help=f"output prefix, e.g. results/{example}/{example}")

    rp = sub.add_parser("report", help="assemble a table's results (tables, verdicts, curves)")
    table_runs_out(rp, "smoke_mog")
    rp.add_argument("--references", nargs="*", help="reference CSVs or directories (default config/references)")
    rp.add_argument("--confidence", type=float, default=0.90,
                    help="two-sided confidence of the verdicts' interval (default 0.90: TOST at alpha 0.05)")
    rp.add_argument("--seeds-state", help="an adaptive table's last round state (repro seed-round): "
                                          "report only the runs it scheduled")
    rp.set_defaults(fn=cmd_report)

    sr = sub.add_parser("seed-round", help="one adaptive-seeds round: which cells get more seeds")
    table_runs_out(sr, "smoke_mog")
    sr.add_argument("--round", type=int, required=True, help="the round just finished (0: the start seeds)")
    sr.add_argument("--previous", help="state JSON of the round before (not for round 0)")
    sr.add_argument("--start", type=int, required=True)
    sr.add_argument("--step", type=int, help="seeds added per round (default: start)")
    sr.add_argument("--cap", type=int, required=True)
    order_rules_option(sr)
    sr.add_argument("--references", nargs="*", help="reference CSVs or directories (default config/references)")
    sr.add_argument("--confidence", type=float, default=0.90, help="as for repro report")
    sr.set_defaults(fn=cmd_seed_round)

    cl = sub.add_parser("claim", help="judge a paper's claim from a table's runs (verdict + figures)")
    cl.add_argument("kind", help="the claim analysis (repro.report.claims.CLAIMS)")
    table_runs_out(cl, "lsgan_mog")
    cl.set_defaults(fn=cmd_claim)

    se = sub.add_parser("select", help="take a table's cells from other tables' runs (best setting)")
    table_runs_out(se, "sngan_table2")
    se.add_argument("--from", dest="source", action="append", required=True,
                    help="TABLE_TSV:COLUMN, a source table and the target column it fills (repeatable)")
    se.add_argument("--rule", default="best_is", help="selection rule (repro.report.select.RULES)")
    se.add_argument("--references", nargs="*", help="reference CSVs or directories (default config/references)")
    se.set_defaults(fn=cmd_select)

    dr = sub.add_parser("derive-ranges", help="regression ranges of a short table from a longer table's runs")
    dr.add_argument("short", help="the table to range (e.g. config/tables/smoke_mog.tsv)")
    dr.add_argument("long", nargs="?", help="the table whose runs it is a prefix of (e.g. config/tables/lsgan_mog.tsv)")
    dr.add_argument("--runs", help="runs root of the long table")
    dr.add_argument("--pool", nargs="+", metavar="VERDICTS_CSV",
                    help="instead of LONG: pool the same cell's other seeds from these published verdicts "
                         "(calibration tables, e.g. made on several CPUs)")
    dr.add_argument("--metrics", required=True, help="comma-separated metric keys")
    dr.add_argument("--tolerance", default="2sd", help="tolerance of every row (default 2sd)")
    dr.set_defaults(fn=cmd_derive_ranges)

    ck = sub.add_parser("check", help="fail when a number leaves its reference range")
    ck.add_argument("paths", nargs="+", help="*.verdicts.csv files or directories")
    ck.add_argument("--strict", action="store_true", help="inconclusive hard cells and order rules fail too")
    ck.add_argument("--out", help="write the passing record here")
    order_rules_option(ck)
    ck.set_defaults(fn=cmd_check)

    rj = sub.add_parser("rejudge", help="re-judge published *.verdicts.csv under the current rule")
    rj.add_argument("paths", nargs="+", help="*.verdicts.csv files or directories (e.g. results)")
    rj.add_argument("--confidence", type=float, default=0.90)
    rj.set_defaults(fn=cmd_rejudge)

    sv = sub.add_parser("simulate-verdicts", help="false-held rate and power of the verdict rule, simulated")
    sv.add_argument("--out", default="docs/verdicts", help="output prefix (default docs/verdicts: .csv, .png)")
    sv.add_argument("--reps", type=int, default=20000, help="simulated cells per distribution, position and n")
    sv.add_argument("--seed", type=int, default=0)
    sv.add_argument("--confidence", type=float, default=0.90, help="two-sided confidence (default 0.90)")
    sv.set_defaults(fn=cmd_simulate_verdicts)

    d = sub.add_parser("download", help="fetch the Inception weights or a dataset, verified (needs internet)")
    # the datasets come from the registry (repro.datasets), checked when the command runs
    d.add_argument("name", nargs="?", help="inception, or a registered dataset with a download "
                                           "(cifar10, stl10; see --list)")
    d.add_argument("--list", action="store_true", help="what can be fetched, where it goes, what is present")
    d.add_argument("--root", help="data root for cifar10/stl10 (default $REPRO_DATA or ./data)")
    d.set_defaults(fn=cmd_download)

    ev = sub.add_parser("evaluate", help="score a run, checkpoint, images, .npz or real data under named protocols",
                        description="Score one source under one or more named protocols; prints one "
                                    "row per (generator, protocol) and, with --out, writes a "
                                    "self-describing scores.json. See README 'Score your own generator'.")
    src = ev.add_mutually_exclusive_group(required=True)
    src.add_argument("--run", help="a finished run directory (its final and best generators)")
    src.add_argument("--checkpoint", help="a generator state dict of one of the suite's networks (with --arch)")
    src.add_argument("--images", help="a folder of PNG/JPEG images (with --dataset)")
    src.add_argument("--npz", help="an .npz with one (N, H, W, C) uint8 array (with --dataset)")
    src.add_argument("--real", help="a registered real-data split (repro.scoring.REAL_SETS), e.g. cifar10-train")
    ev.add_argument("--arch", help="the checkpoint's network (sngan_cnn, sngan_resnet, sagan, lsgan, mlp)")
    ev.add_argument("--set", action="append", metavar="KEY=VALUE",
                    help="a run-config key that shapes the checkpoint's network (dataset, resolution, ch, ...)")
    ev.add_argument("--dataset", help="the dataset images/.npz imitate (cifar10, stl10, digits)")
    ev.add_argument("--protocol", help="a,b,c | all (every protocol that fits the dataset); default: "
                                       "the run's final protocol, else the dataset's")
    ev.add_argument("--seed", type=int, default=0, help="sampling seed of a --checkpoint (a run uses its own)")
    ev.add_argument("--device", help="auto | cpu | cuda | cuda:N (default: a run's own device type, else auto)")
    ev.add_argument("--data-root", help="data root (default $REPRO_DATA or ./data)")
    ev.add_argument("--out", help="write the scores here (JSON), e.g. scores.json")
    ev.set_defaults(fn=cmd_evaluate)

    rr = sub.add_parser("real-row", help="score a 'Real data' row of an experiment table (no training)")
    rr.add_argument("table", help="experiment table (TSV)")
    rr.add_argument("run_id")
    rr.add_argument("--out", required=True, help="run directory (gets scores.json, status.json)")
    rr.add_argument("--data-root", help="data root (default $REPRO_DATA or ./data)")
    rr.add_argument("--device", default="cpu", help="cpu | cuda | cuda:N")
    rr.set_defaults(fn=cmd_real_row)

    fp = sub.add_parser("fingerprint", help="compare tiny runs' losses and weights with this CPU ISA's fingerprints")
    fp.add_argument("--refresh", action="store_true",
                    help="record this ISA's fingerprints (config/fingerprints/<ISA>.json) after an intended change")
    fp.set_defaults(fn=cmd_fingerprint)

    su = sub.add_parser("summary", help="where a finished suite's tables are, and a paragraph on what held")
    su.add_argument("results", help="the suite's results directory (e.g. runs/smoke/results)")
    su.set_defaults(fn=cmd_summary)

    s = sub.add_parser("settings", help="print the papers' optimizer settings")
    s.set_defaults(fn=cmd_settings)

    a = p.parse_args(argv)
    from .errors import UserError

    try:
        return a.fn(a)
    except UserError as e:  # a user's mistake: one line; anything else is a bug and keeps its traceback
        print(f"error: {e}", file=sys.stderr)
        return e.exit_code
    except BrokenPipeError:  # `repro settings | head`: the reader left; not an error of ours
        import os

        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())  # no second error at exit
        return 0


if __name__ == "__main__":
    sys.exit(main())
