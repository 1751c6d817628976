"""Offline feature network for scikit-learn's digits: a small CNN classifier trained here.

The digits set (``sklearn.datasets.load_digits``: 1,797 greyscale 8x8 images with values 0..16,
10 classes) ships with scikit-learn, so FID/IS-style scores on it need no download. There is no
pretrained network for it, so this module trains one deterministically (fixed seeds, CPU,
``torch.use_deterministic_algorithms``) on a fixed train split and records its test accuracy; the
result is cached as ``$REPRO_CACHE/digits_classifier-<recipe hash>.pt`` (+ ``.json`` with the
accuracy), written atomically. The recipe hash covers everything that determines the network
(architecture version, input size, training settings, split, and the pinned sha256 of the data).

The classifier satisfies the feature-network contract of `extractor.py` (64-d penultimate
features, 10 logits), so digits FID/IS go through exactly the same `FeatureExtractor` code path as
Inception; only the network differs. Unlike Inception, the logits keep their bias: there is no
external convention to match for this network.

Determinism caveat: two trainings on the same machine give identical weights (tested); across
machines / thread counts float32 reductions may round differently, so `weights_sha256` (hash of
the actual tensors) can differ while the recipe hash -- what protocols record -- is the same.
Cached reference statistics are keyed by the actual weights.
"""

from __future__ import annotations

import json
import time
from pathlib import Path

import numpy as np
import torch
import torch.nn.functional as F
from torch import nn

from .. import data
from ..io import atomic_write, cache_dir, write_json
from .extractor import FeatureExtractor, tensor_sha256
from .images import resize
from .networks import RECIPE, recipe_hash

N_DIGITS = 1797
N_CLASSES = 10
def load_digits_uint8(resolution: int = 8, return_labels: bool = False):
    """The 1,797 digits as uint8 (N, 1, R, R), as the GAN trains on them (:func:`repro.data.digits`)."""
    source = data.digits(resolution)
    return (source.data, source.labels) if return_labels else source.data


def digits_split(seed: int = RECIPE["split_seed"], test_fraction: float = RECIPE["test_fraction"]):
    """Fixed (train_indices, test_indices) of the 1,797 digits: a seeded permutation, cut."""
    perm = np.random.default_rng(seed).permutation(N_DIGITS)
    n_test = int(round(N_DIGITS * test_fraction))
    return np.sort(perm[n_test:]), np.sort(perm[:n_test])


class DigitsNet(nn.Module):
    """Small CNN on 16x16 greyscale 0..255 inputs -> (64-d features, 10 logits)."""

    in_channels = 1

    def __init__(self, input_size: int = RECIPE["input_size"]):
        super().__init__()
        self.input_size = input_size
        self.body = nn.Sequential(
            nn.Conv2d(1, 16, 3, padding=1), nn.ReLU(),
            nn.Conv2d(16, 32, 3, stride=2, padding=1), nn.ReLU(),
            nn.Conv2d(32, 64, 3, stride=2, padding=1), nn.ReLU(),
            nn.AdaptiveAvgPool2d(1),
        )
        self.head = nn.Linear(64, N_CLASSES)

    def forward(self, x: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        feats = torch.flatten(self.body(x / 127.5 - 1.0), 1)
        return feats, self.head(feats)


def _training_images(indices: np.ndarray, recipe: dict) -> tuple[torch.Tensor, torch.Tensor]:
    """Digits at every training resolution, resized to the input size exactly as evaluation does."""
    xs, ys = [], []
    for res in recipe["train_resolutions"]:
        images, labels = load_digits_uint8(res, return_labels=True)
        xs.append(resize(images[indices], recipe["input_size"], recipe["resize"]))
        ys.append(labels[indices])
    return torch.cat(xs), torch.cat(ys)


def train_digits_classifier(recipe: dict = RECIPE) -> tuple[DigitsNet, dict]:
    """Train the classifier from scratch on the CPU, deterministically; returns (net, info).

    Uses forked, seeded RNGs (the caller's global RNG state is untouched) and deterministic
    algorithms for the duration of training.
    """
    start = time.perf_counter()
    train_idx, test_idx = digits_split(recipe["split_seed"], recipe["test_fraction"])
    x_train, y_train = _training_images(train_idx, recipe)
    previous = torch.are_deterministic_algorithms_enabled(), torch.get_num_threads()
    torch.use_deterministic_algorithms(True)
    torch.set_num_threads(recipe["threads"])
    try:
        with torch.random.fork_rng(devices=[]):
            torch.manual_seed(recipe["init_seed"])
            net = DigitsNet(recipe["input_size"])
        shuffle = torch.Generator().manual_seed(recipe["shuffle_seed"])
        opt = torch.optim.Adam(net.parameters(), lr=recipe["lr"])
        net.train()
        for _ in range(recipe["epochs"]):
            order = torch.randperm(x_train.shape[0], generator=shuffle)
            for i in range(0, len(order), recipe["batch_size"]):
                idx = order[i:i + recipe["batch_size"]]
                _, logits = net(x_train[idx])
                loss = F.cross_entropy(logits, y_train[idx])
                opt.zero_grad(set_to_none=True)
                loss.backward()
                opt.step()
        net.eval()
        accuracy = {}
        with torch.no_grad():
            for res in recipe["train_resolutions"]:
                images, labels = load_digits_uint8(res, return_labels=True)
                x = resize(images[test_idx], recipe["input_size"], recipe["resize"])
                pred = net(x)[1].argmax(1)
                accuracy[str(res)] = float((pred == labels[test_idx]).float().mean())
    finally:
        torch.use_deterministic_algorithms(previous[0])
        torch.set_num_threads(previous[1])
    info = {
        "recipe": recipe,
        "recipe_hash": recipe_hash(recipe),
        "test_accuracy": float(np.mean(list(accuracy.values()))),
        "test_accuracy_by_resolution": accuracy,
        "n_train": int(len(train_idx)),
        "n_test": int(len(test_idx)),
        "train_seconds": time.perf_counter() - start,
        "torch": torch.__version__,
    }
    info["weights_sha256"] = tensor_sha256(net)
    return net, info


def classifier_path(cache: str | Path | None = None, recipe: dict = RECIPE) -> Path:
    return cache_dir(cache) / f"digits_classifier-{recipe_hash(recipe)}.pt"


def load_digits_classifier(cache: str | Path | None = None, *, retrain: bool = False,
                           recipe: dict = RECIPE) -> tuple[DigitsNet, dict]:
    """The cached classifier for `recipe`, training and caching it first if needed."""
    path = classifier_path(cache, recipe)
    if path.is_file() and not retrain:
        blob = torch.load(path, map_location="cpu", weights_only=True)
        net = DigitsNet(recipe["input_size"])
        net.load_state_dict(blob["state_dict"])
        info = json.loads(blob["info_json"])
        info["from_cache"] = True
        return net.eval(), info
    net, info = train_digits_classifier(recipe)
    blob = {"state_dict": net.state_dict(), "info_json": json.dumps(info, sort_keys=True)}
    atomic_write(path, lambda handle: torch.save(blob, handle))
    write_json(path.with_suffix(".json"), info)
    info = dict(info, from_cache=False)
    return net, info


def digits_extractor(device: torch.device | str = "cpu", *, resize_mode: str = "clean",
                     quantize: str = "trunc", batch_size: int = 500,
                     cache: str | Path | None = None) -> FeatureExtractor:
    """FeatureExtractor around the (cached) digits classifier; identity = the recipe hash."""
    net, info = load_digits_classifier(cache)
    return FeatureExtractor(net=net, kind="digits", sha256=recipe_hash(), resize_mode=resize_mode,
                            quantize=quantize, device=device, batch_size=batch_size,
                            weights_sha256=info["weights_sha256"],
                            description="digits CNN classifier", info=info)
