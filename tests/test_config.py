"""Run configs: bad input fails at once naming the key and the allowed values."""
import json

import pytest

from repro.config import ConfigError, RunConfig
from repro.settings import SETTINGS

BASE = {"dataset": "digits", "resolution": 16, "arch": "sngan_cnn", "norm_d": "spectralnorm", "setting": "C"}


def test_setting_expands_and_explicit_values_win():
    cfg = RunConfig.from_dict(BASE)
    r = cfg.resolved()
    c = SETTINGS["C"]
    assert (r["lr_g"], r["lr_d"], r["beta1"], r["beta2"], r["n_dis"]) == (c.lr_g, c.lr_d, c.beta1, c.beta2, c.n_dis)
    r2 = RunConfig.from_dict({**BASE, "lr_d": 4e-4, "n_dis": 2}).resolved()
    assert r2["lr_d"] == 4e-4 and r2["n_dis"] == 2 and r2["lr_g"] == c.lr_g


def test_hash_is_stable_and_sensitive():
    a, b = RunConfig.from_dict(BASE), RunConfig.from_dict(dict(BASE))
    assert a.hash() == b.hash() and len(a.hash()) == 16
    assert RunConfig.from_dict({**BASE, "seed": 1}).hash() != a.hash()
    # explicit values equal to the setting's give the same run, hence the same hash
    assert RunConfig.from_dict({**BASE, "lr_g": SETTINGS["C"].lr_g}).hash() == a.hash()
    # where the data lives does not change the result
    assert RunConfig.from_dict({**BASE, "data_root": "/elsewhere"}).hash() == a.hash()


def test_device_and_cadence_are_not_the_runs_identity():
    """repro.config.RESULT_NEUTRAL: the device and how often a run logs, checkpoints, samples or
    evaluates leave the hash alone (tests/test_train.py: they leave the trajectory alone too);
    what it trains and how long, under which protocol, do not."""
    a = RunConfig.from_dict(BASE)
    for key, value in {"device": "cpu", "log_every": 7, "ckpt_every": 9, "keep_ckpts": 5,
                       "sample_every": 3, "eval_every": 4, "download": True}.items():
        other = RunConfig.from_dict({**BASE, key: value})
        assert other.hash() == a.hash(), key
    for key, value in {"g_updates": 999, "final_protocol": "digits", "eval_protocol": "digits",
                       "precision": "bf16", "n_dis": 2}.items():
        assert RunConfig.from_dict({**BASE, key: value}).hash() != a.hash(), key


def test_roundtrip_through_config_json(tmp_path):
    cfg = RunConfig.from_dict(BASE)
    p = tmp_path / "config.json"
    p.write_text(json.dumps({"config": cfg.resolved(), "hash": cfg.hash()}))
    assert RunConfig.load(p).hash() == cfg.hash()


@pytest.mark.parametrize("override, key, allowed", [
    ({"colour": "red"}, "colour", "allowed keys"),
    ({"norm_d": "spectral"}, "norm_d", "spectralnorm"),
    ({"loss": "ls"}, "loss", "least_squares"),
    ({"setting": "G"}, "setting", "sngan_resnet"),
    ({"lr_g": -1e-4}, "lr_g", "> 0"),
    ({"n_dis": 0}, "n_dis", ">= 1"),
    ({"beta2": 1.0}, "beta2", "0 <= beta < 1"),
    ({"g_updates": "many"}, "g_updates", "expected int"),
    ({"n_dis": True}, "n_dis", "expected int"),
    ({"dataset": "mnist"}, "dataset", "digits"),
    ({"resolution": 12}, "resolution", "(8, 16, 32)"),
    ({"arch": "biggan"}, "arch", "sngan_cnn"),
    ({"device": "tpu"}, "device", "cuda:N"),
    ({"n_classes": 7}, "n_classes", "10"),
    ({"update": "simultaneous"}, "n_dis", "simultaneous"),  # setting C has n_dis 1, so set A:
])
def test_bad_values_name_the_key_and_allowed(override, key, allowed):
    d = {**BASE, **override}
    if override.get("update") == "simultaneous":
        d["setting"] = "A"
    with pytest.raises(ConfigError) as e:
        RunConfig.from_dict(d)
    assert key in str(e.value) and allowed in str(e.value)


def test_missing_required_key():
    with pytest.raises(ConfigError, match="dataset"):
        RunConfig.from_dict({"arch": "mlp"})


@pytest.mark.parametrize("norm_d", ["batchnorm", "layernorm"])
def test_normalization_the_architecture_cannot_take(norm_d):
    """SNGAN's ResNet D is compared with the weight treatments only (SNGAN Sec. 4, Table 2 and
    Fig. 2: no BN or LN rows for the ResNet), so sngan_resnet refuses the two feature norms."""
    with pytest.raises(ConfigError, match=norm_d) as e:
        RunConfig.from_dict({"dataset": "synthetic", "resolution": 32, "arch": "sngan_resnet", "norm_d": norm_d})
    assert e.value.key == "norm_d"


def test_old_key_norm_is_an_unknown_key():
    """``norm`` (D's treatment before issue 12) is no config key: refused by name, and the line
    lists ``norm_d`` among the allowed keys (issue 22: no old names are read)."""
    old = {("norm" if k == "norm_d" else k): v for k, v in BASE.items()}
    with pytest.raises(ConfigError, match=r"unknown config key\(s\) \['norm'\]") as e:
        RunConfig.from_dict(old)
    assert e.value.key == "norm" and "norm_d" in str(e.value)


def test_a_run_record_with_the_old_key_norm_is_refused(tmp_path):
    """A run's config.json whose treatment key says ``norm`` (before issue 12) is refused naming
    the key, not read under another name (its run is not this suite's to continue)."""
    cfg = RunConfig.from_dict(BASE)
    record = {("norm" if k == "norm_d" else k): v for k, v in cfg.resolved().items()}
    (tmp_path / "config.json").write_text(json.dumps({"config": record, "hash": cfg.hash()}))
    with pytest.raises(ConfigError, match="'norm'"):
        RunConfig.load(tmp_path / "config.json")


def test_a_derived_key_copied_from_a_record_is_named_as_such(tmp_path):
    """``norm_revision`` is written into every run's config.json; a config that copies the record's
    "config" mapping (not the whole file) is refused with a line that says what the key is."""
    record = {**BASE, "norm_d": "orthonormal"}
    record["norm_revision"] = RunConfig.from_dict(record).resolved()["norm_revision"]
    assert record["norm_revision"]  # the orthonormal treatment has a revision
    with pytest.raises(ConfigError, match="'norm_revision' is derived") as e:
        RunConfig.from_dict(record)
    assert e.value.key == "norm_revision"
    (tmp_path / "c.json").write_text(json.dumps({"config": record, "hash": "x"}))
    assert RunConfig.load(tmp_path / "c.json").norm_d == "orthonormal"  # the whole record reads back
