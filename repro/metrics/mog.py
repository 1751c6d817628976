"""Mode-collapse metrics for 2-D mixtures of Gaussians (the toy benchmark of the mode-collapse
literature: Metz et al. 2017 "Unrolled GANs"; Srivastava et al. 2017 "VEEGAN", Sec. 5.1; used by
LSGAN's stability comparison).

Definitions (VEEGAN, Sec. 5.1, for the 2-D ring and grid):

* a sample is **high quality** (HQ) if it lies within 3 standard deviations of its *nearest* mode
  (``hq_sigmas`` = 3; the mixture is isotropic with per-component std ``sigma``);
* the **number of modes covered** is the number of components whose mean is nearest to at least
  one HQ sample (``min_count`` = 1). Stricter variants (e.g. PacGAN's "a mode is lost if fewer than
  a fifth of its expected samples land there") are available through ``min_count``;
* the **HQ fraction** is the share of all samples that are HQ;
* the **mode KL** is KL(q || u) of the histogram q of HQ samples over their nearest modes from the
  uniform distribution u over the K distinct modes: 0 when HQ samples spread evenly, log K when
  they all sit on one mode. When the target mixture is not uniform (LSGAN's ring below), pass its
  mode weights to also get KL(q || target).

Only *distinct* modes are counted: LSGAN's official ring (``stability_comparison/mixture_gaussian``,
derived from poolio/unrolled_gan) places 9 components at angles ``linspace(0, 2*pi, 9)`` on the
unit circle with std 0.01 -- the first and last coincide, giving 8 distinct modes, the one at angle 0
with double weight (2/9). `lsgan_ring` returns those 8 modes and weights.
"""

from __future__ import annotations

import math

import numpy as np
import torch


def ring_modes(n: int = 8, radius: float = 1.0) -> np.ndarray:
    """`n` equally spaced modes on a circle of `radius`, the first at angle 0: (n, 2)."""
    angles = 2 * np.pi * np.arange(n) / n
    return np.stack([radius * np.cos(angles), radius * np.sin(angles)], axis=1)


def grid_modes(k: int = 5, spacing: float = 2.0) -> np.ndarray:
    """A k x k grid of modes centred on the origin (k=5, spacing 2: coordinates -4..4): (k*k, 2)."""
    coords = (np.arange(k) - (k - 1) / 2) * spacing
    xx, yy = np.meshgrid(coords, coords, indexing="ij")
    return np.stack([xx.ravel(), yy.ravel()], axis=1)


def distinct_modes(means, weights=None, tol: float = 1e-6) -> tuple[np.ndarray, np.ndarray]:
    """Merge coincident mixture components (within `tol`), summing their weights."""
    means = np.asarray(means, dtype=np.float64)
    weights = np.full(len(means), 1.0 / len(means)) if weights is None else np.asarray(weights, float)
    out_m: list[np.ndarray] = []
    out_w: list[float] = []
    for m, w in zip(means, weights):
        for i, existing in enumerate(out_m):
            if np.linalg.norm(existing - m) <= tol:
                out_w[i] += w
                break
        else:
            out_m.append(m)
            out_w.append(float(w))
    w = np.asarray(out_w)
    return np.stack(out_m), w / w.sum()


LSGAN_RING_SIGMA = 0.01


def lsgan_ring() -> tuple[np.ndarray, np.ndarray, float]:
    """LSGAN's official ring: (8 distinct modes, their weights (2/9 at angle 0, 1/9 others), 0.01)."""
    angles = np.linspace(0, 2 * np.pi, 9)
    components = np.stack([np.cos(angles), np.sin(angles)], axis=1)
    modes, weights = distinct_modes(components, tol=1e-9)
    return modes, weights, LSGAN_RING_SIGMA


def sample_mixture(modes, sigma: float, n: int, generator: torch.Generator | None = None,
                   weights=None) -> np.ndarray:
    """n samples from the isotropic mixture (for tests and reference plots), seeded by `generator`."""
    modes_t = torch.as_tensor(np.asarray(modes), dtype=torch.float64)
    w = torch.full((len(modes_t),), 1.0 / len(modes_t), dtype=torch.float64) if weights is None \
        else torch.as_tensor(np.asarray(weights), dtype=torch.float64)
    idx = torch.multinomial(w, n, replacement=True, generator=generator)
    noise = torch.randn(n, 2, generator=generator, dtype=torch.float64)
    return (modes_t[idx] + sigma * noise).numpy()


def _kl(q: np.ndarray, p: np.ndarray) -> float:
    mask = q > 0
    return float(np.sum(q[mask] * np.log(q[mask] / p[mask])))


def mog_metrics(samples, modes, sigma: float, *, weights=None, hq_sigmas: float = 3.0,
                min_count: int = 1) -> dict:
    """Modes covered, HQ fraction and mode KL (see module docstring) of `samples` (N, 2).

    Returns a dict with: n_samples, n_modes, modes_covered, hq_fraction, mode_counts (HQ samples
    nearest to each mode), kl_uniform, and kl_target when `weights` is given. The KLs are NaN when
    there is no HQ sample at all.
    """
    x = np.asarray(samples.detach().cpu() if isinstance(samples, torch.Tensor) else samples,
                   dtype=np.float64)
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
        "hq_fraction": float(hq.mean()) if len(x) else math.nan,
        "mode_counts": counts.tolist(),
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
