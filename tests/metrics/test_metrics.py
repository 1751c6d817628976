"""Metric math, protocols, image preprocessing and MoG metrics (repro.metrics).

Everything here is CPU-only, network-free and fast; the pipeline (extractors, weights, caching,
clean-fid agreement) is in test_evaluate.py and the digits classifier in
test_digits.py.
"""

from __future__ import annotations

import dataclasses
import json
import math

import numpy as np
import pytest
import scipy
import torch

from repro.metrics import (IncomparableScoresError, PROTOCOLS, Protocol, assert_comparable,
                           evaluate_mog, feature_stats, frechet_distance, get_protocol,
                           inception_score, inception_score_from_probs, kernel_distance, mog_metrics)
from repro.metrics.images import resize_clean, resize_legacy_tf, to_uint8
from repro.data import Mixture, grid_mixture, ring_mixture

RING = ring_mixture()  # the LSGAN official code's ring: 9 components, 8 distinct modes


def ring_modes():
    return RING.modes.double().numpy()



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


# -- Inception Score ---------------------------------------------------------------------------------

def test_is_of_uniform_predictions_is_one():
    mean, std = inception_score(np.zeros((500, 1008)), splits=10)
    assert mean == pytest.approx(1.0, abs=1e-12) and std == pytest.approx(0.0, abs=1e-12)


@pytest.mark.parametrize("k", [2, 10, 37])
def test_is_of_confident_balanced_predictions_is_k(k):
    labels = np.arange(10 * k * 4) % k  # every split holds each class equally often
    onehot = np.eye(k)[labels]
    mean, std = inception_score_from_probs(onehot, splits=10)
    assert mean == pytest.approx(k, rel=1e-12) and std == pytest.approx(0.0, abs=1e-12)
    mean, _ = inception_score(60.0 * onehot, splits=10)  # near-one-hot softmax
    assert mean == pytest.approx(k, rel=1e-6)


def test_is_std_is_over_splits_in_order_without_shuffle():
    k = 10
    balanced = np.eye(k)[np.arange(100) % k]
    collapsed = np.eye(k)[np.zeros(100, dtype=int)]
    probs = np.concatenate([balanced, collapsed])  # split 1 scores k, split 2 scores 1
    mean, std = inception_score_from_probs(probs, splits=2)
    assert mean == pytest.approx((k + 1) / 2) and std == pytest.approx((k - 1) / 2)  # ddof=0
    # One split mixes both halves: a single score, std 0.
    mean1, std1 = inception_score_from_probs(probs, splits=1)
    assert std1 == 0.0 and 1 < mean1 < k


def test_is_matches_direct_formula_and_rejects_logits_as_probs():
    rng = np.random.default_rng(7)
    logits = rng.standard_normal((300, 20)) * 3
    p = np.exp(logits - logits.max(1, keepdims=True))
    p /= p.sum(1, keepdims=True)
    scores = []
    for i in range(3):
        part = p[i * 100:(i + 1) * 100]
        kl = part * (np.log(part) - np.log(part.mean(0, keepdims=True)))
        scores.append(np.exp(kl.sum(1).mean()))
    mean, std = inception_score(logits, splits=3)
    assert mean == pytest.approx(np.mean(scores), rel=1e-10)
    assert std == pytest.approx(np.std(scores), rel=1e-8)
    with pytest.raises(ValueError):
        inception_score_from_probs(logits, splits=3)


# -- protocols ---------------------------------------------------------------------------------------

@pytest.mark.parametrize("name", sorted(PROTOCOLS))
def test_protocol_round_trips(name):
    protocol = get_protocol(name)
    assert Protocol.from_dict(protocol.to_dict()) == protocol
    again = Protocol.from_json(json.dumps(json.loads(protocol.to_json())))
    assert again == protocol and again.key() == protocol.key()
    assert protocol.to_dict()["key"] == protocol.key()


def test_registry_matches_paper_protocols():
    sngan = get_protocol("sngan")
    # IS: 10 splits of 5,000 (sngan_projection/evaluations/calc_inception_score.py:
    # n = int(5000 * args.splits), splits = 10); FID: 5,000 generated vs 10,000 real (App. B.1)
    assert (sngan.n_fake, sngan.n_real, sngan.is_n, sngan.is_splits) == (5000, 10000, 50000, 10)
    assert sngan.is_n // sngan.is_splits == 5000 and sngan.n_generated == 50000
    stl = get_protocol("sngan-stl10")
    assert (stl.n_fake, stl.n_real, stl.is_n, stl.is_splits) == (5000, 10000, 50000, 10)
    assert sngan.g_mode == "eval" and sngan.quantize == "trunc"
    full = get_protocol("50k-train")
    assert (full.n_fake, full.n_real, full.real_split, full.is_n) == (50000, 50000, "train", 50000)
    assert len({p.key() for p in PROTOCOLS.values()}) == len(PROTOCOLS)
    with pytest.raises(KeyError, match="known"):
        get_protocol("no-such-protocol")


_ALTERNATIVES = {"network": "digits", "n_fake": 6000, "n_real": 9999, "real_split": "train",
                 "resize": "clean", "network_sha256": "0" * 64, "is_n": 4000, "is_splits": 5,
                 "checkpoint": "best", "g_mode": "train", "quantize": "round",
                 "mog_hq_sigmas": 2.0, "mog_min_count": 20}


def test_protocol_key_changes_with_every_score_relevant_field():
    base = get_protocol("sngan")
    key_fields = {f.name for f in dataclasses.fields(Protocol)} - {"name", "notes", "feature_batch",
                                                                   "metrics", "precision"}
    assert key_fields == set(_ALTERNATIVES)
    for field, value in _ALTERNATIVES.items():
        assert base.replace(**{field: value}).key() != base.key(), field
    # Fields that cannot change a score do not change the key.
    same = base.replace(name="renamed", notes="x", feature_batch=7, metrics=("fid", "is", "pr"))
    assert same.key() == base.key()
    # precision has one allowed value (features always in full fp32), so it never splits keys
    assert base.precision == "fp32"
    with pytest.raises(ValueError, match="precision 'tf32'"):
        base.replace(precision="tf32")
    assert_comparable(base, same)


def test_incomparable_scores_are_refused():
    a = {"fid": 20.0, "protocol": get_protocol("sngan").to_dict()}
    b = {"fid": 18.0, "protocol": get_protocol("50k-train").to_dict()}
    assert_comparable(a, dict(a, fid=21.0))
    with pytest.raises(IncomparableScoresError, match="n_fake"):
        assert_comparable(a, b)
    with pytest.raises(IncomparableScoresError):
        assert_comparable(get_protocol("sngan"), get_protocol("sngan").replace(resize="clean"))


def test_tampered_or_invalid_protocols_are_rejected():
    record = get_protocol("sngan").to_dict()
    record["n_real"] = 10
    with pytest.raises(ValueError, match="key"):
        Protocol.from_dict(record)
    assert Protocol.from_dict(record, check_key=False).n_real == 10
    with pytest.raises(ValueError):
        get_protocol("sngan").replace(resize="bilinear")
    with pytest.raises(ValueError):
        get_protocol("sngan").replace(is_n=-1)
    with pytest.raises(ValueError):
        get_protocol("sngan").replace(is_splits=50_001)
    with pytest.raises(ValueError):
        Protocol.from_dict(dict(get_protocol("sngan").to_dict(), colour="blue"))


# -- image preprocessing ------------------------------------------------------------------------------

def test_quantization_rules():
    x = torch.tensor([-1.5, -1.0, 0.0, 0.999, 1.0, 2.0]).view(1, 1, 1, 6)
    assert to_uint8(x, "trunc").flatten().tolist() == [0, 0, 127, 254, 255, 255]
    assert to_uint8(x, "round").flatten().tolist() == [0, 0, 128, 255, 255, 255]
    u = torch.arange(256, dtype=torch.uint8).view(1, 1, 16, 16)
    assert torch.equal(to_uint8(u), u)


def test_clean_resize_matches_cleanfid_pil():
    from cleanfid.resize import make_resizer

    pil = make_resizer("PIL", False, "bicubic", (299, 299))  # clean-fid's "clean" resizer
    g = torch.Generator().manual_seed(0)
    images = torch.randint(0, 256, (3, 3, 32, 32), generator=g, dtype=torch.uint8)
    ours = resize_clean(images, 299)
    for img, out in zip(images, ours):
        ref = pil(img.permute(1, 2, 0).numpy())
        diff = np.abs(out.permute(1, 2, 0).numpy() - ref).max()
        assert diff < 2e-3, diff  # measured 5.6e-4 (0..255 units) on the shared notes' benchmark


def _tf_legacy_bilinear(img: np.ndarray, out_h: int, out_w: int) -> np.ndarray:
    """Reference: TF1 resize_bilinear(align_corners=False, half_pixel_centers=False), 2-D."""
    in_h, in_w = img.shape
    out = np.empty((out_h, out_w))
    for i in range(out_h):
        y = i * in_h / out_h
        y0 = int(np.floor(y)); y1 = min(y0 + 1, in_h - 1); fy = y - y0
        for j in range(out_w):
            x = j * in_w / out_w
            x0 = int(np.floor(x)); x1 = min(x0 + 1, in_w - 1); fx = x - x0
            top = img[y0, x0] * (1 - fx) + img[y0, x1] * fx
            bottom = img[y1, x0] * (1 - fx) + img[y1, x1] * fx
            out[i, j] = top * (1 - fy) + bottom * fy
    return out


@pytest.mark.parametrize("size_in,size_out", [(5, 13), (8, 3), (32, 299), (7, 7)])
def test_legacy_tf_resize_matches_reference(size_in, size_out):
    g = torch.Generator().manual_seed(size_in)
    img = torch.rand(1, 1, size_in, size_in, generator=g) * 255
    ours = resize_legacy_tf(img, size_out)[0, 0].double().numpy()
    ref = _tf_legacy_bilinear(img[0, 0].double().numpy(), size_out, size_out)
    assert np.abs(ours - ref).max() < 1e-3


# -- mixture of Gaussians -----------------------------------------------------------------------------

def test_mog_all_modes_covered_evenly():
    modes = ring_modes()
    samples = np.repeat(modes, 50, axis=0)  # exactly on the modes, 50 each
    out = mog_metrics(samples, modes, sigma=0.01)
    assert out["modes_covered"] == 8 and out["hq_fraction"] == 1.0
    assert out["kl_uniform"] == pytest.approx(0.0, abs=1e-12)
    noisy = Mixture(RING.modes, 0.01).sample(2500, torch.Generator().manual_seed(0))  # 8 equal modes
    out = mog_metrics(noisy, modes, sigma=0.01)
    assert out["modes_covered"] == 8 and out["hq_fraction"] > 0.98 and out["kl_uniform"] < 0.01


def test_mog_single_mode_collapse():
    modes = ring_modes()
    samples = modes[3] + 0.005 * np.random.default_rng(0).standard_normal((400, 2))
    out = mog_metrics(samples, modes, sigma=0.01)
    assert out["modes_covered"] == 1
    assert out["kl_uniform"] == pytest.approx(math.log(8), rel=1e-12)


def test_mog_top_mode_share_sees_a_collapse_off_the_ring():
    modes = ring_modes()
    # a blob at 0.8x mode 3: no sample is high quality, yet all sit in mode 3's direction
    blob = 0.8 * modes[3] + 0.01 * np.random.default_rng(0).standard_normal((500, 2))
    out = mog_metrics(blob, modes, sigma=0.01)
    assert out["modes_covered"] == 0 and out["hq_fraction"] == 0.0
    assert out["top_mode_share"] == 1.0
    even = np.repeat(modes, [30, 30, 30, 30, 30, 30, 30, 90], axis=0)  # 90 of 300 nearest mode 7
    assert mog_metrics(even, modes, sigma=0.01)["top_mode_share"] == pytest.approx(90 / 300)


def test_mog_uniform_box_has_few_high_quality_samples():
    modes = ring_modes()
    samples = np.random.default_rng(1).uniform(-2, 2, size=(2500, 2))
    out = mog_metrics(samples, modes, sigma=0.01)
    assert out["hq_fraction"] < 0.02  # expected 8 * pi * 0.03**2 / 16 = 0.0014


def test_mog_min_count_nan_and_grid():
    modes = grid_mixture().modes.double().numpy()
    assert modes.shape == (25, 2) and modes.min() == -4 and modes.max() == 4
    samples = np.concatenate([np.repeat(modes[:3], [30, 30, 1], axis=0), [[np.nan, 0.0]]])
    assert mog_metrics(samples, modes, 0.05)["modes_covered"] == 3
    out = mog_metrics(samples, modes, 0.05, min_count=20)
    assert out["modes_covered"] == 2 and out["hq_fraction"] == pytest.approx(61 / 62)


def test_lsgan_ring_has_eight_distinct_modes_one_double():
    modes, weights, sigma = ring_modes(), RING.weights.numpy(), RING.sigma
    assert modes.shape == (8, 2) and sigma == 0.01
    double = np.argmin(np.linalg.norm(modes - [1.0, 0.0], axis=1))  # angle 0 = angle 2*pi
    assert weights[double] == pytest.approx(2 / 9) and np.allclose(np.delete(weights, double), 1 / 9)
    samples = RING.sample(2500, torch.Generator().manual_seed(1))
    out = evaluate_mog(samples, modes, sigma, "mog", weights=weights)
    assert out["modes_covered"] == 8 and out["kl_target"] < 0.01
    expected_kl_uniform = float(np.sum(weights * np.log(weights * 8)))
    assert out["kl_uniform"] == pytest.approx(expected_kl_uniform, abs=0.01)
    assert out["protocol"]["name"] == "mog" and out["protocol_key"] == get_protocol("mog").key()
    with pytest.raises(ValueError):
        evaluate_mog(samples[:100], modes, sigma, "mog")


def test_mog_generator_path_is_seeded_and_carries_protocol():
    from repro.metrics import evaluate_mog_generator

    modes, weights, sigma = ring_modes(), RING.weights.numpy(), RING.sigma
    modes_t = torch.as_tensor(modes, dtype=torch.float32)

    def sample_fn(n, g):  # a perfect 'generator' of the 8 distinct modes, randomness from g
        idx = torch.randint(0, 8, (n,), generator=g)
        return modes_t[idx] + sigma * torch.randn(n, 2, generator=g)

    a = evaluate_mog_generator(sample_fn, modes, sigma, "curve-mog", seed=3, weights=weights)
    b = evaluate_mog_generator(sample_fn, modes, sigma, "curve-mog", seed=3, weights=weights)
    assert a == b and a["n_samples"] == get_protocol("curve-mog").n_fake == 512
    assert a["modes_covered"] == 8 and a["hq_fraction"] > 0.95 and a["kl_uniform"] < 0.05
    assert a["protocol_name"] == "curve-mog" and a["seed"] == 3
    json.dumps(a)
