"""``repro`` command line: ``repro train | download | settings | smoke``."""
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


def _parse_value(text: str):
    import yaml

    return yaml.safe_load(text)


def cmd_train(a) -> int:
    from .config import RunConfig
    from .train import train

    d = {}
    if a.config:
        d = json.loads(json.dumps(_load_mapping(a.config)))
    for item in a.set or []:
        key, _, value = item.partition("=")
        d[key] = _parse_value(value)
    cfg = RunConfig.from_dict(d)
    status = train(cfg, a.out, ckpt_dir=a.ckpt_dir, progress=a.progress)
    print(json.dumps(status))
    return 0


def _load_mapping(path: str) -> dict:
    import yaml

    d = yaml.safe_load(Path(path).read_text())
    if not isinstance(d, dict):
        raise SystemExit(f"{path}: expected a mapping of config keys, got {type(d).__name__}")
    return d.get("config", d)


def cmd_download(a) -> int:
    from . import data

    root = data.data_root(a.root)
    if a.name in ("cifar10", "stl10"):
        data.torchvision_set(a.name, 32 if a.name == "cifar10" else 48, root, download=True)
    else:
        raise SystemExit(f"nothing to download for {a.name!r}; downloadable: cifar10, stl10")
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

    d = sub.add_parser("download", help="download a dataset (needs internet)")
    d.add_argument("name", choices=["cifar10", "stl10"])
    d.add_argument("--root", help="data root (default $REPRO_DATA or ./data)")
    d.set_defaults(fn=cmd_download)

    s = sub.add_parser("settings", help="print the papers' optimizer settings")
    s.set_defaults(fn=cmd_settings)

    a = p.parse_args(argv)
    from .config import ConfigError
    from .data import DataNotFoundError

    try:
        return a.fn(a)
    except (ConfigError, DataNotFoundError) as e:
        print(f"error: {e}", file=sys.stderr)
        return 2


if __name__ == "__main__":
    sys.exit(main())
