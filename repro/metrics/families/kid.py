"""KID (Bińkowski et al. 2018, Eq. 3) of the first ``protocol.n_fake`` generated features against
the real features (`repro.metrics.fid.kernel_distance`); computed on request (``kid=True``)."""
from ..fid import kernel_distance
from ..registry import Inputs, Metric, register


@register("kid", [Metric("kid", "lower", decimals=4, label="KID", degrade_slack=0.001)],
          networks=("inception", "digits"), needs_real_features=True,
          about="Kernel Inception Distance")
def kid(inputs: Inputs) -> dict:
    fake = inputs.fake.features[:inputs.protocol.n_fake]
    return {"kid": kernel_distance(fake, inputs.real_features, seed=inputs.seed)}
