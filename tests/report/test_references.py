"""repro.report.references: reference files validated and loaded, smoke ranges pooled, and every
number in config/references/ a row of the project's collected facts.

The shared file lives beside the repository: ``shared/references/references.csv`` in the nearest
folder above the repository root (``../shared`` for a clone, ``../../shared`` for a worktree under
``wt/``); without it the cross-check fails, naming where it looked.
"""
from __future__ import annotations

import math
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from repro.errors import UserError
from repro.report.references import (REFERENCE_DIR, ReferenceError, load_references, pool, pooled_ranges,
                                     resolve_tolerance, validate)

ROOT = Path(__file__).resolve().parents[2]
#: The shared facts: the first ``shared/references/references.csv`` above the repository root.
SHARED = [d / "shared" / "references" / "references.csv" for d in ROOT.parents]
#: Our metric keys -> the shared file's metric names.
METRIC_NAMES = {"fid": "FID", "is_mean": "IS"}


@pytest.fixture(scope="module")
def shared():
    found = [p for p in SHARED if p.is_file()]
    assert found, f"shared reference facts not found at any of {[str(p) for p in SHARED]}"
    return pd.read_csv(found[0], dtype=str, keep_default_na=False)


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


def test_old_paper_table_name_table_is_refused_in_references_and_tables(tmp_path):
    """``table`` was the paper's table label before issue 12 named it ``paper_table``; issue 22
    reads no old names: the shipped LSGAN references and mixture table with the old header are
    refused, each naming the file and the missing ``paper_table``."""
    from repro.experiments import TableError, validate as validate_table

    shipped = ROOT / "config"
    refs, tsv = shipped / "references" / "lsgan.csv", shipped / "tables" / "lsgan_mog.tsv"
    old_refs, old_tsv = tmp_path / refs.name, tmp_path / tsv.name
    old_refs.write_text(refs.read_text().replace("paper,paper_table,", "paper,table,", 1))
    old_tsv.write_text(tsv.read_text().replace("\tpaper_table\t", "\ttable\t", 1))
    with pytest.raises(ReferenceError, match=r"lsgan.csv: missing column\(s\) \['paper_table'\]"):
        load_references(old_refs)
    with pytest.raises(TableError, match=r"lsgan_mog.tsv, line 2, column 'paper_table': .*required"):
        validate_table(old_tsv)


def test_reference_validation_errors():
    base = {"paper": "P", "paper_table": "t", "row": "r", "column": "c", "metric": "fid", "value": "10",
            "std": "", "protocol": "sngan", "source": "paper [PRIMARY]", "tolerance": "10%",
            "direction": "lower"}
    ok = validate(pd.DataFrame([base]))
    assert ok.loc[0, "hard"] and ok.loc[0, "verified"] and ok.loc[0, "low"] == pytest.approx(9.0)
    with pytest.raises(ReferenceError, match="value"):
        validate(pd.DataFrame([{**base, "value": "N/A"}]))
    with pytest.raises(ReferenceError, match="direction"):
        validate(pd.DataFrame([{**base, "direction": "higher"}]))  # FID is lower-is-better
    with pytest.raises(ReferenceError, match="hard"):
        validate(pd.DataFrame([{**base, "source": "UNVERIFIED: recalled", "hard": "true",
                                "verified": "false"}]))
    with pytest.raises(ReferenceError, match="UNVERIFIED"):
        validate(pd.DataFrame([{**base, "source": "UNVERIFIED: recalled", "verified": "true"}]))
    unv = validate(pd.DataFrame([{**base, "source": "UNVERIFIED: recalled"}]))
    assert not unv.loc[0, "verified"] and not unv.loc[0, "hard"]
    with pytest.raises(ReferenceError, match="required|missing"):
        validate(pd.DataFrame([{k: v for k, v in base.items() if k != "tolerance"}]))
    with pytest.raises(ReferenceError, match="duplicate"):
        validate(pd.DataFrame([base, {**base, "paper_table": "T"}]))
    assert resolve_tolerance("2sd", 7.0, 0.1) == pytest.approx(0.2)
    assert resolve_tolerance("0.5", 7.0, math.nan) == 0.5
    assert resolve_tolerance("5%", 7.0, math.nan) == pytest.approx(0.35)


def test_repository_references_load():
    refs = load_references()  # the shipped files themselves: what this test is about
    assert len(refs) > 0 and set(refs["direction"]) <= {"lower", "higher"}
    assert not (refs["hard"] & ~refs["verified"]).any()
    hard = refs[refs["hard"] & (refs["kind"] == "paper")]
    assert set(hard["paper"]) == {"SNGAN", "SAGAN"}
    # regression ranges: the smoke suite's and SNGAN's real-data gate (issue 25)
    regression = refs[refs["kind"] == "regression"]
    assert set(regression["paper"]) == {"smoke", "SNGAN"} and set(regression.loc[regression["paper"] == "SNGAN", "row"]) == {"Real data"}
    assert sorted(hard.loc[hard["paper"] == "SAGAN", "value"]) == [18.28, 22.98, 27.33, 42.13]


def test_pool_equals_the_statistics_of_the_concatenated_samples():
    rng = np.random.default_rng(0)
    a, b, c = rng.normal(2, 1, 7), rng.normal(3.5, 2, 10), rng.exponential(0.01, 4)
    for groups in ((a, b), (a, b, c), (b,)):
        n, mean, sd = pool((len(g), g.mean(), g.std(ddof=1)) for g in groups)
        allv = np.concatenate(groups)
        assert n == len(allv)
        assert mean == pytest.approx(allv.mean(), rel=1e-12)
        assert sd == pytest.approx(allv.std(ddof=1), rel=1e-12)


def _verdicts(path, n, mean, std, g_updates=4000, protocol="mog"):
    path.parent.mkdir(parents=True, exist_ok=True)
    pd.DataFrame([{"paper": "smoke", "paper_table": path.parent.name, "row": "LSGAN", "column": "ring",
                   "metric": "modes_covered", "checkpoint": "final", "n": n, "mean": mean, "std": std,
                   "g_updates": g_updates, "protocol_name": protocol}]).to_csv(path, index=False)
    return path


def _short(tmp_path):
    row = {"run_id": "s0", "paper": "smoke", "paper_table": "short", "row": "LSGAN", "column": "ring",
           "dataset": "mog_ring", "resolution": 0, "arch": "mlp", "norm_d": "none", "loss": "least_squares",
           "ls_coding": "iccv", "setting": "lsgan_mog", "update": "simultaneous", "g_updates": 4000,
           "seed": 0, "protocol": "mog"}
    tsv = tmp_path / "short.tsv"
    tsv.write_text("\t".join(row) + "\n" + "\t".join(str(v) for v in row.values()) + "\n")
    return tsv


def test_pooled_ranges_pool_the_groups_and_name_them(tmp_path):
    one = _verdicts(tmp_path / "cal_a" / "v.csv", 10, 5.1, 1.37)   # a hand count: 20 runs in all
    two = _verdicts(tmp_path / "cal_b" / "v.csv", 10, 5.9, 1.10)
    row = pooled_ranges(_short(tmp_path), [one, two], ["modes_covered"]).iloc[0]
    # mean (51 + 59) / 20; SS = 9*1.37^2 + 9*1.10^2 + 10*0.4^2 + 10*0.4^2
    assert row["value"] == pytest.approx(5.5)
    assert row["std"] == pytest.approx(np.sqrt((9 * 1.37**2 + 9 * 1.10**2 + 3.2) / 19), abs=1e-6)
    assert row["g_updates"] == 4000 and row["kind"] == "regression" and row["direction"] == "higher"
    assert "10 runs of cal_a; 10 runs of cal_b" in row["tolerance_note"]


def test_pooled_ranges_refuse_a_group_of_another_length_or_a_missing_file(tmp_path):
    short = _short(tmp_path)
    other = _verdicts(tmp_path / "cal_c" / "v.csv", 10, 5.0, 1.0, g_updates=2000)
    with pytest.raises(UserError, match="trained 2000 updates under 'mog', not 4000"):
        pooled_ranges(short, [other], ["modes_covered"])
    with pytest.raises(UserError, match="no such verdicts file"):
        pooled_ranges(short, [tmp_path / "nope.csv"], ["modes_covered"])
