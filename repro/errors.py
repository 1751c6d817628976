"""The one base class for problems a user can fix (bad input, missing or damaged files).

Every such problem raises a :class:`UserError` subclass with a message that names the file, line,
column or key and the fix; ``repro``'s CLI prints it as one ``error: ...`` line and exits with its
``exit_code`` (2; 1 for a failed check). Anything else that escapes is a bug in the suite and keeps
its traceback.
"""
from __future__ import annotations

__all__ = ["UserError", "CheckFailed"]


class UserError(Exception):
    """A problem the user can fix; the message says what and how."""

    exit_code = 2


class CheckFailed(UserError):
    """A regression check or claim direction failed (exit status 1, like a failing test)."""

    exit_code = 1
