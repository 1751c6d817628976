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

ROOT = Path(__file__).resolve().parents[2]


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


def test_real_data_gate_error_rates_by_simulation():
    """The CIFAR-10 IS gate (11.24 +- 2 x 0.12, our interval = score +- its split std) against known
    truth: 10 split scores drawn N(mu, 0.12), as an instrument's splits scatter. A correct instrument
    (mu = 11.24) fails the gate in ~0.6 % of draws; one 2 % off (mu = 11.0 or 11.48) passes in ~0.1 %;
    1.2 % off (11.1) passes in ~30 %: the gate resolves an instrument error of about 2 %, which is
    what a wrong resize or port produces (the Chainer port reads 12.0, +6.8 %)."""
    import numpy as np

    from repro.report.references import load_references

    refs = load_references()
    row = refs[(refs["paper_table"] == "table2") & (refs["row"] == "Real data") & (refs["column"] == "CIFAR-10")
               & (refs["metric"] == "is_mean")].iloc[0]
    assert (row["low"], row["high"]) == pytest.approx((11.0, 11.48)) and row["hard"] and row["kind"] == "regression"
    rng = np.random.default_rng(0)

    def held_rate(mu, n=4000):
        x = rng.normal(mu, 0.12, (n, 10))
        return np.mean([judge_real(m, s, row["low"], row["high"], "higher")[0] == "held"
                        for m, s in zip(x.mean(1), x.std(1))])

    assert held_rate(11.24) > 0.98                              # false alarm < 2 %
    assert held_rate(11.0) < 0.01 and held_rate(11.48) < 0.01   # 2 % off: caught
    assert 0.15 < held_rate(11.1) < 0.5                          # 1.2 % off: often missed


def test_gate_ranges_accept_the_tf_graph_and_reject_other_instruments():
    """SNGAN's real-data gate against published values for the same CIFAR-10 images: the TF graph's
    IS through torch-fidelity (README: 11.23678 +- 0.09514, 50,000 train images, 10 splits) passes;
    the Chainer port's 12.0 (chainer-gan-lib README) and torchvision's ImageNet Inception, 9.737 +-
    0.1489 (Barratt & Sharma 2018, arXiv:1801.01973, as quoted in mseitzer/pytorch-fid#82), fail.
    FID: the TF graph's sample-size arithmetic for 5k vs 10k real images, 0.08 + 25,600 x 3e-4 = 7.76
    (docs/fidelity.md, point 13), passes, as does the same scaled by the port's +3.2 % at most."""
    from repro.report.references import load_references

    refs = load_references()
    real = refs[(refs["row"] == "Real data") & (refs["column"] == "CIFAR-10")].set_index("metric")

    def verdict(metric, value, std=None):
        return judge_real(value, std, real.loc[metric, "low"], real.loc[metric, "high"],
                          real.loc[metric, "direction"])[0]

    assert verdict("is_mean", 11.23678, 0.09514) == "held"
    assert verdict("is_mean", 12.0, 0.12) == "better"     # regression kind: fails the gate
    assert verdict("is_mean", 9.737, 0.1489) == "worse"
    c = 7.17 / 2.8e-4  # (10.3233 - 3.15) / ((1/5000 + 1/5000) - (1/50000 + 1/10000))
    predicted = 3.15 - c * 1.2e-4 + c * (1 / 5000 + 1 / 10000)
    assert predicted == pytest.approx(7.76, abs=0.01)
    assert verdict("fid", predicted) == "held" and verdict("fid", predicted * 1.032) == "held"
    assert verdict("fid", 3.15) == "better" and verdict("fid", 10.3233) == "worse"  # other sample sizes
