"""Fake run directories as repro.train leaves them, with numbers a test chooses: shared by the
report, claim and fidelity tests (importable from every test: tests/ is on sys.path)."""
from __future__ import annotations

import json

import pandas as pd

from repro.metrics.protocol import get_protocol

SNGAN = get_protocol("sngan")
MOG = get_protocol("mog")
CURVE = get_protocol("curve-inception")
TSV_COLUMNS = ["run_id", "paper", "paper_table", "row", "column", "dataset", "resolution", "arch", "norm_d",
               "loss", "setting", "g_updates", "seed", "protocol"]


# --------------------------------------------------------------------------- fixtures
def score(protocol=SNGAN, step=100000, **metrics):
    return {"step": step, **metrics, "protocol_name": protocol.name, "protocol_key": protocol.key(),
            "protocol": protocol.to_dict(), "n_fake": protocol.n_fake, "seed": 0}


def write_run(root, table, run_id, *, status="completed", final=None, best=None, seed=0,
              diverged_at=None, curve=None, gpu=None):
    """A run directory as repro.train leaves it (scores.json, status.json, config.json, curve.csv)."""
    d = root / table / run_id
    d.mkdir(parents=True)
    numerics = {"device": "cuda:0" if gpu else "cpu", **({"gpu": gpu} if gpu else {})}
    scores = {"status": status, "config_hash": f"hash-{run_id}", "seed": seed, "wall_seconds": 12.5,
              "numerics": numerics, "versions": {"torch": "2.15.0", "python": "3.11"},
              "git_commit": "abc123"}
    if status == "completed":
        scores["final"] = final
        if best is not None:
            scores["best"] = best
    else:
        scores["diverged_at"] = diverged_at
    (d / "scores.json").write_text(json.dumps(scores))
    (d / "status.json").write_text(json.dumps({"state": status, "step": 100000}))
    (d / "config.json").write_text(json.dumps({"config": {"seed": seed}, "hash": f"hash-{run_id}"}))
    if curve is not None:
        pd.DataFrame(curve).to_csv(d / "curve.csv", index=False)
    return d


def write_tsv(path, rows):
    df = pd.DataFrame(rows)
    for c in TSV_COLUMNS:
        if c not in df.columns:
            df[c] = ""
    df[TSV_COLUMNS + [c for c in df.columns if c not in TSV_COLUMNS]].to_csv(path, sep="\t", index=False)
    return path


def run_row(run_id, row, column, seed, g_updates=100000, **kw):
    return {"run_id": run_id, "paper": "SNGAN", "paper_table": "table2", "row": row, "column": column,
            "dataset": "cifar10", "resolution": 32, "arch": "sngan_cnn", "norm_d": "spectralnorm",
            "loss": "standard", "setting": "C", "g_updates": g_updates, "seed": seed,
            "protocol": "sngan", **kw}
