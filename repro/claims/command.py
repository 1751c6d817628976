"""``repro claim NAME TABLE --runs DIR --out PREFIX``: what a table's runs say about a paper's claim."""
from __future__ import annotations

import argparse

from . import registry


def add_arguments(parser: argparse.ArgumentParser) -> None:
    """The claim subcommand's arguments, the claims' names from the registry (listed, not
    imported: every ``repro`` command builds this parser)."""
    names = registry.names()
    parser.description = "Judge a paper's claim from a table's runs (config/config.yaml: claims)."
    parser.add_argument("claim", choices=names, metavar="CLAIM", help="the claim: " + ", ".join(names))
    parser.add_argument("table", help="experiment table (TSV)")
    parser.add_argument("--runs", required=True, help="runs root: the table's runs are RUNS/<table>/<run_id>")
    parser.add_argument("--out", required=True, help="output prefix, e.g. results/lsgan_mog/lsgan_mog")


def run(args: argparse.Namespace) -> int:
    """Write the claim's files and print each one's name and path."""
    from .common import write_claim

    for name, path in write_claim(args.claim, args.table, args.runs, args.out).items():
        print(f"{name}: {path}")
    return 0
