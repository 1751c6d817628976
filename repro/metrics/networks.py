"""What the protocols name about their instruments, without the instruments (no torch).

The feature networks' identities (the Inception file's digest, the digits classifier's training
recipe and its hash) and the image-handling choices a protocol records (how samples are
quantized and resized, the extraction numerics). The networks and the functions that apply
these choices (:mod:`repro.metrics.inception`, :mod:`~repro.metrics.digits`,
:mod:`~repro.metrics.images`, :mod:`~repro.metrics.extractor`) import them from here, and so do
:mod:`repro.metrics.protocol` and the report, which must not need torch to read a result.
"""
from __future__ import annotations

from ..datasets import DIGITS_DATA_SHA256
from ..io import stable_hash

__all__ = ["INCEPTION_SHA256", "PRECISION", "QUANTIZE_RULES", "RECIPE", "RESIZE_MODES", "recipe_hash"]

#: NVIDIA's Inception TorchScript (repro.metrics.inception.INCEPTION_URL). Provenance: see
#: repro/metrics/inception.py's docstring (k-diffusion pins this digest for that URL).
INCEPTION_SHA256 = "f58cb9b6ec323ed63459aa4fb441fe750cfe39fafad6da5cb504a16f19e958f4"
#: The numerics every feature extraction runs under (recorded in each protocol and score).
PRECISION = "fp32"
#: float -> uint8 rules (repro.metrics.images.to_uint8) and resize modes (images.resize).
QUANTIZE_RULES = ("trunc", "round")
RESIZE_MODES = ("clean", "legacy_tensorflow")

#: How the offline digits classifier (repro.metrics.digits) is trained: its identity.
RECIPE = {
    "arch": "digits-cnn-v1: conv3x3(16) s1, conv3x3(32) s2, conv3x3(64) s2, ReLU, GAP, linear(10)",
    "input_size": 16,
    "upsample": "uint8 8x8 -> bilinear antialias -> round",  # load_digits_uint8 for R != 8
    "resize": "clean",              # how training images reach 16x16 (same function as evaluation)
    "train_resolutions": [8, 16, 32],  # generators may emit any of these; train on all three
    "split_seed": 0,
    "test_fraction": 0.2,
    "init_seed": 0,
    "shuffle_seed": 1,
    "epochs": 8,
    "batch_size": 64,
    "optimizer": "adam",
    "lr": 3e-3,
    "threads": 1,                   # single-threaded: no thread-count-dependent reductions, and
                                    # ~10x faster than 2 threads on a busy 2-core machine
    "data_sha256": DIGITS_DATA_SHA256,
}


def recipe_hash(recipe: dict = RECIPE) -> str:
    """16-hex-digit hash of the training recipe: the digits network's identity in protocols."""
    return stable_hash(recipe)
