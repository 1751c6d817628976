"""repro.metrics.fid: the Fréchet and kernel distances against closed forms, SciPy and clean-fid."""
from __future__ import annotations

import math

import numpy as np
import pytest
import scipy

from repro.metrics import feature_stats, frechet_distance, kernel_distance


def _closed_form_commuting(mu1, a, mu2, b):
    """FID for covariances sharing eigenvectors with eigenvalues a, b."""
    return float(np.sum((mu1 - mu2) ** 2) + np.sum(a + b - 2 * np.sqrt(a * b)))


def _random_cov(rng, d, n):
    x = rng.standard_normal((n, d)) @ rng.standard_normal((d, d)) / np.sqrt(d)
    return np.cov(x, rowvar=False)


# -- Fréchet distance -----------------------------------------------------------------------------


def test_fid_diagonal_covariances_match_closed_form():
    rng = np.random.default_rng(0)
    d = 50
    mu1, mu2 = rng.standard_normal(d), rng.standard_normal(d)
    a, b = rng.uniform(0.1, 3, d), rng.uniform(0.1, 3, d)
    got = frechet_distance(mu1, np.diag(a), mu2, np.diag(b))
    assert got == pytest.approx(_closed_form_commuting(mu1, a, mu2, b), rel=1e-12)


def test_fid_commuting_covariances_match_closed_form():
    rng = np.random.default_rng(1)
    d = 40
    q, _ = np.linalg.qr(rng.standard_normal((d, d)))
    a, b = rng.uniform(0.0, 2, d), rng.uniform(0.0, 2, d)
    a[:5] = 0.0  # singular sigma1: the symmetric formulation must not need it invertible
    mu1, mu2 = rng.standard_normal(d), rng.standard_normal(d)
    got = frechet_distance(mu1, q @ np.diag(a) @ q.T, mu2, q @ np.diag(b) @ q.T)
    # Zero eigenvalues cost accuracy: round-off eps there becomes sqrt(eps) ~ 1e-8 in the trace.
    assert got == pytest.approx(_closed_form_commuting(mu1, a, mu2, b), rel=1e-7)


def test_fid_random_full_covariances_match_independent_computation():
    rng = np.random.default_rng(2)
    d = 64
    s1, s2 = _random_cov(rng, d, 500), _random_cov(rng, d, 300)
    mu1, mu2 = rng.standard_normal(d), rng.standard_normal(d)
    got = frechet_distance(mu1, s1, mu2, s2)
    # Independent route: eigenvalues of the non-symmetric product s1 @ s2 (real, >= 0 in exact
    # arithmetic); tr sqrt(s1 s2) = sum of their square roots.
    eig = np.linalg.eigvals(s1 @ s2)
    expected = np.sum((mu1 - mu2) ** 2) + np.trace(s1) + np.trace(s2) - 2 * np.sum(
        np.sqrt(np.clip(eig.real, 0, None)))
    assert got == pytest.approx(expected, rel=1e-9)
    assert frechet_distance(mu2, s2, mu1, s1) == pytest.approx(got, rel=1e-9)  # symmetric


def test_fid_matches_scipy_sqrtm():
    import scipy.linalg

    rng = np.random.default_rng(3)
    d = 32
    s1, s2 = _random_cov(rng, d, 200), _random_cov(rng, d, 200)
    mu1, mu2 = rng.standard_normal(d), rng.standard_normal(d)
    covmean = scipy.linalg.sqrtm(s1 @ s2)
    expected = np.sum((mu1 - mu2) ** 2) + np.trace(s1 + s2) - 2 * np.trace(covmean).real
    assert frechet_distance(mu1, s1, mu2, s2) == pytest.approx(expected, rel=1e-8)


@pytest.mark.filterwarnings("ignore:The `disp` argument is deprecated:DeprecationWarning")
def test_fid_matches_cleanfid_frechet_distance():
    from cleanfid.fid import frechet_distance as cleanfid_frechet  # a dependency: never skipped

    rng = np.random.default_rng(4)
    d = 64
    s1, s2 = _random_cov(rng, d, 400), _random_cov(rng, d, 400)
    mu1, mu2 = rng.standard_normal(d), rng.standard_normal(d)
    try:
        expected = float(cleanfid_frechet(mu1, s1, mu2, s2))
    except TypeError as err:  # sqrtm(disp=...) removed in SciPy 1.18
        pytest.skip(f"clean-fid's frechet_distance does not run on SciPy {scipy.__version__}: {err}")
    assert frechet_distance(mu1, s1, mu2, s2) == pytest.approx(expected, rel=1e-8)


def test_fid_identical_and_rank_deficient_stats():
    rng = np.random.default_rng(5)
    feats = rng.standard_normal((20, 64))  # N < D: rank-deficient covariance
    mu, sigma = feature_stats(feats)
    assert mu.dtype == np.float64 and sigma.shape == (64, 64)
    assert np.allclose(sigma, np.cov(feats, rowvar=False)) and np.allclose(mu, feats.mean(0))
    assert frechet_distance(mu, sigma, mu, sigma) == pytest.approx(0.0, abs=1e-8)
    other = feature_stats(rng.standard_normal((20, 64)) + 1.0)
    value = frechet_distance(mu, sigma, *other)
    assert math.isfinite(value) and value > 0


def test_kid_matches_cleanfid_when_subsets_are_whole_sets():
    from cleanfid.fid import kernel_distance as cleanfid_kid

    rng = np.random.default_rng(6)
    a, b = rng.standard_normal((60, 16)), rng.standard_normal((60, 16)) + 0.3
    # With subsets as large as the sets, every subset is a permutation and MMD is permutation
    # invariant, so the two implementations must agree whatever their random draws.
    ours = kernel_distance(a, b, num_subsets=3, max_subset_size=1000, seed=0)
    assert ours == pytest.approx(cleanfid_kid(a, b, num_subsets=3, max_subset_size=1000), rel=1e-10)
    assert kernel_distance(a, b, num_subsets=5, max_subset_size=20, seed=1) == \
        kernel_distance(a, b, num_subsets=5, max_subset_size=20, seed=1)
