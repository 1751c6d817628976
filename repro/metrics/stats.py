"""Reference (real-data) statistics, computed once per (data, network, preprocessing) and cached.

Files: ``$REPRO_CACHE/stats/<dataset>-<split>-<key>.npz`` holding ``mu``, ``sigma`` (float64),
``n``, a JSON ``meta`` record and, when a protocol computes a metric that needs them
(precision/recall), the real ``features`` (a file without them is recomputed then, identically), written atomically (temp file + fsync + ``os.replace``).

The key hashes exactly what determines the statistics: the data set name and split, the number of
real images (the first `n_real` of the split, in the data set's order), their shape, the feature
network (the actual weights' sha256 -- for the digits classifier this can differ between machines,
see `digits.py`), its kind, the resize mode, and a format version. Fields of the protocol that only
affect the generated side (n_fake, IS splits, checkpoint, G mode, quantization of float output)
are deliberately *not* in it, so e.g. ``sngan`` and ``curve-inception`` share the CIFAR-10 test
statistics. The protocol that created the file is stored in ``meta`` for provenance.
"""

from __future__ import annotations

import io
import json
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable, Union

import numpy as np
import torch

from ..io import atomic_write, cache_dir, stable_hash
from .extractor import FeatureExtractor
from .fid import feature_stats
from . import registry
from .protocol import Protocol

STATS_VERSION = 1
RealImages = Union[torch.Tensor, Callable[[], torch.Tensor]]


@dataclass
class ReferenceStats:
    """Mean/covariance of real features, with where they came from."""

    mu: np.ndarray
    sigma: np.ndarray
    n: int
    key: str = ""
    path: str = ""
    from_cache: bool = False
    meta: dict = field(default_factory=dict)
    #: the real features themselves, kept when the protocol computes a metric that needs them
    #: (precision/recall; `repro.metrics.registry`), else None
    features: np.ndarray | None = None


def stats_key(protocol: Protocol, extractor: FeatureExtractor, dataset: str, split: str,
              image_shape: tuple[int, ...] | None) -> tuple[str, dict]:
    """(key, record) for the reference statistics described in the module docstring."""
    record = {
        "version": STATS_VERSION,
        "dataset": dataset,
        "split": split,
        "n_real": protocol.n_real,
        "image_shape": list(image_shape) if image_shape is not None else None,
        "network": extractor.kind,
        "network_weights_sha256": extractor.weights_sha256,
        "resize": extractor.resize_mode,
    }
    return stable_hash(record), record


def compute_stats(images: torch.Tensor, extractor: FeatureExtractor) -> tuple[np.ndarray, np.ndarray]:
    """mu, sigma of the extractor's features of `images` (uint8 or [-1, 1] float, (N, C, H, W))."""
    return feature_stats(extractor.extract(images).features)


def reference_stats(real: RealImages, protocol: Protocol, extractor: FeatureExtractor, *,
                    dataset: str, split: str | None = None, image_shape: tuple[int, ...] | None = None,
                    cache: str | Path | None = None, refresh: bool = False) -> ReferenceStats:
    """Cached reference statistics of the first `protocol.n_real` real images.

    Args:
        real: uint8 tensor (N, C, H, W), or a zero-argument callable returning one -- called only
            on a cache miss, so cached runs never load the data set.
        dataset: data set name (part of the key), e.g. "cifar10", "stl10-48", "digits-32".
        split: real split (defaults to `protocol.real_split`).
        image_shape: (C, H, W) of the real images, part of the key; required when `real` is a
            callable (so the key is known without loading), taken from the tensor otherwise.
        cache: cache directory (default `$REPRO_CACHE`); files go to its ``stats/`` folder.
        refresh: recompute even if the file exists.
    """
    split = protocol.real_split if split is None else split
    if image_shape is None:
        if callable(real):
            raise ValueError("pass image_shape=(C, H, W) when `real` is a callable")
        image_shape = tuple(real.shape[1:])
    key, record = stats_key(protocol, extractor, dataset, split, tuple(image_shape))
    path = cache_dir(cache) / "stats" / f"{dataset}-{split}-{key}.npz"
    want_features = registry.needs_real_features(protocol.metrics)
    if path.is_file() and not refresh:
        with np.load(path) as data:
            if not want_features or "features" in data:  # else: recompute, now with the features
                meta = json.loads(str(data["meta"]))
                feats = data["features"] if want_features else None
                return ReferenceStats(data["mu"], data["sigma"], int(data["n"]), key, str(path), True,
                                      meta, feats)

    images = real() if callable(real) else real
    if images.shape[0] < protocol.n_real:
        raise ValueError(f"{dataset}/{split} has {images.shape[0]} images; protocol "
                         f"{protocol.name} needs n_real={protocol.n_real}")
    if tuple(images.shape[1:]) != tuple(image_shape):
        raise ValueError(f"real images are {tuple(images.shape[1:])}, key says {tuple(image_shape)}")
    start = time.perf_counter()
    feats = extractor.extract(images[:protocol.n_real]).features
    mu, sigma = feature_stats(feats)
    meta = dict(record, key=key, created_by_protocol=protocol.to_dict(),
                seconds=time.perf_counter() - start, network_sha256=extractor.sha256)

    def write(handle):
        buffer = io.BytesIO()  # np.savez seeks; build in memory, then write the bytes
        extra = {"features": feats} if want_features else {}
        np.savez(buffer, mu=mu, sigma=sigma, n=np.int64(protocol.n_real), meta=json.dumps(meta), **extra)
        handle.write(buffer.getvalue())

    atomic_write(path, write)
    return ReferenceStats(mu, sigma, protocol.n_real, key, str(path), False, meta,
                          feats if want_features else None)
