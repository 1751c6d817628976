"""repro.evaluator: which protocols score a run (from the dataset registry), the headline metric,
and the Evaluator's scores against direct calls of the metric functions."""
import numpy as np
import pytest
import torch

from repro import data, evaluator, models
from repro.config import RunConfig
from repro.metrics.evaluate import evaluate_mog_generator


def _build(cfg):
    net = cfg.networks()
    G, _ = models.build(cfg.arch, resolution=cfg.resolution, channels=cfg.channels, z_dim=net["z_dim"],
                        ch=net["ch"], norm_d=net["norm_d"], norm_g=net["norm_g"], **net["arch_kwargs"])
    return G


@pytest.mark.parametrize("dataset, resolution, arch, want", [
    ("digits", 16, "sngan_cnn", ("digits", "curve-digits")),
    ("mog_ring", 0, "mlp", ("mog", "curve-mog")),
    ("synthetic", 32, "sngan_cnn", (None, None)),          # no offline metric
])
def test_default_protocols_come_from_the_dataset(dataset, resolution, arch, want):
    cfg = RunConfig.from_dict({"dataset": dataset, "resolution": resolution, "arch": arch})
    got = evaluator.protocols(cfg)
    assert tuple(p and p.name for p in (got["final"], got["curve"])) == want


def test_config_protocols_override_the_defaults():
    cfg = RunConfig.from_dict({"dataset": "digits", "resolution": 16, "arch": "sngan_cnn",
                               "final_protocol": "digits-2k", "eval_protocol": "digits"})
    got = evaluator.protocols(cfg)
    assert (got["final"].name, got["curve"].name) == ("digits-2k", "digits")


def test_headline_metric_and_sign():
    assert evaluator.headline_of({"fid": 3.0, "is_mean": 2.0, "precision": 0.5}) == ("fid", 1)
    assert evaluator.headline_of({"modes_covered": 5, "kl_uniform": 0.1}) == ("modes_covered", -1)
    assert evaluator.headline_of({}) == (None, 1)


def test_mog_evaluator_scores_as_the_metric_call_and_leaves_the_rng_alone():
    cfg = RunConfig.from_dict({"dataset": "mog_ring", "resolution": 0, "arch": "mlp", "seed": 3})
    source = data.load("mog_ring", 0)
    torch.manual_seed(0)
    G = _build(cfg)
    ev = evaluator.make_evaluator(cfg, source, torch.device("cpu"))
    state = torch.get_rng_state()
    final = ev(G, "final")
    assert torch.equal(torch.get_rng_state(), state)  # scoring draws from its own generator
    mix = data.ring_mixture()
    want = evaluate_mog_generator(evaluator.sampler(G, 0, torch.device("cpu")), mix.modes.numpy(),
                                  mix.sigma, "mog", "cpu", seed=3, generator_module=G,
                                  weights=mix.weights.numpy())
    assert final == want and final["n_samples"] == 2500 and "kl_target" in final
    assert ev(G, "curve")["n_samples"] == 512


def test_digits_evaluator_final_has_precision_recall_and_curve_has_not(tmp_path, monkeypatch):
    cfg = RunConfig.from_dict({"dataset": "digits", "resolution": 8, "arch": "sngan_cnn", "ch": 8})
    source = data.load("digits", 8)
    torch.manual_seed(0)
    G = _build(cfg)
    ev = evaluator.make_evaluator(cfg, source, torch.device("cpu"))
    ref = ev.references["final"]
    assert ref.features is not None and ref.features.shape[0] == 1_797  # kept for P/R
    assert ev.references["curve"].features is None                      # not for curve-digits
    final, curve = ev(G, "final"), ev(G, "curve")
    assert 0.0 <= final["precision"] <= 1.0 and 0.0 <= final["recall"] <= 1.0
    assert np.isfinite(final["fid"]) and "precision" not in curve and "recall" not in curve


def test_old_module_name_is_an_alias_that_warns():
    """``repro.evaluation`` (the name before issue 12) still imports, with a DeprecationWarning,
    and gives the very objects of ``repro.evaluator``."""
    import importlib
    import sys

    sys.modules.pop("repro.evaluation", None)
    with pytest.warns(DeprecationWarning, match="repro.evaluation is now repro.evaluator"):
        old = importlib.import_module("repro.evaluation")
    assert evaluator.__all__ and all(getattr(old, n) is getattr(evaluator, n) for n in evaluator.__all__)
    assert not [n for n in dir(old) if not n.startswith("_") and n not in (*evaluator.__all__, "warnings")]
