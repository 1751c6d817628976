"""repro.report.collect on fake run directories whose numbers the tests choose."""
from __future__ import annotations

import json

import pandas as pd
import pytest

from repro.metrics.protocol import get_protocol
from repro.report import MixedProtocolsError, collect, provenance

from fake_runs import SN_FIDS, SNGAN, reseal


def test_collect_reads_runs_and_keeps_missing(table):
    tsv, runs = table
    df = collect(tsv, runs)
    assert list(df["run_id"]) == pd.read_csv(tsv, sep="\t")["run_id"].tolist()
    st = df.set_index("run_id")["status"]
    assert st["sn-c10-s0"] == "completed"
    assert st["wgp-c10-s0"] == st["wgp-c10-s1"] == "diverged"
    assert st["wc-c10-s1"] == st["wc-c10-s2"] == "missing"
    notes = df.set_index("run_id")["note"]
    assert notes["wc-c10-s1"] == "no run directory"
    assert "running" in notes["wc-c10-s2"] and "500" in notes["wc-c10-s2"]
    d = df.set_index("run_id")
    assert d.loc["wgp-c10-s1", "diverged_at"] == 1235
    assert d.loc["sn-c10-s1", "final_fid"] == SN_FIDS[1]
    assert d.loc["sn-c10-s1", "best_fid"] == pytest.approx(SN_FIDS[1] - 0.5)
    assert d.loc["sn-c10-s1", "best_step"] == 90000
    assert d.loc["sn-c10-s0", "protocol_key"] == SNGAN.key()
    assert d.loc["sn-c10-s0", "protocol_name"] == "sngan"
    # provenance: the GPU name when there is one, else the device
    assert d.loc["sn-c10-s0", "device"] == "NVIDIA H100"
    assert d.loc["sn-c10-s1", "device"] == "cpu"
    assert d.loc["sn-c10-s1", "torch"] == "2.15.0"
    from repro.experiments import read_table, run_config  # sealed with its row's config hash
    row = read_table(tsv).set_index("run_id", drop=False).loc["sn-c10-s1"]
    assert d.loc["sn-c10-s1", "config_hash"] == run_config(row).hash()
    assert d.loc["sn-c10-s1", "git_commit"] == "abc123"
    assert d.loc["sn-c10-s1", "wall_seconds"] == 12.5
    assert d.loc["sn-c10-s2", "seed"] == 2
    prov = provenance(df)
    assert len(prov) == len(df) and {"run_id", "config_hash", "seed", "protocol_key", "git_commit",
                                     "versions", "device"} <= set(prov.columns)


def test_collect_mixed_protocols_in_one_cell_raise(table):
    tsv, runs = table
    p = runs / "sngan_t2" / "sn-c10-s2" / "scores.json"
    s = json.loads(p.read_text())
    other = get_protocol("50k-train")
    s["final"].update(protocol_name=other.name, protocol_key=other.key())
    s["best"].update(protocol_name=other.name, protocol_key=other.key())
    reseal(p.parent, final=s["final"], best=s["best"])
    with pytest.raises(MixedProtocolsError) as e:
        collect(tsv, runs)
    msg = str(e.value)
    assert "SN-GANs" in msg and "CIFAR-10" in msg and SNGAN.key() in msg and other.key() in msg


def test_collect_refuses_another_runs_seed(table):
    tsv, runs = table
    p = runs / "sngan_t2" / "sn-c10-s1" / "scores.json"
    reseal(p.parent, seed=7)
    with pytest.raises(ValueError, match="sn-c10-s1"):
        collect(tsv, runs)
