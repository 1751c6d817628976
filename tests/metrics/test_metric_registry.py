"""The metric registry: one record per metric, and the report's constants derived from it."""
import dataclasses

import numpy as np
import pytest

from repro.errors import UserError
from repro.metrics import registry
from repro.metrics.evaluate import score_features
from repro.metrics.extractor import Features
from repro.metrics.protocol import PROTOCOLS, Protocol, get_protocol


@pytest.fixture
def toy_family(monkeypatch):
    """A family registered for one test only: the mean feature norm (a made-up, judged metric)."""
    monkeypatch.setattr(registry, "FAMILIES", dict(registry.FAMILIES))
    monkeypatch.setattr(registry, "METRICS", dict(registry.METRICS))

    @registry.register("toy", [registry.Metric("mean_norm", "lower", decimals=1, label="|f|",
                                               degrade_slack=0.5)], networks=("digits",))
    def toy(inputs):
        return {"mean_norm": float(np.linalg.norm(inputs.fake.features, axis=1).mean())}

    return toy


def test_adding_a_metric_is_one_function_and_its_registration(toy_family):
    # the new metric shows up in every derived table of facts ...
    assert registry.directions()["mean_norm"] == "lower"
    assert registry.decimals()["mean_norm"] == 1 and registry.labels()["mean_norm"] == "|f|"
    assert registry.curve_labels()["mean_norm"] == "|f|"          # defaults to the table label
    assert registry.degrade_slack()["mean_norm"] == 0.5
    # ... and a protocol that names it computes it, after the metrics it already had
    p = dataclasses.replace(get_protocol("curve-digits"), metrics=("fid", "toy"))
    feats = Features(np.array([[3.0, 4.0]] * 3 + [[0.0, 1.0]] * 3), np.zeros((6, 10)))
    out = score_features(feats, p, np.zeros(2), np.eye(2))
    assert list(out) == ["fid", "mean_norm"] and out["mean_norm"] == pytest.approx(3.0)  # (5 + 1) / 2


def test_registration_clashes_and_unknown_names_are_refused(toy_family):
    with pytest.raises(ValueError, match="registered twice"):
        registry.register("toy", [], networks=("digits",))(lambda i: {})
    with pytest.raises(ValueError, match="already registered"):
        registry.register("toy2", [registry.Metric("fid", "lower")], networks=("digits",))(lambda i: {})
    with pytest.raises(UserError, match="unknown metric 'fidd'; registered: fid, is_mean"):
        registry.get_metric("fidd")
    with pytest.raises(ValueError, match="direction"):
        registry.Metric("x", "up")


def test_a_protocol_names_only_registered_families_that_score_its_network():
    base = get_protocol("digits")
    with pytest.raises(ValueError, match="'nope' not registered"):
        base.replace(metrics=("fid", "nope"))
    with pytest.raises(ValueError, match="'mog' does not score digits"):
        base.replace(metrics=("mog",))
    # every registered protocol computes registered families that fit it
    for p in PROTOCOLS.values():
        assert p.metrics and all(p.network in registry.get_family(m).networks for m in p.metrics)
    # old records (written before `metrics` existed) read with their network's default
    record = {k: v for k, v in get_protocol("curve-digits").to_dict().items() if k != "metrics"}
    assert Protocol.from_dict(record).metrics == ("fid", "is")


def test_which_protocols_compute_precision_recall():
    # by default the offline final digits protocols (and their one-field variants) only: the
    # learning curves and the Inception protocols do not (recorded in repro/metrics/protocol.py)
    pr = {name for name, p in PROTOCOLS.items() if "pr" in p.metrics}
    assert pr == {"digits", "digits-2k", "digits-legacy", "digits-round", "digits-gtrain", "digits-1split"}


def test_headline_is_fid_for_images_and_modes_for_mixtures():
    assert registry.headline_of({"fid": 30.0, "is_mean": 7.0}) == ("fid", 1)
    assert registry.headline_of({"modes_covered": 6, "hq_fraction": 0.5}) == ("modes_covered", -1)
    assert registry.headline_of({"is_mean": 7.0}) == (None, 1)
