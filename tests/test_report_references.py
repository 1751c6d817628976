"""Every number in config/references/ is a row of the project's collected facts.

The shared file lives next to the repository (``../shared/references/references.csv`` from the
repository root, locally and in CI); without it the cross-check is skipped.
"""
from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest

from repro.report.references import REFERENCE_DIR, load_references

SHARED = Path(__file__).resolve().parents[1].parent / "shared" / "references" / "references.csv"
#: Our metric keys -> the shared file's metric names.
METRIC_NAMES = {"fid": "FID", "is_mean": "IS"}


@pytest.fixture(scope="module")
def shared():
    if not SHARED.is_file():
        pytest.skip(f"shared reference facts not found at {SHARED}")
    return pd.read_csv(SHARED, dtype=str, keep_default_na=False)


@pytest.fixture(scope="module")
def ours():
    """The papers' numbers, the real-data gate's included (the smoke suite's own regression ranges
    are derived, not quoted)."""
    refs = load_references(REFERENCE_DIR)
    return refs[refs["paper"] != "smoke"]


def _same_number(text: str, value: float) -> bool:
    try:
        return abs(float(text) - value) <= 1e-9 * max(1.0, abs(value))
    except ValueError:
        return False


def test_every_reference_value_is_in_the_shared_file(shared, ours):
    problems = []
    for _, r in ours.iterrows():
        m = shared[(shared["paper"] == r["paper"]) & (shared["dataset"] == r["source_dataset"])
                   & (shared["method"] == r["source_method"])
                   & (shared["metric"] == METRIC_NAMES[r["metric"]]) & (shared["source"] == r["source"])]
        m = m[m["value"].map(lambda v: _same_number(v, r["value"])).astype(bool)]
        if pd.isna(r["std"]):
            m = m[(m["std"].str.strip() == "").astype(bool)]
        else:
            m = m[m["std"].map(lambda s: _same_number(s, r["std"])).astype(bool)]
        if len(m) != 1:
            problems.append(f"{r['origin']}: {r['paper']} {r['row']} / {r['column']} {r['metric']} "
                            f"{r['value']} matches {len(m)} shared rows")
    assert not problems, "\n".join(problems)


def test_unverified_sources_are_never_hard(shared, ours):
    unverified = shared.loc[shared["source"].str.contains("UNVERIFIED"), "source"]
    rows = ours[ours["source"].isin(set(unverified))]
    assert len(rows) > 0
    assert not rows["verified"].any() and not rows["hard"].any()


def test_hard_references_are_primary_paper_text(ours):
    hard = ours[ours["hard"]]
    assert hard["source"].str.contains(r"\[PRIMARY: paper text", regex=True).all()
    # SNGAN: the 22 IS method rows (TF graph) and the 4 real-data gate rows; its 22 FID rows were
    # made with the Chainer port of Inception (issue 25): never hard
    sngan = hard[hard["paper"] == "SNGAN"]
    assert len(sngan) == 26 and set(sngan.loc[sngan["kind"] == "paper", "metric"]) == {"is_mean"}
    assert set(sngan.loc[sngan["kind"] == "regression", "row"]) == {"Real data"}
    sagan = hard[hard["paper"] == "SAGAN"].set_index(["row", "column"])["value"].to_dict()
    assert sagan == {("SAGAN", "feat8"): 22.98, ("SAGAN", "feat32"): 18.28,
                     ("Residual", "feat8"): 42.13, ("Residual", "feat32"): 27.33}
