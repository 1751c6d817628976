"""Inception Score (Salimans et al. 2016, "Improved Techniques for Training GANs", Sec. 4):

    IS = exp( E_x KL( p(y|x) || p(y) ) ),   p(y) = E_x p(y|x).

Convention (the one StyleGAN2-ADA's `metrics/inception_score.py` uses to match OpenAI's original
`improved-gan/inception_score/model.py`, and torch-fidelity's "logits_unbiased"):

* the N samples are cut into `splits` consecutive parts, in the order given (no shuffling:
  shuffling changes the std), part i = samples[i*N//splits : (i+1)*N//splits];
* within a part, p(y) is the mean of p(y|x) over that part, and the part's score is
  exp(mean over the part of KL(p(y|x) || p(y)));
* the result is (mean, std) over the parts, std with ddof=0 (`np.std`).

For the Inception network p(y|x) = softmax(pool3 features @ W_outputᵀ) over 1008 classes with
*no* output bias (see `inception.py`); this module only sees logits or probabilities.
Everything is computed in float64.
"""

from __future__ import annotations

import numpy as np
from scipy.special import log_softmax, rel_entr


def _split_scores(probs: np.ndarray, splits: int) -> np.ndarray:
    n = probs.shape[0]
    if splits < 1 or n < splits:
        raise ValueError(f"need at least one sample per split: N={n}, splits={splits}")
    scores = []
    for i in range(splits):
        part = probs[i * n // splits:(i + 1) * n // splits]
        marginal = part.mean(axis=0, keepdims=True)
        # rel_entr(p, q) = p log(p/q) with 0 log 0 = 0, so exact one-hot rows are fine.
        kl = rel_entr(part, marginal).sum(axis=1)
        scores.append(np.exp(kl.mean()))
    return np.asarray(scores)


def inception_score_from_probs(probs, splits: int = 10) -> tuple[float, float]:
    """IS (mean, std over splits) from class probabilities (N, K); rows must sum to 1."""
    p = np.asarray(probs, dtype=np.float64)
    if p.ndim != 2:
        raise ValueError(f"probabilities must be (N, K), got {p.shape}")
    if not np.allclose(p.sum(axis=1), 1.0, atol=1e-4) or (p < 0).any():
        raise ValueError("rows of `probs` must be probability vectors (did you pass logits?)")
    scores = _split_scores(p, splits)
    return float(scores.mean()), float(scores.std())


def inception_score(logits, splits: int = 10) -> tuple[float, float]:
    """IS (mean, std over splits) from logits (N, K): p(y|x) = softmax(logits) in float64."""
    z = np.asarray(logits, dtype=np.float64)
    if z.ndim != 2:
        raise ValueError(f"logits must be (N, K), got {z.shape}")
    probs = np.exp(log_softmax(z, axis=1))
    scores = _split_scores(probs, splits)
    return float(scores.mean()), float(scores.std())
