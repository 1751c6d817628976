"""`score_features` / `evaluate_mog` dispatch through the registry to each family's function."""
import numpy as np
import pytest

from repro.data import ring_mixture
from repro.metrics.evaluate import evaluate_mog, score_features
from repro.metrics.extractor import Features
from repro.metrics.families.precision_recall import precision_recall
from repro.metrics.fid import feature_stats, frechet_distance, kernel_distance
from repro.metrics.inception_score import inception_score
from repro.metrics.mog import mog_metrics
from repro.metrics.protocol import get_protocol


def _features(seed, n=40, d=6, shift=0.0):
    rng = np.random.default_rng(seed)
    return Features(rng.normal(size=(n, d)) + shift, rng.normal(size=(n, 10)))


def test_digits_protocol_scores_fid_is_and_precision_recall_in_order():
    p = get_protocol("digits").replace(n_fake=30, is_n=40, is_splits=4, n_real=50)
    fake, real = _features(0), _features(1, n=50, shift=0.5).features
    mu, sigma = feature_stats(real)
    out = score_features(fake, p, mu, sigma, real)
    assert list(out) == ["fid", "is_mean", "is_std", "precision", "recall"]  # no KID unless asked
    assert out["fid"] == frechet_distance(*feature_stats(fake.features[:30]), mu, sigma)
    assert (out["is_mean"], out["is_std"]) == inception_score(fake.logits[:40], 4)
    assert (out["precision"], out["recall"]) == precision_recall(real, fake.features[:30])


def test_kid_on_request_and_is_none_without_is_samples():
    p = get_protocol("curve-digits").replace(n_fake=30, is_n=0, n_real=50)
    fake, real = _features(2), _features(3, n=50).features
    mu, sigma = feature_stats(real)
    out = score_features(fake, p, mu, sigma, real)           # real features given: KID, as before
    assert list(out) == ["fid", "is_mean", "is_std", "kid"] and out["is_mean"] is None
    assert out["kid"] == kernel_distance(fake.features[:30], real, seed=0)
    assert "kid" not in score_features(fake, p, mu, sigma, real, kid=False)


def test_precision_recall_without_real_features_is_a_clear_error():
    p = get_protocol("digits").replace(n_fake=30, is_n=30, is_splits=3)
    with pytest.raises(ValueError, match="'digits' computes pr, which needs the real features"):
        score_features(_features(4), p, np.zeros(6), np.eye(6))


def test_mog_protocol_dispatches_to_the_mode_metrics():
    mix = ring_mixture()
    samples = mix.modes.numpy()[np.arange(2500) % 8] + 0.001
    out = evaluate_mog(samples, mix.modes.numpy(), mix.sigma, "mog", weights=mix.weights.numpy())
    want = mog_metrics(samples, mix.modes.numpy(), mix.sigma, weights=mix.weights.numpy())
    assert {k: out[k] for k in want} == want and out["modes_covered"] == 8
