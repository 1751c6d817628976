"""The commands of ``repro`` (:mod:`repro.cli` registers them in its one table, ``COMMANDS``).

One module per command group; a command is a pair of functions, ``<name>_arguments(parser)``
(its options) and ``<name>(args) -> exit status``. A module imports only argparse at the top and
its domain inside the functions, so that parsing one command imports no other command's domain
(``repro check`` no torch: tests/test_imports.py). This module holds the options several share.
"""
from __future__ import annotations

import argparse

def confidence_level(text: str) -> float:
    """``--confidence``: a two-sided confidence strictly between 0 and 1 (argparse's error line)."""
    try:
        value = float(text)
    except ValueError:
        value = float("nan")
    if not 0 < value < 1:
        raise argparse.ArgumentTypeError(f"{text!r} is not a confidence in (0, 1), e.g. 0.90")
    return value


def confidence_option(p: argparse.ArgumentParser) -> None:
    """``--confidence``, by default the verdicts' (repro.report.verdict.CONFIDENCE)."""
    from ..report.verdict import CONFIDENCE

    p.add_argument("--confidence", type=confidence_level, default=CONFIDENCE,
                   help=f"two-sided confidence of the verdicts' interval (default {CONFIDENCE:.2f}: "
                        f"TOST at alpha {(1 - CONFIDENCE) / 2:.2f})")


def references_option(p: argparse.ArgumentParser) -> None:
    p.add_argument("--references", nargs="*", help="reference CSVs or directories (default config/references)")


def order_rules_option(p: argparse.ArgumentParser) -> None:
    """``--order-rules FILE``: a claim's ordered pairs of cells (:mod:`repro.report.check`)."""
    p.add_argument("--order-rules", help="order rules (default config/references/order_rules.yaml)")


def table_runs_out(p: argparse.ArgumentParser, example: str) -> None:
    """What report, seed-round and select read and where they write."""
    p.add_argument("table", help="experiment table (TSV)")
    p.add_argument("--runs", required=True, help="runs root: the table's runs are RUNS/<table>/<run_id>")
    p.add_argument("--out", required=True, help=f"output prefix, e.g. results/{example}/{example}")


def print_paths(paths: dict) -> None:
    """The files a command wrote, one ``kind: path`` line each."""
    for kind, path in paths.items():
        print(f"{kind}: {path}")
