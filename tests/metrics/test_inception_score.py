"""repro.metrics.inception_score: closed forms and the direct formula."""
from __future__ import annotations

import numpy as np
import pytest

from repro.metrics import inception_score, inception_score_from_probs


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
