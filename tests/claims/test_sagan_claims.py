"""SAGAN's attention gates in the learning curve, and the sagan_claims analysis on fake runs whose
numbers the tests choose (expected values worked out by hand in the comments)."""
from __future__ import annotations

import pandas as pd
import pytest
import torch
from fake_runs import score, write_run, write_tsv

from repro import models
from repro.claims.common import write_claim
from repro.claims.sagan_claims import BASELINE, SN_GD, TTUR, fid_at, order, sn_ttur_verdict, spearman, training_seconds
from repro.metrics.protocol import get_protocol

DIGITS = get_protocol("digits")
PNG = b"\x89PNG\r\n\x1a\n"

def test_attention_gates_reads_every_gate_of_g_and_d():
    G, D = models.build("sagan", resolution=16, channels=1, ch=8, attention=8)
    assert models.attention_gates(G=G, D=D) == {"abs_gamma_G_8": 0.0, "abs_gamma_D_8": 0.0}  # Eq. 3: gamma = 0
    with torch.no_grad():
        G.attention.gamma.fill_(-0.25)
        D.attention.gamma.fill_(0.125)
    assert models.attention_gates(G=G, D=D) == {"abs_gamma_G_8": 0.25, "abs_gamma_D_8": 0.125}
    G4, _ = models.build("sagan", resolution=16, channels=1, ch=8, attention=4)
    assert list(models.attention_gates(G=G4)) == ["abs_gamma_G_4"]
    none = models.build("sagan", resolution=16, channels=1, ch=8)
    cnn = models.build("sngan_cnn", resolution=16, channels=1, ch=8)
    assert models.attention_gates(G=none[0], D=none[1]) == {} == models.attention_gates(G=cnn[0], D=cnn[1])


def test_learning_curve_holds_the_gates_of_the_trained_nets(tmp_path):
    """A real SAGAN run: curve.csv's |gamma| at the last update are those of the saved weights."""
    from repro.config import RunConfig
    from repro.train import train

    cfg = RunConfig.from_dict({"dataset": "digits", "resolution": 8, "arch": "sagan", "ch": 8, "loss": "hinge",
                               "setting": "sagan_ttur", "batch_size": 4, "attention": 4,
                               "g_updates": 2, "eval_every": 1, "ckpt_every": 2, "log_every": 1})
    train(cfg, tmp_path / "run", evaluator=lambda G, kind: {"fid": 1.0}, progress=False)
    curve = pd.read_csv(tmp_path / "run" / "curve.csv")
    assert list(curve["step"]) == [1, 2]
    ckpt = torch.load(next((tmp_path / "run" / "checkpoints").glob("ckpt_*2.pt")), weights_only=False)
    assert curve["abs_gamma_G_4"].iloc[-1] == pytest.approx(abs(float(ckpt["G"]["attention.gamma"])), abs=1e-7)
    assert curve["abs_gamma_D_4"].iloc[-1] == pytest.approx(abs(float(ckpt["D"]["attention.gamma"])), abs=1e-7)
    assert (curve[["abs_gamma_G_4", "abs_gamma_D_4"]] > 0).all().all()  # the gates moved off 0


def test_training_seconds_leave_out_earlier_evaluations(tmp_path):
    pd.DataFrame({"step": [50, 100], "seconds": [10.0, 25.0]}).to_csv(tmp_path / "train.csv", index=False)
    pd.DataFrame({"step": [50, 100], "seconds": [4.0, 4.0]}).to_csv(tmp_path / "curve.csv", index=False)
    t = training_seconds(tmp_path)
    assert list(t["train_seconds"]) == [10.0, 21.0]  # the eval at 50 ran before the log line at 100


def test_spearman_is_pearson_on_ranks():
    assert spearman([1, 2, 3, 4], [1, 10, 100, 1000]) == pytest.approx(1.0)  # monotone: 1
    assert spearman([1, 2, 3, 4], [4, 3, 2, 1]) == pytest.approx(-1.0)
    # ranks (1, 2, 3, 4) vs (1, 3, 2, 4): 1 - 6 * (0 + 1 + 1 + 0) / (4 * 15) = 0.8
    assert spearman([1, 2, 3, 4], [1, 3, 2, 4]) == pytest.approx(0.8)
    assert pd.isna(spearman([1, 2, 3], [5, 5, 5]))


def test_fid_at_and_order():
    assert fid_at([10.0, 20.0], [100.0, 50.0], 15.0) == 75.0
    assert pd.isna(fid_at([10.0, 20.0], [100.0, 50.0], 25.0))
    # 3 vs 3 completely separated: the exact permutation p is 1/C(6, 3) = 0.05, Welch's below it
    assert order([10, 11, 12], [20, 21, 22]) == "lower"
    assert order([20, 21, 22], [10, 11, 12]) == "higher"
    assert order([10, 15, 20], [14, 16, 18]) == "undecided"
    assert order([10, 11, 21], [20, 22, 23]) == "undecided"  # one seed out of order: p 2/20 > 0.05
    assert order([10, float("nan")], [20, 21]) == "undecided"  # one finite value: no test
    assert order([], [20, 21]) == "missing"


STEPS = [50, 100, 150, 200]


def sagan_table(tmp_path):
    """4 cells x 3 seeds: gates of G rise in every run, those of D fall; SN on D only ends far
    above its best FID; TTUR is lower than 1:1 everywhere; attention and none overlap."""
    cells = [  # run id, row, column, norm_g, setting, attention, FID curve (seed adds s)
        ("donly", BASELINE, "feat8", "none", "sagan_1to1", 8, [200, 150, 120, 300]),
        ("gd", SN_GD, "feat8", "spectralnorm", "sagan_1to1", 8, [200, 150, 120, 110]),
        ("ttur", TTUR, "feat8", "spectralnorm", "sagan_ttur", 8, [150, 100, 80, 70]),
        ("none", TTUR, "none", "spectralnorm", "sagan_ttur", None, [150, 101, 81, 71]),
    ]
    rows = []
    for rid, row, col, norm_g, setting, att, fids in cells:
        for s in range(3):
            run_id = f"{rid}-s{s}"
            rows.append({"run_id": run_id, "paper": "SAGAN", "paper_table": "digits", "row": row, "column": col,
                         "dataset": "digits", "resolution": 16, "arch": "sagan", "ch": 8, "norm_d": "spectralnorm",
                         "norm_g": norm_g, "loss": "hinge", "setting": setting, "n_classes": 10,
                         "attention": att if att else "", "g_updates": 200, "eval_every": 50, "seed": s,
                         "eval_protocol": "digits", "protocol": "digits"})
            curve = {"step": STEPS, "fid": [f + s for f in fids], "is_mean": 2.0, "protocol_key": DIGITS.key(),
                     "seconds": 1.0}
            if att:
                curve |= {"abs_gamma_G_8": [0.002, 0.004, 0.006, 0.01], "abs_gamma_D_8": [0.04, 0.03, 0.02, 0.01]}
            d = write_run(tmp_path / "runs", "sagan_digits", run_id, seed=s, curve=curve,
                          final=score(DIGITS, step=200, fid=fids[-1] + s, is_mean=2.0))
            pd.DataFrame({"step": STEPS, "seconds": [10.0, 20.0, 30.0, 40.0]}).to_csv(d / "train.csv", index=False)
    return write_tsv(tmp_path / "sagan_digits.tsv", rows)


def test_sagan_claims_verdicts(tmp_path):
    paths = write_claim("sagan_claims", sagan_table(tmp_path), tmp_path / "runs", tmp_path / "out" / "sagan_digits")
    md = paths["md"].read_text()
    assert "**holds** for G: |gamma| rises from 0 in 9 of 9 runs" in md
    assert "**does not hold** for D: |gamma| rises from 0 in 0 of 9 runs" in md
    # G: 0.01 / (lr_g 1e-4 x 200 updates) = 50 %; half of its peak 0.01 first reached at update 150
    assert ("50% of the furthest Adam can move it (lr_g x updates). It reaches half its peak at update 150 "
            "(median; 150-150), peaks at update 200 (median; 200-200) and ends at 100% of its peak") in md
    assert "peaks at update 50 (median; 50-50) and ends at 25% of its peak" in md  # D: 0.04 at 50, 0.01 at 200
    assert md.index("for G:") < md.index("for D:")
    gam = pd.read_csv(paths["gamma_csv"])
    d_share = gam[gam["net"] == "D"].set_index("run_id")["adam_share"]
    assert d_share["ttur-s0"] == pytest.approx(0.01 / (4e-4 * 200))  # lr_d 4e-4 with TTUR
    assert d_share["gd-s0"] == pytest.approx(0.01 / (1e-4 * 200))  # 1e-4 at 1:1
    # SN on D only: final 300-302 > 1.25 x best (120-122) + 1 in all 3 seeds; SN on G/D 110-112: none
    assert "(a) stability, **holds**" in md and "SN on D only, 1:1 3 of 3, SN on G and D, 1:1 0 of 3" in md
    assert "(b) TTUR trains faster, **holds**" in md
    per = pd.read_csv(paths["sn_ttur_csv"])
    assert per["train_seconds"].tolist() == [37.0] * 9  # 40 s less the 3 evaluations before update 200
    assert per["fid_at_common_time"].tolist() == pytest.approx(per["final_fid"].tolist())
    assert "is not shown better or worse than none (order test, alpha 0.05)" in md and "**inconclusive** (the scale cannot test it)" in md
    for key in ("gamma_png", "sn_ttur_png"):
        assert paths[key].read_bytes()[:8] == PNG


def test_no_instability_to_cure_is_inconclusive():
    per = pd.DataFrame({"row": [BASELINE] * 3 + [SN_GD] * 3 + [TTUR] * 3, "final_fid": [100, 101, 102] * 3,
                        "curve_mean_fid": 150.0, "fid_at_common_time": 100.0, "seconds_per_update": 0.5,
                        "degraded": [False, False, True] + [False] * 6})
    lines = sn_ttur_verdict(per)
    assert lines[0].startswith("- (a) stability, **inconclusive** (the baseline does not degrade")
    assert "SN on D only, 1:1 1 of 3" in lines[0]
    assert lines[1].startswith("- (b) TTUR trains faster, **inconclusive**")  # no order shown
    per.loc[per["row"] == TTUR, "curve_mean_fid"] = 200.0
    assert sn_ttur_verdict(per)[1].startswith("- (b) TTUR trains faster, **does not hold**")


def test_attention_verdict_compares_every_size_with_none_and_the_larger_with_the_smaller():
    from repro.claims.sagan_claims import attention_verdict

    fids = {8: [120, 121, 122], 4: [80, 81, 82], None: [60, 61, 62]}  # larger map worse, none best
    df = pd.DataFrame([{"run_id": f"{a}-{s}", "row": TTUR, "column": f"feat{a}" if a else "none",
                        "attention": a if a else float("nan"), "status": "completed", "resolution": 16,
                        "final_fid": f, "final_is_mean": 3.0} for a, fs in fids.items() for s, f in enumerate(fs)])
    fc = df[["run_id", "final_fid"]].rename(columns={"final_fid": "fid"})
    lines, col = attention_verdict(df, fc)
    assert col == "feat8" and "What it can show: attention at 8x8 is clearly worse than none here." in lines[0]
    assert lines[1].startswith(f"- {TTUR}, feat8 vs none: final FID 121.0 ± 1.0 vs 61.0 ± 1.0 (attention clearly higher)")
    assert lines[2].startswith(f"- {TTUR}, feat4 vs none: final FID 81.0 ± 1.0 vs 61.0 ± 1.0 (attention clearly higher)")
    assert lines[3].startswith(f"- {TTUR}, feat8 vs feat4: final FID 121.0 ± 1.0 vs 81.0 ± 1.0 "
                               "(the larger map (8x8) clearly higher)")
