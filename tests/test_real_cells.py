"""'Real data' cells: real images scored under the cell's protocol, judged by their own noise."""
import json
import math
import shutil
from pathlib import Path

import pytest

from repro.experiments import TableError, validate
from repro.report import cell_verdicts, collect, load_references
from repro.report.real import judge_real
from repro.scoring import score_real_row

ROOT = Path(__file__).resolve().parents[1]


def test_judge_real_by_hand():
    # SNGAN's CIFAR-10 real IS 11.24, +-5%: [10.678, 11.802]
    assert judge_real(11.0, 0.12, 10.678, 11.802, "higher")[0] == "held"   # [10.88, 11.12]
    verdict, _, low, high = judge_real(10.0, 0.1, 10.678, 11.802, "higher")
    assert verdict == "worse" and (low, high) == (9.9, 10.1)
    # FID has no split std: the 1 % floor, 5 +- 0.05, below [7.02, 8.58]: lower is better
    verdict, _, low, high = judge_real(5.0, None, 7.02, 8.58, "lower")
    assert verdict == "better" and math.isclose(low, 4.95) and math.isclose(high, 5.05)
    assert judge_real(5.0, None, None, None, "lower", "no reference for fid")[:2] == \
        ("inconclusive", "no reference for fid")
    assert judge_real(float("nan"), None, 1, 2, "lower")[0] == "inconclusive"
    # equivalence, not overlap: [11.6, 12.0] overlaps [10.678, 11.802] but is not inside it
    assert judge_real(11.8, 0.2, 10.678, 11.802, "higher")[0] == "inconclusive"


def test_smoke_real_cell_is_scored_and_judged_like_any_cell(tmp_path):
    tsv = tmp_path / "smoke_real.tsv"
    shutil.copy(ROOT / "config" / "tables" / "smoke_real.tsv", tsv)
    score_real_row(tsv, "digits-real", tmp_path / "runs" / "smoke_real" / "digits-real")
    stored = json.loads((tmp_path / "runs" / "smoke_real" / "digits-real" / "scores.json").read_text())
    assert stored["status"] == "completed" and stored["kind"] == "real"
    assert stored["final"]["protocol_name"] == "digits" and stored["source"]["name"] == "digits-16"
    v = cell_verdicts(collect(tsv, tmp_path / "runs"), load_references(), checkpoints=("final",))
    v = v.set_index("metric")
    is_ = v.loc["is_mean"]
    assert is_["n"] == 1 and is_["std"] == stored["final"]["is_std"]  # the std over 10 splits
    half = max(stored["final"]["is_std"], 0.01 * stored["final"]["is_mean"])
    assert math.isclose(is_["ours_low"], stored["final"]["is_mean"] - half)
    assert is_["verdict"] == "held" and v.loc["fid", "verdict"] == "held"
    assert is_["ref_kind"] == "regression"


@pytest.mark.parametrize("change, column", [({"real": "digits-64"}, "real"),
                                            ({"dataset": "cifar10", "resolution": "32"}, "dataset"),
                                            ({"protocol": "sngan"}, "protocol")])
def test_bad_real_rows_name_line_and_column(tmp_path, change, column):
    lines = (ROOT / "config" / "tables" / "smoke_real.tsv").read_text().splitlines()
    header = lines[0].split("\t")
    row = dict(zip(header, lines[1].split("\t")), **change)
    bad = tmp_path / "t.tsv"
    bad.write_text("\n".join([lines[0], "\t".join(row[h] for h in header)]) + "\n")
    with pytest.raises(TableError, match=rf"t.tsv, line 2, column '{column}'"):
        validate(bad)
