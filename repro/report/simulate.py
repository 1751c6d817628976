"""How often the verdict rule calls *held* wrongly, and how its power grows with seeds.

Cells are drawn from known distributions -- normal, and a right-skewed shifted log-normal (FID
over seeds is skewed: a bad seed lands far above the rest) -- with n = 2..10 seeds and the true
mean inside the reference range (its centre), on its edge, or outside it. Every simulated cell is
judged twice, on the same draws:

* the *equivalence* rule of :func:`repro.report.verdict.judge` (Student-t interval of the mean at
  the stated confidence, inside the range = held);
* the *overlap* rule it replaced (:func:`repro.report.verdict.overlap_verdict`: mean ± std
  overlaps the range = held);
* optionally a *bootstrap* alternative (percentile interval of the mean from resampled seeds),
  to show why the rule does not use one at these n.

On the edge, "held" is a false claim: the equivalence rule must make it at most alpha =
(1 - confidence) / 2 of the time (TOST's guarantee, for normal seeds exactly; the skewed case
is measured, not promised). At the centre, the share of held cells is the rule's power; for
normal seeds it has a closed form (:func:`theory_power`), which the simulation must match.

``repro simulate-verdicts --out docs/verdicts`` writes ``<out>.csv`` (one row per distribution,
position, n and rule) and ``<out>.png`` (false-held rate and power by n). The rule is applied
here vectorised, for speed; ``tests/test_verdict_simulation.py`` checks it gives the same
verdicts as :func:`~repro.report.verdict.judge` cell by cell.
"""
from __future__ import annotations

import math
from pathlib import Path
from typing import Sequence

import numpy as np
import pandas as pd
from scipy import integrate, stats

from .. import io
from .verdict import CONFIDENCE, STD_FLOOR_REL, t_quantile

#: The simulated reference range: a paper's FID 25 with a ±10 % tolerance, and the per-seed std.
REF_VALUE, REF_HALF, SEED_SD = 25.0, 2.5, 2.0
#: Shape of the skewed distribution: log-normal with log-sd 0.5 (skewness 1.75), shifted and
#: scaled to the wanted mean and std.
LOGNORMAL_SIGMA = 0.5
#: The percentile bootstrap the issue suggests for skewed cells: resamples, and the most
#: simulated cells it is run on (it costs reps x resamples x n).
BOOT_RESAMPLES, BOOT_REPS = 400, 2000
#: Where the true mean sits: the centre of the range, its upper edge, one range half-width above.
POSITIONS = {"inside": 0.0, "edge": 1.0, "outside": 2.0}
SEEDS = tuple(range(2, 11))
DISTRIBUTIONS = ("normal", "lognormal")


def draw(dist: str, mean: float, sd: float, n: int, reps: int, rng: np.random.Generator,
         sign: float = 1.0) -> np.ndarray:
    """(reps, n) seeds' scores with the given true mean and std. ``sign = -1`` mirrors the
    skewed distribution (its long tail towards low scores)."""
    if dist == "normal":
        return rng.normal(mean, sd, size=(reps, n))
    if dist == "lognormal":
        s2 = LOGNORMAL_SIGMA ** 2
        z = rng.lognormal(0.0, LOGNORMAL_SIGMA, size=(reps, n))
        z = (z - math.exp(s2 / 2)) / math.sqrt((math.exp(s2) - 1) * math.exp(s2))  # mean 0, sd 1
        return mean + sign * sd * z
    raise ValueError(f"unknown distribution {dist!r}; known: {', '.join(DISTRIBUTIONS)}")


def equivalence_held(x: np.ndarray, ref_low: float, ref_high: float,
                     confidence: float = CONFIDENCE) -> np.ndarray:
    """Rule 5 of :mod:`repro.report.verdict` on each row of `x`: is the t interval inside?"""
    n = x.shape[1]
    mean = x.mean(axis=1)
    s = np.maximum(x.std(axis=1, ddof=1), STD_FLOOR_REL * np.abs(mean))
    half = t_quantile(confidence, n - 1) * s / math.sqrt(n)
    return (mean - half >= ref_low) & (mean + half <= ref_high)


def overlap_held(x: np.ndarray, ref_low: float, ref_high: float) -> np.ndarray:
    """The previous rule on each row of `x`: does mean ± max(std, 1 % of |mean|) overlap?"""
    mean = x.mean(axis=1)
    half = np.maximum(x.std(axis=1, ddof=1), STD_FLOOR_REL * np.abs(mean))
    return (mean - half <= ref_high) & (ref_low <= mean + half)


def bootstrap_held(x: np.ndarray, ref_low: float, ref_high: float, rng: np.random.Generator,
                   confidence: float = CONFIDENCE, resamples: int = BOOT_RESAMPLES) -> np.ndarray:
    """Held by a percentile bootstrap: the (1 ± confidence) / 2 quantiles of resampled means."""
    reps, n = x.shape
    idx = rng.integers(0, n, size=(reps, resamples, n))
    means = np.take_along_axis(np.broadcast_to(x[:, None, :], idx.shape), idx, axis=2).mean(axis=2)
    low, high = np.quantile(means, [(1 - confidence) / 2, (1 + confidence) / 2], axis=1)
    return (low >= ref_low) & (high <= ref_high)


def theory_power(n: int, sd: float = SEED_SD, half_range: float = REF_HALF,
                 confidence: float = CONFIDENCE, offset: float = 0.0) -> float:
    """P(held) for n normal seeds whose true mean sits `offset` from the centre of a range of
    half-width `half_range` (centre :data:`REF_VALUE`): given s, the t interval x̄ ± t s'/√n
    (s' = max(s, 1 % of the centre), the rule's floor) is inside when |x̄ - centre| <= half_range
    - t s'/√n, a normal probability since x̄ ~ N(centre + offset, sd²/n) is independent of s;
    integrated over s² ~ sd² χ²_{n-1} / (n-1)."""
    t = t_quantile(confidence, n - 1)
    se = sd / math.sqrt(n)
    k = n - 1

    floor = STD_FLOOR_REL * abs(REF_VALUE + offset)

    def given_s(s: float) -> float:
        room = half_range - t * max(s, floor) / math.sqrt(n)
        if room <= 0:
            return 0.0
        p = stats.norm.cdf((room - offset) / se) - stats.norm.cdf((-room - offset) / se)
        return p * stats.chi2.pdf(k * s ** 2 / sd ** 2, k) * 2 * k * s / sd ** 2  # ds of χ²

    s_max = half_range * math.sqrt(n) / t
    return float(integrate.quad(given_s, 0.0, s_max, limit=200)[0])


def simulate(reps: int = 20000, seed: int = 0, seeds: Sequence[int] = SEEDS,
             confidence: float = CONFIDENCE, bootstrap: bool = True) -> pd.DataFrame:
    """One row per distribution x position x n x rule: held_rate, its Monte-Carlo standard error
    (binomial), the true mean, and for normal seeds at the centre the theoretical power. The
    upper edge is the critical one for a right-skewed distribution (and the lower edge for its
    mirror image), so both are simulated ("edge" = the worse of the two)."""
    rng = np.random.default_rng(seed)
    lo, hi = REF_VALUE - REF_HALF, REF_VALUE + REF_HALF
    rows = []
    for dist in DISTRIBUTIONS:
        for position, k in POSITIONS.items():
            for n in seeds:
                rates = {"equivalence": [], "overlap": [], **({"bootstrap": []} if bootstrap else {})}
                for sign in (1.0, -1.0):  # the upper edge, and the lower edge (mirrored skew)
                    x = draw(dist, REF_VALUE + sign * k * REF_HALF, SEED_SD, n, reps, rng, sign)
                    rates["equivalence"].append(equivalence_held(x, lo, hi, confidence).mean())
                    rates["overlap"].append(overlap_held(x, lo, hi).mean())
                    if bootstrap:
                        rates["bootstrap"].append(
                            bootstrap_held(x[:BOOT_REPS], lo, hi, rng, confidence).mean())
                for rule, r in rates.items():
                    rate = max(r) if position != "inside" else float(np.mean(r))
                    m = min(reps, BOOT_REPS) if rule == "bootstrap" else reps
                    m = m if position != "inside" else 2 * m
                    rows.append({"distribution": dist, "position": position, "n": n, "rule": rule,
                                 "true_mean": REF_VALUE + k * REF_HALF, "held_rate": rate,
                                 "mc_se": math.sqrt(max(rate * (1 - rate), 1 / m) / m),
                                 "theory": (theory_power(n, confidence=confidence)
                                            if dist == "normal" and position == "inside" and rule == "equivalence"
                                            else math.nan)})
    return pd.DataFrame(rows)


def plot(df: pd.DataFrame, out_prefix: str | Path, confidence: float = CONFIDENCE) -> list[Path]:
    """False-held rate on the edge and power at the centre, by n, for both rules."""
    from matplotlib.figure import Figure

    alpha = (1 - confidence) / 2
    fig = Figure(figsize=(10, 3.8), constrained_layout=True)
    axes = fig.subplots(1, 3)
    panels = (("edge", "false held: true mean on the range's edge"),
              ("outside", "false held: true mean one half-width outside"),
              ("inside", "power: true mean at the range's centre"))
    styles = {("equivalence", "normal"): ("C0", "-"), ("equivalence", "lognormal"): ("C0", "--"),
              ("overlap", "normal"): ("C3", "-"), ("overlap", "lognormal"): ("C3", "--"),
              ("bootstrap", "normal"): ("C2", "-"), ("bootstrap", "lognormal"): ("C2", "--")}
    for ax, (position, title) in zip(axes, panels):
        for (rule, dist), (color, ls) in styles.items():
            d = df[(df["position"] == position) & (df["rule"] == rule) & (df["distribution"] == dist)]
            if d.empty:
                continue
            ax.plot(d["n"], d["held_rate"], color=color, ls=ls, marker="o", ms=3, label=f"{rule}, {dist}")
        if position == "inside":
            th = df[(df["position"] == "inside") & df["theory"].notna()]
            ax.plot(th["n"], th["theory"], color="k", ls=":", label="theory (normal)")
        else:
            ax.axhline(alpha, color="k", ls=":", label=f"alpha = {alpha:g}")
        ax.set(title=title, xlabel="seeds n", ylabel="share called held", ylim=(-0.02, 1.02))
        ax.title.set_fontsize(9)
    axes[0].legend(fontsize=7)
    prefix = Path(out_prefix)
    return [io.save_figure(prefix.with_name(prefix.name + ".png"), fig, dpi=110)]


def write(out_prefix: str | Path, reps: int = 20000, seed: int = 0,
          confidence: float = CONFIDENCE) -> dict[str, Path]:
    """Simulate, then write ``<out>.csv`` and ``<out>.png``."""
    df = simulate(reps, seed, confidence=confidence)
    prefix = Path(out_prefix)
    paths = {"csv": io.write_text(prefix.with_name(prefix.name + ".csv"),
                                  df.to_csv(index=False, float_format="%.5g"))}
    paths["png"] = plot(df, prefix, confidence)[0]
    return paths
