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

The whole pipeline -- fixed n, the declared adaptive schedules, best-of-six selection, diverged
minorities, mixed (bimodal) cells, a family of 22 cells, identical pairs under an order rule, an
order rule in adaptive rounds -- is simulated by named :data:`SCENARIOS`, each before and after
issue 26 (``repro simulate-verdicts --json``: one JSON object per scenario).

``repro simulate-verdicts --out docs/verdicts`` writes ``<out>.csv`` (one row per distribution,
position, n and rule) and ``<out>.png`` (false-held rate and power by n). The rule is applied
here vectorised, for speed; ``tests/report/test_simulate.py`` checks it gives the same
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
from ..errors import UserError
from .verdict import COLLAPSE_WIDTHS, CONFIDENCE, STD_FLOOR_REL, look_confidence, t_quantile, tost_p

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


# --- The whole pipeline (issue 26, point 7): named scenarios, before and after -----------------

#: Where a scenario's truth sits: on the range's upper edge (a false held) or at its centre (power).
EDGE, CENTRE = REF_VALUE + REF_HALF, REF_VALUE
#: The bimodal cells of the MoG and digits runs: the typical run N(., 1), a collapsed one N(60, 5).
GOOD_SD, COLLAPSED_MEAN, COLLAPSED_SD = 1.0, 60.0, 5.0
#: The declared adaptive schedules the suite uses or allows: name -> {start, step, cap}.
SCHEDULES = {"adaptive_3_to_10": (3, 7, 10), "adaptive_3p3_to_12": (3, 3, 12),
             "adaptive_1by1_to_20": (3, 1, 20)}
#: The family scenario: Table 2's 22 FID cells, each with this many seeds.
FAMILY_CELLS, FAMILY_SEEDS = 22, 10


def _interval_stats(x: np.ndarray, confidence: float) -> tuple[np.ndarray, np.ndarray]:
    """Rule 5's interval of every row of `x` (Student-t, with the 1 % std floor)."""
    n = x.shape[1]
    mean = x.mean(axis=1)
    s = np.maximum(x.std(axis=1, ddof=1), STD_FLOOR_REL * np.abs(mean))
    half = t_quantile(confidence, n - 1) * s / math.sqrt(n)
    return mean - half, mean + half


def _verdicts(x: np.ndarray, confidence: float, failures: bool,
              lo: float = REF_VALUE - REF_HALF, hi: float = REF_VALUE + REF_HALF,
              n_diverged: np.ndarray | None = None) -> tuple[np.ndarray, np.ndarray]:
    """(held, decided) of every row of `x`, FID-like (lower is better). `failures`: rule 6
    (a diverged or collapsed run blocks held and better) -- the rule after issue 26."""
    low, high = _interval_stats(x, confidence)
    held = (low >= lo) & (high <= hi)
    better, worse = high < lo, low > hi
    if failures:
        failed = (x > hi + COLLAPSE_WIDTHS * (hi - lo)).any(axis=1)
        if n_diverged is not None:
            failed |= n_diverged > 0
        held, better = held & ~failed, better & ~failed
    return held, held | better | worse


def _rate(hits: np.ndarray) -> tuple[float, float]:
    """Share of True and its binomial Monte-Carlo standard error."""
    p, m = float(np.mean(hits)), hits.size
    return p, math.sqrt(max(p * (1 - p), 1 / m) / m)


def _both(fn, trials: int, rng: np.random.Generator) -> dict:
    """A scenario's false-held rate (truth on the edge) and power (truth at the centre), each
    before and after issue 26: `fn(truth, after, trials, rng)` -> held per simulated cell."""
    out = {}
    for key, truth in (("false_held", EDGE), ("power", CENTRE)):
        for when, after in (("before", False), ("after", True)):
            rate, se = _rate(fn(truth, after, trials, rng))
            out.setdefault(when, {})[key] = rate
            out[when][f"{key}_mc_se"] = se
    return out


def _fixed(n: int):
    def fn(truth, after, trials, rng):
        return _verdicts(rng.normal(truth, SEED_SD, (trials, n)), CONFIDENCE, after)[0]
    return fn


def _adaptive(start: int, step: int, cap: int):
    """Rounds that stop a cell once a look decides it; before: 90 % at every look, after: the
    group-sequential levels (repro.report.verdict.look_alphas)."""
    looks = tuple(list(range(start, cap, step)) + [cap])

    def fn(truth, after, trials, rng):
        x = rng.normal(truth, SEED_SD, (trials, cap))
        open_, held = np.ones(trials, bool), np.zeros(trials, bool)
        for k, n in enumerate(looks, 1):
            conf = look_confidence(looks, k) if after else CONFIDENCE
            h, d = _verdicts(x[:, :n], conf, after)
            held |= open_ & h
            open_ &= ~d
        return held
    return fn


def _best_of(settings: int, n: int):
    """The best of `settings` equal settings by mean FID over n seeds; before: judged on the
    seeds that chose it; after: on n fresh seeds of it (the claims' design, issue 26 point 2)."""
    def fn(truth, after, trials, rng):
        x = rng.normal(truth, SEED_SD, (trials, settings, n))
        best = np.argmin(x.mean(axis=2), axis=1)
        chosen = x[np.arange(trials), best] if not after else rng.normal(truth, SEED_SD, (trials, n))
        return _verdicts(chosen, CONFIDENCE, after)[0]
    return fn


def _diverged(n: int, share: float):
    """A method whose completed runs sit at the range's centre. Its "false held": held while
    each run diverges with probability `share` (a held that says nothing of them); its power:
    held when none diverge. Before: judged on the completed runs when they are the majority;
    after: rule 6 (a diverged run blocks held, the failure bound beside it)."""
    def fn(truth, after, trials, rng):
        d = rng.random((trials, n)) < (share if truth == EDGE else 0.0)
        x = rng.normal(CENTRE, SEED_SD, (trials, n))
        held = np.zeros(trials, bool)
        for k in range(n + 1):  # cells with k diverged runs: judged on their n - k completed
            rows = d.sum(axis=1) == k
            if 2 * k > n or n - k < 2 or not rows.any():
                continue
            done = np.sort(np.where(d[rows], np.inf, x[rows]), axis=1)[:, : n - k]
            held[rows] = _verdicts(done, CONFIDENCE, after, n_diverged=np.full(rows.sum(), k))[0]
        return held
    return fn


def _mixed(n: int, share: float):
    """A bimodal cell: the typical run N(truth, 1), a share of collapsed runs N(60, 5). Held is
    a claim on the typical run with the failure share bounded beside it (rule 6), so the truth
    on the edge is the typical run's. Its power (typical run at the centre) is also the rate
    read as a false held of the mean of all runs (28.5, 32, 35.5: outside the range), the
    reading no rule on 3 seeds can keep low: :data:`MIXED_NOTE`."""
    def fn(truth, after, trials, rng):
        bad = rng.random((trials, n)) < share
        x = np.where(bad, rng.normal(COLLAPSED_MEAN, COLLAPSED_SD, (trials, n)),
                     rng.normal(truth, GOOD_SD, (trials, n)))
        return _verdicts(x, CONFIDENCE, after)[0]
    return fn


def _holm_held(p: np.ndarray, alpha: float) -> np.ndarray:
    """Holm's step-down on every row of p-values (cells x trials): which cells it rejects."""
    m = p.shape[1]
    order = np.argsort(p, axis=1)
    sorted_p = np.take_along_axis(p, order, axis=1)
    ok = np.cumprod(sorted_p <= alpha / (m - np.arange(m)), axis=1).astype(bool)
    out = np.zeros_like(ok)
    np.put_along_axis(out, order, ok, axis=1)
    return out


def _family(cells: int, n: int):
    """`cells` cells of n seeds, all at the truth. Before: each cell's own verdict, and the
    table's count read as a claim; after: Holm across the cells (repro.report.tables.headline).
    On the edge: P(at least one held); at the centre: the share of cells held."""
    alpha = (1 - CONFIDENCE) / 2
    lo, hi = REF_VALUE - REF_HALF, REF_VALUE + REF_HALF

    def fn(truth, after, trials, rng):
        x = rng.normal(truth, SEED_SD, (trials, cells, n))
        if after:
            mean = x.mean(axis=2)
            s = np.maximum(x.std(axis=2, ddof=1), STD_FLOOR_REL * np.abs(mean))
            se = s / math.sqrt(n)
            p = np.maximum(stats.t.sf((mean - lo) / se, n - 1), stats.t.sf((hi - mean) / se, n - 1))
            held = _holm_held(p, alpha)
        else:
            held = _verdicts(x.reshape(-1, n), CONFIDENCE, False)[0].reshape(trials, cells)
        return held.any(axis=1) if truth == EDGE else held.mean(axis=1)
    return fn


def _order_pairs(n: int, gap_sd: float = 1.0):
    """Two cells of n seeds each: identical (on the 'edge': any held order is false) or the
    first ahead by `gap_sd` per-seed stds (power). Before: the claims' old "holds" rule (higher
    mean and ahead in most paired seeds); after: the order test (repro.report.order_test)."""
    def fn(truth, after, trials, rng):
        gap = 0.0 if truth == EDGE else gap_sd * SEED_SD
        a, b = rng.normal(gap, SEED_SD, (trials, n)), rng.normal(0.0, SEED_SD, (trials, n))
        if not after:
            return (a.mean(axis=1) > b.mean(axis=1)) & ((a > b).sum(axis=1) > n / 2)
        from .order_test import HELD as ORDER_HELD, order_test

        return np.array([order_test(a[i], b[i], 0.0, lower_is_better=False).verdict == ORDER_HELD
                         for i in range(trials)])
    return fn


#: The declared schedules an order rule's rounds are simulated under, {start, step, cap}:
#: smoke_mog's (the claim lane: LSGAN's order rule, config/config.yaml) and one seed at a time.
#: Named to sort after the other scenarios: a scenario's random stream is its place in that order.
ORDER_SCHEDULES = {"order_rounds_3_to_10": (3, 7, 10), "order_rounds_1by1_to_10": (3, 1, 10)}
#: The real gap of the order scenarios' power, in per-seed stds.
ORDER_GAP_SD = 1.5


def _round_p_values(start: int, step: int, cap: int, gap_sd: float, trials: int,
                    rng: np.random.Generator, dist: str = "normal") -> tuple[tuple[int, ...], list]:
    """(the looks, per look the real order test's (Welch p, permutation p, reversed p) of every
    trial: :func:`repro.report.order_test.order_p_values`, what
    :func:`~repro.report.order_test.order_test` decides on, batched) for two cells of `cap` seeds,
    the first ahead by `gap_sd` per-seed stds, margin 0."""
    from .order_test import order_p_values

    looks = tuple(range(start, cap, step)) + (cap,)
    a = draw(dist, gap_sd * SEED_SD, SEED_SD, cap, trials, rng)
    b = draw(dist, 0.0, SEED_SD, cap, trials, rng)
    return looks, [order_p_values(a[:, :n], b[:, :n], 0.0, False) for n in looks]


def _round_verdicts(looks: tuple[int, ...], ps: list, after: bool) -> tuple[np.ndarray, np.ndarray]:
    """(held, reversed) of every trial: the rule is judged at each look while inconclusive, at
    alpha (before) or at the look's group-sequential level (after,
    :class:`repro.report.order_test.Look`), and keeps the verdict of the look that decided it."""
    from .order_test import ALPHA, Look

    trials = len(ps[0][0])
    open_, held, rev = np.ones(trials, bool), np.zeros(trials, bool), np.zeros(trials, bool)
    for k, (welch, perm, p_rev) in enumerate(ps, 1):
        level = Look(looks, k).level(ALPHA) if after else ALPHA
        h = open_ & (np.maximum(welch, perm) <= level)
        r = open_ & ~h & (p_rev <= level)
        held, rev, open_ = held | h, rev | r, open_ & ~h & ~r
    return held, rev


def order_rounds(start: int, step: int, cap: int, gap_sd: float, trials: int, seed: int = 0,
                 dist: str = "normal") -> dict:
    """Two cells and an order rule between them (margin 0) in adaptive rounds, as
    :func:`repro.seeds.open_cells` runs them: both start with `start` seeds and grow together by
    `step` up to `cap` while the rule is inconclusive. The first is ahead by `gap_sd` per-seed
    stds (0: identical cells, any held or reversed is false). {before, after: {held, reversed,
    held_mc_se, reversed_mc_se}}, before and after on the same draws."""
    looks, ps = _round_p_values(start, step, cap, gap_sd, trials, np.random.default_rng(seed), dist)
    out = {}
    for when in ("before", "after"):
        held, rev = _round_verdicts(looks, ps, when == "after")
        out[when] = {}
        for key, hits in (("held", held), ("reversed", rev)):
            out[when][key], out[when][f"{key}_mc_se"] = _rate(hits)
    return out


def _order_rounds(start: int, step: int, cap: int):
    """A scenario of :func:`order_rounds`: identical cells (false held) or the first ahead by
    :data:`ORDER_GAP_SD` per-seed stds (power)."""
    def fn(truth, after, trials, rng):
        gap = 0.0 if truth == EDGE else ORDER_GAP_SD
        return _round_verdicts(*_round_p_values(start, step, cap, gap, trials, rng), after)[0]
    return fn


#: What a mixed cell's power also is (docs/verdicts.md).
MIXED_NOTE = ("power = held with the typical run at the centre; the mean of all runs is then outside "
              "the range, and held states the failure share's 95 % bound (63 % at 3 seeds) beside it")

#: name -> (what it simulates, the simulated cell function, the bound on its false-held rate
#: after issue 26, share of the trials it runs: the family and order scenarios cost more per trial).
SCENARIOS = {
    "fixed_n3": ("one look at 3 seeds", _fixed(3), 0.05, 1),
    "fixed_n10": ("one look at 10 seeds", _fixed(10), 0.05, 1),
    **{name: (f"declared rounds {s} (+{p}) to {c}, a cell stops when a look decides it",
              _adaptive(s, p, c), 0.05, 1) for name, (s, p, c) in SCHEDULES.items()},
    "best_of_six": ("best of 6 equal settings by mean FID over 3 seeds (SNGAN Table 2); before: "
                    "judged on the seeds that chose it, after: on 3 fresh seeds", _best_of(6, 3), 0.05, 1),
    "diverged_2_of_5": ("5 runs at the centre; false held: held while each run diverges with "
                        "probability 0.4 (2 of 5 on average); power: none diverge", _diverged(5, 0.4), 0.05, 1),
    "diverged_3_of_7": ("7 runs, as above (3 of 7 diverged on average)", _diverged(7, 0.4), 0.05, 1),
    **{f"mixed_{int(100 * q)}pct": (f"3 seeds, {int(100 * q)} % from a collapsed mode N(60, 5), the "
                                    "typical run N(truth, 1)", _mixed(3, q), 0.05, 1)
       for q in (0.1, 0.2, 0.3)},
    "family_22": (f"{FAMILY_CELLS} cells of {FAMILY_SEEDS} seeds; on the edge: P(any cell held), "
                  "at the centre: share held", _family(FAMILY_CELLS, FAMILY_SEEDS), 0.05, 0.25),
    "order_identical_pairs": ("two cells of 10 seeds; identical (false held), or one ahead by "
                              "one per-seed std (power), margin 0", _order_pairs(10), 0.05, 0.05),
    **{name: (f"an order rule (margin 0) between two cells grown together in declared rounds {s} "
              f"(+{p}) to {c} while it is inconclusive; identical cells (false held), or one ahead "
              f"by {ORDER_GAP_SD:g} per-seed stds (power)", _order_rounds(s, p, c), 0.05, 0.1)
       for name, (s, p, c) in ORDER_SCHEDULES.items()},
}


def scenario(name: str, trials: int = 20000, seed: int = 0) -> dict:
    """One named scenario (:data:`SCENARIOS`): false-held rate on the edge and power at the
    centre, before and after issue 26, with their Monte-Carlo standard errors."""
    what, fn, bound, factor = SCENARIOS[name]
    m = max(50, int(trials * factor))
    res = _both(fn, m, np.random.default_rng([seed, sorted(SCENARIOS).index(name)]))
    return {"name": name, "what": what, "trials": m, "bound": bound,
            "false_held": res["after"]["false_held"], "false_held_mc_se": res["after"]["false_held_mc_se"],
            "power": res["after"]["power"], "power_mc_se": res["after"]["power_mc_se"],
            "before": {k: res["before"][k] for k in ("false_held", "false_held_mc_se", "power", "power_mc_se")},
            **({"note": MIXED_NOTE} if name.startswith("mixed_") else {})}


class ScenarioError(UserError, ValueError):
    pass


def scenarios(trials: int = 20000, seed: int = 0, names: Sequence[str] | None = None) -> list[dict]:
    """Every scenario of :data:`SCENARIOS` (or `names`), in order."""
    unknown = [n for n in names or () if n not in SCENARIOS]
    if unknown:
        raise ScenarioError(f"unknown scenario {unknown[0]!r}; known: {', '.join(SCENARIOS)}")
    if trials < 50:
        raise ScenarioError(f"--reps {trials}: need at least 50 simulated cells per scenario")
    return [scenario(n, trials, seed) for n in (names or SCENARIOS)]


def scenarios_markdown(rows: Sequence[dict]) -> str:
    """The scenarios as the Markdown table of docs/verdicts.md."""
    lines = ["| scenario | false held before | false held after (bound) | power before | power after | trials |",
             "|---|---:|---:|---:|---:|---:|"]
    for r in rows:
        b = r["before"]
        lines.append(f"| `{r['name']}` | {b['false_held']:.3f} ± {b['false_held_mc_se']:.3f} | "
                     f"**{r['false_held']:.3f}** ± {r['false_held_mc_se']:.3f} (≤ {r['bound']:g}) | "
                     f"{b['power']:.3f} | {r['power']:.3f} ± {r['power_mc_se']:.3f} | {r['trials']:,} |")
    return "\n".join(lines) + "\n"
