"""Reports: paper tables from our runs, a verdict per cell, learning curves, provenance, checks.

Flow for one experiment table ``config/tables/<name>.tsv`` whose runs live in
``<runs_root>/<name>/<run_id>/``::

    df       = collect(tsv, runs_root)                  # one row per run (missing runs kept)
    refs     = load_references()                        # config/references/*.csv, validated
    verdicts = cell_verdicts(df, refs, ["fid", "is_mean"])  # one row per cell x metric
    table    = paper_table(df, refs, ["is_mean", "fid"])    # the paper's layout, ours vs paper
    write_table(table, "results/<name>/<name>", verdicts=verdicts, provenance=provenance(df))
    plot_curves(collect_curves(tsv, runs_root), "results/<name>/<name>.curves")
    failures = check.check(verdicts)                    # [] when every hard cell holds

or all of it at once with :func:`write_report`. The verdict vocabulary and its rules are defined
once, in :mod:`repro.report.verdict`. ``repro.report.check`` is the module (its ``check`` and the
CLI-style ``main`` are imported from there), so the package attribute never shadows it.
"""
from . import check
from .cells import cell_verdicts
from .collect import MixedProtocolsError, collect, provenance
from .curves import collect_curves, plot_curves
from .references import load_references
from .tables import paper_table, write_report, write_table
from .verdict import VERDICTS, decide, is_degraded

__all__ = [
    "MixedProtocolsError", "VERDICTS", "cell_verdicts", "check", "collect", "collect_curves",
    "decide", "is_degraded", "load_references", "paper_table", "plot_curves", "provenance",
    "write_report", "write_table",
]
