"""The evaluation pipeline (repro.metrics): extractors, batch-size independence, offline weights
handling, reference-statistics caching, and agreement with clean-fid's own pipeline.

The real Inception file is usually absent here, so most tests use random-weight stand-ins with the
same (features, logits) contract (`repro.metrics.standins`); tests that need the real file skip
with the reason. A random-weight Inception-v3 costs ~0.1 s per 299x299 image on a 2-core CPU, so it
only sees a handful of images; `TinyNet` (a strided conv net on the same 299x299 inputs) stands in
where more images are needed.
"""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest
import torch
import torch.nn.functional as F
from torch import nn

from repro.metrics import (IncomparableScoresError, MissingWeightsError, WeightsChecksumError,
                           assert_comparable, evaluate_generator, get_protocol, preflight,
                           reference_stats)
from repro.metrics import inception as inception_mod
from repro.metrics.evaluate import ProtocolMismatchError, generate
from repro.metrics.fid import fid_from_features
from repro.metrics.images import resize_legacy_tf
from repro.metrics.standins import RandomInception, TinyNet, standin_extractor

# Our batched torch path vs clean-fid's PIL path, same images and network (TinyNet, 128 generated
# vs 128 real, 32x32 -> 299 "clean"). Measured here: |ΔFID| = 7.4e-8 on FID = 0.729 (relative
# 1e-7), max |Δfeature| = 2.4e-7 (features ~0.34). Sensitivity check: resizing *without*
# antialias gives relative |ΔFID| = 6e-3 and max |Δfeature| = 1.9e-2, so these bounds catch a
# wrong resize with a wide margin:
CLEANFID_FID_RTOL = 1e-4
CLEANFID_FEATURE_ATOL = 1e-4

_W = torch.randn(16, 3 * 8 * 8, generator=torch.Generator().manual_seed(123))



def smooth_sample_fn(n: int, g: torch.Generator) -> torch.Tensor:
    """A toy 'generator': smooth random 32x32 RGB images in [-1, 1], all randomness from `g`."""
    z = torch.randn(n, 16, generator=g, device=g.device)
    x = (z @ _W.to(g.device)).view(n, 3, 8, 8)
    return torch.tanh(F.interpolate(x, size=32, mode="bilinear", align_corners=False))


def smooth_real(n: int = 128, seed: int = 7) -> torch.Tensor:
    g = torch.Generator().manual_seed(seed)
    z = torch.randn(n, 3, 8, 8, generator=g) * 1.5
    x = torch.tanh(F.interpolate(z, size=32, mode="bilinear", align_corners=False))
    return (x * 127.5 + 127.5).clamp(0, 255).to(torch.uint8)


@pytest.fixture(scope="module")
def tiny():
    return standin_extractor(TinyNet(seed=0), batch_size=64)


def _protocol(extractor, **changes):
    """A small protocol whose network identity is the stand-in's."""
    base = get_protocol("curve-inception").replace(
        name="test", n_fake=96, n_real=128, is_n=96, is_splits=4, resize="clean",
        network_sha256=extractor.sha256, feature_batch=32)
    return base.replace(**changes)


# -- batch-size independence, determinism ------------------------------------------------------------

def test_features_do_not_depend_on_batch_size(tiny):
    images = smooth_real(70)
    tiny.batch_size = 7
    small = tiny.extract(images)
    tiny.batch_size = 64
    large = tiny.extract(images)
    assert np.allclose(small.features, large.features, rtol=1e-5, atol=1e-6)
    assert np.allclose(small.logits, large.logits, rtol=1e-5, atol=1e-6)


@pytest.fixture(scope="module")
def rinc():
    """Random-weight Inception-v3 architecture (~0.1 s per image here): a handful of images only."""
    return standin_extractor(RandomInception(seed=1), batch_size=2)


def _close(a, b, rel=1e-5):
    """Equal up to float32 round-off relative to the array's scale."""
    return np.abs(a - b).max() <= rel * np.abs(b).max()


def test_random_inception_features_do_not_depend_on_batch_size(rinc):
    images = smooth_real(4, seed=3)
    rinc.batch_size = 2
    a = rinc.extract(images)
    rinc.batch_size = 4
    b = rinc.extract(images)
    assert a.features.shape == (4, 2048) and a.logits.shape == (4, 1008)
    assert np.abs(a.features).mean() > 1e-3  # BN-calibrated: features neither vanish nor explode
    assert _close(a.features, b.features) and _close(a.logits, b.logits)


def test_scores_do_not_depend_on_feature_batch_and_are_seeded(tiny):
    protocol = _protocol(tiny)
    real = smooth_real()
    state = torch.get_rng_state()
    r16 = evaluate_generator(smooth_sample_fn, protocol, real, tiny, "cpu", seed=1, feature_batch=16)
    r50 = evaluate_generator(smooth_sample_fn, protocol, real, tiny, "cpu", seed=1, feature_batch=50)
    assert torch.equal(state, torch.get_rng_state())  # the global RNG is never used
    for key in ("fid", "is_mean", "is_std"):
        assert r16[key] == pytest.approx(r50[key], rel=1e-6, abs=1e-9), key
    other = evaluate_generator(smooth_sample_fn, protocol, real, tiny, "cpu", seed=2)
    assert other["fid"] != r16["fid"]
    assert r16["protocol"] == protocol.to_dict() and r16["seed"] == 1 and r16["n_fake"] == 96
    json.dumps(r16)  # JSON-ready


def test_sample_fn_contract_and_nonfinite_images(tiny):
    protocol = _protocol(tiny)
    with pytest.raises(ValueError, match="sample_fn"):
        evaluate_generator(lambda n, g: torch.zeros(n, 3, 32), protocol, smooth_real(), tiny)

    def with_nan(n, g):
        x = smooth_sample_fn(n, g)
        x[0, 0, 0, 0] = float("nan")
        return x

    out = evaluate_generator(with_nan, protocol, smooth_real(), tiny, sample_batch=32)
    assert out["nonfinite_images"] == 3  # one per chunk of 32


def test_generator_mode_is_applied_and_restored(tiny):
    class G(nn.Module):
        def __init__(self):
            super().__init__()
            self.lin = nn.Linear(16, 3 * 8 * 8)
            self.bn = nn.BatchNorm1d(3 * 8 * 8)

        def forward(self, z):
            x = self.bn(self.lin(z)).view(-1, 3, 8, 8)
            return torch.tanh(F.interpolate(x, size=32, mode="bilinear", align_corners=False))

    g_net = G().train()
    seen = []

    def sample_fn(n, g):
        seen.append(g_net.training)
        return g_net(torch.randn(n, 16, generator=g))

    protocol = _protocol(tiny)
    evaluate_generator(sample_fn, protocol, smooth_real(), tiny, generator_module=g_net)
    assert seen and not any(seen) and g_net.training  # eval while sampling, restored after
    before = {k: v.clone() for k, v in g_net.state_dict().items()}
    seen.clear()
    evaluate_generator(sample_fn, protocol.replace(g_mode="train"), smooth_real(), tiny,
                       generator_module=g_net.eval())
    assert all(seen) and not g_net.training
    for k, v in g_net.state_dict().items():  # BN running stats untouched by train-mode sampling
        assert torch.equal(v, before[k]), k


def test_extractor_must_match_protocol(tiny):
    with pytest.raises(ProtocolMismatchError, match="identity"):
        evaluate_generator(smooth_sample_fn, get_protocol("sngan"), smooth_real(), tiny)
    with pytest.raises(ProtocolMismatchError, match="resize"):
        evaluate_generator(smooth_sample_fn, _protocol(tiny, resize="legacy_tensorflow"),
                           smooth_real(), tiny)


def test_scores_of_different_protocols_cannot_be_compared(tiny):
    real = smooth_real()
    a = evaluate_generator(smooth_sample_fn, _protocol(tiny), real, tiny)
    b = evaluate_generator(smooth_sample_fn, _protocol(tiny, n_fake=64, is_n=64), real, tiny)
    assert_comparable(a, evaluate_generator(smooth_sample_fn, _protocol(tiny), real, tiny, seed=5))
    with pytest.raises(IncomparableScoresError):
        assert_comparable(a, b)


def test_kid_is_reported_when_real_images_are_given(tiny):
    out = evaluate_generator(smooth_sample_fn, _protocol(tiny), smooth_real(), tiny, kid=True)
    assert "kid" in out and np.isfinite(out["kid"])


# -- offline weights ---------------------------------------------------------------------------------

@pytest.fixture
def no_weights(tmp_path, monkeypatch):
    """Every search location points into an empty temporary directory."""
    monkeypatch.delenv(inception_mod.WEIGHTS_ENV, raising=False)
    monkeypatch.setenv("REPRO_CACHE", str(tmp_path / "cache"))
    monkeypatch.setattr(inception_mod, "CLEANFID_PATH", tmp_path / "tmp" / inception_mod.INCEPTION_FILENAME)
    return tmp_path


def test_missing_weights_raise_before_any_sampling(no_weights):
    calls = []

    def sample_fn(n, g):
        calls.append(n)
        raise AssertionError("must not be called")

    explicit = no_weights / "configured" / "inception.pt"
    with pytest.raises(MissingWeightsError) as info:
        evaluate_generator(sample_fn, get_protocol("sngan"), (np.zeros(2048), np.eye(2048)),
                           weights=str(explicit))
    assert calls == []
    message = str(info.value)
    for needle in ("inception-2015-12-05.pt", inception_mod.INCEPTION_SHA256, inception_mod.INCEPTION_URL,
                   str(explicit), str(no_weights / "cache" / "inception-2015-12-05.pt"),
                   str(inception_mod.CLEANFID_PATH), "REPRO_INCEPTION", "REPRO_CACHE"):
        assert needle in message, needle
    assert isinstance(info.value, FileNotFoundError)
    with pytest.raises(MissingWeightsError):
        preflight(get_protocol("sngan"))


def test_truncated_weights_are_detected_and_never_used(no_weights, monkeypatch):
    bad = no_weights / "cache" / "inception-2015-12-05.pt"
    bad.parent.mkdir(parents=True)
    bad.write_bytes(b"not the network")
    calls = []
    with pytest.raises(WeightsChecksumError) as info:
        evaluate_generator(lambda n, g: calls.append(n), get_protocol("sngan"),
                           (np.zeros(2048), np.eye(2048)))
    assert calls == [] and str(bad) in str(info.value)
    assert inception_mod.INCEPTION_SHA256 in str(info.value)
    # $REPRO_INCEPTION comes before the cache directory in the search order.
    other = no_weights / "env.pt"
    other.write_bytes(b"x" * 100)
    monkeypatch.setenv("REPRO_INCEPTION", str(other))
    with pytest.raises(WeightsChecksumError, match="env.pt"):
        inception_mod.locate_inception_weights()
    # A file with the expected digest is accepted (digest substituted: the real file is absent).
    good = inception_mod.verify_weights(other, expected=inception_mod.sha256_file(other))
    assert good == other


def _real_weights():
    try:
        return inception_mod.locate_inception_weights()
    except (MissingWeightsError, WeightsChecksumError) as err:
        pytest.skip(f"real Inception weights unavailable: {str(err).splitlines()[0]}")


def test_real_inception_matches_cleanfid_and_stylegan2_ada_conventions(tmp_path):
    path = _real_weights()
    from cleanfid.inception_torchscript import InceptionV3W

    from repro.metrics.inception import INCEPTION_FILENAME, NvidiaInception

    folder = path.parent
    if path.name != INCEPTION_FILENAME:  # InceptionV3W takes a directory and a fixed file name
        (tmp_path / INCEPTION_FILENAME).symlink_to(path)
        folder = tmp_path
    images = smooth_real(4).float()
    clean = NvidiaInception(path, resize_inside=False)
    legacy = NvidiaInception(path, resize_inside=True)
    ref = InceptionV3W(str(folder), download=False, resize_inside=False).eval()
    x299 = F.interpolate(images, size=299, mode="bicubic", antialias=True, align_corners=False)
    with torch.no_grad():
        feats, logits = clean(x299)
        assert _close(feats.numpy(), ref(x299).numpy())  # clean-fid's clean path
        lfeats, llogits = legacy(images)
        # Our TF-legacy resize + (x - 128) / 128 reproduces the TorchScript's internal ones.
        assert _close(lfeats.numpy(), clean(resize_legacy_tf(images, 299))[0].numpy(), rel=1e-4)
        probs = legacy.base(images, no_output_bias=True)  # what StyleGAN2-ADA's IS uses
        assert torch.allclose(torch.softmax(llogits, 1), probs, atol=1e-6)
    assert feats.shape == (4, 2048) and logits.shape == (4, 1008)


# -- reference statistics cache -------------------------------------------------------------------------

def test_reference_stats_are_computed_once_and_cached(tiny, tmp_path):
    calls = []

    def load():
        calls.append(1)
        return smooth_real(128)

    protocol = _protocol(tiny)
    first = reference_stats(load, protocol, tiny, dataset="toy", image_shape=(3, 32, 32), cache=tmp_path)
    path = Path(first.path)
    assert not first.from_cache and path.is_file() and path.parent == tmp_path / "stats"
    mtime = path.stat().st_mtime_ns
    second = reference_stats(load, protocol, tiny, dataset="toy", image_shape=(3, 32, 32), cache=tmp_path)
    assert second.from_cache and calls == [1] and path.stat().st_mtime_ns == mtime
    assert np.array_equal(first.mu, second.mu) and np.array_equal(first.sigma, second.sigma)
    assert second.meta["created_by_protocol"]["key"] == protocol.key()
    assert not [p for p in path.parent.iterdir() if p.suffix == ".tmp"]  # atomic: no leftovers
    # The real side's key changes with what affects it...
    for changed in (protocol.replace(n_real=100), protocol.replace(real_split="train")):
        other = reference_stats(load, changed, tiny, dataset="toy", image_shape=(3, 32, 32), cache=tmp_path)
        assert not other.from_cache and other.key != first.key
    assert reference_stats(load, protocol, tiny, dataset="toy2", image_shape=(3, 32, 32),
                           cache=tmp_path).key != first.key
    # ...but not with generated-side fields (n_fake, IS splits).
    same = reference_stats(load, protocol.replace(n_fake=64, is_n=64), tiny, dataset="toy",
                           image_shape=(3, 32, 32), cache=tmp_path)
    assert same.from_cache and same.key == first.key
    # Used by evaluate_generator as-is; same FID as from the raw real images.
    a = evaluate_generator(smooth_sample_fn, protocol, second, tiny)
    b = evaluate_generator(smooth_sample_fn, protocol, smooth_real(128), tiny)
    assert a["fid"] == pytest.approx(b["fid"], rel=1e-9) and a["reference"]["from_cache"]


def test_evaluate_generator_caches_stats_when_dataset_is_named(tiny, tmp_path):
    protocol = _protocol(tiny)
    out = evaluate_generator(smooth_sample_fn, protocol, smooth_real(), tiny, dataset="toy", cache=tmp_path)
    assert not out["reference"]["from_cache"]
    again = evaluate_generator(smooth_sample_fn, protocol, smooth_real(), tiny, dataset="toy", cache=tmp_path)
    assert again["reference"]["from_cache"] and again["fid"] == out["fid"]


# -- agreement with clean-fid's own pipeline --------------------------------------------------------------

@pytest.mark.filterwarnings("ignore:The `disp` argument is deprecated:DeprecationWarning")
def test_our_batched_path_agrees_with_cleanfid_pipeline(tiny):
    from repro.metrics.compare import cleanfid_features, cleanfid_fid

    n, batch, seed = 128, 32, 3
    real = smooth_real(128)
    protocol = _protocol(tiny, n_fake=n, is_n=n)
    ours = evaluate_generator(smooth_sample_fn, protocol, real, tiny, "cpu", seed=seed, sample_batch=batch)
    fake_c, real_c = cleanfid_features(smooth_sample_fn, real, tiny, n=n, seed=seed, batch_size=batch)
    ours_fake = tiny.extract_batches(generate(smooth_sample_fn, n, seed, "cpu", sample_batch=batch)).features
    assert np.abs(ours_fake - fake_c).max() < CLEANFID_FEATURE_ATOL
    assert np.abs(tiny.extract(real).features - real_c).max() < CLEANFID_FEATURE_ATOL
    assert fid_from_features(fake_c, real_c) == pytest.approx(ours["fid"], rel=CLEANFID_FID_RTOL)
    try:
        theirs = cleanfid_fid(smooth_sample_fn, real, tiny, n=n, seed=seed, batch_size=batch)
    except TypeError as err:  # clean-fid's sqrtm(disp=False) on SciPy >= 1.18
        pytest.skip(f"clean-fid's compute_fid cannot run here: {err}")
    assert abs(theirs - ours["fid"]) <= CLEANFID_FID_RTOL * ours["fid"], (theirs, ours["fid"])


def test_random_inception_features_agree_with_cleanfid_resize_path(rinc):
    from repro.metrics.compare import cleanfid_features

    rinc.batch_size = 4
    fake_c, _ = cleanfid_features(smooth_sample_fn, smooth_real(4), rinc, n=4, seed=0, batch_size=4)
    ours = rinc.extract_batches(generate(smooth_sample_fn, 4, 0, "cpu", sample_batch=4))
    # PIL vs torch antialiased bicubic differ by <= ~6e-4 grey levels; through 17 random blocks
    # that stays a relative 1e-3 of the feature scale.
    assert _close(ours.features, fake_c, rel=1e-3)


def test_reference_stats_from_another_network_or_protocol_are_refused(tiny, tmp_path):
    protocol = _protocol(tiny)
    ref = reference_stats(smooth_real(), protocol, tiny, dataset="toy", cache=tmp_path)
    other = standin_extractor(TinyNet(seed=1), batch_size=64)
    with pytest.raises(ProtocolMismatchError, match="network weights"):
        evaluate_generator(smooth_sample_fn, _protocol(other), ref, other)
    with pytest.raises(ProtocolMismatchError, match="n_real"):
        evaluate_generator(smooth_sample_fn, protocol.replace(n_real=100), ref, tiny)


def test_is_over_more_samples_than_fid(tiny):
    """SNGAN's protocol scores IS on 10 x 5,000 samples but FID on the first 5,000 only: with
    is_n > n_fake, FID must equal the FID of the first n_fake samples of the same stream, and IS
    the IS of all is_n (each computed here from the features directly)."""
    from repro.metrics.inception_score import inception_score

    real = smooth_real(128)
    wide = _protocol(tiny, n_fake=48, is_n=96, is_splits=4)
    assert wide.n_generated == 96
    scores = evaluate_generator(smooth_sample_fn, wide, real, tiny, seed=3, sample_batch=32)
    fake = tiny.extract_batches(generate(smooth_sample_fn, 96, 3, "cpu", sample_batch=32))
    real_feats = tiny.extract(real).features
    assert scores["n_fake"] == 96
    assert _close(scores["fid"], fid_from_features(fake.features[:48], real_feats))
    assert not _close(scores["fid"], fid_from_features(fake.features, real_feats))
    assert _close(scores["is_mean"], inception_score(fake.logits, 4)[0])
