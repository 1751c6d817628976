"""``repro check``: the regression check over verdict files (:mod:`repro.report.check`), parsed
here once; with ``--out``, a record written only on success (see :mod:`repro.commands`)."""
from __future__ import annotations

import argparse


def check_arguments(p: argparse.ArgumentParser) -> None:
    p.add_argument("paths", nargs="+", help="*.verdicts.csv files or directories holding them")
    p.add_argument("--strict", action="store_true",
                   help="inconclusive hard cells and inconclusive order rules fail too")
    p.add_argument("--out", help="write the passing record here")
    p.add_argument("--order-rules", help="order rules (YAML; default config/references/order_rules.yaml)")


def check(a) -> int:
    """The published folders' manifests first (repro.report.manifest), then the ranges and order
    rules; what is printed is the record ``--out`` keeps."""
    import contextlib
    import io as _io

    from .. import io
    from ..report.check import ORDER_RULES_FILE, run_check
    from ..report.manifest import verify_paths

    verify_paths(a.paths)
    buf = _io.StringIO()
    with contextlib.redirect_stdout(buf):
        code = run_check(a.paths, strict=a.strict, order_rules=a.order_rules or ORDER_RULES_FILE)
    print(buf.getvalue(), end="")
    if code == 0 and a.out:
        io.write_text(a.out, buf.getvalue())
    return code
