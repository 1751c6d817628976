"""Inception Score (Salimans et al. 2016) over the first ``protocol.is_n`` generated samples in
``protocol.is_splits`` splits (`repro.metrics.inception_score`: the StyleGAN2-ADA / torch-fidelity
convention); None when the protocol computes no IS (``is_n = 0``)."""
from ..inception_score import inception_score as _inception_score
from ..registry import Inputs, Metric, register


@register("is", [Metric("is_mean", "higher", decimals=2, label="IS", panel="image"),
                 Metric("is_std", None, label="IS std over splits")],
          networks=("inception", "digits"), about="Inception Score (mean and std over splits)")
def inception_score(inputs: Inputs) -> dict:
    p = inputs.protocol
    if not p.is_n:
        return {"is_mean": None, "is_std": None}
    mean, std = _inception_score(inputs.fake.logits[:p.is_n], p.is_splits)
    return {"is_mean": mean, "is_std": std}
