"""Mode-collapse metrics of 2-D mixture-of-Gaussians samples (VEEGAN Sec. 5.1; `repro.metrics.mog`
has the definitions): modes covered picks the best checkpoint; ``modes_covered_strict`` is
recorded, not judged (our threshold, no paper's)."""
from ..mog import mog_metrics
from ..registry import Inputs, Metric, register


@register("mog", [
    Metric("modes_covered", "higher", decimals=2, label="modes", curve_label="modes covered",
           headline=True, panel="mog", overview=True),
    Metric("modes_covered_strict", None, label="strict modes"),
    Metric("hq_fraction", "higher", decimals=3, label="HQ", curve_label="high-quality fraction",
           panel="mog", overview=True),
    Metric("kl_uniform", "lower", decimals=3, label="KL(u)", curve_label="KL(modes || uniform)",
           overview=True),
    Metric("kl_target", "lower", decimals=3, label="KL(target)", curve_label="KL(modes || target)"),
    Metric("top_mode_share", "lower", decimals=3, label="top-mode share",
           curve_label="top-mode share (all samples)", overview=True),
], networks=("mog",), about="mixture-of-Gaussians mode coverage, quality and balance")
def mog(inputs: Inputs) -> dict:
    p = inputs.protocol
    return mog_metrics(inputs.samples, inputs.modes, inputs.sigma, weights=inputs.weights,
                       hq_sigmas=p.mog_hq_sigmas, min_count=p.mog_min_count)
