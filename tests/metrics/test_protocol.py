"""repro.metrics.protocol: the registry of evaluation protocols, their keys and comparability."""
from __future__ import annotations

import dataclasses
import json

import pytest

from repro.metrics import IncomparableScoresError, PROTOCOLS, Protocol, assert_comparable, get_protocol


@pytest.mark.parametrize("name", sorted(PROTOCOLS))
def test_protocol_round_trips(name):
    protocol = get_protocol(name)
    assert Protocol.from_dict(protocol.to_dict()) == protocol
    again = Protocol.from_json(json.dumps(json.loads(protocol.to_json())))
    assert again == protocol and again.key() == protocol.key()
    assert protocol.to_dict()["key"] == protocol.key()


def test_registry_matches_paper_protocols():
    sngan = get_protocol("sngan")
    # IS: 10 splits of 5,000 (sngan_projection/evaluations/calc_inception_score.py:
    # n = int(5000 * args.splits), splits = 10); FID: 5,000 generated vs 10,000 real (App. B.1)
    assert (sngan.n_fake, sngan.n_real, sngan.is_n, sngan.is_splits) == (5000, 10000, 50000, 10)
    assert sngan.is_n // sngan.is_splits == 5000 and sngan.n_generated == 50000
    stl = get_protocol("sngan-stl10")
    assert (stl.n_fake, stl.n_real, stl.is_n, stl.is_splits) == (5000, 10000, 50000, 10)
    assert sngan.g_mode == "eval" and sngan.quantize == "trunc"
    full = get_protocol("50k-train")
    assert (full.n_fake, full.n_real, full.real_split, full.is_n) == (50000, 50000, "train", 50000)
    assert len({p.key() for p in PROTOCOLS.values()}) == len(PROTOCOLS)
    with pytest.raises(KeyError, match="known"):
        get_protocol("no-such-protocol")


_ALTERNATIVES = {"network": "digits", "n_fake": 6000, "n_real": 9999, "real_split": "train",
                 "resize": "clean", "network_sha256": "0" * 64, "is_n": 4000, "is_splits": 5,
                 "checkpoint": "best", "g_mode": "train", "quantize": "round",
                 "mog_hq_sigmas": 2.0, "mog_min_count": 20}


def test_protocol_key_changes_with_every_score_relevant_field():
    base = get_protocol("sngan")
    key_fields = {f.name for f in dataclasses.fields(Protocol)} - {"name", "notes", "feature_batch",
                                                                   "metrics", "precision"}
    assert key_fields == set(_ALTERNATIVES)
    for field, value in _ALTERNATIVES.items():
        assert base.replace(**{field: value}).key() != base.key(), field
    # Fields that cannot change a score do not change the key.
    same = base.replace(name="renamed", notes="x", feature_batch=7, metrics=("fid", "is", "pr"))
    assert same.key() == base.key()
    # precision has one allowed value (features always in full fp32), so it never splits keys
    assert base.precision == "fp32"
    with pytest.raises(ValueError, match="precision 'tf32'"):
        base.replace(precision="tf32")
    assert_comparable(base, same)


def test_incomparable_scores_are_refused():
    a = {"fid": 20.0, "protocol": get_protocol("sngan").to_dict()}
    b = {"fid": 18.0, "protocol": get_protocol("50k-train").to_dict()}
    assert_comparable(a, dict(a, fid=21.0))
    with pytest.raises(IncomparableScoresError, match="n_fake"):
        assert_comparable(a, b)
    with pytest.raises(IncomparableScoresError):
        assert_comparable(get_protocol("sngan"), get_protocol("sngan").replace(resize="clean"))


def test_tampered_or_invalid_protocols_are_rejected():
    record = get_protocol("sngan").to_dict()
    record["n_real"] = 10
    with pytest.raises(ValueError, match="key"):
        Protocol.from_dict(record)
    assert Protocol.from_dict(record, check_key=False).n_real == 10
    with pytest.raises(ValueError):
        get_protocol("sngan").replace(resize="bilinear")
    with pytest.raises(ValueError):
        get_protocol("sngan").replace(is_n=-1)
    with pytest.raises(ValueError):
        get_protocol("sngan").replace(is_splits=50_001)
    with pytest.raises(ValueError):
        Protocol.from_dict(dict(get_protocol("sngan").to_dict(), colour="blue"))
