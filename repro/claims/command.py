"""``repro claim NAME TABLE --runs DIR --out PREFIX``: what a table's runs say about a paper's claim."""
from __future__ import annotations

import argparse

from . import registry
from .common import write_claim


def add_arguments(parser: argparse.ArgumentParser) -> None:
    """The claim subcommand's arguments; the claims and their one-line summaries from the registry."""
    claims = [registry.get(n) for n in registry.names()]
    parser.description = "Judge a paper's claim from a table's runs (config/config.yaml: claims)."
    parser.epilog = "claims:\n" + "\n".join(f"  {c.name}: {c.summary}" for c in claims)
    parser.formatter_class = argparse.RawDescriptionHelpFormatter
    parser.add_argument("claim", choices=[c.name for c in claims], metavar="CLAIM",
                        help="the claim: " + ", ".join(c.name for c in claims))
    parser.add_argument("table", help="experiment table (TSV)")
    parser.add_argument("--runs", required=True, help="runs root: the table's runs are RUNS/<table>/<run_id>")
    parser.add_argument("--out", required=True, help="output prefix, e.g. results/lsgan_mog/lsgan_mog")


def run(args: argparse.Namespace) -> int:
    """Write the claim's files and print each one's name and path."""
    for name, path in write_claim(args.claim, args.table, args.runs, args.out).items():
        print(f"{name}: {path}")
    return 0
