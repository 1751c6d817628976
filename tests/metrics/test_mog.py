"""repro.metrics.mog: the mixture-of-Gaussians metrics on samples with hand-counted modes."""
from __future__ import annotations

import json
import math

import numpy as np
import pytest
import torch

from repro.data import Mixture, grid_mixture, ring_mixture
from repro.metrics import evaluate_mog, get_protocol, mog_metrics

RING = ring_mixture()  # the LSGAN official code's ring: 9 components, 8 distinct modes


def ring_modes():
    return RING.modes.double().numpy()


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
