"""``repro claim``: what a table's runs say about a paper's claim (config/config.yaml: claims).
Its pair is named as the claims package's will be (``add_arguments``/``run``), so that
:data:`repro.cli.COMMANDS` is rewired by changing the module's name."""
from __future__ import annotations

import argparse

from . import print_paths, table_runs_out


def add_arguments(p: argparse.ArgumentParser) -> None:
    from ..report.claims import CLAIMS

    p.add_argument("kind", help=f"the claim analysis: {', '.join(CLAIMS)}")
    table_runs_out(p, "lsgan_mog")


def run(a) -> int:
    from ..report.claims import write_claim

    print_paths(write_claim(a.kind, a.table, a.runs, a.out))
    return 0
