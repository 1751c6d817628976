"""Fake run directories as repro.train leaves them, with numbers a test chooses: shared by the
report, claim and fidelity tests (importable from every test: tests/ is on sys.path)."""
from __future__ import annotations

import json

import pandas as pd

from repro import rundir
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
    (d / "config.json").write_text(json.dumps({"config": {"seed": seed}, "hash": f"hash-{run_id}"}))
    if curve is not None:
        pd.DataFrame(curve).to_csv(d / "curve.csv", index=False)
    rundir.RunDir(d).seal(scores)  # sealed as the trainer seals: an unsealed scores.json is damage
    (d / "status.json").write_text(json.dumps({"state": status, "step": 100000}))
    _UNTABLED[run_id] = d
    return d


#: run_id -> directory of the fake runs written since their table: write_tsv gives each the
#: config hash of its row (the readers check that a sealed run was trained from its row).
_UNTABLED: dict = {}


def reseal(d, **changes):
    """Change keys of a fake run's scores.json and seal it again, as the trainer would have."""
    scores = json.loads((d / "scores.json").read_text())
    scores = {k: v for k, v in {**scores, **changes}.items() if k not in ("files", rundir.SEAL)}
    rundir.RunDir(d).seal(scores)


def _adopt(row: dict) -> None:
    """The fake run of ``row`` (written before its table) carries the row's config hash."""
    from repro.errors import UserError
    from repro.experiments import run_config

    d = _UNTABLED.pop(str(row.get("run_id")), None)
    if d is None or not (d / "scores.json").is_file():
        return
    try:
        h = run_config({k: v for k, v in row.items() if v != ""}).hash()
    except UserError:  # a partial row: the readers check no hash either
        return
    (d / "config.json").write_text(json.dumps({"config": {"seed": row.get("seed")}, "hash": h}))
    reseal(d, config_hash=h)


def write_tsv(path, rows):
    df = pd.DataFrame(rows)
    for c in TSV_COLUMNS:
        if c not in df.columns:
            df[c] = ""
    df[TSV_COLUMNS + [c for c in df.columns if c not in TSV_COLUMNS]].to_csv(path, sep="\t", index=False)
    for row in rows:
        _adopt(dict(row))
    return path


def run_row(run_id, row, column, seed, g_updates=100000, **kw):
    return {"run_id": run_id, "paper": "SNGAN", "paper_table": "table2", "row": row, "column": column,
            "dataset": "cifar10", "resolution": 32, "arch": "sngan_cnn", "norm_d": "spectralnorm",
            "loss": "standard", "setting": "C", "g_updates": g_updates, "seed": seed,
            "protocol": "sngan", **kw}
