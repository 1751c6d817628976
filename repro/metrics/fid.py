"""Fréchet distance (FID) and kernel distance (KID) between feature sets.

FID (Heusel et al. 2017, "GANs Trained by a Two Time-Scale Update Rule ...", Eq. (6)) is the
Fréchet (2-Wasserstein) distance between two Gaussians fitted to network features:

    d² = ||mu1 - mu2||² + tr(S1) + tr(S2) - 2 tr( (S1 S2)^{1/2} )

Why not clean-fid's `frechet_distance` (or StyleGAN2-ADA's): both call
`scipy.linalg.sqrtm(S1 @ S2, disp=False)` on a *non-symmetric* product. The `disp` argument is
removed in SciPy 1.18 (a TypeError there), SciPy 1.11.2-1.12 return wrong results from sqrtm,
and the non-symmetric Schur route needs the "drop small imaginary parts" hack. We instead use
the symmetric identity

    tr( (S1 S2)^{1/2} ) = tr( (S1^{1/2} S2 S1^{1/2})^{1/2} ) = sum_i sqrt(lambda_i),

because S1 S2 = S1^{1/2} (S1^{1/2} S2 S1^{1/2}) S1^{-1/2} is similar to the symmetric PSD matrix
M = S1^{1/2} S2 S1^{1/2} (the nonzero eigenvalues also agree when S1 is singular), so both have
the same non-negative eigenvalues lambda_i. Two `numpy.linalg.eigh` calls on symmetric matrices,
all in float64; eigenvalues that round-off pushes slightly below zero are clipped to 0.
"""

from __future__ import annotations

import numpy as np


def feature_stats(features) -> tuple[np.ndarray, np.ndarray]:
    """Mean and covariance of `features` (N, D) in float64.

    Same estimator as clean-fid / TTUR: `np.mean(axis=0)` and `np.cov(rowvar=False)` (unbiased,
    N-1 denominator).
    """
    feats = np.asarray(features, dtype=np.float64)
    if feats.ndim != 2 or feats.shape[0] < 2:
        raise ValueError(f"need a (N>=2, D) feature array, got shape {feats.shape}")
    return feats.mean(axis=0), np.cov(feats, rowvar=False)


def _psd_sqrt(matrix: np.ndarray) -> np.ndarray:
    """Symmetric square root of a symmetric PSD matrix via eigh (negative round-off clipped)."""
    sym = (matrix + matrix.T) / 2.0  # exact symmetry: eigh reads one triangle only
    vals, vecs = np.linalg.eigh(sym)
    return (vecs * np.sqrt(np.clip(vals, 0.0, None))) @ vecs.T


def trace_sqrt_product(sigma1, sigma2) -> float:
    """tr((sigma1 sigma2)^{1/2}) for symmetric PSD matrices, via the symmetric form (see module doc)."""
    s1 = np.atleast_2d(np.asarray(sigma1, dtype=np.float64))
    s2 = np.atleast_2d(np.asarray(sigma2, dtype=np.float64))
    root1 = _psd_sqrt(s1)
    middle = root1 @ s2 @ root1
    vals = np.linalg.eigvalsh((middle + middle.T) / 2.0)
    return float(np.sqrt(np.clip(vals, 0.0, None)).sum())


def frechet_distance(mu1, sigma1, mu2, sigma2) -> float:
    """Fréchet distance between N(mu1, sigma1) and N(mu2, sigma2), computed in float64.

    Argument order follows clean-fid (`mu1, sigma1, mu2, sigma2`); the distance is symmetric.
    """
    mu1 = np.atleast_1d(np.asarray(mu1, dtype=np.float64))
    mu2 = np.atleast_1d(np.asarray(mu2, dtype=np.float64))
    s1 = np.atleast_2d(np.asarray(sigma1, dtype=np.float64))
    s2 = np.atleast_2d(np.asarray(sigma2, dtype=np.float64))
    if mu1.shape != mu2.shape or s1.shape != s2.shape or s1.shape != (mu1.size, mu1.size):
        raise ValueError(f"shape mismatch: mu {mu1.shape} vs {mu2.shape}, sigma {s1.shape} vs {s2.shape}")
    diff = mu1 - mu2
    value = diff @ diff + np.trace(s1) + np.trace(s2) - 2.0 * trace_sqrt_product(s1, s2)
    # Exact arithmetic gives d² >= 0; round-off on identical inputs can give -1e-12.
    return float(max(value, 0.0))


def fid_from_features(feats1, feats2) -> float:
    """FID between two feature arrays (N1, D), (N2, D)."""
    return frechet_distance(*feature_stats(feats1), *feature_stats(feats2))


def kernel_distance(feats1, feats2, num_subsets: int = 100, max_subset_size: int = 1000,
                    seed: int = 0) -> float:
    """KID (Bińkowski et al. 2018, "Demystifying MMD GANs", Eq. (3)): the unbiased MMD² with the
    cubic polynomial kernel k(x, y) = (x·y / d + 1)³, averaged over `num_subsets` random subsets of
    size m = min(N1, N2, max_subset_size).

    Same estimator and defaults as clean-fid's `kernel_distance`, except that subsets are drawn from
    a local `numpy.random.Generator(seed)` instead of the global NumPy RNG, so the value is
    reproducible and does not disturb (or depend on) anyone else's random state.
    """
    f1 = np.asarray(feats1, dtype=np.float64)
    f2 = np.asarray(feats2, dtype=np.float64)
    dim = f1.shape[1]
    m = min(f1.shape[0], f2.shape[0], max_subset_size)
    rng = np.random.default_rng(seed)
    total = 0.0
    for _ in range(num_subsets):
        x = f2[rng.choice(f2.shape[0], m, replace=False)]
        y = f1[rng.choice(f1.shape[0], m, replace=False)]
        kxx_kyy = (x @ x.T / dim + 1) ** 3 + (y @ y.T / dim + 1) ** 3
        kxy = (x @ y.T / dim + 1) ** 3
        # Unbiased: drop the diagonal of k(x, x) and k(y, y).
        total += (kxx_kyy.sum() - np.diag(kxx_kyy).sum()) / (m - 1) - kxy.sum() * 2 / m
    return float(total / num_subsets / m)
