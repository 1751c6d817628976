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


def test_best_stream_is_its_own_and_reproducible():
    """The best checkpoint's seed is derived from the run's seed alone, differs from it (and from
    the curve's and the final G's), and differs between runs of different seeds."""
    assert evaluator.sample_seed(3, "curve") == evaluator.sample_seed(3, "final") == 3
    best = [evaluator.sample_seed(s, "best") for s in range(50)]
    assert best == [evaluator.sample_seed(s, "best") for s in range(50)]
    assert len(set(best)) == 50 and not set(best) & set(range(50))
    assert all(0 <= b < 2**31 for b in best)  # a valid torch.Generator seed


def test_best_checkpoint_is_scored_on_samples_that_did_not_select_it(tmp_path):
    """Issue 25, point 4. A MoG run whose curve and final protocols are the same ("mog"): the curve
    row of the best step is that checkpoint scored on the run's seed -- the samples that chose it.
    scores.json's "best" is the same checkpoint (G_best.pt) scored on the fresh stream: equal to
    an independent metric call with the derived seed, and not to the curve row."""
    import json

    import pandas as pd

    from repro.train import train

    cfg = RunConfig.from_dict(dict(dataset="mog_ring", resolution=0, arch="mlp", setting="lsgan_mog",
                                   update="simultaneous", batch_size=64, g_updates=60, log_every=10,
                                   ckpt_every=20, eval_every=20, eval_protocol="mog", final_protocol="mog",
                                   seed=5))
    train(cfg, tmp_path, progress=False)
    scores = json.loads((tmp_path / "scores.json").read_text())
    best, step = scores["best"], scores["best"]["step"]
    G = _build(cfg)
    G.load_state_dict(torch.load(tmp_path / "G_best.pt", weights_only=True))
    mix = data.ring_mixture()

    def score(seed):
        return evaluate_mog_generator(evaluator.sampler(G, 0, torch.device("cpu")), mix.modes.numpy(),
                                      mix.sigma, "mog", "cpu", seed=seed, generator_module=G,
                                      weights=mix.weights.numpy())

    fresh, selecting = json.loads(json.dumps(score(evaluator.sample_seed(5, "best")))), score(5)
    assert best["seed"] == evaluator.sample_seed(5, "best") != scores["final"]["seed"] == 5
    assert {k: best[k] for k in fresh} == fresh
    row = pd.read_csv(tmp_path / "curve.csv").set_index("step").loc[step]
    assert row["kl_uniform"] == pytest.approx(selecting["kl_uniform"], rel=1e-6)  # the selecting samples
    assert best["kl_uniform"] != pytest.approx(row["kl_uniform"], rel=1e-6)       # are not the reported ones
