"""Commands that make or score runs: ``train``, ``train-row``, ``real-row``, ``evaluate``,
``calibrate``, ``download``, ``fingerprint``, ``settings`` (see :mod:`repro.commands` for the shape)."""
from __future__ import annotations

import argparse
import json
import sys

TRAIN_HELP = """\
Train one run (one cell of a paper table, one seed) and write a self-describing run directory.

CONFIG is a YAML or JSON file of run-config keys (see repro/config.py, or any run's config.json),
e.g.

    dataset: cifar10        # {datasets}
    resolution: 32
    arch: sngan_cnn         # {archs}
    norm_d: spectralnorm    # D's treatment: {norms}
    loss: standard          # {losses} (+ ls_coding)
    setting: C              # {settings}
    g_updates: 100000
    seed: 0

Running the same command again continues from the newest checkpoint; a finished run is left as
it is. A diverged run (non-finite loss or weight) ends with state 'diverged' and exit status 0:
it is a result, not a crash.
"""


def _names(registry) -> str:
    return " | ".join(registry)


def train_arguments(p: argparse.ArgumentParser) -> None:
    """The registries' names in the help: repro.datasets, repro.models, repro.norms, repro.losses,
    repro.settings (this command imports them to run anyway)."""
    from .. import datasets, losses, norms, settings
    from ..models import ARCHS

    p.description = TRAIN_HELP.format(datasets=_names(datasets.REGISTRY), archs=_names(ARCHS),
                                      norms=_names(norms.NORMS), losses=_names(losses.LOSS_NAMES),
                                      settings=_names(settings.SETTINGS))
    p.formatter_class = argparse.RawDescriptionHelpFormatter
    p.add_argument("config", nargs="?", help="YAML/JSON run config")
    p.add_argument("--out", required=True, help="run directory")
    p.add_argument("--ckpt-dir", help="checkpoint directory (default OUT/checkpoints)")
    p.add_argument("--set", action="append", metavar="KEY=VALUE", help="override a config key")
    p.add_argument("--progress", action=argparse.BooleanOptionalAction, default=None,
                   help="progress bar (default: when stderr is a terminal)")


def train(a) -> int:
    from ..config import RunConfig, check_given
    from ..train import train as train_run
    from ..values import parse_assignment

    d, resolved = {}, False
    if a.config:
        d, resolved = _load_mapping(a.config)
        d = json.loads(json.dumps(d))
    given = dict(parse_assignment(item) for item in a.set or [])
    # a run's config.json spells every default out (ls_coding too): only what is given is checked
    check_given({"loss": d.get("loss"), **given} if resolved else {**d, **given})
    d.update(given)
    status = train_run(RunConfig.from_dict(d), a.out, ckpt_dir=a.ckpt_dir, progress=a.progress)
    print(json.dumps(status))
    return 0


def _load_mapping(path: str) -> tuple[dict, bool]:
    """The config keys of a YAML/JSON file, and whether it is a run's resolved config.json."""
    from ..config import ConfigError, record_keys
    from ..workflow_config import load_yaml_mapping

    d = load_yaml_mapping(path, "run config")  # JSON is YAML too
    resolved = "config" in d and "hash" in d  # a run's config.json: {"config": ..., "hash": ...}
    d = d.get("config", d)
    if not isinstance(d, dict):
        raise ConfigError(f"{path}: 'config' must be a mapping of config keys")
    return (record_keys(d) if resolved else d), resolved


def train_row_arguments(p: argparse.ArgumentParser) -> None:
    p.add_argument("table", help="experiment table (TSV)")
    p.add_argument("run_id")
    p.add_argument("--out", required=True, help="run directory")
    p.add_argument("--ckpt-dir", help="checkpoint directory (default OUT/checkpoints)")
    p.add_argument("--data-root", help="data root (default $REPRO_DATA or ./data)")
    p.add_argument("--device", help="auto | cpu | cuda | cuda:N")
    p.add_argument("--progress", action=argparse.BooleanOptionalAction, default=None)
    p.add_argument("--time-limit", type=float, metavar="MIN", help="the job's wall-time limit in minutes "
                   "(the workflow passes its runtime resource); under SLURM a run that will not finish "
                   "in it warns in its log (repro.timelimit; $REPRO_TIME_LIMIT does so anywhere)")


def train_row(a) -> int:
    """Train one row of an experiment table (what the workflow's train rule runs)."""
    from ..experiments import row_config
    from ..train import train as train_run

    overrides = {k: v for k, v in (("data_root", a.data_root), ("device", a.device)) if v}
    cfg = row_config(a.table, a.run_id, **overrides)
    cfg.validate()
    print(json.dumps(train_run(cfg, a.out, ckpt_dir=a.ckpt_dir, progress=a.progress,
                               time_limit_min=a.time_limit)))
    return 0


def real_row_arguments(p: argparse.ArgumentParser) -> None:
    p.add_argument("table", help="experiment table (TSV)")
    p.add_argument("run_id")
    p.add_argument("--out", required=True, help="run directory (gets scores.json, status.json)")
    p.add_argument("--data-root", help="data root (default $REPRO_DATA or ./data)")
    p.add_argument("--device", default="cpu", help="cpu | cuda | cuda:N")


def real_row(a) -> int:
    """Score one "Real data" row of an experiment table (what the workflow's real_data rule runs)."""
    from ..scoring import score_real_row

    scores = score_real_row(a.table, a.run_id, a.out, data_root=a.data_root, device=a.device)
    final = scores["final"]
    print(json.dumps({k: final.get(k) for k in ("protocol_name", "fid", "is_mean", "is_std")}))
    return 0


def evaluate_arguments(p: argparse.ArgumentParser) -> None:
    """The names in the help come from repro.datasets (REGISTRY, REAL_SETS) and repro.models.ARCHS."""
    from .. import datasets
    from ..models import ARCHS

    p.description = ("Score one source under one or more named protocols; prints one row per "
                     "(generator, protocol) and, with --out, writes a self-describing scores.json. "
                     "See README 'Score your own generator'.")
    src = p.add_mutually_exclusive_group(required=True)
    src.add_argument("--run", help="a finished run directory (its final and best generators)")
    src.add_argument("--checkpoint", help="a generator state dict of one of the suite's networks (with --arch)")
    src.add_argument("--images", help="a folder of PNG/JPEG images (with --dataset)")
    src.add_argument("--npz", help="an .npz with one (N, H, W, C) uint8 array (with --dataset)")
    src.add_argument("--real", help=f"a registered real-data split: {', '.join(datasets.REAL_SETS)}")
    p.add_argument("--arch", help=f"the checkpoint's network: {', '.join(ARCHS)}")
    p.add_argument("--set", action="append", metavar="KEY=VALUE",
                   help="a run-config key that shapes the checkpoint's network (dataset, resolution, ch, ...)")
    # the image datasets with a final protocol: what images or an .npz can be scored against
    imitated = [d.name for d in datasets.all_datasets() if d.channels and d.protocols[0]]
    p.add_argument("--dataset", help=f"the dataset images/.npz imitate: {', '.join(imitated)}")
    p.add_argument("--protocol", help="a,b,c | all (every protocol that fits the dataset); default: "
                                      "the run's final protocol, else the dataset's")
    p.add_argument("--seed", type=int, default=0, help="sampling seed of a --checkpoint (a run uses its own)")
    p.add_argument("--device", help="auto | cpu | cuda | cuda:N (default: a run's own device type, else auto)")
    p.add_argument("--data-root", help="data root (default $REPRO_DATA or ./data)")
    p.add_argument("--out", help="write the scores here (JSON), e.g. scores.json")


def evaluate(a) -> int:
    """Score a run, a checkpoint, images, an .npz or real data under named protocols."""
    from ..scoring import evaluate as score, table
    from ..values import parse_assignment

    config = dict(parse_assignment(item) for item in a.set or [])  # as `repro train` reads --set
    result = score(a.run, checkpoint=a.checkpoint, arch=a.arch, config=config, images=a.images,
                   npz=a.npz, real=a.real, dataset=a.dataset, protocols=a.protocol,
                   device=a.device, seed=a.seed, data_root=a.data_root, out=a.out)
    print(table(result).to_markdown(index=False, floatfmt=".6g"))
    if result.get("note"):
        print(f"\nnote: {result['note']}")
    if a.out:
        print(f"scores: {a.out}", file=sys.stderr)
    return 0


def calibrate_arguments(p: argparse.ArgumentParser) -> None:
    from ..calibrate import PAPER_SIZE

    p.add_argument("--device", default="auto", choices=["auto", "cpu", "cuda"], help="default: auto")
    p.add_argument("--arch", action="append", metavar="NAME", choices=list(PAPER_SIZE),
                   help=f"an arch to time (repeatable; default every one: {', '.join(PAPER_SIZE)})")
    p.add_argument("--steps", type=int, help="timed G updates per arch (default 200 on CUDA, 5 on a "
                   "CPU, where one G update at the paper's size takes seconds to minutes)")
    p.add_argument("--warmup", type=int, help="untimed G updates first (default 20 on CUDA, 1 on a CPU)")
    p.add_argument("--merge", metavar="FILE", help="instead of measuring, add the rates of a "
                   "calibration.json from another machine (e.g. bench/device.sh's) to this cache")


def calibrate(a) -> int:
    """Time real update steps of each arch at the paper's size; store the rates in the cache."""
    from .. import calibrate as cal

    if a.merge:
        records = cal.merge_file(a.merge)
    else:
        from ..train import pick_device

        cuda = pick_device(a.device).type == "cuda"
        steps = a.steps or (200 if cuda else 5)
        warmup = a.warmup if a.warmup is not None else (20 if cuda else 1)
        records = []
        for arch in a.arch or list(cal.PAPER_SIZE):
            r = cal.measure(arch, a.device, steps=steps, warmup=warmup)
            records.append(r)
            cal.save([r])  # each arch as soon as it is measured: an interrupt keeps the rest
            print(f"{r['device']}  {arch:13s} {r['s_per_g_update'] * 1e3:10.2f} ms per G update "
                  f"(n_dis {r['n_dis']}, batch {r['batch_size']}, {r['resolution']}px, ch {r['ch']}; "
                  f"{r['steps']} timed after {r['warmup']})", flush=True)
    print(f"rates of {len(records)} arch(s) stored in {cal.path()}")
    return 0


def download_arguments(p: argparse.ArgumentParser) -> None:
    from .. import datasets

    fetchable = [d.name for d in datasets.all_datasets() if d.download is not None]
    p.add_argument("name", nargs="?", help=f"inception, or a registered dataset with a download "
                                           f"({', '.join(fetchable)}; see --list)")
    p.add_argument("--list", action="store_true", help="what can be fetched, where it goes, what is present")
    p.add_argument("--root", help="data root for the datasets (default $REPRO_DATA or ./data)")


def download(a) -> int:
    from .. import download as dl

    if a.list or a.name is None:
        import pandas as pd

        print(pd.DataFrame(dl.listing()).to_markdown(index=False))
        return 0
    if a.name == "inception":
        dl.download_inception()
    else:
        dl.download_dataset(a.name, a.root)
    return 0


def settings_arguments(p: argparse.ArgumentParser) -> None:
    """No options."""


def settings(a) -> int:
    from ..settings import settings_table

    print(settings_table().to_markdown())
    return 0


def fingerprint_arguments(p: argparse.ArgumentParser) -> None:
    p.add_argument("--refresh", action="store_true",
                   help="record this ISA's fingerprints (config/fingerprints/<ISA>.json) after an intended change")


def fingerprint(a) -> int:
    """Tiny runs' losses and weights against this CPU ISA's recorded fingerprints (repro.fingerprint)."""
    from ..fingerprint import main as fingerprint_main

    return fingerprint_main(refresh_them=a.refresh)
