"""Public entry points: score a generator (FID, IS, optional KID) or 2-D samples (MoG metrics)
under a named `Protocol`, and build the protocol's feature extractor.

Typical trainer use::

    from repro.metrics import get_protocol, preflight, build_extractor, evaluate_generator

    protocol = get_protocol("sngan")
    preflight(protocol)                      # at start-up: fails fast if weights are missing
    extractor = build_extractor(protocol, device)
    ref = reference_stats(lambda: cifar10_test_uint8(), protocol, extractor,
                          dataset="cifar10", image_shape=(3, 32, 32))
    scores = evaluate_generator(lambda n, g: G(torch.randn(n, 128, generator=g, device=g.device)),
                                protocol, ref, extractor, device, seed=0, generator_module=G)

Reproducibility rules implemented here:

* samples are drawn only from an explicit ``torch.Generator`` on `device` seeded with `seed`
  (never the global RNG), in chunks of `sample_batch` -- the image stream depends on (seed,
  sample_batch, device, G); the feature batch size does not change scores (tested);
* `sample_fn(n, generator)` must return n images, floats in [-1, 1] (or uint8), (n, C, H, W), and
  must draw *all* its randomness from `generator`;
* G is put in the protocol's mode (``eval``: BN running averages, as chainer-gan-lib) while sampling
  and restored afterwards; in ``train`` mode its buffers (BN running stats, spectral-norm vectors)
  are saved and restored so sampling leaves no trace;
* the extractor must be the protocol's network (kind, identity, resize, quantization); a missing or
  corrupt Inception file raises before any sample is drawn.
"""

from __future__ import annotations

import contextlib
import platform
import time
from typing import Any, Callable, Iterable, Iterator, Mapping

import numpy as np
import torch
from torch import nn

from .extractor import FULL_FP32, FeatureExtractor, Features
from . import registry
from .fid import feature_stats
from .images import to_uint8
from .protocol import Protocol, get_protocol
from .stats import ReferenceStats, reference_stats
from ..errors import UserError

SampleFn = Callable[[int, torch.Generator], torch.Tensor]


class ProtocolMismatchError(UserError, ValueError):
    """The extractor (or samples) do not match the protocol."""


# -- extractors ---------------------------------------------------------------------------------

def build_extractor(protocol: Protocol, device: torch.device | str = "cpu", *,
                    weights: str | None = None, cache: str | None = None,
                    batch_size: int | None = None) -> FeatureExtractor | None:
    """The protocol's feature extractor (None for "mog").

    Inception: locates and sha256-verifies the weights first (`MissingWeightsError` /
    `WeightsChecksumError`), `weights` being the explicit path / config value. Digits: loads the
    cached classifier, training it (~10-20 s on CPU) on a cache miss.
    """
    batch = batch_size or protocol.feature_batch
    if protocol.network == "inception":
        from .inception import inception_extractor

        extractor = inception_extractor(weights, resize_mode=protocol.resize, device=device,
                                        quantize=protocol.quantize, batch_size=batch)
    elif protocol.network == "digits":
        from .digits import digits_extractor

        extractor = digits_extractor(device, resize_mode=protocol.resize, quantize=protocol.quantize,
                                     batch_size=batch, cache=cache)
    else:
        return None
    check_extractor(protocol, extractor)
    return extractor


def preflight(protocol: Protocol, *, weights: str | None = None) -> dict:
    """Cheap start-up check that the protocol can be evaluated here (call before training).

    For Inception protocols this locates and verifies the weights file, raising
    `MissingWeightsError` with instructions if it is absent. Returns what was found.
    """
    if protocol.network == "inception":
        from .inception import locate_inception_weights

        return {"inception_weights": str(locate_inception_weights(weights))}
    return {}


def check_extractor(protocol: Protocol, extractor: FeatureExtractor) -> None:
    """Raise `ProtocolMismatchError` unless `extractor` is the protocol's network and preprocessing."""
    wrong = []
    if extractor.kind != protocol.network:
        wrong.append(f"network {extractor.kind!r} != {protocol.network!r}")
    if extractor.sha256 != protocol.network_sha256:
        wrong.append(f"network identity {extractor.sha256} != {protocol.network_sha256}")
    if extractor.resize_mode != protocol.resize:
        wrong.append(f"resize {extractor.resize_mode!r} != {protocol.resize!r}")
    if extractor.quantize != protocol.quantize:
        wrong.append(f"quantize {extractor.quantize!r} != {protocol.quantize!r}")
    if wrong:
        raise ProtocolMismatchError(f"extractor does not implement protocol {protocol.name!r}: "
                                    + "; ".join(wrong))


# -- sampling -----------------------------------------------------------------------------------

@contextlib.contextmanager
def generator_mode(module: nn.Module | None, mode: str) -> Iterator[None]:
    """Put `module` in "eval" or "train" mode for sampling; restore modes (and, for "train",
    all buffers, which batch-statistics forwards would otherwise update) afterwards."""
    if module is None:
        yield
        return
    flags = [(m, m.training) for m in module.modules()]
    saved = [(b, b.detach().clone()) for b in module.buffers()] if mode == "train" else []
    module.train(mode == "train")
    try:
        yield
    finally:
        with torch.no_grad():
            for buffer, value in saved:
                buffer.copy_(value)
        for m, flag in flags:
            m.training = flag


def generate(sample_fn: SampleFn, n: int, seed: int, device: torch.device | str, *,
             sample_batch: int = 250, quantize: str = "trunc",
             stats: dict | None = None) -> Iterator[torch.Tensor]:
    """Yield uint8 image chunks (<= `sample_batch` each, n in total) from `sample_fn`, drawing from
    a `torch.Generator` on `device` seeded with `seed`. Non-finite values are replaced (NaN -> 0,
    +-inf -> +-1) before quantization and counted in ``stats["nonfinite_images"]``."""
    device = torch.device(device)
    generator = torch.Generator(device=device).manual_seed(int(seed))
    if stats is not None:
        stats.setdefault("nonfinite_images", 0)
    done = 0
    while done < n:
        b = min(sample_batch, n - done)
        with torch.no_grad():
            images = sample_fn(b, generator)
        if not isinstance(images, torch.Tensor) or images.ndim != 4 or images.shape[0] != b:
            raise ValueError(f"sample_fn({b}, generator) must return a (n, C, H, W) tensor, got "
                             f"{getattr(images, 'shape', type(images))}")
        if images.is_floating_point():
            bad = ~torch.isfinite(images).flatten(1).all(dim=1)
            if bad.any():
                if stats is not None:
                    stats["nonfinite_images"] += int(bad.sum())
                images = torch.nan_to_num(images, nan=0.0, posinf=1.0, neginf=-1.0)
        yield to_uint8(images, quantize)
        done += b


# -- scoring ------------------------------------------------------------------------------------

def _resolve_reference(real: Any, protocol: Protocol, extractor: FeatureExtractor,
                       dataset: str | None, cache: str | None, want_features: bool):
    """-> (mu, sigma, reference-info dict, real features or None). Real features are returned
    when `want_features` (KID) or the protocol computes a metric that needs them (precision/
    recall): cached with the statistics (`reference_stats`) or extracted from the given images."""
    needs = registry.needs_real_features(protocol.metrics)
    kid_only = want_features and not needs  # KID on request: these images' features, uncached
    want_features = want_features or needs
    if isinstance(real, ReferenceStats):
        meta = real.meta or {}
        wrong = [f"{name} {meta[field]!r} != {value!r}" for name, field, value in (
            ("network weights", "network_weights_sha256", extractor.weights_sha256),
            ("resize", "resize", extractor.resize_mode), ("n_real", "n_real", protocol.n_real),
            ("real split", "split", protocol.real_split)) if field in meta and meta[field] != value]
        if wrong:
            raise ProtocolMismatchError("reference statistics were computed differently: "
                                        + "; ".join(wrong))
        return real.mu, real.sigma, {"key": real.key, "n": real.n, "path": real.path,
                                     "from_cache": real.from_cache}, real.features
    if isinstance(real, Mapping) and "mu" in real:
        return np.asarray(real["mu"]), np.asarray(real["sigma"]), {"n": real.get("n")}, None
    if isinstance(real, tuple) and len(real) == 2:
        return np.asarray(real[0]), np.asarray(real[1]), {}, None
    if isinstance(real, torch.Tensor):
        if real.shape[0] < protocol.n_real:
            raise ValueError(f"{real.shape[0]} real images given; protocol needs {protocol.n_real}")
        if dataset is not None and not kid_only:
            ref = reference_stats(real, protocol, extractor, dataset=dataset, cache=cache)
            return _resolve_reference(ref, protocol, extractor, None, None, False)
        feats = extractor.extract(real[:protocol.n_real]).features
        mu, sigma = feature_stats(feats)
        return mu, sigma, {"n": protocol.n_real, "computed": True}, (feats if want_features else None)
    raise TypeError("real must be ReferenceStats, {'mu','sigma'}, (mu, sigma) or a uint8 image tensor")


def score_features(fake: Features, protocol: Protocol, mu_real, sigma_real,
                   real_features: np.ndarray | None = None, kid_seed: int = 0, *,
                   kid: bool | None = None) -> dict:
    """The protocol's metrics (`Protocol.metrics`: FID over the first `n_fake`, IS over the first
    `is_n`, ...) of extracted features, dispatched through the metric registry; KID too when
    `kid` (default: when real features are given and the protocol needs none itself)."""
    families = list(protocol.metrics)
    if kid is None:
        kid = real_features is not None and not registry.needs_real_features(families)
    if kid and "kid" not in families:
        families.append("kid")
    inputs = registry.Inputs(protocol, fake=fake, mu_real=mu_real, sigma_real=sigma_real,
                             real_features=real_features, seed=kid_seed)
    return registry.compute(families, inputs)


def _record(protocol: Protocol, extractor: FeatureExtractor, device, **extra: Any) -> dict:
    return {
        "protocol": protocol.to_dict(),
        "protocol_key": protocol.key(),
        "protocol_name": protocol.name,
        "network": extractor.kind,
        "network_sha256": extractor.sha256,
        "network_weights_sha256": extractor.weights_sha256,
        "resize": extractor.resize_mode,
        "device": str(device),
        "feature_numerics": dict(FULL_FP32),  # the switches inside every extraction (full_fp32)
        "versions": {"torch": torch.__version__, "numpy": np.__version__,
                     "python": platform.python_version()},
        **extra,
    }


def sample_features(sample_fn: SampleFn, n: int, seed: int, device: torch.device | str,
                    extractor: FeatureExtractor, *, generator_module: nn.Module | None = None,
                    g_mode: str = "eval", quantize: str = "trunc",
                    sample_batch: int = 250) -> tuple[Features, dict]:
    """Features of the first `n` samples of the seeded stream (G in `g_mode` while sampling), and
    the counters of `generate` (non-finite images). The one sampling path of every generator score:
    `evaluate_generator` and `repro.scoring` (several protocols sharing one pass) both call it."""
    counters: dict = {}
    with generator_mode(generator_module, g_mode):
        chunks = generate(sample_fn, n, seed, device, sample_batch=sample_batch, quantize=quantize,
                          stats=counters)
        return extractor.extract_batches(chunks), counters


def evaluate_generator(sample_fn: SampleFn, protocol: Protocol, real: Any,
                       extractor: FeatureExtractor | None = None, device: torch.device | str = "cpu",
                       seed: int = 0, *, generator_module: nn.Module | None = None,
                       weights: str | None = None, dataset: str | None = None,
                       cache: str | None = None, sample_batch: int = 250,
                       feature_batch: int | None = None, kid: bool = False) -> dict:
    """FID, IS (and optionally KID) of `protocol.n_generated` samples of a generator (FID on
    the first `n_fake`, IS on the first `is_n`).

    Args:
        sample_fn: ``sample_fn(n, generator) -> (n, C, H, W)`` images in [-1, 1] (or uint8).
        protocol: the `Protocol` (its `network` must be "inception" or "digits").
        real: reference statistics (`ReferenceStats`, {"mu", "sigma"}, (mu, sigma)) or a uint8
            tensor of real images (statistics computed from its first `n_real`; cached when
            `dataset` is given; kept as features when `kid=True`).
        extractor: the protocol's `FeatureExtractor`; built with `build_extractor` when None
            (raising `MissingWeightsError` before any sampling if the Inception file is absent).
        device: where sampling, resizing and the network run.
        seed: seeds the sampling `torch.Generator`.
        generator_module: G, put in `protocol.g_mode` while sampling and restored afterwards.
        sample_batch: images per `sample_fn` call (part of what determines the image stream).
        feature_batch: images per network forward (default: the extractor's `batch_size`, which
            `build_extractor` sets from `protocol.feature_batch`); never changes the scores.
        kid: also compute KID (needs real images, not just statistics).

    Returns a JSON-ready dict: fid, is_mean, is_std, (kid), the protocol record and key, seed,
    counts, network identity, reference info, non-finite image count, device, versions, seconds.
    """
    start = time.perf_counter()
    if protocol.network not in ("inception", "digits"):
        raise ProtocolMismatchError(f"protocol {protocol.name!r} scores 2-D samples: use evaluate_mog")
    if extractor is None:
        extractor = build_extractor(protocol, device, weights=weights, cache=cache,
                                    batch_size=feature_batch)
    check_extractor(protocol, extractor)
    mu_r, sigma_r, ref_info, real_feats = _resolve_reference(real, protocol, extractor, dataset,
                                                             cache, want_features=kid)
    if kid and real_feats is None:
        raise ValueError("kid=True needs real images, not precomputed statistics")
    previous_batch = extractor.batch_size
    extractor.batch_size = feature_batch or extractor.batch_size
    used_batch = extractor.batch_size
    try:
        fake, counters = sample_features(sample_fn, protocol.n_generated, seed, device, extractor,
                                         generator_module=generator_module, g_mode=protocol.g_mode,
                                         quantize=protocol.quantize, sample_batch=sample_batch)
    finally:
        extractor.batch_size = previous_batch
    scores = score_features(fake, protocol, mu_r, sigma_r, real_feats, kid_seed=seed, kid=kid)
    return {**scores, **_record(protocol, extractor, device, seed=int(seed), n_fake=len(fake),
                                sample_batch=sample_batch, feature_batch=used_batch,
                                reference=ref_info, nonfinite_images=counters["nonfinite_images"],
                                seconds=time.perf_counter() - start)}


def evaluate_images(images: torch.Tensor | Iterable[torch.Tensor], protocol: Protocol, real: Any,
                    extractor: FeatureExtractor | None = None, device: torch.device | str = "cpu",
                    *, weights: str | None = None, dataset: str | None = None,
                    cache: str | None = None, kid: bool = False) -> dict:
    """Like `evaluate_generator` for a fixed set of images (uint8 or [-1, 1] float), e.g. real
    images as a sanity check. The number of images must equal `protocol.n_generated`."""
    start = time.perf_counter()
    if extractor is None:
        extractor = build_extractor(protocol, device, weights=weights, cache=cache)
    check_extractor(protocol, extractor)
    mu_r, sigma_r, ref_info, real_feats = _resolve_reference(real, protocol, extractor, dataset,
                                                             cache, want_features=kid)
    batches = [images] if isinstance(images, torch.Tensor) else images
    fake = extractor.extract_batches(to_uint8(b, protocol.quantize) for b in batches)
    if len(fake) != protocol.n_generated:
        raise ProtocolMismatchError(f"{len(fake)} images given; protocol {protocol.name!r} "
                                    f"uses {protocol.n_generated} (n_fake={protocol.n_fake}, "
                                    f"is_n={protocol.is_n})")
    scores = score_features(fake, protocol, mu_r, sigma_r, real_feats, kid=kid)
    return {**scores, **_record(protocol, extractor, device, n_fake=len(fake), reference=ref_info,
                                seconds=time.perf_counter() - start)}


def evaluate_mog(samples, modes, sigma: float, protocol: Protocol | str = "mog", *,
                 weights=None) -> dict:
    """MoG metrics (see `mog.py`) of `samples` (N, 2) under `protocol` (N must be its n_fake).

    `weights`: the target's mode weights (e.g. `repro.data.ring_mixture().weights`) to also report KL to the target.
    """
    protocol = get_protocol(protocol) if isinstance(protocol, str) else protocol
    if protocol.network != "mog":
        raise ProtocolMismatchError(f"protocol {protocol.name!r} is not a MoG protocol")
    n = len(samples)
    if n != protocol.n_fake:
        raise ProtocolMismatchError(f"{n} samples given; protocol {protocol.name!r} uses "
                                    f"n_fake={protocol.n_fake}")
    result = registry.compute(protocol.metrics, registry.Inputs(
        protocol, samples=samples, modes=modes, sigma=sigma, weights=weights))
    result.update(protocol=protocol.to_dict(), protocol_key=protocol.key(),
                  protocol_name=protocol.name, sigma=float(sigma))
    return result


def evaluate_mog_generator(sample_fn: SampleFn, modes, sigma: float,
                           protocol: Protocol | str = "mog", device: torch.device | str = "cpu",
                           seed: int = 0, *, generator_module: nn.Module | None = None,
                           weights=None, sample_batch: int = 2_500) -> dict:
    """Draw `protocol.n_fake` 2-D points from `sample_fn(n, generator)` (seeded, G in the
    protocol's mode) and score them with `evaluate_mog`."""
    protocol = get_protocol(protocol) if isinstance(protocol, str) else protocol
    generator = torch.Generator(device=torch.device(device)).manual_seed(int(seed))
    chunks = []
    with generator_mode(generator_module, protocol.g_mode), torch.no_grad():
        done = 0
        while done < protocol.n_fake:
            b = min(sample_batch, protocol.n_fake - done)
            chunks.append(sample_fn(b, generator).detach().float().cpu())
            done += b
    result = evaluate_mog(torch.cat(chunks), modes, sigma, protocol, weights=weights)
    result.update(seed=int(seed), device=str(device))
    return result
