"""What every claim shares: the check of its inputs, running it, and the provenance lines."""
from __future__ import annotations

import json
from pathlib import Path

import pandas as pd

from ..report.collect import collect
from .registry import Claim, ClaimError, get

__all__ = ["check_inputs", "write_claim", "provenance_lines"]


def provenance_lines(df: pd.DataFrame) -> list[str]:
    """Where and with what the table's runs were made: device, library versions, commits, time."""
    done = df[df["status"].isin(("completed", "diverged"))]
    versions = sorted(set(done["versions"].dropna()))
    lines = [f"- runs: {len(done)} of {len(df)} finished ({int((done['status'] == 'diverged').sum())} diverged)",
             f"- device: {', '.join(sorted(set(done['device'].dropna().astype(str)))) or '-'}",
             f"- training time, summed over runs: {done['wall_seconds'].sum() / 60:.1f} min "
             "(the wall time of the whole workflow is in this folder's README)",
             f"- code: {', '.join(sorted(set(done['git_commit'].dropna().astype(str)))) or '-'}"]
    for v in versions:
        lines.append("- versions: " + ", ".join(f"{k} {x}" for k, x in json.loads(v).items()))
    return lines


def check_inputs(claim: Claim, table_tsv: Path, runs_root: Path) -> None:
    """Refuse, saying what is missing, a table the analysis cannot judge: the columns it reads,
    at least one finished run, and the final metrics it reads in every completed run."""
    kind = claim.name
    df = collect(table_tsv, runs_root)
    lacking = [c for c in claim.columns if c not in df.columns or df[c].isna().all()]
    if lacking:
        raise ClaimError(f"{table_tsv}: claim {kind!r} reads the table columns {list(claim.columns)}; "
                         f"missing or empty: {lacking}")
    done = df[df["status"] == "completed"]
    if done.empty:
        raise ClaimError(f"claim {kind!r}: no completed run of {table_tsv} under "
                         f"{Path(runs_root) / table_tsv.stem} ({len(df)} runs: "
                         f"{df['status'].value_counts().to_dict()}); train them first")
    # NaN in some runs is a result (no mode covered: no KL); in none of them, a missing metric
    absent = [m for m in claim.metrics if f"final_{m}" not in done.columns or done[f"final_{m}"].isna().all()]
    if absent:
        raise ClaimError(f"claim {kind!r} needs the final metrics {list(claim.metrics)} of the completed "
                         f"runs; the runs of {table_tsv} lack {absent} (scored under protocol(s) "
                         f"{sorted(set(done['protocol_name'].dropna()))})")


def write_claim(name: str, table_tsv: str | Path, runs_root: str | Path, out_prefix: str | Path) -> dict[str, Path]:
    """Run the claim `name` on a table's runs; its files go to ``<out_prefix><suffix>``."""
    claim = get(name)
    check_inputs(claim, Path(table_tsv), Path(runs_root))
    return claim.analyse(Path(table_tsv), Path(runs_root), claim.paths(out_prefix))
