"""The one parser of typed values written as text: experiment-table cells and ``--set KEY=VALUE``.

Rules (the same wherever a value is typed, so a cell and a ``--set`` of the same text give the
same run): empty -> None (the default); an integer in decimal (``010`` is 10, never octal);
a float (``1e-4``, ``0.5``); ``true``/``false`` (also capitalised) -> bool; ``{...}`` -> a mapping
whose values follow these rules too; anything else is the text itself (``no``, ``12:30`` and
``off`` stay strings, unlike YAML 1.1).
"""
from __future__ import annotations

from .errors import UserError


class ValueParseError(UserError, ValueError):
    """Text that looks like a mapping but is not one."""


def parse_value(text: str):
    text = text.strip()
    if text == "":
        return None
    for cast in (int, float):
        try:
            return cast(text)
        except ValueError:
            pass
    if text in ("true", "false", "True", "False"):
        return text.lower() == "true"
    if text.startswith("{"):  # a mapping, e.g. arch_kwargs {bn_g: false}
        return _mapping(text)
    return text


def _mapping(text: str) -> dict:
    import yaml

    try:
        raw = yaml.load(text, Loader=yaml.BaseLoader)  # structure only: every scalar stays text
    except yaml.YAMLError as e:
        raise ValueParseError(f"{text!r} is not a mapping ({str(e).splitlines()[0]}); "
                              f"write it as {{key: value, ...}}") from None
    if not isinstance(raw, dict):
        raise ValueParseError(f"{text!r} is not a mapping; write it as {{key: value, ...}}")
    return {k: _typed(v) for k, v in raw.items()}


def _typed(v):
    if isinstance(v, dict):
        return {k: _typed(x) for k, x in v.items()}
    if isinstance(v, list):
        return [_typed(x) for x in v]
    return parse_value(v)


def parse_assignment(item: str) -> tuple[str, object]:
    """``KEY=VALUE`` (``--set``) as (key, parsed value)."""
    key, eq, value = item.partition("=")
    if not eq or not key.strip():
        raise ValueParseError(f"--set {item!r}: expected KEY=VALUE, e.g. --set seed=1")
    try:
        return key.strip(), parse_value(value)
    except ValueParseError as e:
        raise ValueParseError(f"--set {key.strip()}: {e}") from None
