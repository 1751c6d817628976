"""FID, Inception Score, KID and mixture-of-Gaussians metrics under named, recorded protocols.

Modules: `fid` (Fréchet/kernel distances, float64, no scipy.linalg.sqrtm), `inception_score`,
`images` (uint8 quantization, clean / legacy-TF resizing), `extractor` (the single feature
extraction path), `inception` (NVIDIA's Inception TorchScript, offline, sha256-verified), `digits`
(offline digits classifier), `mog` (mode-collapse metrics), `protocol` (named protocols, keys,
comparability), `stats` (cached reference statistics), `evaluate` (entry points), `compare`
(clean-fid cross-checks), `standins` (random-weight networks for tests), `registry` (every metric
with its metadata; the families in `families/`, e.g. improved precision/recall, register there),
`networks` (what protocols name about their instruments, without torch).
"""

import importlib

#: Where each public name lives; imported on first access (PEP 562), so that importing
#: ``repro.metrics.registry`` or ``repro.metrics.protocol`` -- what the report reads -- does not
#: import the torch pipeline (``evaluate``, ``extractor``, ``inception``, ``stats``).
_HOME = {
    **dict.fromkeys(("build_extractor", "check_extractor", "evaluate_generator", "evaluate_images",
                     "evaluate_mog", "evaluate_mog_generator", "preflight", "ProtocolMismatchError"),
                    "evaluate"),
    **dict.fromkeys(("FeatureExtractor", "Features"), "extractor"),
    **dict.fromkeys(("feature_stats", "frechet_distance", "kernel_distance"), "fid"),
    **dict.fromkeys(("INCEPTION_SHA256", "INCEPTION_URL", "MissingWeightsError", "WeightsChecksumError",
                     "locate_inception_weights"), "inception"),
    "mog_metrics": "mog",
    **dict.fromkeys(("PROTOCOLS", "IncomparableScoresError", "Protocol", "assert_comparable",
                     "get_protocol"), "protocol"),
    **dict.fromkeys(("ReferenceStats", "reference_stats"), "stats"),
}

# Imported now (numpy and scipy only): the function ``inception_score`` must win over its
# submodule's name, which a later ``import repro.metrics.inception_score`` would bind here.
from .inception_score import inception_score, inception_score_from_probs  # noqa: E402

__all__ = sorted([*_HOME, "inception_score", "inception_score_from_probs"])


def __getattr__(name: str):
    if name not in _HOME:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    return getattr(importlib.import_module(f".{_HOME[name]}", __name__), name)


def __dir__() -> list[str]:
    return sorted(set(globals()) | set(_HOME))
