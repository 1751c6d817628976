"""The verdict vocabulary: the one place where a cell's verdict and the degraded flag are defined.

A *cell* is one (table, row, column) of a paper table, one metric and one checkpoint ("final" or
"best"), over the runs (seeds) of that cell. Its verdict is one of :data:`VERDICTS`, decided by
:func:`decide` with these rules, applied in this order (rule 6 amends rule 5; a cell of a
declared seed schedule is judged only at a run count that is one of its looks):

1. ``inconclusive`` -- no run of the cell finished (all missing).
2. ``diverged`` -- a strict majority of the *finished* runs (completed + diverged; missing runs do
   not vote) diverged. A method that diverges on at least two of three seeds does not reproduce a
   number that was reported from a run that trained. With a minority diverged (e.g. 1 of 3), the
   cell's interval is that of its completed runs, but it cannot be held (rule 6).
3. ``inconclusive`` -- fewer than ``min_seeds`` (default :data:`MIN_SEEDS` = 2) completed runs with
   a finite value: one seed has no spread, so no interval.
4. ``inconclusive`` -- no usable reference: none for this cell/metric/checkpoint, an unverified
   one (never a bound), one under another evaluation protocol, or one for another training budget
   (see :mod:`repro.report.cells`, which checks these and passes the reason on).
5. Otherwise an *equivalence test* of our mean against the *reference range* (:func:`judge`):

   * our interval = the two-sided Student-t interval of the mean over the n completed seeds,
     mean ± t_{(1+c)/2, n-1} · s / √n, where s = max(sample std (ddof=1), evaluation noise of
     one score). The seeds' spread already holds each score's evaluation noise (every seed is
     scored once), so the two are not added; the evaluation noise is a *floor* that keeps seeds
     which agree by chance from claiming more precision than one evaluation has:
     :data:`STD_FLOOR_REL` × |mean| (FID/IS from 5k samples move by ~1 % between two evaluations
     of one checkpoint), raised to a cell's own estimate where it has one and it is larger (IS:
     the median over seeds of the std over splits / √splits, :func:`repro.report.cells.eval_noise`);
   * its confidence c: ``confidence`` (default :data:`CONFIDENCE` = 90 %) when the cell's seeds
     are fixed. When they come in declared rounds (``adaptive_seeds``, :mod:`repro.seeds`), every
     round is a *look* at the data, and stopping when a look decides would make "held" easier
     (8.7 % instead of 5 % over 3 -> 10, 19 % one seed at a time to 20). The rounds are then a
     group-sequential design: alpha = (1 - confidence) / 2 is spent over the declared looks by a
     Lan-DeMets spending function (:data:`SPENDING`, :func:`look_alphas`), and look k uses
     c_k = 1 - 2 alpha_k, so held is false at most alpha over the whole schedule. The look is
     the position of the cell's run count in the schedule (:func:`look_of`); a count that is no
     declared look (seeds added by hand) is not judged;
   * reference range = [value − tolerance, value + tolerance] (tolerances are chosen per row in
     ``config/references/``, see :mod:`repro.report.references`);
   * ``held`` when the whole interval lies inside the range: at 90 % two-sided this is the two
     one-sided tests (TOST) equivalence test at α = 0.05 (Schuirmann 1987), so a cell whose true
     mean is outside the range is called held at most 5 % of the time;
   * ``better`` / ``worse`` when the whole interval lies beyond the range on one side (by the
     metric's direction, :func:`direction_of`);
   * ``inconclusive`` otherwise, with the interval, the range and, at the schedule's last look,
     :func:`seeds_needed`: how many fresh seeds a *new* study (declared before it runs) would need
     if the observed mean and spread stayed as they are. It is a planning figure, not an
     invitation to add seeds to this cell: seeds added after seeing a verdict are looks the
     5 % does not cover, and a count that is no declared look is not judged (above).

6. *Every run counts*: a diverged run (a minority, else rule 2) or a *collapsed* one -- completed,
   but its score beyond the range's worse edge by more than :data:`COLLAPSE_WIDTHS` range widths
   (the collapsed mode of a bimodal cell) -- is a failed run. A cell with a failed run is never
   ``held`` or ``better`` (``inconclusive``, the count in the reason); ``worse`` stands. Held
   therefore means: none of the n runs failed and the interval of their mean lies inside the
   range; the reason gives the 95 % upper bound on the method's failure share
   (:func:`failure_bound`: 63 % at n = 3, 26 % at n = 10), because a failure mode rarer than
   that can go unseen in n runs -- no rule on three seeds sees a 10 % collapse.

   Why Student-t and not a bootstrap: with 2-10 seeds a percentile bootstrap has a handful of
   distinct resamples (10 at n = 3) and its 90 % interval covers the mean far less than 90 % of
   the time, which would make ``held`` too easy -- the error this rule exists to prevent. The
   simulation (:mod:`repro.report.simulate`, docs/verdicts.md) measures the whole pipeline:
   fixed n, the declared schedules, selection, diverged minorities, mixed (bimodal) cells, a
   family of cells and skewed seeds.

   The rule before this one (our mean ± one std overlapping the range, :func:`compare`) is kept
   as :func:`overlap_verdict` for the simulation's comparison and for the claims' overlap tests.

``degraded`` is a flag on a run, not a verdict: the run's final score is much worse than its best
(:func:`is_degraded`). Cells report how many of their runs degraded. (Not *mode collapse*, which
:mod:`repro.claims.mog_modes` measures on mixture-of-Gaussians samples.)
"""
from __future__ import annotations

import functools
import math
from dataclasses import dataclass
from typing import Sequence

import numpy as np
from scipy import stats  # a dependency of scikit-learn (pyproject.toml)

from ..metrics import registry

HELD, BETTER, WORSE, DIVERGED, INCONCLUSIVE = "held", "better", "worse", "diverged", "inconclusive"
#: Every verdict a cell can get.
VERDICTS = (HELD, BETTER, WORSE, DIVERGED, INCONCLUSIVE)

#: Fewest completed runs (seeds) that give a cell an interval.
MIN_SEEDS = 2
#: Floor of the per-seed std, relative to |mean|: the default evaluation noise of one score (see
#: the module docstring, rule 5).
STD_FLOOR_REL = 0.01
#: Default two-sided confidence of our interval: 90 % = TOST equivalence at alpha = 0.05.
CONFIDENCE = 0.90
#: The word in an inconclusive cell's reason that marks it *undecided*: its interval was compared
#: with the range and straddles it (more seeds could decide it), unlike a cell never compared.
STRADDLES = "straddles"
#: :func:`seeds_needed` searches up to this many seeds (beyond: "not decidable at this spread").
MAX_SEEDS_NEEDED = 1000
#: A completed run has *collapsed* (failed although it finished) when its score lies beyond the
#: range's worse edge by more than this many range widths: FID 25 ± 2.5 -> above 32.5. A seed
#: of a cell in the range with a per-seed std below the half-width lands there < 0.1 % of the
#: time; the collapsed mode of the MoG and digits runs (FID 60 for 25) lands there always.
COLLAPSE_WIDTHS = 1.0
#: One-sided confidence of the bound on a cell's failure share printed beside its verdict
#: (Clopper-Pearson upper bound: 63 % after 0 of 3 runs failed, 26 % after 0 of 10).
FAILURE_BOUND_CONFIDENCE = 0.95
#: Alpha-spending functions of the group-sequential design (Lan & DeMets 1983), and the default:
#: Pocock-type spends alpha evenly over the looks, so a cell that is clearly in the range stops
#: early (fewer seeds trained); O'Brien-Fleming-type keeps nearly all of it for the last look.
SPENDINGS = ("pocock", "obrien-fleming")
SPENDING = "pocock"
#: Monte-Carlo paths of the pivotal t statistics that set the per-look levels (fixed seed, so the
#: levels are the same numbers on every machine; their Monte-Carlo error is ~0.0005 at alpha 0.05).
LOOK_PATHS, LOOK_SEED = 200_000, 20261207

#: A run "degraded" on a metric when its final score is worse than its best by more than this
#: factor plus the metric's ``degrade_slack`` in the metric registry: for FID, final > best x 1.25 + 1. Evaluation noise of FID
#: at 5k-10k samples is about 1 point plus a few percent between two evaluations of one
#: checkpoint, so a 25% (+1) loss is not noise but the late-training degradation that LSGAN on
#: CIFAR-10 and SAGAN without TTUR show (samples visibly worse or mode-collapsed).
DEGRADE_RATIO = 1.25


def direction_of(metric: str) -> str:
    """'lower' or 'higher' is better, as the metric registry says now (:func:`repro.metrics.registry.directions`;
    KeyError naming the known metrics otherwise)."""
    directions = registry.directions()
    try:
        return directions[metric]
    except KeyError:
        raise KeyError(f"no direction known for metric {metric!r}; known: {sorted(directions)}") from None


def finite(values: Sequence[float]) -> np.ndarray:
    """The finite entries of `values` as a float array (None/NaN/inf dropped)."""
    a = np.asarray([np.nan if v is None else v for v in values], dtype=float)
    return a[np.isfinite(a)]


def summarize(values: Sequence[float]) -> tuple[int, float, float]:
    """(n, mean, sample std with ddof=1) of the finite `values`; NaN where undefined."""
    a = finite(values)
    n = len(a)
    mean = float(a.mean()) if n else math.nan
    std = float(a.std(ddof=1)) if n >= 2 else math.nan
    return n, mean, std


def our_interval(mean: float, std: float) -> tuple[float, float]:
    """The *overlap* rule's interval: mean ± max(std, STD_FLOOR_REL x |mean|) (std NaN counts
    as 0). Not the verdicts' interval any more (that is :func:`mean_interval`); kept for
    :func:`overlap_verdict` and the claims' comparisons between methods."""
    half = max(0.0 if math.isnan(std) else std, STD_FLOOR_REL * abs(mean))
    return mean - half, mean + half


def compare(mean: float, std: float, ref_low: float, ref_high: float, direction: str) -> str:
    """The previous rule: held when :func:`our_interval` overlaps the reference range, else
    better / worse. Lenient the wrong way (a wider spread holds more easily); the simulation
    compares the equivalence rule with it."""
    _check_direction(direction)
    low, high = our_interval(mean, std)
    if low <= ref_high and ref_low <= high:
        return HELD
    ours_below = high < ref_low
    return BETTER if ours_below == (direction == "lower") else WORSE


#: The overlap rule under the name the simulation and docs use.
overlap_verdict = compare


def _check_direction(direction: str) -> None:
    if direction not in ("lower", "higher"):
        raise ValueError(f"direction must be 'lower' or 'higher', got {direction!r}")


def t_quantile(confidence: float, df: float) -> float:
    """The (1 + confidence) / 2 quantile of Student's t with `df` degrees of freedom."""
    if not 0 < confidence < 1:
        raise ValueError(f"confidence must be in (0, 1), got {confidence!r}")
    return float(stats.t.ppf((1 + confidence) / 2, df))


def spent(t: float, alpha: float, spending: str = SPENDING) -> float:
    """Alpha spent by information fraction `t` (seeds so far / the schedule's cap), one-sided:
    Lan & DeMets (1983) Pocock-type alpha ln(1 + (e - 1) t) or O'Brien-Fleming-type
    2 (1 - Phi(z_{1 - alpha/2} / sqrt t)); both reach alpha at t = 1."""
    if spending == "pocock":
        return alpha * math.log(1 + (math.e - 1) * t)
    if spending == "obrien-fleming":
        return 0.0 if t <= 0 else float(2 * stats.norm.sf(stats.norm.isf(alpha / 2) / math.sqrt(t)))
    raise ValueError(f"unknown spending {spending!r}; known: {', '.join(SPENDINGS)}")


@functools.lru_cache(maxsize=256)
def look_alphas(looks: tuple[int, ...], alpha: float, spending: str = SPENDING) -> tuple[float, ...]:
    """Per-look one-sided nominal levels of a group-sequential design over seed counts `looks`
    (increasing; e.g. (3, 10)) that spends `alpha` by :func:`spent`: a cell whose true mean sits
    on the range's edge is called held at some look with probability <= alpha.

    Worst case of the equivalence test: the far edge never binds, so held at look k is the
    one-sided t test T_k = √n_k (x̄_k - edge) / s_k < -c_k, a statistic whose law does not depend
    on the mean or the std of normal seeds. Its cumulative paths are simulated (fixed seed), and
    c_k is set so that the paths first crossing at look k are the alpha spent between looks
    k - 1 and k; the level returned is the t tail at c_k with n_k - 1 degrees of freedom. A look
    with fewer than 2 seeds has no interval and spends nothing. One look: alpha itself."""
    if list(looks) != sorted(set(looks)) or not looks or looks[0] < 1:
        raise ValueError(f"looks must be increasing seed counts >= 1, got {looks!r}")
    usable = [n for n in looks if n >= 2]
    if len(usable) <= 1:
        return tuple(alpha if n >= 2 else 0.0 for n in looks)
    z = np.random.default_rng(LOOK_SEED).standard_normal((LOOK_PATHS, looks[-1]))
    csum, csq = np.cumsum(z, axis=1), np.cumsum(z * z, axis=1)
    alive = np.ones(LOOK_PATHS, dtype=bool)
    out, before = [], 0.0
    for n in looks:
        if n < 2:
            out.append(0.0)
            continue
        mean = csum[:, n - 1] / n
        sd = np.sqrt(np.maximum(csq[:, n - 1] - n * mean ** 2, 0.0) / (n - 1))
        t_stat = np.sqrt(n) * mean / np.maximum(sd, 1e-300)
        now = spent(n / looks[-1], alpha, spending)
        k = int(round((now - before) * LOOK_PATHS))  # paths allowed to cross first at this look
        cand = np.sort(t_stat[alive])
        c = cand[k - 1] if k >= 1 else -np.inf
        level = float(stats.t.cdf(c, n - 1)) if k >= 1 else 0.0
        alive &= t_stat > c
        out.append(level)
        before = now
    return tuple(out)


def look_confidence(looks: Sequence[int] | None, look: int | None,
                    confidence: float = CONFIDENCE, spending: str = SPENDING) -> float:
    """Two-sided confidence of the interval at look `look` (1-based) of the schedule `looks`:
    1 - 2 alpha_k (:func:`look_alphas`, alpha = (1 - confidence) / 2). One look: `confidence`."""
    if not looks or len(looks) == 1:
        return confidence
    levels = look_alphas(tuple(int(n) for n in looks), round((1 - confidence) / 2, 12), spending)
    return 1 - 2 * levels[look - 1]


def failure_bound(failed: int, finished: int,
                  confidence: float = FAILURE_BOUND_CONFIDENCE) -> float:
    """One-sided Clopper-Pearson upper bound on the share of a method's runs that fail (diverge
    or collapse), from `failed` of `finished` runs: the `confidence` quantile of
    Beta(failed + 1, finished - failed) (1 when every run failed; 1 - 0.05^(1/n) when none did),
    scipy's exact binomial interval."""
    if finished <= 0 or failed >= finished:
        return 1.0
    test = stats.binomtest(failed, finished, alternative="less")
    return float(test.proportion_ci(confidence, method="exact").high)


def collapsed_runs(values: Sequence[float], ref_low: float, ref_high: float, direction: str) -> int:
    """Completed runs whose score lies beyond the range's worse edge by more than
    :data:`COLLAPSE_WIDTHS` range widths (a failed run although it finished)."""
    a = finite(values)
    width = COLLAPSE_WIDTHS * (ref_high - ref_low)
    bad = a > ref_high + width if direction == "lower" else a < ref_low - width
    return int(bad.sum())


def tost_p(mean: float, s: float, n: int, ref_low: float, ref_high: float) -> float:
    """The p-value of the equivalence test (TOST: the larger of the two one-sided t tests'
    p-values); held at level alpha exactly when the 1 - 2 alpha interval is inside the range."""
    if n < 2 or not (math.isfinite(mean) and math.isfinite(s)) or s <= 0:
        return 1.0
    se = s / math.sqrt(n)
    return float(max(stats.t.sf((mean - ref_low) / se, n - 1), stats.t.sf((ref_high - mean) / se, n - 1)))


def effective_std(mean: float, std: float, eval_std: float | None = None) -> float:
    """Per-seed std used by the interval: max(sample std, evaluation noise of one score), the
    noise being max(STD_FLOOR_REL x |mean|, `eval_std` when given and finite) (rule 5)."""
    floor = STD_FLOOR_REL * abs(mean)
    if eval_std is not None and math.isfinite(eval_std):
        floor = max(floor, eval_std)
    return max(0.0 if math.isnan(std) else std, floor)


def mean_interval(mean: float, std: float, n: int, confidence: float = CONFIDENCE,
                  eval_std: float | None = None) -> tuple[float, float]:
    """Two-sided Student-t interval of the mean of `n` seeds (rule 5); (nan, nan) for n < 2."""
    if n < 2 or not math.isfinite(mean):
        return math.nan, math.nan
    half = t_quantile(confidence, n - 1) * effective_std(mean, std, eval_std) / math.sqrt(n)
    return mean - half, mean + half


def equivalence(low: float, high: float, ref_low: float, ref_high: float, direction: str) -> str:
    """held (interval inside the range), better / worse (wholly beyond it), else inconclusive."""
    _check_direction(direction)
    if ref_low <= low and high <= ref_high:
        return HELD
    if high < ref_low or low > ref_high:
        return BETTER if (high < ref_low) == (direction == "lower") else WORSE
    return INCONCLUSIVE


def seeds_needed(mean: float, s: float, ref_low: float, ref_high: float,
                 confidence: float = CONFIDENCE, n_max: int = MAX_SEEDS_NEEDED) -> int | None:
    """Fewest seeds whose interval would decide the cell if its mean and per-seed std `s` stayed
    as observed: t_{(1+c)/2, n-1} s / √n <= the distance from the mean to the nearest edge of the
    range. None when no n <= `n_max` does (a mean on an edge never decides)."""
    margin = min(abs(mean - ref_low), abs(ref_high - mean))
    if not (math.isfinite(margin) and math.isfinite(s)) or margin <= 0:
        return None
    n = np.arange(2, n_max + 1)
    ok = stats.t.ppf((1 + confidence) / 2, n - 1) * s / np.sqrt(n) <= margin
    return int(n[ok][0]) if ok.any() else None


@dataclass(frozen=True)
class Judgement:
    """A cell's verdict, why, our interval, (inconclusive only) the seeds a new study would need,
    the interval's confidence at the look judged, and the failed runs with their share's bound."""
    verdict: str
    reason: str
    low: float = math.nan
    high: float = math.nan
    seeds_needed: int | None = None
    confidence: float = CONFIDENCE
    n_failed: int = 0
    failure_bound: float = math.nan
    n_collapsed: int = 0


def _fmt(x: float) -> str:
    return f"{x:.4g}"


def judge(values: Sequence[float], *, n_diverged: int = 0, n_missing: int = 0,
          ref_low: float | None = None, ref_high: float | None = None,
          direction: str | None = None, min_seeds: int = MIN_SEEDS,
          no_reference: str | None = None, confidence: float = CONFIDENCE,
          eval_std: float | None = None, looks: Sequence[int] | None = None,
          spending: str = SPENDING) -> Judgement:
    """The verdict of one cell by rules 1-6 of the module docstring, with our interval and, when
    the interval straddles an edge of the range, the seeds a new study would need.

    Args:
        values: the metric of each completed run of the cell (non-finite entries do not count).
        n_diverged: runs of the cell that diverged.
        n_missing: runs without results (they do not vote in rule 2).
        ref_low, ref_high: the reference range; None when there is no usable reference.
        direction: "lower" or "higher" is better (needed when a range is given).
        min_seeds: completed runs needed for an interval.
        no_reference: why there is no usable reference (reported as the reason of rule 4).
        confidence: two-sided confidence of one look's interval (0.90: TOST at alpha = 0.05).
        eval_std: evaluation noise of one score (default STD_FLOOR_REL x |mean|).
        looks: the seed counts of the declared schedule (None: one look, the seeds the cell has).
        spending: the schedule's alpha-spending function (:func:`spent`).
    """
    n, mean, std = summarize(values)
    n_collapsed = 0
    if ref_low is not None and ref_high is not None and direction is not None:
        n_collapsed = collapsed_runs(values, ref_low, ref_high, direction)
    return judge_summary(n, mean, std, n_completed=len(values), n_diverged=n_diverged,
                         n_missing=n_missing, n_collapsed=n_collapsed, ref_low=ref_low,
                         ref_high=ref_high, direction=direction, min_seeds=min_seeds,
                         no_reference=no_reference, confidence=confidence, eval_std=eval_std,
                         looks=looks, spending=spending)


def look_of(looks: Sequence[int] | None, n_runs: int) -> int | None:
    """The 1-based look at which a cell with `n_runs` scheduled runs is judged: the position of
    `n_runs` in the schedule; 1 without a schedule; None when `n_runs` is not a declared look
    (seeds added by hand outside the schedule)."""
    if not looks or len(looks) == 1:
        return 1
    looks = [int(n) for n in looks]
    return looks.index(n_runs) + 1 if n_runs in looks else None


def judge_summary(n: int, mean: float, std: float, *, n_completed: int, n_diverged: int = 0,
                  n_missing: int = 0, n_collapsed: int = 0, ref_low: float | None = None,
                  ref_high: float | None = None, direction: str | None = None,
                  min_seeds: int = MIN_SEEDS, no_reference: str | None = None,
                  confidence: float = CONFIDENCE, eval_std: float | None = None,
                  looks: Sequence[int] | None = None, spending: str = SPENDING) -> Judgement:
    """:func:`judge` from the cell's summary: n finite values, their mean and sample std,
    `n_completed` completed runs (finite value or not), of which `n_collapsed` collapsed. What a
    published ``.verdicts.csv`` holds, so published cells can be re-judged without their runs
    (:mod:`repro.report.rejudge`)."""
    finished = n_completed + n_diverged
    n_failed = n_diverged + n_collapsed
    if finished == 0:
        return Judgement(INCONCLUSIVE, f"no finished runs ({n_missing} missing)")
    if 2 * n_diverged > finished:
        return Judgement(DIVERGED, f"{n_diverged}/{finished} finished runs diverged", n_failed=n_failed)
    look = look_of(looks, finished + n_missing)
    if look is None:
        return Judgement(INCONCLUSIVE, f"{finished + n_missing} runs is not a look of the declared "
                         f"schedule {', '.join(map(str, looks))}: seeds added outside it void its "
                         "error rate; rerun the table's rounds as declared", n_failed=n_failed)
    conf = look_confidence(looks, look, confidence, spending)
    low, high = mean_interval(mean, std, n, conf, eval_std)
    if n < min_seeds:
        extra = f", {n_completed - n} without a finite value" if n_completed > n else ""
        return Judgement(INCONCLUSIVE, f"n={n} completed < min_seeds={min_seeds}{extra}", confidence=conf)
    if ref_low is None or ref_high is None:
        return Judgement(INCONCLUSIVE, no_reference or "no reference", low, high, confidence=conf)
    if n < 2:
        return Judgement(INCONCLUSIVE, f"n={n}: one seed has no interval", confidence=conf)
    verdict = equivalence(low, high, ref_low, ref_high, direction)
    bound = failure_bound(n_failed, finished)
    at = f" at look {look} of {len(looks)}" if looks and len(looks) > 1 else ""
    ours = f"{conf:.1%} interval{at} {_fmt(low)}–{_fmt(high)} (n={n})".replace(".0%", "%")
    ref = f"the range {_fmt(ref_low)}–{_fmt(ref_high)}"
    fails = (f"{n_failed}/{finished} runs failed ({n_diverged} diverged, {n_collapsed} collapsed "
             f"beyond the range); failure share <= {bound:.0%} at {FAILURE_BOUND_CONFIDENCE:.0%}")
    kw = dict(low=low, high=high, confidence=conf, n_failed=n_failed, failure_bound=bound,
              n_collapsed=n_collapsed)
    if verdict in (HELD, BETTER) and n_failed:  # rule 6: every run counts
        where = "inside" if verdict == HELD else "wholly beyond"
        return Judgement(INCONCLUSIVE, f"{ours} {where} {ref}, but {fails}: held and better "
                         "need every run to train", **kw)
    if verdict == HELD:
        return Judgement(HELD, f"{ours} inside {ref}; no run of {finished} failed (failure share "
                         f"<= {bound:.0%} at {FAILURE_BOUND_CONFIDENCE:.0%})", **kw)
    if verdict != INCONCLUSIVE:
        tail = f"; {fails}" if n_failed else ""
        return Judgement(verdict, f"{ours} wholly {'below' if high < ref_low else 'above'} {ref}{tail}", **kw)
    s = effective_std(mean, std, eval_std)
    final = not looks or look == len(looks)
    need = seeds_needed(mean, s, ref_low, ref_high, confidence) if final else None
    more = ("the schedule's next round adds seeds" if not final else
            f"a new study of ~{need} fresh seeds, declared before it runs, would decide it at the "
            f"observed mean and spread (s={_fmt(s)}); seeds added to this cell now are looks its "
            "error rate does not cover" if need else
            f"no number of seeds up to {MAX_SEEDS_NEEDED} decides it at the observed mean and spread")
    more += f"; {fails}" if n_failed else ""
    return Judgement(INCONCLUSIVE, f"{ours} {STRADDLES} {ref}; {more}",
                     seeds_needed=need if final else None, **kw)


def decide(values: Sequence[float], **kwargs) -> tuple[str, str]:
    """(verdict, reason) of one cell: :func:`judge` without the interval (same arguments)."""
    j = judge(values, **kwargs)
    return j.verdict, j.reason


def is_degraded(final: float | None, best: float | None, metric: str) -> bool:
    """Whether a run's final score is much worse than its best (see :data:`DEGRADE_RATIO`).

    Lower-is-better: final > best x ratio + slack; higher-is-better: final x ratio + slack < best.
    False when either value is missing or not finite.
    """
    if final is None or best is None or not (math.isfinite(final) and math.isfinite(best)):
        return False
    slack = registry.degrade_slack().get(metric, 0.0)  # absolute slack; 0 where the registry has none
    if direction_of(metric) == "lower":
        return final > best * DEGRADE_RATIO + slack
    return final * DEGRADE_RATIO + slack < best
