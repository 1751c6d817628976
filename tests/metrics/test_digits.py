"""The offline digits classifier (repro.metrics.digits) and digits FID/IS through the shared
extractor path. Trains the classifier once per session into a temporary cache (~5-10 s on two
CPU cores) and once more, cache bypassed, to check determinism."""

from __future__ import annotations

import json

import numpy as np
import pytest
import torch

from repro.metrics import build_extractor, evaluate_generator, get_protocol
from repro.metrics.digits import (RECIPE, classifier_path, digits_split, load_digits_classifier,
                                  load_digits_uint8, recipe_hash, train_digits_classifier)
from repro.metrics.evaluate import evaluate_images



@pytest.fixture(scope="module")
def cache(tmp_path_factory):
    return tmp_path_factory.mktemp("digits-cache")


@pytest.fixture(scope="module")
def extractor(cache):
    protocol = get_protocol("digits")
    return build_extractor(protocol, "cpu", cache=str(cache))


def test_load_digits_uint8_resolutions():
    x8, labels = load_digits_uint8(8, return_labels=True)
    assert x8.shape == (1797, 1, 8, 8) and x8.dtype == torch.uint8 and labels.shape == (1797,)
    from sklearn.datasets import load_digits  # the reference loader (slow to import; once here)

    raw = load_digits()
    assert np.array_equal(x8[:, 0].numpy(), np.round(raw.images * 255 / 16).astype(np.uint8))
    assert np.array_equal(labels.numpy(), raw.target)
    for res in (16, 32):
        x = load_digits_uint8(res)
        assert x.shape == (1797, 1, res, res) and x.dtype == torch.uint8 and x.max() == 255


def test_classifier_is_accurate_cached_and_atomic(extractor, cache):
    info = extractor.info
    assert info["test_accuracy"] >= 0.9, info["test_accuracy_by_resolution"]
    assert extractor.sha256 == recipe_hash() == get_protocol("digits").network_sha256
    path = classifier_path(cache)
    assert path.is_file() and path.name == f"digits_classifier-{recipe_hash()}.pt"
    record = json.loads(path.with_suffix(".json").read_text())
    assert record["test_accuracy"] == info["test_accuracy"]
    assert not [p for p in path.parent.iterdir() if p.suffix == ".tmp"]
    net, again = load_digits_classifier(cache)
    assert again["from_cache"] and again["weights_sha256"] == info["weights_sha256"]
    print(f"digits classifier: test accuracy {info['test_accuracy']:.4f}, "
          f"trained in {info['train_seconds']:.1f} s")


def test_training_is_deterministic(extractor):
    state = torch.get_rng_state()
    net, info = train_digits_classifier(RECIPE)  # cache bypassed: a second, independent training
    assert torch.equal(state, torch.get_rng_state())
    assert info["weights_sha256"] == extractor.info["weights_sha256"]
    assert info["test_accuracy"] == extractor.info["test_accuracy"]


def test_digits_fid_separates_real_from_noise_and_is_near_ten(extractor):
    images = load_digits_uint8(32)
    train_idx, test_idx = digits_split(seed=5, test_fraction=0.5)
    split_a, split_b = images[train_idx[:850]], images[test_idx[:850]]
    protocol = get_protocol("digits").replace(n_fake=850, n_real=850, is_n=850)
    real_vs_real = evaluate_images(split_b, protocol, split_a, extractor)
    noise = torch.randint(0, 256, split_b.shape, generator=torch.Generator().manual_seed(0),
                          dtype=torch.uint8)
    real_vs_noise = evaluate_images(noise, protocol, split_a, extractor)
    assert real_vs_real["fid"] < 0.05 * real_vs_noise["fid"], (real_vs_real["fid"], real_vs_noise["fid"])
    assert real_vs_real["is_mean"] > 7 and real_vs_noise["is_mean"] < 3
    print(f"digits FID real/real {real_vs_real['fid']:.3f}, real/noise {real_vs_noise['fid']:.1f}, "
          f"IS real {real_vs_real['is_mean']:.2f}")


def test_digits_generator_path_at_any_resolution(extractor):
    """A 'generator' that returns random real digits (drawn with the given torch.Generator) scores
    a small FID against all 1,797 digits at every resolution; the same code path as Inception."""
    protocol = get_protocol("digits")
    reference = load_digits_uint8(8)
    scores = {}
    for res in (8, 16, 32):
        pool = load_digits_uint8(res).float() / 127.5 - 1.0  # generator-style [-1, 1] floats

        def sample_fn(n, g, pool=pool):
            return pool[torch.randint(0, len(pool), (n,), generator=g)]

        scores[res] = evaluate_generator(sample_fn, protocol, reference, extractor, "cpu", seed=0)
    noise = evaluate_generator(lambda n, g: torch.rand(n, 1, 16, 16, generator=g) * 2 - 1,
                               protocol, reference, extractor, "cpu", seed=0)
    for res, out in scores.items():
        assert out["fid"] < 0.05 * noise["fid"], (res, out["fid"], noise["fid"])
        assert out["is_mean"] > 7, (res, out["is_mean"])
        assert out["protocol_key"] == protocol.key()
