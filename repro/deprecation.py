"""Old names that users' files and command lines still carry (issue 12: one meaning per name).

An old name is read as its new one, and says so once: one ``deprecated:`` line on stderr per old
name per process, however many files or options carry it. Imports nothing heavy, so that the CLI's
parser can use :class:`Alias`.
"""
from __future__ import annotations

import argparse
import sys

_told: set[str] = set()  # old names already reported in this process


def tell(old: str, message: str) -> None:
    """Print ``deprecated: <message>`` on stderr, the first time `old` is met in this process."""
    if old not in _told:
        _told.add(old)
        print(f"deprecated: {message}", file=sys.stderr)


class Alias(argparse.Action):
    """An option's old name: stores into the new option's ``dest`` and tells (once) that the
    new name is ``new``. ``parser.add_argument("--old", dest="new_dest", action=Alias,
    new="--new", help=argparse.SUPPRESS)``."""

    def __init__(self, option_strings, dest, new: str, **kwargs):
        self.new = new
        super().__init__(option_strings, dest, **kwargs)

    def __call__(self, parser, namespace, values, option_string=None):
        tell(option_string, f"{option_string} is now {self.new} (same meaning); use {self.new}")
        setattr(namespace, self.dest, values)
