"""Named evaluation protocols: every score carries the protocol it was computed under.

The same checkpoint reads ~4 FID points apart under two evaluation pipelines (see
``/work/shared/references/README.md``), so a score is meaningless without its protocol: which
network (and its exact file), how many generated and real images, which real split, how images were
quantized and resized, how IS was split, which checkpoint and which generator BN mode. A `Protocol`
records all of that; `Protocol.key()` is a stable hash of the fields that can change a score, and
`assert_comparable` refuses to compare scores whose keys differ.

Choices made for the registry (`PROTOCOLS`), with their sources:

* ``sngan`` -- SNGAN paper (Miyato et al. 2018, App. B.1 / Table 2): IS over 10 splits of 5,000
  generated samples each (50,000 in all: the authors' ``sngan_projection/evaluations/
  calc_inception_score.py`` draws ``n = 5000 * splits`` with splits = 10, and chainer-gan-lib's
  evaluation draws 50,000); FID between the first 5,000 of those and 10,000 real images. The paper does not state the
  real split; we use the CIFAR-10 *test* set (exactly 10,000 images) -- our choice, recorded here.
  We measure with the TF Inception graph, so resizing is ``legacy_tensorflow`` (the TF1 bilinear
  resize inside that graph). That is the paper's instrument for IS (the first author,
  pfnet-research/sngan_projection#26), not for FID: both lab codebases compute FID only with a
  Chainer port of Inception, so the paper's FIDs are shown and never judged (their reference rows
  name that ``instrument``; docs/fidelity.md, point 11). Images are quantized like PFN chainer-gan-lib
  (``uint8(clip(x*127.5+127.5))``) and sampled with G's BN in inference mode, as chainer-gan-lib
  samples. "5,000 examples ... repeated 10 times" is ten splits of 5,000 (not 500): with 500 per
  split p(y) is estimated worse and IS reads a few percent lower (docs/fidelity.md).
* ``50k-train`` -- 50,000 generated vs 50,000 CIFAR-10 *train* images (mimicry / StudioGAN-style
  "FID-50k" against train; TF graph -> ``legacy_tensorflow``), IS over the same 50,000 with 10
  splits. ``50k-train-best`` is the same with the best checkpoint over training (StudioGAN reports
  best; LSGAN on CIFAR-10 peaks early).
* ``digits`` -- offline: 1,000 generated digits vs all 1,797 scikit-learn digits through the
  digits classifier (`digits.py`), "clean" resize to its 16x16 input; IS over the 1,000 with 10
  splits (IS near 10 is perfect).
* ``digits-2k``, ``digits-legacy``, ``digits-round``, ``digits-gtrain``, ``digits-1split`` -- one
  field of ``digits`` changed each (2,000 samples; TF1 legacy resize; round-half-up quantisation;
  G's BN in batch-statistics mode; IS over one split): the protocol-sensitivity table of
  ``repro evaluate --protocol all`` shows how far each choice alone moves a score.
* ``mog`` -- 2,500 samples from a 2-D mixture-of-Gaussians generator (VEEGAN's count, Srivastava et
  al. 2017, Sec. 5.1); a sample is high quality within 3 sigma of its nearest mode, and a mode is
  covered when at least ``mog_min_count`` = 1 high-quality sample is nearest to it (VEEGAN's rule).
* ``curve-*`` -- cheaper versions for learning curves, comparable only with themselves.

``precision`` records the numerics of the feature network: "fp32" always (TF32 and reduced-precision
reductions off inside every extraction, `extractor.full_fp32`; issue 25). It has one allowed value,
so it cannot tell two protocols apart and stays out of the key (adding it would change every key
and orphan every published score computed, on CPUs, in exactly these numerics).

`feature_batch` (images per network forward) and `notes` are stored but excluded from the key:
they cannot change a score (batch-size independence is tested). `name` is excluded as well, so a
renamed copy with identical settings stays comparable.
"""

from __future__ import annotations

import dataclasses
import json
from dataclasses import dataclass
from typing import Any, Mapping

from .. import datasets
from ..io import stable_hash
from .networks import INCEPTION_SHA256, PRECISION, QUANTIZE_RULES, RESIZE_MODES
from .networks import recipe_hash as _digits_recipe_hash
from ..errors import UserError

__all__ = ["Protocol", "PROTOCOLS", "IncomparableScoresError", "INSTRUMENTS", "get_protocol",
           "protocols_for", "protocol_of", "assert_comparable"]

NETWORKS = ("inception", "digits", "mog")

#: The measuring instruments a reference number may have been made with (config/references:
#: column `instrument`; issue 25, point 1). A number is judged against ours only when it was made
#: with the instrument our protocol uses (:data:`INSTRUMENT_OF`); sources in docs/fidelity.md.
INSTRUMENTS = {
    "tf-inception-2015-12-05": "the TF graph of inception-2015-12-05 (OpenAI improved-gan IS, TTUR "
                               "FID, tfgan's frozen copy); NVIDIA's TorchScript of it is ours",
    "chainer-inception-port": "hvy/chainer-inception-score's port of the same weights (mattya fork in "
                              "chainer-gan-lib, source/inception in sngan_projection): another "
                              "instrument, reads real CIFAR-10 IS 12.0 where the TF graph reads 11.24",
    "pytorch-fid-port": "mseitzer/pytorch-fid's InceptionV3 (TF weights, its own resize)",
    "unknown": "the source does not say which network made the number",
    "digits-classifier": "the suite's offline digits classifier (repro.metrics.digits)",
    "none": "no network: 2-D samples scored directly (MoG)",
}
#: The instrument each network of ours is (an Inception protocol measures with the TF graph).
INSTRUMENT_OF = {"inception": "tf-inception-2015-12-05", "digits": "digits-classifier", "mog": "none"}
#: `metrics` is not in the key: which metrics a protocol computes cannot change any one score.
_NOT_IN_KEY = ("name", "notes", "feature_batch", "metrics", "precision")
#: The metric families (repro.metrics.registry) a protocol computes unless it names its own.
DEFAULT_METRICS = {"inception": ("fid", "is"), "digits": ("fid", "is"), "mog": ("mog",)}


class IncomparableScoresError(UserError, ValueError):
    """Two scores were computed under different protocols."""


@dataclass(frozen=True)
class Protocol:
    """How a score is computed. See the module docstring for the registry's choices.

    Attributes:
        name: registry name (not part of the key).
        network: "inception", "digits" or "mog" (no network: 2-D samples are scored directly).
        n_fake: generated samples for FID (and the MoG metrics): the first `n_fake` drawn.
        n_real: real images for the reference statistics (first `n_real` of `real_split`,
            in the data set's order); 0 for "mog".
        real_split: which real split the reference statistics use ("train", "test", "all", "-").
        resize: "clean" or "legacy_tensorflow" (see `images.py`); "none" for "mog".
        network_sha256: identity of the feature network: sha256 of the Inception file, the digits
            recipe hash; "" for "mog". Extractors with another identity are refused.
        is_n: generated samples used for IS: the first `is_n` drawn (0 = no IS). It may exceed
            `n_fake` (SNGAN: IS on 50,000, FID on the first 5,000); `n_generated` are drawn.
        is_splits: IS splits (in order, no shuffle).
        checkpoint: "final" or "best" (which checkpoint of a run the score belongs to).
        g_mode: generator mode while sampling: "eval" (BN running averages, as chainer-gan-lib)
            or "train" (batch statistics).
        quantize: "trunc" (chainer-gan-lib) or "round" (StyleGAN2-ADA) for float output -> uint8.
        mog_hq_sigmas: MoG high-quality radius in units of the mode sigma.
        mog_min_count: high-quality samples needed for a MoG mode to count as covered.
        feature_batch: images per network forward (not part of the key).
        notes: free text (not part of the key).
        metrics: the metric families it computes (`repro.metrics.registry`, in order); empty =
            :data:`DEFAULT_METRICS` of its network. Not part of the key: adding a metric does not
            change the others' values, so scores stay comparable.
        precision: numerics of the feature network, :data:`repro.metrics.networks.PRECISION`
            ("fp32": no TF32, no reduced-precision reductions); the only allowed value.
    """

    name: str
    network: str
    n_fake: int
    n_real: int
    real_split: str
    resize: str
    network_sha256: str
    is_n: int
    is_splits: int = 10
    checkpoint: str = "final"
    g_mode: str = "eval"
    quantize: str = "trunc"
    mog_hq_sigmas: float = 3.0
    mog_min_count: int = 1
    feature_batch: int = 200
    notes: str = ""
    metrics: tuple[str, ...] = ()
    precision: str = PRECISION

    def __post_init__(self) -> None:
        from . import registry

        problems = []
        object.__setattr__(self, "metrics", tuple(self.metrics) or DEFAULT_METRICS.get(self.network, ()))
        for m in self.metrics:
            family = registry.FAMILIES.get(m)
            if family is None:
                problems.append(f"metric family {m!r} not registered ({', '.join(registry.FAMILIES)})")
            elif self.network not in family.networks:
                problems.append(f"metric family {m!r} does not score {self.network} features")
        if self.network not in NETWORKS:
            problems.append(f"network {self.network!r} not in {NETWORKS}")
        if self.network == "mog":
            if self.resize != "none" or self.is_n or self.n_real:
                problems.append("a mog protocol has resize='none', is_n=0, n_real=0")
        elif self.resize not in RESIZE_MODES:
            problems.append(f"resize {self.resize!r} not in {RESIZE_MODES}")
        if self.quantize not in QUANTIZE_RULES:
            problems.append(f"quantize {self.quantize!r} not in {QUANTIZE_RULES}")
        if self.checkpoint not in ("final", "best"):
            problems.append(f"checkpoint {self.checkpoint!r} not in ('final', 'best')")
        if self.g_mode not in ("eval", "train"):
            problems.append(f"g_mode {self.g_mode!r} not in ('eval', 'train')")
        if self.n_fake < 2 or self.is_n < 0:
            problems.append(f"need n_fake >= 2 and is_n >= 0 (n_fake={self.n_fake}, is_n={self.is_n})")
        if self.is_n and not 1 <= self.is_splits <= self.is_n:
            problems.append(f"is_splits={self.is_splits} must be in 1..is_n")
        if self.precision != PRECISION:
            problems.append(f"precision {self.precision!r}: features are always computed in {PRECISION!r}")
        if self.feature_batch < 1:
            problems.append("feature_batch must be >= 1")
        if problems:
            raise ValueError(f"invalid protocol {self.name!r}: " + "; ".join(problems))

    @property
    def instrument(self) -> str:
        """The measuring instrument of this protocol's scores (:data:`INSTRUMENTS`)."""
        return INSTRUMENT_OF[self.network]

    @property
    def n_generated(self) -> int:
        """Samples drawn from G: FID takes the first `n_fake`, IS the first `is_n`."""
        return max(self.n_fake, self.is_n)

    def to_dict(self) -> dict[str, Any]:
        """Plain-JSON record of every field (plus the key, for readers without this code)."""
        record = dataclasses.asdict(self)
        record["key"] = self.key()
        return record

    @classmethod
    def from_dict(cls, record: Mapping[str, Any], check_key: bool = True) -> "Protocol":
        """Inverse of `to_dict`; a stored "key" must match the recomputed one (unless
        `check_key=False`, e.g. to read records written before a field was added)."""
        fields = {f.name for f in dataclasses.fields(cls)}
        unknown = set(record) - fields - {"key"}
        if unknown:
            raise ValueError(f"unknown protocol fields {sorted(unknown)}")
        protocol = cls(**{k: v for k, v in record.items() if k in fields})
        if check_key and "key" in record and record["key"] != protocol.key():
            raise ValueError(f"protocol record key {record['key']} does not match its fields "
                             f"({protocol.key()}): edited by hand or written by other code")
        return protocol

    def to_json(self) -> str:
        return json.dumps(self.to_dict(), sort_keys=True)

    @classmethod
    def from_json(cls, text: str) -> "Protocol":
        return cls.from_dict(json.loads(text))

    def key(self) -> str:
        """Stable 16-hex-digit hash of every field that can change a score."""
        record = {k: v for k, v in dataclasses.asdict(self).items() if k not in _NOT_IN_KEY}
        # floats like 3.0 and ints like 3 must hash alike whatever JSON produced them
        record = {k: (float(v) if k.startswith("mog_hq") else v) for k, v in record.items()}
        return stable_hash(record)

    def replace(self, **changes: Any) -> "Protocol":
        return dataclasses.replace(self, **changes)


def _inception(name: str, n_fake: int, n_real: int, split: str, is_n: int, **kw: Any) -> Protocol:
    return Protocol(name=name, network="inception", n_fake=n_fake, n_real=n_real, real_split=split,
                    resize=kw.pop("resize", "legacy_tensorflow"), network_sha256=INCEPTION_SHA256,
                    is_n=is_n, **kw)


# Precision/recall (k = 3) is computed by the offline final digits protocols (and their variants):
# it needs the real *features*, which for 1,797 digits cost nothing to keep. The Inception
# protocols do not compute it by default: their cache would have to keep 10,000-50,000 x 2,048
# real features (80-400 MB) instead of mean and covariance, and no paper of the suite reports
# P/R, so no verdict depends on it; the curve-* protocols do not either (their curve.csv stays as
# it was; a table that uses `digits` for its curves, sngan_digits and sagan_digits, gets two more
# curve columns, and no other value changes: FID still picks the best checkpoint).
_DIGITS = Protocol(name="digits", network="digits", n_fake=1_000, n_real=1_797, real_split="all",
                   resize="clean", network_sha256=_digits_recipe_hash(), is_n=1_000, feature_batch=500,
                   metrics=("fid", "is", "pr"),
                   notes="offline: scikit-learn digits through the digits classifier (16x16 input)")

PROTOCOLS: dict[str, Protocol] = {p.name: p for p in [
    _inception("sngan", 5_000, 10_000, "test", 50_000,
               notes="SNGAN paper: IS 10 splits x 5k (50k, authors' calc_inception_score.py); FID "
                     "first 5k generated vs 10k real (split not stated: CIFAR-10 test chosen); TF "
                     "graph -> legacy_tensorflow resize"),
    _inception("50k-train", 50_000, 50_000, "train", 50_000,
               notes="FID-50k vs CIFAR-10 train, IS 50k x 10 splits (mimicry/StudioGAN style)"),
    _inception("50k-train-best", 50_000, 50_000, "train", 50_000, checkpoint="best",
               notes="as 50k-train, best checkpoint over training"),
    _inception("sngan-stl10", 5_000, 10_000, "unlabeled", 50_000,
               notes="SNGAN paper's counts on STL-10 (IS 10 x 5k, FID 5k vs 10k); the 10k real "
                     "images come from the unlabeled split the GAN trains on (its test split has "
                     "only 8,000)"),
    _inception("curve-inception-train", 2_000, 10_000, "train", 2_000,
               notes="cheap learning-curve protocol against the training images (STL-10, image "
                     "folders); comparable only with itself"),
    _inception("curve-inception", 2_000, 10_000, "test", 2_000,
               notes="cheap learning-curve protocol: comparable only with itself"),
    _DIGITS,
    Protocol(name="curve-digits", network="digits", n_fake=500, n_real=1_797, real_split="all",
             resize="clean", network_sha256=_digits_recipe_hash(), is_n=500, feature_batch=500,
             notes="cheap learning-curve protocol for digits"),
    # one-field variants of `digits` for the protocol-sensitivity table (repro evaluate
    # --protocol all; results/protocol_sensitivity/): how far a score moves with the protocol alone
    *[dataclasses.replace(_DIGITS, name=name, notes=notes, **change) for name, change, notes in (
        ("digits-2k", {"n_fake": 2_000, "is_n": 2_000},
         "sensitivity variant of digits: 2,000 generated samples (FID and IS)"),
        ("digits-legacy", {"resize": "legacy_tensorflow"},
         "sensitivity variant of digits: TF1 legacy bilinear resize instead of clean bicubic"),
        ("digits-round", {"quantize": "round"},
         "sensitivity variant of digits: round-half-up quantisation (StyleGAN2-ADA) instead of trunc"),
        ("digits-gtrain", {"g_mode": "train"},
         "sensitivity variant of digits: G's BN with batch statistics while sampling"),
        ("digits-1split", {"is_splits": 1},
         "sensitivity variant of digits: IS over 1 split instead of 10"),
    )],
    Protocol(name="mog", network="mog", n_fake=2_500, n_real=0, real_split="-", resize="none",
             network_sha256="", is_n=0,
             notes="VEEGAN-style: 2,500 samples, HQ within 3 sigma, mode covered by >= 1 HQ sample"),
    Protocol(name="curve-mog", network="mog", n_fake=512, n_real=0, real_split="-", resize="none",
             network_sha256="", is_n=0, notes="cheap learning-curve protocol for MoG"),
]}


def get_protocol(name: str) -> Protocol:
    """The registered protocol `name` (KeyError listing the known names otherwise)."""
    try:
        return PROTOCOLS[name]
    except KeyError:
        raise KeyError(f"unknown protocol {name!r}; known: {sorted(PROTOCOLS)}") from None


def protocols_for(dataset: str) -> list[str]:
    """The registered protocols that fit `dataset`, by the registry's one rule
    (:func:`repro.datasets.fits`: the network, and a real split with at least ``n_real`` images)."""
    return [name for name, p in PROTOCOLS.items() if datasets.fits(dataset, p)]


def protocol_of(item: Any) -> Protocol:
    """The Protocol of a Protocol, a protocol record dict, or a score dict with a "protocol"."""
    if isinstance(item, Protocol):
        return item
    if isinstance(item, Mapping):
        if "protocol" in item:
            return protocol_of(item["protocol"])
        return Protocol.from_dict(item)
    raise TypeError(f"cannot find a protocol in {type(item).__name__}")


def assert_comparable(a: Any, b: Any) -> None:
    """Raise `IncomparableScoresError` unless `a` and `b` (scores or protocols) share a key."""
    pa, pb = protocol_of(a), protocol_of(b)
    if pa.key() != pb.key():
        diffs = {k: (v, getattr(pb, k)) for k, v in dataclasses.asdict(pa).items()
                 if k not in _NOT_IN_KEY and getattr(pb, k) != v}
        raise IncomparableScoresError(
            f"scores computed under different protocols ({pa.name} {pa.key()} vs {pb.name} "
            f"{pb.key()}); differing fields: {diffs}")
