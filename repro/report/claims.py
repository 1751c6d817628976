"""Claim verdicts: what one experiment table's runs say about a paper's *claim*.

A paper table holds numbers; a claim holds a direction. Each analysis here reads the runs of one
table (:func:`repro.report.collect.collect`, :func:`repro.report.curves.collect_curves`) and
writes, beside the table's report, ``<prefix>.claim.md`` (the verdict and the numbers behind it,
with the runs' machine, library versions and training time) plus the figures the claim is shown
with. ``config/config.yaml`` (``claims``) says which table is judged by which analysis:

* ``mog_modes`` -- LSGAN (Mao et al. 2017), Gaussian-mixture experiment: "with the regular GAN
  the generator collapses to a single mode early in training, while LSGAN keeps learning the whole
  distribution". Rows with ``loss = standard`` are the regular GAN, ``least_squares`` rows LSGAN.
* ``settings_robustness`` -- SNGAN (Miyato et al. 2018), Sec. 4.1, Figures 1-2 and Table 2:
  spectral normalization stays good across the optimizer settings A-F, including the aggressive
  D-F, where other normalizations fail. Rows are methods, columns settings.
* ``sagan_claims`` -- SAGAN (Zhang et al. 2019): the attention gate opens from 0 (Sec. 3), SN on
  G/D with TTUR trains stably and faster at 1:1 (Sec. 5.1, Fig. 3), attention vs none (Table 1);
  in :mod:`repro.report.sagan_claims`. Rows are the SN/TTUR ablation, columns attention sizes.
"""
from __future__ import annotations

import json
import math
from pathlib import Path
from typing import Callable

import numpy as np
import pandas as pd

from .. import io, layout, rundir
from ..data import ring_mixture
from ..metrics import registry
from ..metrics.mog import STRICT_SHARE, perfect_hq, populated_modes
from ..metrics.protocol import get_protocol
from ..settings import SNGAN_AGGRESSIVE as AGGRESSIVE  # D-F: where the SNGAN claim is made
from ..errors import UserError
from .collect import collect
from .curves import collect_curves, no_curves, plot_curves
from .order_test import HELD, INCONCLUSIVE, REVERSED, OrderResult, holm, order_test, worst_order_test
from .verdict import DIVERGED, decide, summarize


class ClaimError(UserError, ValueError):
    """A claim analysis cannot judge the table it was given (says what is missing)."""


#: A run is collapsed onto one mode at an evaluation when at least this share of all its samples
#: have the same nearest mode (``top_mode_share``; 1/8 when spread evenly over the ring).
COLLAPSE_SHARE = 0.9
#: ... and it stays collapsed from step t when it is collapsed at its last evaluation and at this
#: share of the evaluations from t on: a collapsed generator hops between modes, and a hop caught
#: mid-way reads as one evaluation below COLLAPSE_SHARE (seen in lsgan_mog runs).
COLLAPSE_PERSISTENCE = 0.8
#: The mixture-of-Gaussians claim's panels (curves) and table metrics.
MOG_METRICS = registry.overview("mog")  # the mog family's overview metrics


def _mean_std(values) -> str:
    n, mean, std = summarize(list(values))  # the verdicts' own mean and std over finite values
    if not n:
        return "-"
    return f"{mean:.2f} ± {std:.2f}" if n > 1 else f"{mean:.2f}"


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


# -- LSGAN: mixture of Gaussians ----------------------------------------------------------------

def collapse_step(curve: pd.DataFrame, share: float = COLLAPSE_SHARE,
                  persistence: float = COLLAPSE_PERSISTENCE) -> float:
    """The first evaluated step t from which a run stays collapsed: collapsed (top-mode share >=
    `share`) at t, at its last evaluation, and at >= `persistence` of the evaluations from t on.
    NaN when its last evaluation is not collapsed."""
    c = curve.sort_values("step")
    ok = (c["top_mode_share"] >= share).to_numpy()
    if not len(ok) or not ok[-1]:
        return math.nan
    tail_share = np.cumsum(ok[::-1])[::-1] / np.arange(len(ok), 0, -1)  # collapsed share from i on
    first = int(np.argmax(ok & (tail_share >= persistence)))
    return float(c["step"].iloc[first])


def representative_seed(runs: pd.DataFrame, metric: str = "final_modes_covered") -> int:
    """The seed whose final `metric` is nearest the row's median (ties: the smallest seed)."""
    done = runs[runs["status"] == "completed"].dropna(subset=[metric])
    if done.empty:
        raise ValueError(f"no completed run with {metric} in {sorted(set(runs['row']))}")
    gap = (done[metric] - done[metric].median()).abs()
    return int(done.assign(gap=gap).sort_values(["gap", "seed"])["seed"].iloc[0])


def mog_summary(df: pd.DataFrame, curves: pd.DataFrame) -> pd.DataFrame:
    """One row per run: final metrics, mean modes covered over training, collapse step (only for
    completed runs: a run still going has a partial curve)."""
    cols = [f"final_{m}" for m in (*MOG_METRICS, "modes_covered_strict")]
    out = df[["row", "seed", "loss", "status", *[c for c in cols if c in df.columns]]].copy()
    done = set(df.loc[df["status"] == "completed", "run_id"])
    by_run = {rid: g for rid, g in curves.groupby("run_id") if rid in done} if len(curves) else {}
    out["modes_over_training"] = [by_run[r]["modes_covered"].mean() if r in by_run else math.nan
                                  for r in df["run_id"]]
    out["collapsed_from"] = [collapse_step(by_run[r]) if r in by_run else math.nan for r in df["run_id"]]
    return out.reset_index(drop=True)


def mog_verdict(summary: pd.DataFrame, g_updates: int, margin: float = 0.0) -> list[str]:
    """The claim's verdict after `g_updates` iterations, as Markdown lines (module docstring):
    each least-squares row against the regular GAN by :func:`_more_modes` at `margin`."""
    if not (summary["loss"] == "standard").any():
        raise ClaimError("the mog_modes claim needs a row with loss 'standard' (the regular GAN)")
    base_label = summary.loc[summary["loss"] == "standard", "row"].iloc[0]
    summary = summary[summary["status"] == "completed"]
    base = summary[summary["loss"] == "standard"]
    lines = []
    for row in summary.loc[summary["loss"] == "least_squares", "row"].unique():
        pair = summary[summary["row"] == row].merge(base, on="seed", suffixes=("", "_base"))
        if pair.empty:
            lines.append(f"- **inconclusive** for {row}: no seed has completed runs of it and of the {base_label}.")
            continue
        a, b = pair["final_modes_covered"], pair["final_modes_covered_base"]
        more, same, fewer = int((a > b).sum()), int((a == b).sum()), int((a < b).sum())
        test = _more_modes(a, b, margin)
        lines.append(f"- {CLAIM_WORDS[test.verdict]} for {row} (more than {margin:g} mode(s) more than "
                     f"the {base_label}): after {g_updates:,} iterations it covers "
                     f"{a.mean():.1f} modes against {b.mean():.1f} (mean of "
                     f"{len(pair)} seeds); more modes in {more} of {len(pair)} seeds, as many in "
                     f"{same}, fewer in {fewer}. Order test: {test.reason()}. Over training (mean of "
                     f"the curve): {pair['modes_over_training'].mean():.2f} vs "
                     f"{pair['modes_over_training_base'].mean():.2f}.")
        lines.append(_strict_line(pair, row, base_label, margin))
    for row, g in summary.groupby("row", sort=False):
        steps = g["collapsed_from"].dropna()
        text = f"- {row}: {len(steps)} of {len(g)} completed runs end collapsed onto one mode"
        if len(steps):
            text += (f", from step {int(steps.min()):,} at the earliest, {int(steps.median()):,} "
                     f"(median), {int(steps.max()):,} at the latest")
        lines.append(text + ".")
    return lines


def claim_margin(paper_table: str, metric: str = "modes_covered") -> float:
    """The margin of the pre-registered order rule of `paper_table` and `metric`
    (config/references/order_rules.yaml: one source of truth for the claim and ``repro check``);
    0 where the table has none."""
    from .check import load_order_rules
    from .references import norm_label

    for r in load_order_rules():
        if norm_label(r["paper_table"]) == norm_label(paper_table) and r["metric"] == metric:
            return float(r["margin"])
    return 0.0


def _more_modes(a: pd.Series, b: pd.Series, margin: float) -> OrderResult:
    """The claim's rule: `a` covers more than `margin` modes more than `b`, shown by the order test
    (:func:`repro.report.order_test.order_test`: one-sided Welch and permutation test, alpha 0.05,
    per-seed values of the two rows as independent samples). Two identical distributions "hold"
    at most 5 % of the time (tests/report/test_order_test.py)."""
    return order_test(list(a.astype(float)), list(b.astype(float)), margin, lower_is_better=False)


#: The claim's words for an order test's verdict.
CLAIM_WORDS = {HELD: "**holds**", REVERSED: "**reversed**", INCONCLUSIVE: "**inconclusive**"}


def _strict_line(pair: pd.DataFrame, row: str, base_label: str, margin: float) -> str:
    """The same comparison under the strict mode count (repro.metrics.mog.STRICT_SHARE)."""
    col = "final_modes_covered_strict"
    if col not in pair.columns or pair[col].isna().any() or pair[f"{col}_base"].isna().any():
        return (f"  - strict count (a mode counts with >= {STRICT_SHARE:g} of a perfect generator's "
                f"high-quality samples there): not in these runs' scores (they predate it); "
                f"rerun the table to get it.")
    a, b = pair[col], pair[f"{col}_base"]
    test = _more_modes(a, b, margin)
    return (f"  - strict count (a mode counts with >= {STRICT_SHARE:g} of a perfect generator's "
            f"high-quality samples there; our threshold): {a.mean():.1f} vs {b.mean():.1f} modes, "
            f"more in {int((a > b).sum())} of {len(pair)} seeds: {CLAIM_WORDS[test.verdict]} "
            f"({test.reason()}).")


#: Shares of a perfect generator's HQ samples at which the claim's table also counts modes: the
#: strict count's threshold (STRICT_SHARE) is ours, so the reader sees where the verdict turns.
RECOUNT_SHARES = (0.02, 0.05, 0.1, 0.2, 0.5)


def final_mode_counts(df: pd.DataFrame) -> pd.Series:
    """Each completed run's HQ samples per mode at its final evaluation (scores.json), by run_id;
    runs whose scores predate ``mode_counts`` are left out."""
    counts = {}
    for rid, run_dir in df.loc[df["status"] == "completed", ["run_id", "run_dir"]].itertuples(index=False):
        final = (rundir.RunDir(run_dir).read_json(rundir.SCORES) or {}).get("final") or {}
        if "mode_counts" in final:
            counts[rid] = (final["mode_counts"], int(final["n_samples"]))
    return pd.Series(counts, dtype=object)


def _lightest_mode_hq(protocol) -> float:
    """HQ samples a perfect generator puts at the ring's lightest mode under `protocol`."""
    w = ring_mixture().weights.numpy()
    return float(perfect_hq(protocol.n_fake, len(w), weights=w, hq_sigmas=protocol.mog_hq_sigmas).min())


def strict_sensitivity(df: pd.DataFrame, hq_sigmas: float, margin: float = 0.0) -> list[str]:
    """Mean modes per row counted at each share of RECOUNT_SHARES (and VEEGAN's one sample), and
    whether each least-squares row keeps the claim's rule (:func:`_more_modes`) there, as Markdown."""
    counts = final_mode_counts(df)
    runs = df[df["run_id"].isin(counts.index)]
    if runs.empty:
        return ["Not in these runs' scores (they predate the per-mode counts); rerun the table to get it."]
    weights = ring_mixture().weights.numpy()
    cols = {f">= {s:g}" + (" (strict)" if s == STRICT_SHARE else ""): s for s in RECOUNT_SHARES}
    per_run = runs[["row", "seed", "loss"]].assign(**{"1 sample (VEEGAN)": runs["final_modes_covered"]})
    for col, share in cols.items():
        per_run[col] = [populated_modes(*counts[r], share, weights=weights, hq_sigmas=hq_sigmas)
                        for r in runs["run_id"]]
    shown = ["1 sample (VEEGAN)", *cols]
    lines = [per_run.groupby("row", sort=False)[shown].agg(_mean_std).to_markdown(), ""]
    base = per_run[per_run["loss"] == "standard"]
    for row in per_run.loc[per_run["loss"] == "least_squares", "row"].unique():
        pair = per_run[per_run["row"] == row].merge(base, on="seed", suffixes=("", "_base"))
        if pair.empty:
            continue
        kept = [c for c in shown if _more_modes(pair[c], pair[f"{c}_base"], margin).verdict == HELD]
        lost = [c for c in shown if c not in kept]
        text = (f"- {row} vs the regular GAN ({len(pair)} seeds): more than {margin:g} mode(s) more, "
                f"shown by the order test (each threshold at alpha 0.05 on its own: a sensitivity "
                f"display, not a family) at {', '.join(f'`{c}`' for c in kept) or 'no threshold'}")
        lines.append(text + (f"; not at {', '.join(f'`{c}`' for c in lost)}." if lost else "."))
    return lines


#: Seed of the spread-on-the-circle baseline's draw (:func:`spread_baseline`): fixed, so the claim
#: file is the same at every render.
BASELINE_SEED = 0


def spread_baseline(n_samples: int, hq_sigmas: float, min_count: int = 1, seed: int = BASELINE_SEED) -> dict:
    """What a generator that learns no mode scores: `n_samples` points uniform in angle on the
    ring's circle (radius 1), scored by the suite's own metrics (:func:`repro.metrics.mog.mog_metrics`,
    the ring's modes and weights). Known truth: a point is high quality when it lies within
    hq_sigmas * sigma (0.03) of a mode, an arc of 4 arcsin(0.015) = 0.060 rad around each of the 8
    modes, so 8 x 0.060 / (2 pi) = 7.6 % of the points are HQ, ~24 of 2,500 at each mode: all 8
    modes "covered" by VEEGAN's one-sample count with no mode learned."""
    from ..metrics.mog import mog_metrics

    mix = ring_mixture()
    theta = np.random.default_rng(seed).uniform(0.0, 2 * np.pi, n_samples)
    x = np.stack([np.cos(theta), np.sin(theta)], axis=1)
    return mog_metrics(x, mix.modes.numpy(), mix.sigma, weights=mix.weights.numpy(), hq_sigmas=hq_sigmas,
                       min_count=min_count)


def baseline_lines(summary: pd.DataFrame, protocol) -> list[str]:
    """The claim's baseline beside each row's modes and HQ fraction (Markdown)."""
    b = spread_baseline(protocol.n_fake, protocol.mog_hq_sigmas, protocol.mog_min_count)
    done = summary[summary["status"] == "completed"]
    rows = "; ".join(f"{row} {g['final_modes_covered'].mean():.1f} modes at {g['final_hq_fraction'].mean():.1%} HQ"
                     for row, g in done.groupby("row", sort=False))
    return [f"- A generator that learns no mode -- {protocol.n_fake:,} samples spread uniformly on the "
            f"circle -- covers **{b['modes_covered']} of 8** modes by VEEGAN's count at "
            f"**{b['hq_fraction']:.1%}** high-quality samples ({b['modes_covered_strict']} by the strict "
            f"count). Ours: {rows}.",
            "- So the one-sample mode count cannot tell a generator that learned the modes from one "
            "that sprays the circle: a row at or below the baseline's HQ fraction with fewer modes than 8 "
            "is not shown to have learned any mode. What the count can show: a collapse (few modes, "
            "a high top-mode share). What it cannot: that the modes covered were learned; the HQ "
            "fraction and the strict counts below speak to that."]


def plot_mog_samples(df: pd.DataFrame, runs_root: Path, table: str, out: Path) -> Path:
    """Kernel density of G's samples at every saved step (columns) for a representative seed of
    each row (rows), as the LSGAN paper's Gaussian-mixture figure; the last column is the target.

    The density is scipy's ``gaussian_kde`` (Scott's bandwidth): scipy comes with clean-fid and
    scikit-learn, and a KDE is what the paper shows."""
    import torch
    from matplotlib.colors import LogNorm
    from matplotlib.figure import Figure
    from scipy.stats import gaussian_kde

    picks = []
    for row, g in df.groupby("row", sort=False):
        if not (g["status"] == "completed").any():
            continue  # a row without finished runs has nothing to show yet
        seed = representative_seed(g)
        run_id = g.loc[g["seed"] == seed, "run_id"].iloc[0]
        files = rundir.sample_files(runs_root / table / run_id, ".npy")
        picks.append((row, seed, [(step, np.load(f)) for step, f in files]))
    if not picks:
        raise ValueError(f"{table}: no completed run to draw samples of")
    n_cols = max(len(p[2]) for p in picks) + 1
    grid = np.linspace(-1.5, 1.5, 121)
    xx, yy = np.meshgrid(grid, grid)
    fig = Figure(figsize=(1.7 * n_cols, 1.8 * len(picks) + 0.4), layout="constrained")
    axes = np.atleast_2d(fig.subplots(len(picks), n_cols, squeeze=False))
    target = ring_mixture().sample(2500, generator=torch.Generator().manual_seed(0)).numpy()
    for i, (row, seed, snaps) in enumerate(picks):
        for j, (step, x) in enumerate([*snaps, ("target", target)]):
            ax = axes[i, j]
            x = x[np.isfinite(x).all(axis=1)]
            if len(x) > 2 and np.ptp(x, axis=0).min() > 0:
                z = gaussian_kde(x.T)(np.vstack([xx.ravel(), yy.ravel()])).reshape(xx.shape)
                ax.pcolormesh(xx, yy, z + 1e-3, norm=LogNorm(vmin=1e-2, vmax=max(z.max(), 1e-1)),
                              cmap="viridis", shading="auto")
            ax.set(xticks=[], yticks=[], aspect="equal", xlim=(-1.5, 1.5), ylim=(-1.5, 1.5))
            ax.set_title(f"step {step:,}" if step != "target" else "target", fontsize=8)
            if j == 0:
                ax.set_ylabel(f"{row}\n(seed {seed})", fontsize=8)
        for j in range(len(snaps) + 1, n_cols):
            axes[i, j].axis("off")
    fig.suptitle(f"{table}: kernel density of 2,500 samples (fixed noise), seed nearest each row's "
                 "median modes covered", fontsize=9)
    return io.save_figure(out, fig, dpi=110)


def mog_modes(table_tsv: Path, runs_root: Path, out_prefix: Path) -> dict[str, Path]:
    """The LSGAN mixture-of-Gaussians claim: verdict, per-run CSV, curves and density figure."""
    table = table_tsv.stem
    df = collect(table_tsv, runs_root)
    if set(df["dataset"]) != {"mog_ring"}:
        raise ClaimError(f"{table}: the mog_modes claim is about the ring (dataset mog_ring), "
                         f"got {sorted(set(df['dataset']))}")
    curves = collect_curves(table_tsv, runs_root)
    curves = curves[curves["run_id"].isin(df.loc[df["status"] == "completed", "run_id"])]  # not half-run ones
    summary = mog_summary(df, curves)
    protocol = get_protocol(df["protocol_name"].dropna().iloc[0])  # the runs' final protocol
    out = layout.files("claim:mog_modes", out_prefix)
    paths = {"runs_csv": io.write_text(out["runs_csv"], summary.to_csv(index=False))}
    stem = out["curves"].with_suffix("")
    if len(curves):
        # one panel per metric, one line per loss (row) with the ± std band over seeds
        swapped = curves.assign(row=curves["column"], column=curves["row"])
        metrics = [m for m in MOG_METRICS if m in curves.columns]
        paths["curves"] = plot_curves(swapped, stem, metrics=metrics, band="std",
                                      title=f"{table}: mean over seeds, band ± std", formats=("png",),
                                      legend_title="row")[0]
    else:  # the rule declares the figure: say why it is empty
        paths["curves"] = no_curves(stem, "no learning curve: no completed run evaluated during "
                                          "training (eval_every 0)", formats=("png",))[0]
    paths["samples"] = plot_mog_samples(df, runs_root, table, out["samples"])
    per_row = (summary.groupby("row", sort=False)
               .agg(**{f"{m} (final)": (f"final_{m}", _mean_std) for m in MOG_METRICS},
                    **{"modes (mean over training)": ("modes_over_training", _mean_std),
                       "completed runs": ("status", lambda s: f"{(s == 'completed').sum()}/{len(s)}"),
                       "collapsed at the end": ("collapsed_from", lambda s: int(s.notna().sum()))}))
    margin = claim_margin(str(df["paper_table"].dropna().iloc[0]))
    md = [f"# {table}: claim verdict (`mog_modes`)", "",
          '> LSGAN (Mao et al. 2017, arXiv:1611.04076), stability comparison on a 2-D mixture of '
          'Gaussians: "with the regular GAN the generator collapses to a single mode early in '
          'training, while LSGAN keeps learning the whole distribution" (our wording of the paper\'s '
          'figure, which shows the collapse at about 15k iterations; section number unverified here).', "",
          "What the suite tests: the order (LSGAN covers more ring modes than the regular GAN, by more "
          f"than {margin:g}: config/references/order_rules.yaml), not the whole-distribution part.", "",
          "## Verdict", "", *mog_verdict(summary, int(df["g_updates"].max()), margin), "",
          "## Baseline: samples spread on the circle", "", *baseline_lines(summary, protocol), "",
          f"Collapsed = at least {COLLAPSE_SHARE:.0%} of all samples share one nearest mode "
          f"(`top_mode_share`); a run stays collapsed from the first evaluation after which it is "
          f"collapsed at {COLLAPSE_PERSISTENCE:.0%} of the evaluations and at the last one. Modes covered, HQ fraction and "
          "KL follow VEEGAN's definitions (`repro/metrics/mog.py`): a mode counts when one of "
          f"{protocol.n_fake:,} samples lies within {protocol.mog_hq_sigmas:g} sigma "
          f"({protocol.mog_hq_sigmas * ring_mixture().sigma:g}) of it.", "",
          "## Per row (mean ± std over seeds)", "", per_row.to_markdown(), "",
          "## Modes at other thresholds (mean ± std over seeds)", "",
          "A mode is counted when it holds at least the given share of the high-quality samples a "
          f"perfect generator puts there ({_lightest_mode_hq(protocol):.0f} of {protocol.n_fake:,} at a "
          "1/9 mode of the ring), from each run's final per-mode counts. The strict count's share "
          "is our choice (`docs/fidelity.md`, point 10); this table shows where the verdict turns.", "",
          *strict_sensitivity(df, protocol.mog_hq_sigmas, margin), "",
          f"Per run: `{Path(paths['runs_csv']).name}`. Figures: `{Path(paths['curves']).name}` "
          f"(curves), `{Path(paths['samples']).name}` (densities).", "",
          "## Provenance", "", *provenance_lines(df), ""]
    paths["md"] = io.write_text(out["md"], "\n".join(md))
    return paths


# -- SNGAN: robustness across settings A-F --------------------------------------------------------

def setting_cells(df: pd.DataFrame) -> pd.DataFrame:
    """One row per (method, setting): n finished, n diverged, FID and IS mean and std, and whether
    the cell counts as diverged (verdict rule 2: most of its finished runs diverged)."""
    out = []
    for (row, column), g in df.groupby(["row", "column"], sort=False):
        done = g[g["status"] == "completed"]
        n_div, n_missing = int((g["status"] == "diverged").sum()), int((g["status"] == "missing").sum())
        fid, is_ = done["final_fid"].astype(float), done["final_is_mean"].astype(float)
        state = decide(list(fid), n_diverged=n_div, n_missing=n_missing)[0]
        out.append({"method": row, "setting": column, "n": len(done), "n_diverged": n_div,
                    "n_missing": n_missing, "diverged": state == DIVERGED,
                    "fid_mean": fid.mean(), "fid_std": fid.std(ddof=1), "is_mean": is_.mean(),
                    "is_std": is_.std(ddof=1), "fid_values": json.dumps([float(x) for x in fid.dropna()])})
    return pd.DataFrame(out)


def best_setting_table(cells: pd.DataFrame) -> pd.DataFrame:
    """Table-2 style: per method its best setting by mean FID, and how it fares elsewhere."""
    rows = []
    for method, g in cells.groupby("method", sort=False):
        fid = g["fid_mean"].where(~g["diverged"], np.inf)  # a diverged cell is the worst possible
        best, worst = g.loc[fid.idxmin()], g.loc[fid.idxmax()]
        aggressive = g[g["setting"].isin(AGGRESSIVE)]
        rows.append({"method": method, "best setting": best["setting"],
                     "FID (best)": _pm(best["fid_mean"], best["fid_std"]),
                     "IS (best)": _pm(best["is_mean"], best["is_std"]),
                     "worst setting": worst["setting"],
                     "FID (worst)": "diverged" if worst["diverged"] else _pm(worst["fid_mean"], worst["fid_std"]),
                     "FID A-C": f"{g.loc[~g['setting'].isin(AGGRESSIVE), 'fid_mean'].mean():.1f}",
                     "FID D-F": f"{aggressive['fid_mean'].mean():.1f}",
                     "diverged runs": f"{int(g['n_diverged'].sum())}/{int((g['n'] + g['n_diverged'] + g['n_missing']).sum())}"})
    return pd.DataFrame(rows).set_index("method")


def _pm(mean: float, std: float) -> str:
    if not np.isfinite(mean):
        return "-"
    return f"{mean:.1f} ± {std:.1f}" if np.isfinite(std) else f"{mean:.1f}"


def _worst_cells(g: pd.DataFrame) -> dict[str, list[float] | None]:
    """A method's cells by setting: per-seed final FIDs, None for a diverged cell."""
    return {r["setting"]: None if r["diverged"] else json.loads(r["fid_values"]) for _, r in g.iterrows()}


def robustness_verdict(cells: pd.DataFrame, method: str = "SN-GANs") -> list[str]:
    """Is `method` the most robust over the settings (SNGAN Sec. 4.1, Figs. 1-2)? Its worst
    setting's FID against each other method's worst (a diverged cell counts as infinitely bad) by
    :func:`repro.report.order_test.worst_order_test` on the cells' per-seed FIDs (margin 0), the
    methods corrected together by Holm: "behind" / "ahead" only where shown at alpha 0.05, so an
    order between two identically distributed methods is claimed at most 5 % of the time. When the
    aggressive settings D-F are ahead of A-C for most methods, the runs are too short to show the
    instability the claim is about, and the verdict is inconclusive whatever the tests say."""
    if method not in set(cells["method"]):
        raise ValueError(f"no row {method!r} in the table; rows: {sorted(set(cells['method']))}")
    by = {m: g for m, g in cells.groupby("method", sort=False)}
    worst = {m: g.loc[g["fid_mean"].where(~g["diverged"], np.inf).idxmax()] for m, g in by.items()}
    others = [m for m in by if m != method]
    tests = holm([worst_order_test(_worst_cells(by[method]), _worst_cells(by[m]), 0.0, lower_is_better=True)
                  for m in others])
    behind = [m for m, t in zip(others, tests) if t.verdict == HELD]
    ahead = [m for m, t in zip(others, tests) if t.verdict == REVERSED]
    undecided = [m for m, t in zip(others, tests) if t.verdict == INCONCLUSIVE]
    ours = worst[method]
    agg = cells[cells["setting"].isin(AGGRESSIVE)].groupby("method", sort=False)["fid_mean"].mean()
    calm = cells[~cells["setting"].isin(AGGRESSIVE)].groupby("method", sort=False)["fid_mean"].mean()
    too_short = sum(agg[m] < calm[m] for m in agg.index) * 2 > len(agg)  # the aggressive settings are further along
    if too_short:
        word = "**inconclusive** (too short to test the claim, see the scale check)"
    elif ahead:
        word = "**does not hold**"
    elif not undecided:
        word = "**holds**"
    else:
        word = "**inconclusive**"
    fmt = lambda w: "diverged" if w["diverged"] else f"{w['fid_mean']:.1f} ± {w['fid_std']:.1f}"  # noqa: E731
    n_seeds = int(cells["n"].min()) if len(cells) else 0
    lines = [f"- {word}: the worst setting of {method} is {ours['setting']} (FID {fmt(ours)}). "
             f"Methods whose worst setting is shown behind it: {', '.join(behind) or 'none'}; shown "
             f"ahead: {', '.join(ahead) or 'none'}; not shown either way: {', '.join(undecided) or 'none'}. "
             f"Test: {tests[0].test if tests else '-'}, alpha 0.05, Holm over the {len(others)} methods "
             f"(at {n_seeds} seeds a cell the permutation test's smallest p is "
             f"{1 / math.comb(2 * n_seeds, n_seeds) if n_seeds else math.nan:.3g} per pair).",
             "- Per method: " + "; ".join(f"{m}: {t.verdict} (p {t.p_value:.3g})" for m, t in zip(others, tests)) + "."]
    ranking = sorted(worst, key=lambda m: np.inf if worst[m]["diverged"] else worst[m]["fid_mean"])
    lines.append("- Worst-setting FID, most robust first: " +
                 "; ".join(f"{m} {fmt(worst[m])} ({worst[m]['setting']})" for m in ranking) + ".")
    lines.append("- Mean FID on A-C → D-F (the aggressive settings): " +
                 "; ".join(f"{m} {calm[m]:.1f} → {agg[m]:.1f}" for m in agg.index) + ".")
    if too_short:
        ahead_n = sum(agg[m] < calm[m] for m in agg.index)
        lines.append(f"- Scale check: the aggressive settings are *ahead* for {ahead_n} of {len(agg)} "
                     "methods -- at this length a larger learning rate (and n_dis = 5) means more "
                     "progress, not yet the instability the claim is about.")
    spread = cells["fid_std"].median()
    between = cells.groupby("setting")["fid_mean"].std().median()
    lines.append(f"- Scale check: the median seed-to-seed std of a cell's FID is {spread:.1f}; the "
                 f"median std of the methods' mean FIDs within one setting is {between:.1f}"
                 + (" -- seed noise is as large as the differences between methods, so at this "
                    "scale the ranking says little." if spread >= between else "."))
    return lines


def plot_settings_bars(cells: pd.DataFrame, out: Path, title: str) -> Path:
    """SNGAN Figures 1-2: per method (x) one bar per setting A-F, IS above and FID below, mean
    with a ± std error bar over seeds (FID on a log axis); a diverged cell is an ``x`` on the
    axis, not a bar."""
    from matplotlib.figure import Figure

    methods = list(dict.fromkeys(cells["method"]))
    settings = list(dict.fromkeys(cells["setting"]))
    width = 0.8 / len(settings)
    fig = Figure(figsize=(1.3 * len(methods) + 1.5, 6.2), layout="constrained")
    axes = fig.subplots(2, 1, sharex=True)
    for ax, (metric, label) in zip(axes, (("is", "IS (higher is better)"), ("fid", "FID (lower is better)"))):
        for k, s in enumerate(settings):
            c = cells[cells["setting"] == s].set_index("method").reindex(methods)
            x = np.arange(len(methods)) + (k - (len(settings) - 1) / 2) * width
            ok = ~c["diverged"].astype(bool).to_numpy()
            ax.bar(x[ok], c[f"{metric}_mean"].to_numpy()[ok], width, yerr=c[f"{metric}_std"].fillna(0).to_numpy()[ok],
                   color=f"C{k}", label=s, capsize=1.5, error_kw={"linewidth": 0.7})
            ax.plot(x[~ok], np.full((~ok).sum(), 1.0), "x", color=f"C{k}", markersize=7, mew=2)
        ax.set_ylabel(label)
        ax.grid(True, axis="y", alpha=0.3)
    axes[1].set_yscale("log")  # one failed cell (FID > 1,000) would flatten all the others
    axes[1].set_xticks(np.arange(len(methods)), methods, rotation=20, ha="right")
    handles, labels = axes[0].get_legend_handles_labels()
    fig.legend(handles, labels, title="setting", ncols=len(settings), loc="outside lower center")
    fig.suptitle(title + " (x on the axis: diverged)")
    return io.save_figure(out, fig, dpi=120)


def settings_robustness(table_tsv: Path, runs_root: Path, out_prefix: Path) -> dict[str, Path]:
    """The SNGAN robustness claim: verdict, cell CSV, Table-2-style table and bar chart."""
    table = table_tsv.stem
    df = collect(table_tsv, runs_root)
    cells = setting_cells(df)
    best = best_setting_table(cells)
    out = layout.files("claim:settings_robustness", out_prefix)
    paths = {"cells_csv": io.write_text(out["cells_csv"], cells.to_csv(index=False, float_format="%.6g")),
             "best_md": io.write_text(out["best_md"], best.to_markdown() + "\n"),
             "best_csv": io.write_text(out["best_csv"], best.to_csv()),
             "best_tex": io.write_text(out["best_tex"], best.to_latex(escape=True).replace("±", r"$\pm$")),
             "bars": plot_settings_bars(cells, out["bars"],
                                        f"{table}: final FID and IS over settings A-F, mean ± std over seeds")}
    g_updates = ", ".join(f"{int(x):,}" for x in sorted(set(df["g_updates"])))
    md = [f"# {table}: claim verdict (`settings_robustness`)", "",
          "> SNGAN (Miyato et al. 2018), Sec. 4.1, Figures 1-2: spectral normalization stays good "
          "across the settings A-F, including the aggressive D-F (lr 1e-3), where the other "
          "normalizations (notably WGAN-GP) fail.", "",
          f"## Verdict (final checkpoint, {g_updates} generator updates)", "", *robustness_verdict(cells), "",
          "## Best setting per method (Table 2 style)", "", best.to_markdown(), "",
          f"Every cell: `{Path(paths['cells_csv']).name}`; figure: `{Path(paths['bars']).name}`.", "",
          "## Provenance", "", *provenance_lines(df), ""]
    paths["md"] = io.write_text(out["md"], "\n".join(md))
    return paths


def sagan_claims(table_tsv: Path, runs_root: Path, out_prefix: Path) -> dict[str, Path]:
    """SAGAN's three claims at small scale (:func:`repro.report.sagan_claims.sagan_claims`)."""
    from .sagan_claims import sagan_claims as analyse  # that module imports provenance_lines from here

    return analyse(table_tsv, runs_root, out_prefix)


#: Claim analyses by the name used in config/config.yaml's ``claims``.
CLAIMS: dict[str, Callable[[Path, Path, Path], dict[str, Path]]] = {
    "mog_modes": mog_modes,
    "settings_robustness": settings_robustness,
    "sagan_claims": sagan_claims,
}


#: Table columns and final metrics each analysis reads (checked before it runs).
CLAIM_NEEDS: dict[str, tuple[tuple[str, ...], tuple[str, ...]]] = {
    "mog_modes": (("row", "column", "seed", "loss", "dataset"), MOG_METRICS),
    "settings_robustness": (("row", "column", "seed", "g_updates"), ("fid", "is_mean")),
    "sagan_claims": (("row", "column", "seed"), ("fid", "is_mean")),
}


def check_claim_inputs(kind: str, table_tsv: Path, runs_root: Path) -> None:
    """Refuse, saying what is missing, a table the analysis cannot judge: columns it reads, at
    least one finished run, and the final metrics it reads in every completed run."""
    columns, metrics = CLAIM_NEEDS[kind]
    df = collect(table_tsv, runs_root)
    lacking = [c for c in columns if c not in df.columns or df[c].isna().all()]
    if lacking:
        raise ClaimError(f"{table_tsv}: claim {kind!r} reads the table columns {list(columns)}; "
                        f"missing or empty: {lacking}")
    done = df[df["status"] == "completed"]
    if done.empty:
        raise ClaimError(f"claim {kind!r}: no completed run of {table_tsv} under "
                        f"{Path(runs_root) / table_tsv.stem} ({len(df)} runs: "
                        f"{df['status'].value_counts().to_dict()}); train them first")
    # NaN in some runs is a result (no mode covered: no KL); in none of them, a missing metric
    absent = [m for m in metrics if f"final_{m}" not in done.columns or done[f"final_{m}"].isna().all()]
    if absent:
        raise ClaimError(f"claim {kind!r} needs the final metrics {list(metrics)} of the completed runs; "
                        f"the runs of {table_tsv} lack {absent} (scored under protocol(s) "
                        f"{sorted(set(done['protocol_name'].dropna()))})")


def write_claim(kind: str, table_tsv: str | Path, runs_root: str | Path, out_prefix: str | Path) -> dict[str, Path]:
    """Run the claim analysis `kind` on a table's runs; files go to ``<out_prefix>.*``."""
    if kind not in CLAIMS:
        raise ClaimError(f"unknown claim {kind!r}; known: {', '.join(CLAIMS)}")
    check_claim_inputs(kind, Path(table_tsv), Path(runs_root))
    return CLAIMS[kind](Path(table_tsv), Path(runs_root), Path(out_prefix))
