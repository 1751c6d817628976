"""repro.report on fake run directories whose numbers the tests choose."""
from __future__ import annotations

import json
import math
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import yaml

from repro.metrics.protocol import get_protocol
from repro.report import (MixedProtocolsError, cell_verdicts, collect, collect_curves,
                          load_references, paper_table, plot_curves, provenance, write_report,
                          write_table)
from repro.report.check import check, check_order_rules, load_order_rules
from repro.report.check import main as check_main
from repro.report.references import ReferenceError, resolve_tolerance, validate
from repro.report.verdict import (BETTER, DIVERGED, HELD, INCONCLUSIVE, STD_FLOOR_REL, VERDICTS,
                                  WORSE, compare, decide, is_degraded, judge,
                                  our_interval, seeds_needed)

from fake_runs import CURVE, MOG, SNGAN, TSV_COLUMNS, run_row, score, write_run, write_tsv  # noqa: F401


SN_FIDS = [29.0, 30.1, 28.5]
SN_IS = [7.40, 7.52, 7.31]


@pytest.fixture
def table(tmp_path):
    """A small SNGAN Table 2: SN-GANs (3 seeds, fine), WGAN-GP (2 of 3 diverged),
    Weight clipping (1 completed, 1 without directory, 1 still running), Layer Norm. (degraded: final far worse than best)."""
    runs = tmp_path / "runs"
    rows = []
    for s, (fid, is_) in enumerate(zip(SN_FIDS, SN_IS)):
        rid = f"sn-c10-s{s}"
        rows.append(run_row(rid, "SN-GANs", "CIFAR-10", s))
        write_run(runs, "sngan_t2", rid, seed=s, gpu="NVIDIA H100" if s == 0 else None,
                  final=score(fid=fid, is_mean=is_, is_std=0.1),
                  best=score(step=90000, fid=fid - 0.5, is_mean=is_ + 0.01, is_std=0.1),
                  curve={"step": [1000, 2000, 3000], "fid": [90.0 - s, 60.0 - s, 40.0 - s],
                         "is_mean": [3.0, 5.0, 6.0 + 0.1 * s], "protocol_key": [CURVE.key()] * 3,
                         "protocol_name": ["curve-inception"] * 3})
    for s in range(3):
        rid = f"wgp-c10-s{s}"
        rows.append(run_row(rid, "WGAN-GP", "CIFAR-10", s))
        if s < 2:
            write_run(runs, "sngan_t2", rid, seed=s, status="diverged", diverged_at=1234 + s,
                      curve={"step": [1000], "fid": [200.0], "is_mean": [2.0]})
        else:
            write_run(runs, "sngan_t2", rid, seed=s, final=score(fid=41.0, is_mean=6.6, is_std=0.1))
    for s in range(3):
        rid = f"wc-c10-s{s}"
        rows.append(run_row(rid, "Weight clipping", "CIFAR-10", s))
    write_run(runs, "sngan_t2", "wc-c10-s0", seed=0, final=score(fid=42.0, is_mean=6.4, is_std=0.1))
    running = runs / "sngan_t2" / "wc-c10-s2"
    running.mkdir(parents=True)
    (running / "status.json").write_text(json.dumps({"state": "running", "step": 500}))
    for s in range(2):  # Layer Norm.: final much worse than best in one run
        rid = f"ln-c10-s{s}"
        rows.append(run_row(rid, "Layer Norm.", "CIFAR-10", s))
        final_fid = 45.0 if s == 0 else 34.0
        write_run(runs, "sngan_t2", rid, seed=s, final=score(fid=final_fid, is_mean=7.0, is_std=0.1),
                  best=score(step=40000, fid=33.0, is_mean=7.2, is_std=0.1))
    tsv = write_tsv(tmp_path / "sngan_t2.tsv", rows)
    return tsv, runs


#: Fixture references, written here and not read from the shipped config/references/, so that
#: editing a paper's number there cannot break a test of the verdict logic. The values are the
#: papers' (SNGAN Table 2, SAGAN Table 1), which the expectations below are written against.
FIXTURE_REFERENCES = """\
paper,table,row,column,metric,checkpoint,value,std,direction,protocol,g_updates,tolerance,kind,verified,hard,source
SNGAN,table2,SN-GANs,CIFAR-10,fid,final,29.3,,lower,sngan,100000,10%,paper,true,true,fixture
SNGAN,table2,SN-GANs,CIFAR-10,is_mean,final,7.42,,higher,sngan,100000,5%,paper,true,true,fixture
SNGAN,table2,WGAN-GP,CIFAR-10,fid,final,40.2,,lower,sngan,100000,10%,paper,true,true,fixture
SNGAN,table2,WGAN-GP,CIFAR-10,is_mean,final,6.68,,higher,sngan,100000,5%,paper,true,true,fixture
SNGAN,table2,Weight clipping,CIFAR-10,fid,final,42.6,,lower,sngan,100000,10%,paper,true,true,fixture
SNGAN,table2,Weight clipping,CIFAR-10,is_mean,final,6.41,,higher,sngan,100000,5%,paper,true,true,fixture
SNGAN,table2,Layer Norm.,CIFAR-10,fid,final,33.9,,lower,sngan,100000,10%,paper,true,true,fixture
SNGAN,table2,Layer Norm.,CIFAR-10,is_mean,final,7.19,,higher,sngan,100000,5%,paper,true,true,fixture
SNGAN,table2,Orthonormal,CIFAR-10,fid,final,29.0,,lower,sngan,100000,10%,paper,true,true,fixture
SNGAN,table2,Orthonormal,CIFAR-10,is_mean,final,7.40,,higher,sngan,100000,5%,paper,true,true,fixture
SAGAN,table1,SAGAN,feat8,fid,final,22.98,,lower,sagan-imagenet128-50k,,10%,paper,true,true,fixture
SAGAN,table1,SAGAN,feat16,fid,final,22.14,,lower,sagan-imagenet128-50k,,10%,paper,false,false,fixture
"""


@pytest.fixture
def refs(tmp_path):
    path = tmp_path / "fixture_references.csv"
    path.write_text(FIXTURE_REFERENCES)
    return load_references(path)


# --------------------------------------------------------------------------- collect
def test_collect_reads_runs_and_keeps_missing(table):
    tsv, runs = table
    df = collect(tsv, runs)
    assert list(df["run_id"]) == pd.read_csv(tsv, sep="\t")["run_id"].tolist()
    st = df.set_index("run_id")["status"]
    assert st["sn-c10-s0"] == "completed"
    assert st["wgp-c10-s0"] == st["wgp-c10-s1"] == "diverged"
    assert st["wc-c10-s1"] == st["wc-c10-s2"] == "missing"
    notes = df.set_index("run_id")["note"]
    assert notes["wc-c10-s1"] == "no run directory"
    assert "running" in notes["wc-c10-s2"] and "500" in notes["wc-c10-s2"]
    d = df.set_index("run_id")
    assert d.loc["wgp-c10-s1", "diverged_at"] == 1235
    assert d.loc["sn-c10-s1", "final_fid"] == SN_FIDS[1]
    assert d.loc["sn-c10-s1", "best_fid"] == pytest.approx(SN_FIDS[1] - 0.5)
    assert d.loc["sn-c10-s1", "best_step"] == 90000
    assert d.loc["sn-c10-s0", "protocol_key"] == SNGAN.key()
    assert d.loc["sn-c10-s0", "protocol_name"] == "sngan"
    # provenance: the GPU name when there is one, else the device
    assert d.loc["sn-c10-s0", "device"] == "NVIDIA H100"
    assert d.loc["sn-c10-s1", "device"] == "cpu"
    assert d.loc["sn-c10-s1", "torch"] == "2.15.0"
    assert d.loc["sn-c10-s1", "config_hash"] == "hash-sn-c10-s1"
    assert d.loc["sn-c10-s1", "git_commit"] == "abc123"
    assert d.loc["sn-c10-s1", "wall_seconds"] == 12.5
    assert d.loc["sn-c10-s2", "seed"] == 2
    prov = provenance(df)
    assert len(prov) == len(df) and {"run_id", "config_hash", "seed", "protocol_key", "git_commit",
                                     "versions", "device"} <= set(prov.columns)


def test_collect_mixed_protocols_in_one_cell_raise(table):
    tsv, runs = table
    p = runs / "sngan_t2" / "sn-c10-s2" / "scores.json"
    s = json.loads(p.read_text())
    other = get_protocol("50k-train")
    s["final"].update(protocol_name=other.name, protocol_key=other.key())
    s["best"].update(protocol_name=other.name, protocol_key=other.key())
    p.write_text(json.dumps(s))
    with pytest.raises(MixedProtocolsError) as e:
        collect(tsv, runs)
    msg = str(e.value)
    assert "SN-GANs" in msg and "CIFAR-10" in msg and SNGAN.key() in msg and other.key() in msg


def test_collect_refuses_another_runs_seed(table):
    tsv, runs = table
    p = runs / "sngan_t2" / "sn-c10-s1" / "scores.json"
    s = json.loads(p.read_text())
    s["seed"] = 7
    p.write_text(json.dumps(s))
    with pytest.raises(ValueError, match="sn-c10-s1"):
        collect(tsv, runs)


# --------------------------------------------------------------------------- statistics, verdicts
def test_cell_mean_and_std_equal_numpy(table, refs):
    tsv, runs = table
    v = cell_verdicts(collect(tsv, runs), refs, ["fid", "is_mean"])
    sn = v[(v["row"] == "SN-GANs")].set_index("metric")
    assert sn.loc["fid", "n"] == 3
    assert sn.loc["fid", "mean"] == pytest.approx(np.mean(SN_FIDS))
    assert sn.loc["fid", "std"] == pytest.approx(np.std(SN_FIDS, ddof=1))
    assert sn.loc["is_mean", "mean"] == pytest.approx(np.mean(SN_IS))
    assert sn.loc["is_mean", "std"] == pytest.approx(np.std(SN_IS, ddof=1))
    # the paper's SN-GANs CIFAR-10: FID 29.3 (±10%), IS 7.42 (±5%)
    assert sn.loc["fid", "ref_value"] == 29.3 and sn.loc["fid", "verdict"] == HELD
    assert sn.loc["is_mean", "ref_value"] == 7.42 and sn.loc["is_mean", "verdict"] == HELD
    assert sn.loc["fid", "ref_low"] == pytest.approx(29.3 * 0.9)


def test_cell_verdicts_diverged_missing_and_degraded(table, refs):
    tsv, runs = table
    v = cell_verdicts(collect(tsv, runs), refs, ["fid"]).set_index("row")
    assert v.loc["WGAN-GP", "verdict"] == DIVERGED
    assert (v.loc["WGAN-GP", "n_diverged"], v.loc["WGAN-GP", "n_runs"]) == (2, 3)
    wc = v.loc["Weight clipping"]
    assert wc["verdict"] == INCONCLUSIVE and wc["n"] == 1 and wc["n_missing"] == 2
    assert "min_seeds" in wc["reason"]
    ln = v.loc["Layer Norm."]
    assert ln["degraded"] == 1  # 45 > 33 x 1.25 + 1 = 42.25; 34 is not
    assert v.loc["SN-GANs", "degraded"] == 0


def test_best_checkpoint_is_judged_against_best_references(table, refs):
    tsv, runs = table
    v = cell_verdicts(collect(tsv, runs), refs, ["fid"], checkpoints=["final", "best"])
    best = v[(v["row"] == "SN-GANs") & (v["checkpoint"] == "best")].iloc[0]
    assert best["mean"] == pytest.approx(np.mean(SN_FIDS) - 0.5)
    assert best["verdict"] == INCONCLUSIVE and "no reference" in best["reason"]  # SNGAN refs are final


@pytest.mark.parametrize("values, low, high, direction, expected", [
    ([29.0, 30.0, 28.5], 26.0, 32.0, "lower", HELD),
    ([20.0, 20.5, 19.5], 26.0, 32.0, "lower", BETTER),
    ([40.0, 41.0, 39.0], 26.0, 32.0, "lower", WORSE),
    ([7.4, 7.5, 7.3], 7.0, 7.8, "higher", HELD),
    ([8.5, 8.6, 8.4], 7.0, 7.8, "higher", BETTER),
    ([6.0, 6.1, 5.9], 7.0, 7.8, "higher", WORSE),
    ([0.01, 0.02], 0.2, 0.4, "lower", BETTER),     # kl_uniform: lower is better
    # modes covered: mean 7.67, s 0.58, 90% t half-width 2.920 x 0.577 / √3 = 0.97 -> [6.69, 8.64]
    # straddles [7.5, 8.0] (the overlap rule called this held)
    ([7.0, 8.0, 8.0], 7.5, 8.0, "higher", INCONCLUSIVE),
])
def test_decide_both_directions(values, low, high, direction, expected):
    verdict, _ = decide(values, ref_low=low, ref_high=high, direction=direction)
    assert verdict == expected


def test_decide_is_an_equivalence_test_not_an_overlap():
    # mean 34, std 2, n 3: t_{0.95, 2} = 2.919986 (Student-t table), half-width 2.92 x 2 / √3 = 3.372
    j = judge([32.0, 34.0, 36.0], ref_low=26.4, ref_high=32.2, direction="lower")
    assert (j.low, j.high) == pytest.approx((34 - 3.3717, 34 + 3.3717), abs=1e-3)
    assert j.verdict == INCONCLUSIVE and "30.63–37.37" in j.reason and "26.4–32.2" in j.reason
    # ... the old rule (mean ± std [32, 36] touches [26.4, 32.2]) called it held
    assert compare(34.0, 2.0, 26.4, 32.2, "lower") == HELD
    # seeds needed at mean 34, s 2: distance to the edge 1.8; n = 6 gives t_{.95,5} 2.015 x 2 / √6
    # = 1.645 <= 1.8, n = 5 gives 2.132 x 2 / √5 = 1.907 > 1.8
    assert j.seeds_needed == 6 and "~6 seeds" in j.reason
    # same mean, no spread: s is the 1% floor 0.34; half-width 2.92 x 0.34 / √3 = 0.573: worse
    j = judge([34.0, 34.0, 34.0], ref_low=26.4, ref_high=32.2, direction="lower")
    assert j.verdict == WORSE and (j.low, j.high) == pytest.approx((33.427, 34.573), abs=1e-3)
    assert our_interval(34.0, 0.0) == pytest.approx((34 * (1 - STD_FLOOR_REL), 34 * (1 + STD_FLOOR_REL)))
    # the confidence level is a parameter: at 50% (t_{.75,2} = 0.8165) the same seeds hold
    # [25, 26, 27] inside [22.5, 27.5]: half 0.8165 / √3 = 0.471 at 50%, 2.92 / √3 = 1.686 at 90%
    assert judge([25.0, 26.0, 27.0], ref_low=22.5, ref_high=27.5, direction="lower",
                 confidence=0.5).verdict == HELD
    assert judge([25.0, 26.0, 27.0], ref_low=22.5, ref_high=27.5, direction="lower").verdict == INCONCLUSIVE
    # the example: FID 30 ± 8 over three seeds against 25 ± 2.5 is not held
    assert decide([22.0, 30.0, 38.0], ref_low=22.5, ref_high=27.5, direction="lower")[0] == INCONCLUSIVE
    # a mean exactly on an edge is never decided
    assert seeds_needed(27.5, 1.0, 22.5, 27.5) is None


def test_decide_diverged_and_inconclusive_rules():
    kw = dict(ref_low=26.0, ref_high=32.0, direction="lower")
    assert decide([], n_diverged=3, **kw)[0] == DIVERGED                     # all diverged
    assert decide([29.0], n_diverged=2, **kw)[0] == DIVERGED                 # 2 of 3
    # [29.0, 29.2]: s = the 1% floor 0.292, half 6.314 x 0.292 / √2 = 1.30 -> [27.8, 30.4] inside
    assert decide([29.0, 29.2], n_diverged=1, **kw)[0] == HELD               # 1 of 3: judged on 2
    assert decide([29.0], n_diverged=1, **kw)[0] == INCONCLUSIVE             # 1 of 2: n=1
    assert decide([29.0, 29.2], n_diverged=2, **kw)[0] == HELD               # 2 of 4: no majority
    assert decide([], n_missing=3, **kw)[0] == INCONCLUSIVE                  # nothing finished
    assert decide([29.0], **kw)[0] == INCONCLUSIVE                           # n < min_seeds
    assert decide([29.0], min_seeds=1, **kw) == (INCONCLUSIVE, "n=1: one seed has no interval")
    assert decide([29.0, float("nan")], **kw)[0] == INCONCLUSIVE             # NaN does not count
    verdict, reason = decide([29.0, 30.0], no_reference="protocol mismatch: x")
    assert verdict == INCONCLUSIVE and reason == "protocol mismatch: x"
    # the vocabulary is exactly what the rule produces: every verdict is reached, none other
    reached = {decide(values, **kw, **extra)[0] for values, extra in (
        ([29.0, 29.2], {}), ([20.0, 20.5, 19.5], {}), ([40.0, 41.0, 39.0], {}),
        ([], {"n_diverged": 3}), ([29.0], {}))}
    assert reached == set(VERDICTS)


def test_degraded_flag():
    assert is_degraded(40.0, 30.0, "fid")         # 40 > 30 x 1.25 + 1 = 38.5
    assert not is_degraded(38.0, 30.0, "fid")
    assert is_degraded(5.0, 7.0, "is_mean")       # 5 x 1.25 = 6.25 < 7
    assert not is_degraded(6.0, 7.0, "is_mean")
    assert is_degraded(4, 8, "modes_covered") and not is_degraded(7, 8, "modes_covered")
    assert not is_degraded(None, 30.0, "fid") and not is_degraded(math.nan, 30.0, "fid")


def test_protocol_and_budget_mismatch_are_inconclusive(tmp_path, refs):
    runs = tmp_path / "runs"
    rows = []
    other = get_protocol("50k-train")
    for s in range(2):
        rows.append(run_row(f"a{s}", "SN-GANs", "CIFAR-10", s))
        write_run(runs, "t", f"a{s}", seed=s, final=score(other, fid=29.0 + s))
        rows.append(run_row(f"b{s}", "Orthonormal", "CIFAR-10", s, g_updates=1000))
        write_run(runs, "t", f"b{s}", seed=s, final=score(fid=29.0 + s))
    v = cell_verdicts(collect(write_tsv(tmp_path / "t.tsv", rows), runs), refs, ["fid"]).set_index("row")
    assert v.loc["SN-GANs", "verdict"] == INCONCLUSIVE
    assert "protocol mismatch" in v.loc["SN-GANs", "reason"]
    assert v.loc["SN-GANs", "ref_value"] == 29.3  # still shown
    assert v.loc["Orthonormal", "verdict"] == INCONCLUSIVE
    assert "budget mismatch" in v.loc["Orthonormal", "reason"]
    from repro.report.check import undecided  # never compared: more seeds would not decide them

    assert not undecided(v.loc["SN-GANs"]) and not undecided(v.loc["Orthonormal"])


def test_unverified_reference_is_never_a_bound(tmp_path, refs):
    runs = tmp_path / "runs"
    prot = SNGAN.replace(name="sagan-imagenet128-50k")  # stand-in carrying the reference's name
    rows = []
    for s in range(3):
        rows.append({**run_row(f"f{s}", "SAGAN", "feat16", s), "paper": "SAGAN", "paper_table": "table1"})
        write_run(runs, "t", f"f{s}", seed=s, final=score(prot, fid=80.0 + s))
        rows.append({**run_row(f"e{s}", "SAGAN", "feat8", s), "paper": "SAGAN", "paper_table": "table1"})
        write_run(runs, "t", f"e{s}", seed=s, final=score(prot, fid=80.0 + s))
    v = cell_verdicts(collect(write_tsv(tmp_path / "t.tsv", rows), runs), refs, ["fid"]).set_index("column")
    assert v.loc["feat16", "verdict"] == INCONCLUSIVE and "unverified" in v.loc["feat16", "reason"]
    assert not v.loc["feat16", "ref_hard"]
    assert v.loc["feat8", "verdict"] == WORSE and v.loc["feat8", "ref_hard"]  # 22.98 is verified
    failures = check(v.reset_index())
    assert len(failures) == 1 and "feat8" in failures[0]


# --------------------------------------------------------------------------- check
def test_check_passes_in_range_and_fails_doctored_scores(table, refs):
    tsv, runs = table
    v = cell_verdicts(collect(tsv, runs), refs)
    assert check(v[v["row"] != "WGAN-GP"]) == []  # in range (or not hard-checkable): passes
    before = check(v)
    assert before and all("WGAN-GP" in f and "DIVERGED" in f for f in before)
    for s in range(3):  # doctor the SN-GANs FIDs far outside 29.3 ± 10%
        p = runs / "sngan_t2" / f"sn-c10-s{s}" / "scores.json"
        d = json.loads(p.read_text())
        d["final"]["fid"] = 80.0 + s
        p.write_text(json.dumps(d))
    failures = check(cell_verdicts(collect(tsv, runs), refs))
    sn = [f for f in failures if "SN-GANs" in f]
    assert len(sn) == 1
    msg = sn[0]
    for part in ("table2", "SN-GANs", "CIFAR-10", "fid", "WORSE", "81", "29.3", "26.37", "32.23"):
        assert part in msg, (part, msg)
    # WGAN-GP (diverged, hard paper reference) fails too
    assert any("WGAN-GP" in f and "DIVERGED" in f for f in failures)


def test_check_strict_and_regression_kinds(tmp_path):
    base = {"paper": "P", "paper_table": "t", "column": "c", "metric": "fid", "std": "", "protocol": "sngan",
            "source": "our smoke suite", "direction": "lower", "kind": "regression", "tolerance": "1"}
    refs = validate(pd.DataFrame([{**base, "row": "r1", "value": "50"},
                                  {**base, "row": "r2", "value": "50", "kind": "paper"}]))
    runs = tmp_path / "runs"
    rows = []
    for s in range(2):
        for r in ("r1", "r2"):
            rows.append({**run_row(f"{r}{s}", r, "c", s), "paper": "P", "paper_table": "t"})
            write_run(runs, "t", f"{r}{s}", seed=s, final=score(fid=40.0 + s))  # better than 50 ± 1
    rows.append({**run_row("r3", "r2", "c2", 0), "paper": "P", "paper_table": "t"})
    v = cell_verdicts(collect(write_tsv(tmp_path / "t.tsv", rows), runs), refs, ["fid"])
    assert set(v.loc[v["row"].isin(["r1", "r2"]) & (v["column"] == "c"), "verdict"]) == {BETTER}
    failures = check(v)
    assert len(failures) == 1 and "/ r1 /" in failures[0]  # regression: better fails; paper: fine
    # strict: a hard paper cell that is inconclusive fails too
    refs2 = validate(pd.DataFrame([{**base, "row": "r2", "column": "c2", "value": "50", "kind": "paper"}]))
    v2 = cell_verdicts(collect(write_tsv(tmp_path / "t.tsv", rows), runs), refs2, ["fid"])
    assert check(v2) == [] and len(check(v2, strict=True)) == 1


def test_check_main_exit_codes(table, refs, tmp_path, capsys):
    tsv, runs = table
    paths = write_report(tsv, runs, tmp_path / "out" / "sngan_t2", refs, curves=False)
    assert check_main([str(paths["verdicts"])]) == 1  # WGAN-GP diverged against a hard reference
    assert "FAIL" in capsys.readouterr().out
    v = pd.read_csv(paths["verdicts"])
    v = v[v["row"] != "WGAN-GP"]
    v.to_csv(tmp_path / "ok.verdicts.csv", index=False)
    assert check_main([str(tmp_path / "ok.verdicts.csv")]) == 0
    assert check_main([str(tmp_path / "empty_dir_that_does_not_exist")]) == 2


def _order_frame(ls, gan, n=6, s=(1.0, 1.0), metric="modes_covered", cap=None):
    return pd.DataFrame({"paper_table": "smoke_mog", "row": ["LSGAN", "regular GAN"], "column": "ring",
                         "metric": metric, "checkpoint": "final", "mean": [ls, gan], "std": list(s),
                         "n": n, "n_runs": n, "seeds_cap": cap, "verdict": "inconclusive",
                         "ref_hard": False})


ORDER_RULE = {"paper_table": "smoke_mog", "metric": "modes_covered", "checkpoint": "final", "margin": 0.5,
                  "better": {"row": "LSGAN", "column": "ring"}, "worse": {"row": "regular GAN", "column": "ring"},
                  "claim": "results/lsgan_mog", "why": "test"}


def test_order_rules_are_welch_tests(tmp_path, capsys):
    from scipy import stats

    from repro.report.check import order_tests

    rule = ORDER_RULE
    # 5 ± 1 vs 2 ± 1 over 6 seeds each: scipy's own Welch test of (better - margin) > worse
    [t] = order_tests(_order_frame(5.0, 2.0), [rule]).to_dict("records")
    ref = stats.ttest_ind_from_stats(5.0 - 0.5, 1.0, 6, 2.0, 1.0, 6, equal_var=False, alternative="greater")
    assert t["p"] == pytest.approx(ref.pvalue) and t["df"] == pytest.approx(10.0)  # (2/6)^2 / (2 (1/6)^2 / 5)
    assert t["verdict"] == HELD and check_order_rules(_order_frame(5.0, 2.0), [rule]) == []
    # equal means: no evidence either way -> inconclusive: listed, fails only strict or at the cap
    [t] = order_tests(_order_frame(3.0, 3.0), [rule]).to_dict("records")
    assert t["verdict"] == INCONCLUSIVE
    assert check_order_rules(_order_frame(3.0, 3.0), [rule]) == []
    assert len(check_order_rules(_order_frame(3.0, 3.0), [rule], strict=True)) == 1
    [msg] = check_order_rules(_order_frame(3.0, 3.0, cap=6), [rule])
    assert "ORDER RULE INCONCLUSIVE" in msg and "at their cap" in msg and "LSGAN / ring must beat" in msg
    # the order reversed, shown: broken, always fails
    [msg] = check_order_rules(_order_frame(1.0, 5.0), [rule])
    assert "ORDER RULE BROKEN" in msg
    # lower-is-better metrics flip the gap; a missing cell fails; other tables are not touched
    kl = {**rule, "metric": "kl_uniform", "margin": 0.0}
    assert check_order_rules(_order_frame(0.5, 2.0, s=(0.2, 0.2), metric="kl_uniform"), [kl]) == []
    assert "BROKEN" in check_order_rules(_order_frame(2.0, 0.5, s=(0.2, 0.2), metric="kl_uniform"), [kl])[0]
    assert len(check_order_rules(_order_frame(5.0, 1.0).iloc[:1], [rule])) == 1
    assert check_order_rules(_order_frame(1.0, 5.0).assign(paper_table="other"), [rule]) == []
    # through `repro check`: the rules file is read and a broken order rule fails
    (tmp_path / "d.yaml").write_text(yaml.safe_dump([rule]))
    _order_frame(1.0, 5.0).to_csv(tmp_path / "t.verdicts.csv", index=False)
    assert check_main([str(tmp_path / "t.verdicts.csv"), "--order-rules", str(tmp_path / "d.yaml")]) == 1
    assert "ORDER RULE BROKEN" in capsys.readouterr().out
    bad = {k: v for k, v in rule.items() if k != "why"}
    (tmp_path / "bad.yaml").write_text(yaml.safe_dump([rule, bad]))
    with pytest.raises(ValueError, match=r"rule 2: missing \['why'\]"):
        load_order_rules(tmp_path / "bad.yaml")


def test_order_rules_of_one_table_are_holm_corrected():
    from repro.report.check import order_tests, holm

    # by hand: sorted 0.01, 0.03, 0.04 -> 3 x 0.01, 2 x 0.03, max(0.06, 1 x 0.04)
    assert holm([0.01, 0.04, 0.03]) == pytest.approx([0.03, 0.06, 0.06])
    assert np.isnan(holm([np.nan, 0.02])[0]) and holm([np.nan, 0.02])[1] == pytest.approx(0.02)
    # two order rules, each with p ~ 0.03 alone: held one at a time, neither after Holm (2 x 0.03)
    rule = {**ORDER_RULE, "margin": 0.0}
    top = {**rule, "metric": "top_mode_share"}
    frame = pd.concat([_order_frame(0.85, 0.0, n=10, s=(1.0, 1.0)),
                       _order_frame(0.0, 0.85, n=10, s=(1.0, 1.0), metric="top_mode_share")])
    alone = order_tests(frame, [rule])
    assert 0.025 < alone["p"].iloc[0] < 0.05 and alone["verdict"].iloc[0] == HELD
    both = order_tests(frame, [rule, top])
    assert list(both["p_holm"]) == pytest.approx(list(holm(both["p"])))
    assert list(both["verdict"]) == [INCONCLUSIVE, INCONCLUSIVE] and "Holm over 2" in both["reason"].iloc[0]


def test_shipped_order_rules_are_valid_and_name_real_cells():
    from repro.experiments import read_table

    tables = [read_table(p) for p in sorted((Path(__file__).resolve().parents[2] / "config" / "tables").glob("*.tsv"))]
    for r in load_order_rules():
        # the rule's paper_table is the paper-table label (the TSVs' `paper_table` column)
        tsv = pd.concat([t for t in tables if (t["paper_table"].astype(str) == r["paper_table"]).any()])
        for side in ("better", "worse"):
            cell = tsv[(tsv["row"] == r[side]["row"]) & (tsv["column"].astype(str) == str(r[side]["column"]))]
            assert len(cell), (r["paper_table"], r[side])


# --------------------------------------------------------------------------- old names
def test_old_paper_table_name_table_is_read_from_references_rules_and_tables(tmp_path, monkeypatch, capsys):
    """``table`` was the paper's table label before issue 12 named it ``paper_table``: the shipped
    LSGAN references, order rules and mixture experiment table with the old header/key read exactly
    as the shipped ones, one ``deprecated:`` line per kind of file; old and new together refuse."""
    from repro import deprecation
    from repro.experiments import TableError, read_table
    from repro.report.check import OrderRulesError
    from repro.report.references import load_references

    monkeypatch.setattr(deprecation, "_told", set())
    shipped = Path(__file__).resolve().parents[2] / "config"
    refs, rules, tsv = (shipped / "references" / "lsgan.csv", shipped / "references" / "order_rules.yaml",
                        shipped / "tables" / "lsgan_mog.tsv")
    old = {p: tmp_path / p.name for p in (refs, rules, tsv)}
    old[refs].write_text(refs.read_text().replace("paper,paper_table,", "paper,table,", 1))
    old[rules].write_text(rules.read_text().replace("- paper_table: ", "- table: "))
    old[tsv].write_text(tsv.read_text().replace("\tpaper_table\t", "\ttable\t", 1))
    drop = ["origin"]  # the file and line a reference came from
    pd.testing.assert_frame_equal(load_references(old[refs]).drop(columns=drop), load_references(refs).drop(columns=drop))
    assert load_order_rules(old[rules]) == load_order_rules(rules)
    pd.testing.assert_frame_equal(read_table(old[tsv]), read_table(tsv))
    err = capsys.readouterr().err.splitlines()
    assert len(err) == 3 and all(e.startswith("deprecated: ") and "'table'" in e and "'paper_table'" in e
                                 for e in err), err
    both = {p: tmp_path / f"both-{p.name}" for p in (refs, rules, tsv)}
    both[refs].write_text(refs.read_text().replace("paper,paper_table,", "paper,table,paper_table,", 1)
                          .replace("\nLSGAN,", "\nLSGAN,x,"))
    both[rules].write_text(rules.read_text().replace("- paper_table: smoke_mog", "- table: x\n  paper_table: smoke_mog"))
    both[tsv].write_text(tsv.read_text().replace("\tpaper_table\t", "\ttable\tpaper_table\t", 1)
                         .replace("\tLSGAN\t", "\tLSGAN\tx\t"))
    for p, call, error in ((refs, load_references, ReferenceError), (rules, load_order_rules, OrderRulesError),
                           (tsv, read_table, TableError)):
        with pytest.raises(error, match=r"'table' and 'paper_table' both given"):
            call(both[p])


# --------------------------------------------------------------------------- references
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
    assert set(refs.loc[refs["kind"] == "regression", "paper"]) == {"smoke"}
    assert sorted(hard.loc[hard["paper"] == "SAGAN", "value"]) == [18.28, 22.98, 27.33, 42.13]


# --------------------------------------------------------------------------- tables and files
def test_paper_table_layout_and_files(table, refs, tmp_path):
    tsv, runs = table
    df = collect(tsv, runs)
    t = paper_table(df, refs, "fid")
    assert list(t.index) == ["SN-GANs", "WGAN-GP", "Weight clipping", "Layer Norm."]
    assert list(t.columns) == [("CIFAR-10", "ours"), ("CIFAR-10", "paper"), ("CIFAR-10", "verdict")]
    sn = t.loc["SN-GANs"]
    mean, std = np.mean(SN_FIDS), np.std(SN_FIDS, ddof=1)
    half = 2.919986 * std / np.sqrt(3)  # t_{0.95, 2}: the 90% interval
    assert sn[("CIFAR-10", "ours")] == f"{mean:.2f} ± {std:.2f} [{mean - half:.2f}, {mean + half:.2f}] (n=3)"
    assert sn[("CIFAR-10", "paper")] == "29.3" and sn[("CIFAR-10", "verdict")] == HELD
    assert t.loc["WGAN-GP", ("CIFAR-10", "ours")] == "diverged (2/3)"
    assert "2 missing" in t.loc["Weight clipping", ("CIFAR-10", "ours")]
    assert "1 degraded" in t.loc["Layer Norm.", ("CIFAR-10", "ours")]

    two = paper_table(df, refs, ["is_mean", "fid"])
    assert two.columns.nlevels == 3 and ("CIFAR-10", "IS", "ours") in two.columns

    v = cell_verdicts(df, refs, ["is_mean", "fid"])
    paths = write_table(two, tmp_path / "out" / "t2", verdicts=v, provenance=provenance(df))
    csv = pd.read_csv(paths["csv"], index_col=0, dtype=str, keep_default_na=False)
    assert list(csv.index) == list(t.index)
    assert csv.loc["SN-GANs", "CIFAR-10 FID paper"] == "29.3"
    assert csv.loc["WGAN-GP", "CIFAR-10 FID verdict"] == DIVERGED
    md = paths["md"].read_text()
    positions = [md.index(r) for r in ["SN-GANs", "WGAN-GP", "Weight clipping", "Layer Norm."]]
    assert positions == sorted(positions)
    # one table cell per paper cell, a row per metric: "mean ± sd (paper) mark" (the CSV keeps the rest)
    mean, std = np.mean(SN_FIDS), np.std(SN_FIDS, ddof=1)
    sn_fid = next(line for line in md.splitlines() if line.startswith("| SN-GANs FID "))
    assert sn_fid.split("|")[2].strip() == f"{mean:.2f} ± {std:.2f} (29.3) ✓"
    assert "| WGAN-GP FID " in md and "diverged (2/3) (" in md and "2 missing" in md
    assert "CIFAR-10 FID ours" not in md and "✓ held" in md  # the legend
    tex = paths["tex"].read_text()
    assert r"\begin{tabular}" in tex and r"\multicolumn" in tex and "SN-GANs" in tex
    ver = pd.read_csv(paths["verdicts"])
    for col in ("row", "column", "metric", "checkpoint", "n", "mean", "std", "ref_value", "ref_low",
                "ref_high", "verdict", "degraded", "protocol_name", "protocol_key"):
        assert col in ver.columns
    assert len(ver) == 4 * 2 and set(ver["verdict"]) <= set(VERDICTS)
    sn_fid = ver[(ver["row"] == "SN-GANs") & (ver["metric"] == "fid")].iloc[0]
    assert sn_fid["mean"] == pytest.approx(np.mean(SN_FIDS)) and sn_fid["protocol_key"] == SNGAN.key()
    prov = pd.read_csv(paths["provenance"])
    assert list(prov["run_id"]) == list(df["run_id"])
    assert not list((tmp_path / "out").glob(".*.tmp"))  # atomic writes leave no temporaries


def test_write_report_writes_everything(table, refs, tmp_path):
    tsv, runs = table
    paths = write_report(tsv, runs, tmp_path / "res" / "sngan_t2", refs, checkpoints=["final", "best"])
    for k in ("md", "csv", "tex", "best_md", "verdicts", "provenance", "curves_png", "curves_pdf"):
        assert paths[k].is_file(), k
    assert paths["curves_png"].read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"


# --------------------------------------------------------------------------- curves
def test_curves_png_and_pdf(table, tmp_path):
    tsv, runs = table
    c = collect_curves(tsv, runs)
    assert set(c["run_id"]) == {"sn-c10-s0", "sn-c10-s1", "sn-c10-s2", "wgp-c10-s0", "wgp-c10-s1"}
    paths = plot_curves(c, tmp_path / "fig" / "curves")
    png, pdf = (p.read_bytes() for p in paths)
    assert png[:8] == b"\x89PNG\r\n\x1a\n" and pdf[:5] == b"%PDF-"


def test_mog_curves_and_verdicts(tmp_path):
    runs = tmp_path / "runs"
    rows = []
    for loss in ("least_squares", "standard"):
        for s in range(2):
            rid = f"{loss}-{s}"
            rows.append({**run_row(rid, "LSGAN" if loss == "least_squares" else "Regular GAN",
                                   "ring", s), "paper": "LSGAN", "paper_table": "mog", "protocol": "mog"})
            write_run(runs, "mog", rid, seed=s,
                      final=score(MOG, modes_covered=8 - s, hq_fraction=0.9, kl_uniform=0.05),
                      curve={"step": [5000, 10000], "modes_covered": [5, 8 - s], "hq_fraction": [0.5, 0.9],
                             "protocol_key": [get_protocol("curve-mog").key()] * 2})
    tsv = write_tsv(tmp_path / "mog.tsv", rows)
    df = collect(tsv, runs)
    v = cell_verdicts(df, None)
    assert set(v["metric"]) == {"modes_covered", "hq_fraction", "kl_uniform"}
    assert set(v["verdict"]) == {INCONCLUSIVE}  # no references
    mc = v[(v["row"] == "LSGAN") & (v["metric"] == "modes_covered")].iloc[0]
    assert mc["mean"] == 7.5 and mc["std"] == pytest.approx(np.std([8, 7], ddof=1))
    paths = plot_curves(collect_curves(tsv, runs), tmp_path / "mog_curves")
    assert paths[0].read_bytes()[:8] == b"\x89PNG\r\n\x1a\n" and paths[1].read_bytes()[:5] == b"%PDF-"


def test_is_evaluation_noise_is_a_floor_of_the_seed_spread():
    from repro.report.cells import eval_noise

    runs = pd.DataFrame({"final_is_std": [1.5, 1.4, 1.5]})
    # the sngan protocol scores IS in 10 splits: the mean over splits has se = std / √10
    assert eval_noise(runs, "is_mean", "final", "sngan") == pytest.approx(1.5 / np.sqrt(10))
    assert eval_noise(runs, "fid", "final", "sngan") is None
    values, kw = [7.40, 7.40, 7.41], dict(ref_low=7.42 * 0.95, ref_high=7.42 * 1.05, direction="higher")
    # seeds agree to 0.006, but one score's noise is 0.474: half-width 2.92 x 0.474 / √3 = 0.80
    noisy = judge(values, eval_std=1.5 / np.sqrt(10), **kw)
    assert noisy.verdict == INCONCLUSIVE and noisy.high - noisy.low == pytest.approx(2 * 0.7993, abs=1e-3)
    # a small split std (0.032) stays below the 1 % floor (0.074): half-width 2.92 x 0.074 / √3 = 0.125
    quiet = judge(values, eval_std=0.1 / np.sqrt(10), **kw)
    assert quiet.verdict == HELD and quiet.high - quiet.low == pytest.approx(2 * 0.12476, abs=1e-3)


def test_check_lists_undecided_cells_and_fails_them_strict_or_at_the_cap(capsys, tmp_path):
    from repro.report.check import undecided_cells

    j = judge([20.0, 25.0, 30.0], ref_low=22.5, ref_high=27.5, direction="lower")  # 16.6-33.4
    row = {"paper": "P", "paper_table": "t", "row": "r", "column": "c", "metric": "fid", "checkpoint": "final",
           "n": 3, "n_runs": 3, "mean": 25.0, "std": 5.0, "ours_low": j.low, "ours_high": j.high,
           "ref_value": 25.0, "ref_low": 22.5, "ref_high": 27.5, "ref_kind": "regression", "ref_hard": True,
           "ref_protocol": "sngan", "verdict": j.verdict, "reason": j.reason, "confidence": 0.9,
           "seeds_needed": j.seeds_needed, "seeds_cap": None}
    for kind in ("regression", "paper"):
        v = pd.DataFrame([{**row, "ref_kind": kind}])
        assert check(v) == [] and len(check(v, strict=True)) == 1
        [line] = undecided_cells(v)
        assert "t / r / c / fid" in line and "90% interval [16.57, 33.43]" in line
        [msg] = check(v.assign(seeds_cap=3))  # adaptive seeds at their cap: no more will come
        assert "INCONCLUSIVE" in msg and "at their cap" in msg
        assert check(v.assign(seeds_cap=6)) == []  # more seeds are still coming
    v.to_csv(tmp_path / "t.verdicts.csv", index=False)
    assert check_main([str(tmp_path / "t.verdicts.csv")]) == 0
    assert "UNDECIDED t / r / c / fid" in capsys.readouterr().out
