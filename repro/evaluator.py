"""How a run is scored: which protocol, which feature network, which real images.

The trainer's side of scoring. Beside it, :mod:`repro.metrics.evaluate` holds the metric entry
points and :mod:`repro.scoring` scores any generator (``repro evaluate``) through this module's
:func:`protocols` and :func:`sampler`.

The trainer asks for an :class:`Evaluator` before its first step, so a missing Inception file
or data split fails before any training. ``evaluator(G, "curve")`` scores G under the run's
learning-curve protocol, ``evaluator(G, "final")`` under its final protocol; both draw samples
from their own seeded generator, so evaluating never moves the training RNG.

``evaluator(G, "best")`` scores the best checkpoint under the final protocol on a *fresh* sample
stream (:func:`sample_seed`): the curve evaluations that chose it were drawn from the run's seed,
and the maximum of several noisy evaluations is biased towards luck (the winner's curse); scored
again on samples that played no part in choosing it, its score is an unbiased estimate of that
checkpoint's (issue 25, point 4; tests/test_evaluator.py shows both).
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Callable

import numpy as np
import torch
from torch import nn

from . import data, datasets
from .config import RunConfig
from .metrics import evaluate as ev, registry
from .metrics.protocol import Protocol, get_protocol

#: dataset -> (final protocol, learning-curve protocol); None: no offline metric exists. A live
#: view of the dataset registry (:mod:`repro.datasets`).
DEFAULT_PROTOCOLS = datasets.View(lambda d: tuple(d.protocols))

__all__ = ["DEFAULT_PROTOCOLS", "Evaluator", "headline_of", "make_evaluator", "preflight", "protocols",
           "sample_seed", "sampler"]

#: Evaluation kinds -> the protocol they use ("best": the final protocol, on the fresh stream).
PROTOCOL_OF = {"curve": "curve", "final": "final", "best": "final"}
#: Second word of the SeedSequence that derives the best checkpoint's stream from the run's seed.
_BEST_STREAM = 1


def sample_seed(seed: int, kind: str) -> int:
    """The seed of the sample stream that scores `kind`: the run's own seed for the curve and the
    final G; for the best checkpoint a seed derived from it (numpy SeedSequence of (seed, 1)),
    so its samples are independent of the curve samples that selected it, and still reproducible
    from the run's seed alone."""
    if kind != "best":
        return int(seed)
    return int(np.random.SeedSequence([int(seed), _BEST_STREAM]).generate_state(1)[0] & 0x7FFF_FFFF)


def protocols(cfg: RunConfig) -> dict[str, Protocol | None]:
    final, curve = DEFAULT_PROTOCOLS[cfg.dataset]
    final, curve = cfg.final_protocol or final, cfg.eval_protocol or curve
    return {"final": final and get_protocol(final), "curve": curve and get_protocol(curve)}


def headline_of(scores: dict) -> tuple[str | None, int]:
    """The metric of a score record that picks the best checkpoint, and its direction
    (+1: lower is better): the first headline metric of the registry the record has (FID for
    image protocols, modes covered for mixtures; :func:`repro.metrics.registry.headline_of`)."""
    return registry.headline_of(scores)


def preflight(cfg: RunConfig) -> None:
    """Fail now, before data or networks, if a protocol cannot be evaluated here."""
    for p in protocols(cfg).values():
        if p is not None:
            ev.preflight(p)


def _real_images(cfg: RunConfig, source: data.Source, split: str) -> Callable[[], torch.Tensor]:
    """The protocol's real split as a uint8 tensor (loaded only on a reference-stats cache miss):
    "test" is the torchvision test split; any other split is the set the run trains on
    (CIFAR-10 train, STL-10 unlabeled, the image folder, all digits)."""
    if split == "test":
        if not datasets.get(cfg.dataset).has_test_split:
            raise ValueError(f"protocol asks for a test split, and dataset {cfg.dataset} has none; "
                             f"use a protocol whose real split is its training set")
        return lambda: data.torchvision_set(cfg.dataset, cfg.resolution, cfg.data_root,
                                            cfg.download, split="test").data
    return lambda: source.data.cpu()


def sampler(G: nn.Module, n_classes: int, device: torch.device) -> Callable:
    """``sample(n, generator)``: n images of G, z (and class labels, when conditional) drawn from
    `generator` only -- the sample stream every score of G is computed on (repro.scoring too)."""
    def sample(n: int, g: torch.Generator) -> torch.Tensor:
        z = G.sample_z(n, generator=g, device=device)
        y = torch.randint(n_classes, (n,), generator=g, device=g.device).to(device) if n_classes else None
        return G(z, y)

    return sample


@dataclass
class Evaluator:
    cfg: RunConfig
    source: data.Source
    device: torch.device
    protocols: dict
    extractors: dict
    references: dict

    def __call__(self, G: nn.Module, kind: str) -> dict:
        """G's scores for `kind` ("curve", "final" or "best": see the module docstring)."""
        which = PROTOCOL_OF[kind]
        p = self.protocols[which]
        if p is None:
            return {}
        sample, device = sampler(G, self.cfg.n_classes, self.device), self.device
        seed = sample_seed(self.cfg.seed, kind)
        if p.network == "mog":
            mix = self.source.mixture
            return ev.evaluate_mog_generator(sample, mix.modes.cpu().numpy(), mix.sigma, p, device,
                                             seed=seed, generator_module=G,
                                             weights=mix.weights.cpu().numpy())
        return ev.evaluate_generator(sample, p, self.references[which], self.extractors[which], device,
                                     seed=seed, generator_module=G)


def make_evaluator(cfg: RunConfig, source: data.Source, device: torch.device) -> Evaluator:
    ps = protocols(cfg)
    extractors, refs = {}, {}
    for kind, p in ps.items():
        if p is None or p.network == "mog":
            continue
        extractors[kind] = ev.build_extractor(p, device)
        shape = tuple(source.shape)
        refs[kind] = ev.reference_stats(_real_images(cfg, source, p.real_split), p, extractors[kind],
                                        dataset=f"{cfg.dataset}-{cfg.resolution}", image_shape=shape)
    return Evaluator(cfg, source, device, ps, extractors, refs)
