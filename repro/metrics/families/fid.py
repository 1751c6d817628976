"""FID (Heusel et al. 2017, Eq. 6): the Fréchet distance of the generated features' Gaussian from
the real statistics, over the first ``protocol.n_fake`` generated samples (`repro.metrics.fid`)."""
from ..fid import feature_stats, frechet_distance
from ..registry import Inputs, Metric, register


@register("fid", [Metric("fid", "lower", decimals=2, label="FID", degrade_slack=1.0, headline=True,
                         panel="image")],
          networks=("inception", "digits"), about="Fréchet Inception Distance")
def fid(inputs: Inputs) -> dict:
    mu, sigma = feature_stats(inputs.fake.features[:inputs.protocol.n_fake])
    return {"fid": frechet_distance(mu, sigma, inputs.mu_real, inputs.sigma_real)}
