"""The result files: what every report, selection, check and claim writes, named in one place.

A run directory's own files are defined in :mod:`repro.rundir`; this module names the files the
readers build from a table's runs, under an output prefix (``results/<table>/<table>``). The
writers (:func:`repro.report.tables.write_report`, :func:`repro.report.select.select`, ``repro check``)
take their paths from here (each claim's from its record in :mod:`repro.claims.registry`), and
the workflow's rules declare the same files as their ``output:`` (``workflow/rules/report.smk``:
``output: **outputs("report")``), so a declared output and a written file cannot drift apart. A
writer writes every file it declares (a figure with nothing to plot says why instead), so
Snakemake never stops on its generic missing-output error.

Each entry is ``name: (suffix, category)``: the suffix after the prefix, and the Snakemake
report category of the files shown in ``snakemake --report`` (None: not shown).
"""
from __future__ import annotations

from pathlib import Path

#: A paper table in its three formats (:func:`repro.report.tables.write_table`).
TABLE_FORMATS = {"md": ".md", "csv": ".csv", "tex": ".tex"}

#: ``repro report``: the table at the final and the best checkpoint, verdicts, provenance, curves.
REPORT = {
    **{name: (suffix, "tables" if name == "md" else None) for name, suffix in TABLE_FORMATS.items()},
    **{f"best_{name}": (f".best{suffix}", None) for name, suffix in TABLE_FORMATS.items()},
    "verdicts": (".verdicts.csv", "verdicts"),
    "provenance": (".provenance.csv", None),
    "curves_png": (".curves.png", "learning curves"),
    "curves_pdf": (".curves.pdf", None),
}
#: ``repro select``: the table's rows with the chosen runs, and the ranking they were chosen by.
SELECT = {"runs": (".runs.tsv", None), "selection": (".selection.csv", None),
          "selection_md": (".selection.md", None)}
#: ``repro check --out``: the passing record, one per table, beside its other results.
CHECK = "check.txt"


def spec(kind: str) -> dict[str, tuple[str, str | None]]:
    """The files of ``kind``: "report" or "select" (a claim's are in its registry record,
    :attr:`repro.claims.registry.Claim.files`)."""
    if kind == "report":
        return REPORT
    if kind == "select":
        return SELECT
    raise KeyError(f"no result files of kind {kind!r}")  # a bug in the suite: kinds are ours


def paths(spec: dict[str, tuple[str, str | None]], prefix: str | Path) -> dict[str, Path]:
    """name -> path of every file of ``spec`` (``name: (suffix, category)``) under ``prefix``."""
    prefix = Path(prefix)
    return {name: prefix.with_name(prefix.name + suffix) for name, (suffix, _) in spec.items()}


def files(kind: str, prefix: str | Path) -> dict[str, Path]:
    """name -> path of every file ``kind`` writes under ``prefix``."""
    return paths(spec(kind), prefix)


def run_path(runs_root: str | Path, table: str, run_id: str, name: str | None = None) -> Path:
    """A run's directory, ``<runs_root>/<table>/<run_id>`` (or the file ``name`` in it, one of
    :mod:`repro.rundir`'s names): where the train rule puts it and every reader looks."""
    path = Path(runs_root) / str(table) / str(run_id)
    return path / name if name else path


def table_prefix(results_dir: str | Path, table: str) -> Path:
    """A table's output prefix: ``<results_dir>/<table>/<table>``."""
    return Path(results_dir) / table / table


def check_file(results_dir: str | Path, table: str) -> Path:
    return Path(results_dir) / table / CHECK


def missing(kind: str, prefix: str | Path) -> list[Path]:
    """The declared files of ``kind`` not on disk (empty after a writer's call: tested)."""
    return [p for p in files(kind, prefix).values() if not p.is_file()]
