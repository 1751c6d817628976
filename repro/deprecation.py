"""Old names that users' files and command lines still carry (issue 12: one meaning per name).

An old name is read as its new one, and says so once: one ``deprecated:`` line on stderr per old
name and place (a file, or the command line) per process, however often it is read there; an old
name beside its new one is refused. :func:`renamed` is that rule for every kind of name (run-config
keys, table and reference columns, order-rule keys, verdicts columns). Imports nothing heavy, so
that the CLI's parser can use :class:`Alias`.
"""
from __future__ import annotations

import argparse
import sys
from collections.abc import Callable, Collection, Mapping

_told: set[str] = set()  # old names already reported in this process


def tell(old: str, message: str) -> None:
    """Print ``deprecated: <message>`` on stderr, the first time `old` is met in this process."""
    if old not in _told:
        _told.add(old)
        print(f"deprecated: {message}", file=sys.stderr)


def renamed(names: Collection[str], renames: Mapping[str, str], *, kind: str, fix: str,
            error: Callable[[str, str], Exception], where: str | Callable[[str], str] = "",
            place: str = "", note: str = "same values", quiet: bool = False) -> dict[str, str]:
    """The entries (old -> new) of `renames` whose old name is among `names` (a header, a
    mapping's keys), for the caller to rename. Each says ``deprecated: <where><kind> 'old' is
    now 'new' (<note>); <fix>`` (``{new}`` in `fix` spelled out) once per `place` and process,
    unless `quiet` (the suite's own records). An old name beside its new one raises
    ``error(message, old)``: which of the two is meant cannot be told. `where` (the place's
    prefix, e.g. "file, line 1: ") may depend on the old name: then give a function of it."""
    found = {}
    for old, new in renames.items():
        if old not in names:
            continue
        at = where(old) if callable(where) else where
        if new in names:
            raise error(f"{at}{kind}s {old!r} and {new!r} both given; {old!r} is the old name of "
                        f"{new!r}: keep only {new}", old)
        if not quiet:
            tell(f"{place} {kind} {old}",
                 f"{at}{kind} {old!r} is now {new!r} ({note}); {fix.replace('{new}', new)}")
        found[old] = new
    return found


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
