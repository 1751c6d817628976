"""Deprecated alias of :mod:`repro.evaluator` (renamed in issue 12: beside metrics/evaluate.py and scoring.py)."""
import warnings

from .evaluator import *  # noqa: F401,F403  (its public names: repro.evaluator.__all__)

warnings.warn("repro.evaluation is now repro.evaluator; import from there", DeprecationWarning, stacklevel=2)
