"""The dataset registry: adding a dataset is one registry entry plus its loader."""
import dataclasses

import pytest
import torch

from repro import data, datasets, evaluator
from repro.config import ConfigError, RunConfig
from repro.errors import UserError


def _tiny(resolution, **_):
    """The loader of the fake dataset: 64 one-channel images, value = index."""
    x = torch.arange(64, dtype=torch.uint8)[:, None, None, None].expand(64, 1, resolution, resolution)
    return data.Source("tiny", x.contiguous(), torch.zeros(64, dtype=torch.long), n_classes=0)


@pytest.fixture
def tiny(monkeypatch):
    monkeypatch.setattr(datasets, "REGISTRY", dict(datasets.REGISTRY))
    return datasets.register(datasets.Dataset(
        "tiny", _tiny, channels=1, resolutions=(8,), n_classes=0, offline=True, network="digits",
        protocols=("digits", "curve-digits"), about="a test's dataset (split sizes not stated)"))


def test_a_registered_dataset_is_known_everywhere(tiny):
    src = data.load("tiny", 8)                                     # load's dispatch
    assert src.data.shape == (64, 1, 8, 8) and int(src.data[5].max()) == 5
    assert data.DATASETS["tiny"] == dict(channels=1, resolutions=(8,), n_classes=0, offline=True)
    assert evaluator.DEFAULT_PROTOCOLS["tiny"] == ("digits", "curve-digits")
    assert tiny.split_name() == "tiny-train" and datasets.get("cifar10").split_name("test") == "cifar10-test"
    cfg = RunConfig.from_dict({"dataset": "tiny", "resolution": 8, "arch": "sngan_cnn"})
    assert cfg.channels == 1
    assert {k: p.name for k, p in evaluator.protocols(cfg).items()} == {"final": "digits",
                                                                        "curve": "curve-digits"}


def test_a_dataset_is_checked_against_its_registered_facts(tiny):
    with pytest.raises(ConfigError, match="'resolution': 16 .* for dataset tiny"):
        RunConfig.from_dict({"dataset": "tiny", "resolution": 16, "arch": "sngan_cnn"})
    # an Inception protocol does not fit a digits-network dataset; the error lists the ones that do
    with pytest.raises(ConfigError, match="does not fit dataset tiny; allowed: digits"):
        RunConfig.from_dict({"dataset": "tiny", "resolution": 8, "arch": "sngan_cnn",
                             "final_protocol": "sngan"})
    cfg = RunConfig.from_dict({"dataset": "tiny", "resolution": 8, "arch": "sngan_cnn"})
    with pytest.raises(ValueError, match="dataset tiny has none"):
        evaluator._real_images(cfg, _tiny(8), "test")


def test_registry_facts_of_the_suites_datasets():
    # the splits the protocols' reference sets are taken from (repro/metrics/protocol.py)
    assert [d.name for d in datasets.all_datasets() if d.has_test_split] == ["cifar10", "stl10"]
    assert {d.name for d in datasets.all_datasets() if d.download} == {"cifar10", "stl10"}
    assert datasets.by_network() == {"inception": ("cifar10", "stl10", "image_folder", "synthetic"),
                                     "digits": ("digits",), "mog": ("mog_ring", "mog_grid")}
    with pytest.raises(UserError, match="unknown dataset 'cifar100'; known: cifar10, stl10"):
        data.load("cifar100", 32)
    with pytest.raises(ValueError, match="registered twice"):
        datasets.register(datasets.get("digits"))


def test_one_fit_rule_for_config_checks_and_scoring(tiny, monkeypatch):
    """A protocol fits a dataset when its network scores the dataset and the real split holds at
    least its n_real images (repro.datasets.fits): the run config's check and the scorer's
    protocol list are that one rule. The digits protocols compare with all 1,797 digits
    (repro/metrics/protocol.py), so a 64-image split is too small for them, and the same
    dataset with 2,000 images fits."""
    from repro import scoring
    from repro.metrics.protocol import PROTOCOLS, protocols_for

    assert PROTOCOLS["digits"].n_real == 1_797 and PROTOCOLS["curve-digits"].n_real <= 1_797
    for size, fitting in ((64, []), (2_000, ["digits", "curve-digits"])):
        monkeypatch.setitem(datasets.REGISTRY, "tiny", dataclasses.replace(tiny, splits={"train": size}))
        assert [n for n in protocols_for("tiny") if n in ("digits", "curve-digits")] == fitting
        assert scoring.protocols_for is protocols_for  # the scorer's list is the registry's rule
        cfg = {"dataset": "tiny", "resolution": 8, "arch": "sngan_cnn", "final_protocol": "digits"}
        if fitting:
            assert RunConfig.from_dict(cfg).final_protocol == "digits"
        else:
            with pytest.raises(ConfigError, match="protocol 'digits' .*1797 images.* does not fit dataset tiny"):
                RunConfig.from_dict(cfg)
