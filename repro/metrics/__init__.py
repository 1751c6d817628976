"""FID, Inception Score, KID and mixture-of-Gaussians metrics under named, recorded protocols.

Modules: `fid` (Fréchet/kernel distances, float64, no scipy.linalg.sqrtm), `inception_score`,
`images` (uint8 quantization, clean / legacy-TF resizing), `extractor` (the single feature
extraction path), `inception` (NVIDIA's Inception TorchScript, offline, sha256-verified), `digits`
(offline digits classifier), `mog` (mode-collapse metrics), `protocol` (named protocols, keys,
comparability), `stats` (cached reference statistics), `evaluate` (entry points), `compare`
(clean-fid cross-checks), `standins` (random-weight networks for tests), `registry` (every metric
with its metadata; the families in `families/`, e.g. improved precision/recall, register there).
"""

from .evaluate import (build_extractor, check_extractor, evaluate_generator, evaluate_images,
                       evaluate_mog, evaluate_mog_generator, preflight, ProtocolMismatchError)
from .extractor import FeatureExtractor, Features
from .fid import feature_stats, frechet_distance, kernel_distance
from .inception import (INCEPTION_SHA256, INCEPTION_URL, MissingWeightsError, WeightsChecksumError,
                        locate_inception_weights)
from .inception_score import inception_score, inception_score_from_probs
from .mog import mog_metrics
from .protocol import (PROTOCOLS, IncomparableScoresError, Protocol, assert_comparable,
                       get_protocol)
from .stats import ReferenceStats, reference_stats

__all__ = [
    "INCEPTION_SHA256", "INCEPTION_URL", "PROTOCOLS", "FeatureExtractor", "Features",
    "IncomparableScoresError", "MissingWeightsError", "Protocol", "ProtocolMismatchError",
    "ReferenceStats", "WeightsChecksumError", "assert_comparable", "build_extractor",
    "check_extractor", "evaluate_generator", "evaluate_images", "evaluate_mog",
    "evaluate_mog_generator", "feature_stats", "frechet_distance", "get_protocol",
    "inception_score", "inception_score_from_probs", "kernel_distance", "locate_inception_weights",
    "mog_metrics", "preflight", "reference_stats",
]
