"""repro.report.claims on fake run directories whose numbers the tests choose."""
from __future__ import annotations

import json
import math

import numpy as np
import pandas as pd
import pytest
from fake_runs import MOG, reseal, score, write_run, write_tsv

from repro.data import ring_mixture
from repro.metrics.protocol import get_protocol
from repro.report.claims import collapse_step, representative_seed, write_claim

DIGITS = get_protocol("digits")
PNG = b"\x89PNG\r\n\x1a\n"


def test_collapse_step_is_the_start_of_the_last_collapsed_stretch():
    curve = pd.DataFrame({"step": [1000, 2000, 3000, 4000, 5000],
                          "top_mode_share": [0.2, 0.95, 0.5, 0.92, 0.97]})
    assert collapse_step(curve) == 4000  # the collapse at 2000 did not last
    assert collapse_step(curve.assign(top_mode_share=0.99)) == 1000
    assert math.isnan(collapse_step(curve.assign(top_mode_share=[0.9, 0.9, 0.9, 0.9, 0.3])))
    # one evaluation caught mid-hop between modes does not end a collapse (9 of 10 from 2000 on)
    hop = pd.DataFrame({"step": range(1000, 12000, 1000), "top_mode_share": [0.2] + [0.95] * 4 + [0.5] + [0.95] * 5})
    assert collapse_step(hop) == 2000 and collapse_step(hop, persistence=1.0) == 7000


def test_representative_seed_is_nearest_the_median():
    runs = pd.DataFrame({"row": "r", "status": ["completed"] * 4 + ["diverged"], "seed": [0, 1, 2, 3, 4],
                         "final_modes_covered": [1, 6, 4, 8, np.nan]})
    assert representative_seed(runs) == 1  # median of 1, 4, 6, 8 is 5: seeds 1 and 2 tie, 1 first
    assert representative_seed(runs[runs["seed"] != 1]) == 2


def mog_table(tmp_path, ls_modes, std_modes, std_share):
    """Regular GAN (standard loss) vs LSGAN, 3 seeds, curves at 1k-3k and 2-D samples at 1k, 3k."""
    rows, ring = [], ring_mixture()
    modes = ring.modes.numpy()
    for label, loss, finals, share in (("regular GAN", "standard", std_modes, std_share),
                                       ("LSGAN", "least_squares", ls_modes, [0.2, 0.2, 0.2])):
        for seed, (m, s) in enumerate(zip(finals, share)):
            run_id = f"{loss}-s{seed}"
            rows.append({"run_id": run_id, "paper": "LSGAN", "paper_table": "mog", "row": label, "column": "ring",
                         "dataset": "mog_ring", "resolution": 0, "arch": "mlp", "norm_d": "none",
                         "loss": loss, "setting": "lsgan_mog", "g_updates": 3000, "seed": seed,
                         "protocol": "mog"})
            curve = {"step": [1000, 2000, 3000], "modes_covered": [3, m, m], "hq_fraction": 0.1,
                     "kl_uniform": 0.5, "top_mode_share": [0.3, s, s], "protocol_key": MOG.key()}
            d = write_run(tmp_path / "runs", "mog", run_id, seed=seed, curve=curve,
                          final=score(MOG, step=3000, modes_covered=m, hq_fraction=0.1, kl_uniform=0.5,
                                      top_mode_share=s))
            (d / "samples").mkdir()
            for step in (1000, 3000):
                np.save(d / "samples" / f"step_{step:07d}.npy", np.repeat(modes[:m], 50, axis=0)
                        + 0.02 * np.random.default_rng(seed).standard_normal((50 * m, 2)))
    return write_tsv(tmp_path / "mog.tsv", rows)


def test_mog_claim_holds_when_least_squares_covers_more_modes(tmp_path):
    # the shipped rule's margin, 1 mode: LSGAN - 1 = (5, 6, 7) is completely above (1, 2, 4), so
    # the exact permutation p is 1/C(6, 3) = 0.05 and Welch's lower
    tsv = mog_table(tmp_path, ls_modes=[6, 7, 8], std_modes=[1, 2, 4], std_share=[0.95, 0.99, 0.4])
    paths = write_claim("mog_modes", tsv, tmp_path / "runs", tmp_path / "out" / "mog")
    md = paths["md"].read_text()
    assert "**holds** for LSGAN (more than 1 mode(s) more than the regular GAN)" in md
    assert "covers 7.0 modes against 2.3" in md and "more modes in 3 of 3 seeds" in md
    assert "p 0.05 <= alpha 0.05" in md  # the larger p, the permutation test's
    assert "regular GAN: 2 of 3 completed runs end collapsed onto one mode, from step 2,000" in md
    assert "LSGAN: 0 of 3 completed runs end collapsed" in md
    per_run = pd.read_csv(paths["runs_csv"])
    assert sorted(per_run["collapsed_from"].dropna()) == [2000.0, 2000.0]
    # mean of the curve (3, m, m) per run, e.g. seed 0 of LSGAN: (3 + 6 + 6) / 3
    assert per_run.loc[per_run["row"] == "LSGAN", "modes_over_training"].tolist() == pytest.approx([5, 17 / 3, 19 / 3])
    for key in ("samples", "curves"):
        assert paths[key].read_bytes()[:8] == PNG
    assert "- device: cpu" in md and "torch 2.15.0" in md


def test_mog_claim_does_not_hold_when_least_squares_covers_fewer(tmp_path):
    tsv = mog_table(tmp_path, ls_modes=[1, 2, 1], std_modes=[4, 5, 6], std_share=[0.3, 0.3, 0.3])
    md = write_claim("mog_modes", tsv, tmp_path / "runs", tmp_path / "out" / "mog")["md"].read_text()
    # the opposite order, completely separated at 3 seeds: shown at p 0.05 (permutation)
    assert "**reversed** for LSGAN" in md and "fewer in 3" in md and "the opposite order shown" in md


def test_mog_claim_of_one_distribution_is_not_held_more_than_five_percent():
    """The claim's rule on identical distributions (both rows draw modes from one law): "holds"
    at most 5 % of the time at margin 0 (the old rule, more on average and in most seeds, said
    "holds" for 15-33 % of such pairs)."""
    from scipy import stats

    from repro.report.claims import _more_modes

    rng = np.random.default_rng(5)
    trials = 300
    held = sum(_more_modes(pd.Series(rng.binomial(8, 0.6, 5)), pd.Series(rng.binomial(8, 0.6, 5)), 0.0).verdict == "held"
               for _ in range(trials))
    assert stats.binomtest(held, trials, 0.05, alternative="greater").pvalue > 0.01, held / trials


def test_spread_baseline_matches_the_arc_length_by_hand():
    """No mode learned, samples uniform on the unit circle: HQ within 3 sigma = 0.03 of a mode is
    an arc of 4 arcsin(0.015) rad around each of 8 modes: 8 * 4 arcsin(0.015) / (2 pi) = 7.64 %,
    ~24 of 2,500 samples a mode, so all 8 modes covered by one sample each; none by the strict
    count (a 1/9 mode needs 0.2 * 2500/9 * (1 - e^-4.5) = 54.9)."""
    from repro.report.claims import spread_baseline

    b = spread_baseline(2500, 3.0)
    share = 8 * 4 * math.asin(0.015) / (2 * math.pi)
    assert abs(b["hq_fraction"] - share) < 3 * math.sqrt(share * (1 - share) / 2500)
    assert b["modes_covered"] == 8 and b["modes_covered_strict"] == 0


def test_mog_claim_prints_the_baseline_beside_the_rows(tmp_path):
    tsv = mog_table(tmp_path, ls_modes=[6, 7, 8], std_modes=[1, 2, 4], std_share=[0.3, 0.3, 0.3])
    md = write_claim("mog_modes", tsv, tmp_path / "runs", tmp_path / "out" / "mog")["md"].read_text()
    section = md.split("## Baseline: samples spread on the circle")[1]
    assert "covers **8 of 8** modes by VEEGAN's count" in section
    assert "LSGAN 7.0 modes at 10.0% HQ" in section and "regular GAN 2.3 modes at 10.0% HQ" in section


def test_mog_claim_counts_modes_at_other_thresholds(tmp_path):
    """The final per-mode HQ counts in scores.json are recounted at each share of RECOUNT_SHARES.
    Hand count: a 1/9 mode of the ring needs 2500 * 1/9 * (1 - e^-4.5) * share samples, 13.7 at
    0.05, 54.9 at 0.2; the 2/9 mode (the last) twice that. LSGAN's 3 seeds hold 20 samples at each
    of 7 modes (covered at 0.05, not at 0.2); the regular GAN's hold 100 at modes 0-1 (covered at
    both): at 0.05 LSGAN leads 7 vs 2 in every seed, at 0.2 it trails 0 vs 2."""
    tsv = mog_table(tmp_path, ls_modes=[7, 7, 7], std_modes=[2, 2, 2], std_share=[0.3, 0.3, 0.3])
    for d in (tmp_path / "runs" / "mog").iterdir():
        scores = json.loads((d / "scores.json").read_text())
        counts = [20] * 7 + [0] if d.name.startswith("least") else [100, 100] + [0] * 6
        scores["final"].update(mode_counts=counts, n_samples=2500)
        reseal(d, final=scores["final"])
    md = write_claim("mog_modes", tsv, tmp_path / "runs", tmp_path / "out" / "mog")["md"].read_text()
    table = md.split("## Modes at other thresholds")[1].split("\n\n")
    rows = {line.split("|")[1].strip(): [c.strip() for c in line.split("|")[2:-1]]
            for line in table[2].splitlines()[2:]}
    # columns: 1 sample, >= 0.02, 0.05, 0.1, 0.2 (strict), 0.5
    assert rows["LSGAN"] == ["7.00 ± 0.00", "7.00 ± 0.00", "7.00 ± 0.00", "0.00 ± 0.00", "0.00 ± 0.00", "0.00 ± 0.00"]
    assert rows["regular GAN"] == ["2.00 ± 0.00"] * 5 + ["0.00 ± 0.00"]
    # at the shipped margin (1 mode): 7 - 1 > 2 in every seed (complete separation, p 0.05) where
    # LSGAN counts 7; 0 vs 2 elsewhere
    assert ("- LSGAN vs the regular GAN (3 seeds): more than 1 mode(s) more, shown by the order test "
            "(each threshold at alpha 0.05 on its own: a sensitivity display, not a family) at "
            "`1 sample (VEEGAN)`, `>= 0.02`, `>= 0.05`; not at `>= 0.1`, `>= 0.2 (strict)`, `>= 0.5`.") in md


def test_mog_claim_says_when_scores_predate_the_mode_counts(tmp_path):
    tsv = mog_table(tmp_path, ls_modes=[6, 5, 7], std_modes=[1, 2, 5], std_share=[0.95, 0.99, 0.4])
    md = write_claim("mog_modes", tsv, tmp_path / "runs", tmp_path / "out" / "mog")["md"].read_text()
    assert "Not in these runs' scores (they predate the per-mode counts)" in md


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


def test_unknown_claim_is_named(tmp_path):
    with pytest.raises(ValueError, match="unknown claim 'nope'; known: mog_modes, settings_robustness, sagan_claims"):
        write_claim("nope", tmp_path / "t.tsv", tmp_path, tmp_path / "x")


def test_prefix_ranges_equal_the_short_runs_own_scores(tmp_path):
    """Ranges for a short table from a longer table's curves: the short runs, trained for real,
    score exactly what the long runs' curves say at that update; other configs are refused."""
    import json

    from repro.experiments import row_config
    from repro.report.references import prefix_ranges
    from repro.train import train

    base = {"paper": "smoke", "row": "LSGAN", "column": "ring", "dataset": "mog_ring", "resolution": 0,
            "arch": "mlp", "norm_d": "none", "loss": "least_squares", "ls_coding": "iccv", "setting": "lsgan_mog",
            "update": "simultaneous", "batch_size": 64, "protocol": "mog"}
    short = write_tsv(tmp_path / "short.tsv", [{**base, "run_id": f"s{i}", "paper_table": "short", "seed": i,
                                                "g_updates": 20} for i in range(3)])
    long_rows = [{**base, "run_id": f"l{i}", "paper_table": "long", "seed": i, "g_updates": 40, "eval_every": 10,
                  "eval_protocol": "mog"} for i in range(3)]
    long = write_tsv(tmp_path / "long.tsv", long_rows)
    runs = tmp_path / "runs"
    for tsv, name in ((short, "short"), (long, "long")):
        for i in range(3):
            run_id = f"{name[0]}{i}"
            train(row_config(tsv, run_id), runs / name / run_id, progress=False)
    ranges = prefix_ranges(short, long, runs, ["modes_covered", "top_mode_share"]).set_index("metric")
    for metric in ("modes_covered", "top_mode_share"):
        own = [json.loads((runs / "short" / f"s{i}" / "scores.json").read_text())["final"][metric] for i in range(3)]
        assert ranges.loc[metric, "value"] == pytest.approx(np.mean(own), abs=1e-6)
        assert ranges.loc[metric, "std"] == pytest.approx(np.std(own, ddof=1), abs=1e-6)
    assert set(ranges["g_updates"]) == {20} and set(ranges["kind"]) == {"regression"}
    write_tsv(tmp_path / "other.tsv", [{**r, "lr_d": 0.001} for r in long_rows])
    with pytest.raises(ValueError, match="run l0 of .*other.tsv trains another config"):
        prefix_ranges(short, tmp_path / "other.tsv", runs, ["modes_covered"])
    write_tsv(tmp_path / "other.tsv", [{**r, "eval_every": 15} for r in long_rows])
    with pytest.raises(ValueError, match="is not evaluated at update 20"):
        prefix_ranges(short, tmp_path / "other.tsv", runs, ["modes_covered"])
