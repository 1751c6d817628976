"""Mode-collapse metrics for 2-D mixtures of Gaussians (the toy benchmark of the mode-collapse
literature: Metz et al. 2017 "Unrolled GANs"; Srivastava et al. 2017 "VEEGAN", Sec. 5.1; used by
LSGAN's stability comparison).

Definitions (VEEGAN, Sec. 5.1, for the 2-D ring and grid):

* a sample is **high quality** (HQ) if it lies within 3 standard deviations of its *nearest* mode
  (``hq_sigmas`` = 3; the mixture is isotropic with per-component std ``sigma``);
* the **number of modes covered** is the number of components whose mean is nearest to at least
  one HQ sample (``min_count`` = 1). This is also the rule of PacGAN's code
  (fjxmlzn/PacGAN, ``synthetic_data_experiments/PacGAN/pacgan/extensions.py``, ``MetricLogger``:
  ``mode_coverage = len(nonzero(detail_of_coverage))`` over points within ``dis_thre = 3``
  standard deviations);
* the **strict modes covered** (``modes_covered_strict``) counts a mode only when it holds at
  least :data:`STRICT_SHARE` (a fifth) of the HQ samples a perfect generator would put there,
  ``N * w_k * (1 - exp(-hq_sigmas^2 / 2))`` for target weight ``w_k`` (uniform when not given):
  55 of 2,500 samples at a 1/9-weight mode of LSGAN's ring. The threshold is OUR choice (no
  paper we could check states one); it asks a mode to be populated, not merely touched, which
  matters when HQ samples are scarce (LSGAN's ring: HQ fraction ~0.06);
* the **HQ fraction** is the share of all samples that are HQ;
* the **mode KL** is KL(q || u) of the histogram q of HQ samples over their nearest modes from the
  uniform distribution u over the K distinct modes: 0 when HQ samples spread evenly, log K when
  they all sit on one mode. When the target mixture is not uniform (LSGAN's ring), pass its
  mode weights to also get KL(q || target);
* the **top-mode share** is the largest share of *all* samples (HQ or not) that have one mode as
  their nearest: 1/K for a generator spread evenly, 1 for one collapsed onto a single mode's
  direction. Unlike the HQ counts it sees a collapse that has not (yet) hit the 3-sigma disc,
  which with the ring's sigma of 0.01 is most of training (the LSGAN paper's Gaussian-mixture
  figure shows such collapsed generators as one blob beside the ring).

Only *distinct* modes are counted: LSGAN's official ring (``stability_comparison/mixture_gaussian``,
derived from poolio/unrolled_gan) places 9 components at angles ``linspace(0, 2*pi, 9)`` on the
unit circle with std 0.01 -- the first and last coincide, giving 8 distinct modes, the one at angle 0
with double weight (2/9). `repro.data.ring_mixture()` defines it (`.modes`, `.weights`).
"""

from __future__ import annotations

import math

import numpy as np


#: Strict coverage: share of a perfect generator's expected HQ count a mode must hold.
STRICT_SHARE = 0.2


def _kl(q: np.ndarray, p: np.ndarray) -> float:
    mask = q > 0
    return float(np.sum(q[mask] * np.log(q[mask] / p[mask])))


def populated_modes(mode_counts, n_samples: int, share: float, *, weights=None,
                    hq_sigmas: float = 3.0, min_count: int = 1) -> int:
    """Modes holding at least `share` of the HQ samples a perfect generator would put there
    (module docstring; ``share`` = :data:`STRICT_SHARE` is ``modes_covered_strict``), from the HQ
    counts per mode (`mode_counts`, as :func:`mog_metrics` returns them) of `n_samples` samples."""
    counts = np.asarray(mode_counts, dtype=np.float64)
    expected_hq = perfect_hq(n_samples, len(counts), weights=weights, hq_sigmas=hq_sigmas)
    return int(((counts >= share * expected_hq) & (counts >= min_count)).sum())


def perfect_hq(n_samples: int, n_modes: int, *, weights=None, hq_sigmas: float = 3.0) -> np.ndarray:
    """HQ samples per mode that a perfect generator draws on average among `n_samples`."""
    w = np.full(n_modes, 1.0 / n_modes) if weights is None else np.asarray(weights, dtype=np.float64)
    # a 2-D isotropic Gaussian puts 1 - exp(-r^2 / 2) of its mass within r standard deviations
    return n_samples * w * (1.0 - math.exp(-hq_sigmas ** 2 / 2))


def mog_metrics(samples, modes, sigma: float, *, weights=None, hq_sigmas: float = 3.0,
                min_count: int = 1) -> dict:
    """Modes covered, HQ fraction and mode KL (see module docstring) of `samples` (N, 2).

    Returns a dict with: n_samples, n_modes, modes_covered, modes_covered_strict (and the
    strict_share it used), hq_fraction, mode_counts (HQ samples
    nearest to each mode), top_mode_share, kl_uniform, and kl_target when `weights` is given. The KLs are NaN when
    there is no HQ sample at all.
    """
    if hasattr(samples, "detach"):  # a torch tensor (this module imports no torch: the report reads it)
        samples = samples.detach().cpu()
    x = np.asarray(samples, dtype=np.float64)
    m = np.asarray(modes, dtype=np.float64)
    if x.ndim != 2 or x.shape[1] != m.shape[1]:
        raise ValueError(f"samples {x.shape} and modes {m.shape} disagree")
    if not np.isfinite(x).all():
        # A diverged generator emits NaN/inf: such samples are simply not high quality.
        x = np.where(np.isfinite(x), x, np.inf)
    dist = np.linalg.norm(x[:, None, :] - m[None, :, :], axis=2)  # (N, K)
    nearest = dist.argmin(axis=1)
    hq = dist[np.arange(len(x)), nearest] <= hq_sigmas * sigma
    counts = np.bincount(nearest[hq], minlength=len(m))
    k = len(m)
    result = {
        "n_samples": int(len(x)),
        "n_modes": int(k),
        "modes_covered": int((counts >= min_count).sum()),
        "modes_covered_strict": populated_modes(counts, len(x), STRICT_SHARE, weights=weights,
                                                hq_sigmas=hq_sigmas, min_count=min_count),
        "strict_share": STRICT_SHARE,
        "hq_fraction": float(hq.mean()) if len(x) else math.nan,
        "mode_counts": counts.tolist(),
        "top_mode_share": float(np.bincount(nearest, minlength=len(m)).max() / len(x)) if len(x) else math.nan,
    }
    if counts.sum():
        q = counts / counts.sum()
        result["kl_uniform"] = _kl(q, np.full(k, 1.0 / k))
        if weights is not None:
            result["kl_target"] = _kl(q, np.asarray(weights, dtype=np.float64))
    else:
        result["kl_uniform"] = math.nan
        if weights is not None:
            result["kl_target"] = math.nan
    return result
