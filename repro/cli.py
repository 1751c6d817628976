"""``repro`` command line: one argparse entry point dispatching through one table, :data:`COMMANDS`.

Each command is a pair of functions in a module of :mod:`repro.commands` (its options, and what
it runs; ``repro claim``'s are :mod:`repro.claims.command`'s ``add_arguments`` and ``run``); only the named command's module is imported, and it imports its domain when it runs,
so ``repro check`` imports no torch. ``python -m repro.gpus`` (the workflow's device slots) and
``python -m repro.bench`` (bench/device.sh) stay modules of their own: they wrap or time other
processes and are no step of a result. The commands (from the table):
"""
from __future__ import annotations

import argparse
import importlib
import sys
from dataclasses import dataclass


@dataclass(frozen=True)
class Command:
    """One ``repro`` command: its name, one line of help, and where its pair of functions lives
    (``module``'s ``run(args) -> exit status`` and ``add(parser)``)."""

    name: str
    help: str
    module: str
    run: str
    add: str = ""

    def function(self, which: str):
        """The command's ``run`` or ``add`` function (``add`` defaults to ``<run>_arguments``)."""
        name = self.run if which == "run" else (self.add or f"{self.run}_arguments")
        return getattr(importlib.import_module(self.module), name)


def _c(name: str, help: str, group: str, run: str | None = None, add: str = "") -> Command:
    return Command(name, help, f"repro.commands.{group}", run or name.replace("-", "_"), add)


#: Every command of ``repro``, in the order ``repro --help`` lists them.
COMMANDS: tuple[Command, ...] = (
    _c("train", "train one run", "runs"),
    _c("train-row", "train one run of an experiment table", "runs"),
    _c("real-row", "score a 'Real data' row of an experiment table (no training)", "runs"),
    _c("plan", "list a suite's jobs and estimated GPU-hours", "plan"),
    _c("calibrate", "measure seconds per update of each arch on this machine", "runs"),
    _c("report", "assemble a table's results (tables, verdicts, curves)", "report"),
    _c("seed-round", "one adaptive-seeds round: which cells get more seeds", "report"),
    Command("claim", "judge a paper's claim from a table's runs (verdict + figures)", "repro.claims.command",
            "run", "add_arguments"),
    _c("select", "take a table's cells from other tables' runs (best setting)", "report"),
    _c("derive-ranges", "regression ranges of a short table from a longer table's runs", "report"),
    _c("check", "fail when a number leaves its reference range or an order rule reverses", "check"),
    _c("rejudge", "re-judge published *.verdicts.csv under the current rule", "report"),
    _c("publish", "copy finished tables into results/ and seal them (MANIFEST.json)", "report"),
    _c("simulate-verdicts", "false-held rate and power of the verdict rule, simulated", "report"),
    _c("evaluate", "score a run, checkpoint, images, .npz or real data under named protocols", "runs"),
    _c("download", "fetch the Inception weights or a dataset, verified (needs internet)", "runs"),
    _c("fingerprint", "compare tiny runs' losses and weights with this CPU ISA's fingerprints", "runs"),
    _c("summary", "where a finished suite's tables are, and a paragraph on what held", "report"),
    _c("settings", "print the papers' optimizer settings", "runs"),
)

__doc__ = (__doc__ or "") + "".join(f"\n* ``repro {c.name}`` -- {c.help}" for c in COMMANDS) + "\n"


def parser(argv: list[str]) -> argparse.ArgumentParser:
    """The one parser; only the command named in `argv` gets its options (and its module imported)."""
    p = argparse.ArgumentParser(prog="repro", description="gan-repro: rerun GAN papers' tables.")
    sub = p.add_subparsers(dest="cmd", required=True, metavar="COMMAND")
    for c in COMMANDS:
        sp = sub.add_parser(c.name, help=c.help, description=c.help)
        if argv[:1] == [c.name]:
            c.function("add")(sp)
            sp.set_defaults(fn=c.function("run"))
    return p


def main(argv: list[str] | None = None) -> int:
    argv = sys.argv[1:] if argv is None else list(argv)
    a = parser(argv).parse_args(argv)
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
