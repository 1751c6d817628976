"""``repro`` command line: ``repro train | train-row | plan | report | claim | check | download | settings``."""
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
    arch: sngan_cnn         # sngan_cnn | sngan_resnet | sagan | lsgan | mlp
    norm: spectralnorm      # the D treatment: none | batchnorm | layernorm | weightnorm |
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
    from .config import ConfigError
    from .workflow_config import load_yaml_mapping

    d = load_yaml_mapping(path, "run config")  # JSON is YAML too
    resolved = "config" in d and "hash" in d  # a run's config.json: {"config": ..., "hash": ...}
    d = d.get("config", d)
    if not isinstance(d, dict):
        raise ConfigError(f"{path}: 'config' must be a mapping of config keys")
    return d, resolved


def cmd_train_row(a) -> int:
    """Train one row of an experiment table (what the workflow's train rule runs)."""
    from .experiments import row_config
    from .train import train

    overrides = {k: v for k, v in (("data_root", a.data_root), ("device", a.device)) if v}
    cfg = row_config(a.table, a.run_id, **overrides)
    cfg.validate()
    print(json.dumps(train(cfg, a.out, ckpt_dir=a.ckpt_dir, progress=a.progress)))
    return 0


def cmd_plan(a) -> int:
    """The jobs of a suite and their estimated GPU-hours, before anything runs."""
    from . import workflow_config
    from .experiments import plan, runs

    conf = workflow_config.load(a.config)
    suite = a.suite or conf["suite"]
    if suite not in conf["suites"]:
        raise workflow_config.WorkflowConfigError(
            f"unknown suite {suite!r}; suites in {a.config}: {', '.join(conf['suites'])}")
    tables = {t: runs(Path(a.config).parent / "tables" / f"{t}.tsv", conf.get("seeds"))
              for t in conf["suites"][suite]}
    df = plan(tables)
    print(f"suite {suite}: {int(df['runs'].sum())} runs, {int(df['gpu_runs'].sum())} on a GPU, "
          f"~{df['gpu_hours_est'].sum():.1f} GPU-hours (estimate: repro/experiments.py GPU_S_PER_UPDATE)")
    print(df.to_markdown(index=False))
    return 0


def cmd_report(a) -> int:
    """A table's paper-style tables, verdicts, provenance and learning curves."""
    from .report.references import load_references
    from .report.tables import write_report

    refs = load_references(a.references)  # default: config/references/*.csv
    paths = write_report(a.table, a.runs, a.out, references=refs, checkpoints=("final", "best"))
    for kind, path in paths.items():
        print(f"{kind}: {path}")
    return 0


def cmd_claim(a) -> int:
    """What a table's runs say about the paper's claim (config/config.yaml: claims)."""
    from .report.claims import write_claim

    for kind, path in write_claim(a.kind, a.table, a.runs, a.out).items():
        print(f"{kind}: {path}")
    return 0


def cmd_derive_ranges(a) -> int:
    """Regression ranges for a short table's cells from a longer table's runs (CSV on stdout)."""
    from .report.references import prefix_ranges

    try:
        df = prefix_ranges(a.short, a.long, a.runs, a.metrics.split(","), a.tolerance)
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
        code = check_main([*a.paths, *(["--strict"] if a.strict else [])])
    print(buf.getvalue(), end="")
    if code == 0 and a.out:
        io.write_text(a.out, buf.getvalue())
    return code


def cmd_download(a) -> int:
    from . import data

    from .errors import UserError

    root = data.data_root(a.root)
    if a.name not in ("cifar10", "stl10"):
        raise UserError(f"nothing to download for {a.name!r}; downloadable: cifar10, stl10")
    try:
        data.torchvision_set(a.name, 32 if a.name == "cifar10" else 48, root, download=True)
    except OSError as e:  # URLError, refused connections, a full disk: the user's machine
        raise UserError(f"downloading {a.name} into {root} failed ({type(e).__name__}: {e}); "
                        f"run `repro download {a.name}` on a machine with internet and copy "
                        f"{root} here (or set $REPRO_DATA)") from None
    print(f"{a.name} is in {root.resolve()}")
    return 0


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
    r.set_defaults(fn=cmd_train_row)

    pl = sub.add_parser("plan", help="list a suite's jobs and estimated GPU-hours")
    pl.add_argument("--config", default="config/config.yaml")
    pl.add_argument("--suite", help="default: the config's suite")
    pl.set_defaults(fn=cmd_plan)

    def table_runs_out(p, example):  # what report and claim read and where they write
        p.add_argument("table", help="experiment table (TSV)")
        p.add_argument("--runs", required=True, help="runs root: the table's runs are RUNS/<table>/<run_id>")
        p.add_argument("--out", required=True, help=f"output prefix, e.g. results/{example}/{example}")

    rp = sub.add_parser("report", help="assemble a table's results (tables, verdicts, curves)")
    table_runs_out(rp, "smoke_mog")
    rp.add_argument("--references", nargs="*", help="reference CSVs or directories (default config/references)")
    rp.set_defaults(fn=cmd_report)

    cl = sub.add_parser("claim", help="judge a paper's claim from a table's runs (verdict + figures)")
    cl.add_argument("kind", help="the claim analysis (repro.report.claims.CLAIMS)")
    table_runs_out(cl, "lsgan_mog")
    cl.set_defaults(fn=cmd_claim)

    dr = sub.add_parser("derive-ranges", help="regression ranges of a short table from a longer table's runs")
    dr.add_argument("short", help="the table to range (e.g. config/tables/smoke_mog.tsv)")
    dr.add_argument("long", help="the table whose runs it is a prefix of (e.g. config/tables/lsgan_mog.tsv)")
    dr.add_argument("--runs", required=True, help="runs root of the long table")
    dr.add_argument("--metrics", required=True, help="comma-separated metric keys")
    dr.add_argument("--tolerance", default="2sd", help="tolerance of every row (default 2sd)")
    dr.set_defaults(fn=cmd_derive_ranges)

    ck = sub.add_parser("check", help="fail when a number leaves its reference range")
    ck.add_argument("paths", nargs="+", help="*.verdicts.csv files or directories")
    ck.add_argument("--strict", action="store_true", help="inconclusive hard cells fail too")
    ck.add_argument("--out", help="write the passing record here")
    ck.set_defaults(fn=cmd_check)

    d = sub.add_parser("download", help="download a dataset (needs internet)")
    d.add_argument("name", choices=["cifar10", "stl10"])
    d.add_argument("--root", help="data root (default $REPRO_DATA or ./data)")
    d.set_defaults(fn=cmd_download)

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
