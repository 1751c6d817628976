"""repro.claims.settings_robustness (SNGAN's robustness over settings A-F) on fake run directories
whose FIDs the tests choose."""
from __future__ import annotations

import pandas as pd
from fake_runs import score, write_run, write_tsv

from repro.claims.common import write_claim
from repro.metrics.protocol import get_protocol

DIGITS = get_protocol("digits")
PNG = b"\x89PNG\r\n\x1a\n"


def sweep_table(tmp_path, fids):
    """methods x settings A, D x 2 seeds; `fids[method][setting]` is a list of 2 FIDs (None: diverged)."""
    rows = []
    for method, by_setting in fids.items():
        for setting, values in by_setting.items():
            for seed, fid in enumerate(values):
                run_id = f"{method[:3]}-{setting}-s{seed}".replace(" ", "").replace(".", "")
                rows.append({"run_id": run_id, "paper": "SNGAN", "paper_table": "fig1-digits", "row": method,
                             "column": setting, "dataset": "digits", "resolution": 16, "arch": "sngan_cnn",
                             "norm_d": "spectralnorm", "loss": "standard", "setting": setting,
                             "g_updates": 300, "seed": seed, "protocol": "digits"})
                if fid is None:
                    write_run(tmp_path / "runs", "sweep", run_id, status="diverged", seed=seed, diverged_at=7)
                else:
                    write_run(tmp_path / "runs", "sweep", run_id, seed=seed,
                              final=score(DIGITS, step=300, fid=fid, is_mean=10 - fid / 50, is_std=0.1))
    return write_tsv(tmp_path / "sweep.tsv", rows)


def test_robustness_holds_when_sn_has_the_best_worst_setting(tmp_path):
    # 5 seeds a cell: BN's D completely above SN's every setting, exact permutation p 1/252 per
    # pair, x 2 (Bonferroni over BN's settings), x 2 (Holm over 2 methods) = 0.016; WGAN-GP's D
    # diverged: behind any finite cell
    tsv = sweep_table(tmp_path, {"SN-GANs": {"A": [50, 51, 52, 53, 52], "D": [54, 56, 55, 54, 56]},
                                 "WGAN-GP": {"A": [40, 42, 41, 40, 42], "D": [None] * 5},
                                 "Batch Norm.": {"A": [45, 47, 46, 45, 47], "D": [200, 220, 210, 205, 215]}})
    paths = write_claim("settings_robustness", tsv, tmp_path / "runs", tmp_path / "out" / "sweep")
    md = paths["md"].read_text()
    assert "**holds**: the worst setting of SN-GANs is D (FID 55.0 ± 1.0)" in md
    assert "Methods whose worst setting is shown behind it: WGAN-GP, Batch Norm." in md
    best = pd.read_csv(paths["best_csv"]).set_index("method")
    assert best.loc["WGAN-GP", "best setting"] == "A" and best.loc["WGAN-GP", "FID (worst)"] == "diverged"
    assert best.loc["WGAN-GP", "diverged runs"] == "5/10"
    assert best.loc["Batch Norm.", "FID (best)"] == "46.0 ± 1.0"  # mean and std of 45, 47, 46, 45, 47
    cells = pd.read_csv(paths["cells_csv"])
    assert cells.loc[(cells["method"] == "WGAN-GP") & (cells["setting"] == "D"), "diverged"].item()
    assert paths["bars"].read_bytes()[:8] == PNG
    assert "\\begin{tabular}" in paths["best_tex"].read_text()


def test_robustness_does_not_hold_when_another_method_is_clearly_more_robust(tmp_path):
    tsv = sweep_table(tmp_path, {"SN-GANs": {"A": [50, 52, 51, 53, 50], "D": [90, 92, 94, 91, 93]},
                                 "Batch Norm.": {"A": [35, 36, 35, 36, 35.5], "D": [30, 31, 30.5, 30, 31]}})
    md = write_claim("settings_robustness", tsv, tmp_path / "runs", tmp_path / "out" / "sweep")["md"].read_text()
    assert "**does not hold**" in md and "shown ahead: Batch Norm." in md


def test_robustness_at_two_seeds_cannot_be_shown(tmp_path):
    """2 seeds a cell: the permutation test's smallest p is 1/C(4, 2) = 1/6, so however far apart
    the cells, no order is shown and the claim is inconclusive (the old interval rule said holds)."""
    tsv = sweep_table(tmp_path, {"SN-GANs": {"A": [50, 52], "D": [54, 56]},
                                 "Batch Norm.": {"A": [45, 47], "D": [200, 220]}})
    md = write_claim("settings_robustness", tsv, tmp_path / "runs", tmp_path / "out" / "sweep")["md"].read_text()
    assert "- **inconclusive**: the worst setting of SN-GANs" in md and "not shown either way: Batch Norm." in md
    # Batch Norm. is ahead on D, SN-GANs behind: one of two methods is not a majority
    assert "aggressive settings are *ahead*" not in md


def test_robustness_says_when_the_aggressive_settings_are_simply_ahead(tmp_path):
    tsv = sweep_table(tmp_path, {"SN-GANs": {"A": [300, 320], "D": [40, 44]},
                                 "Batch Norm.": {"A": [350, 330], "D": [60, 62]}})
    md = write_claim("settings_robustness", tsv, tmp_path / "runs", tmp_path / "out" / "sweep")["md"].read_text()
    assert "the aggressive settings are *ahead* for 2 of 2 methods" in md
    assert "**inconclusive** (too short to test the claim" in md
    assert "SN-GANs 310.0 → 42.0; Batch Norm. 340.0 → 61.0" in md
