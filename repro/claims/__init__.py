"""Paper claims judged from an experiment table's runs: one module per claim, each registered
in :mod:`repro.claims.registry` (``mog_modes``: LSGAN's mixture of Gaussians; ``settings_robustness``:
SNGAN's settings A-F; ``sagan``: SAGAN's three claims). ``config/config.yaml`` (``claims``) says
which table each judges; ``repro claim NAME`` (:mod:`repro.claims.command`) and the workflow's
claim rules run them through :func:`write_claim`."""
from .common import check_inputs, provenance_lines, write_claim
from .registry import Claim, ClaimError, get, names, register

__all__ = ["Claim", "ClaimError", "register", "names", "get", "write_claim", "check_inputs", "provenance_lines"]
