"""Paper claims judged from an experiment table's runs: one module per claim, named after it and
registered in :mod:`repro.claims.registry` (``mog_modes``: LSGAN's mixture of Gaussians;
``settings_robustness``: SNGAN's settings A-F; ``sagan_claims``: SAGAN's three claims).
``config/config.yaml`` (``claims``) says which table each judges; ``repro claim NAME``
(:mod:`repro.claims.command`) and the workflow's claim rules run them through
:func:`repro.claims.common.write_claim`. Importing the package reads no table (no pandas): the
CLI lists the claims at every start."""
from .registry import Claim, ClaimError, get, names, register

__all__ = ["Claim", "ClaimError", "register", "names", "get"]
