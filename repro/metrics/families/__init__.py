"""The registered metric families, one module each (see :mod:`repro.metrics.registry`).

Import order is registration order, which is the order of the metrics' table columns and verdict
lines: FID, IS, KID, the mixture metrics, precision/recall.
"""
from . import fid, inception_score, kid, mog, precision_recall  # noqa: F401  (register on import)
