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


# --------------------------------------------------------------------------- the report tests' table
SN_FIDS = [29.0, 30.1, 28.5]
SN_IS = [7.40, 7.52, 7.31]


def sngan_table2(tmp_path):
    """A small SNGAN Table 2: SN-GANs (3 seeds, fine), WGAN-GP (2 of 3 diverged),
    Weight clipping (1 completed, 1 without directory, 1 still running), Layer Norm. (degraded: final far worse than best)."""
    runs = tmp_path / "runs"
    rows = []
    for s, (fid, is_) in enumerate(zip(SN_FIDS, SN_IS)):
        rid = f"sn-c10-s{s}"
        rows.append(run_row(rid, "SN-GANs", "CIFAR-10", s))
        write_run(runs, "sngan_t2", rid, seed=s, gpu="NVIDIA H100" if s == 0 else None,
                  final=score(fid=fid, is_mean=is_, is_std=0.1),
                  best=score(step=90000, fid=fid - 0.5, is_mean=is_ + 0.01, is_std=0.1),
                  curve={"step": [1000, 2000, 3000], "fid": [90.0 - s, 60.0 - s, 40.0 - s],
                         "is_mean": [3.0, 5.0, 6.0 + 0.1 * s], "protocol_key": [CURVE.key()] * 3,
                         "protocol_name": ["curve-inception"] * 3})
    for s in range(3):
        rid = f"wgp-c10-s{s}"
        rows.append(run_row(rid, "WGAN-GP", "CIFAR-10", s))
        if s < 2:
            write_run(runs, "sngan_t2", rid, seed=s, status="diverged", diverged_at=1234 + s,
                      curve={"step": [1000], "fid": [200.0], "is_mean": [2.0]})
        else:
            write_run(runs, "sngan_t2", rid, seed=s, final=score(fid=41.0, is_mean=6.6, is_std=0.1))
    for s in range(3):
        rid = f"wc-c10-s{s}"
        rows.append(run_row(rid, "Weight clipping", "CIFAR-10", s))
    write_run(runs, "sngan_t2", "wc-c10-s0", seed=0, final=score(fid=42.0, is_mean=6.4, is_std=0.1))
    running = runs / "sngan_t2" / "wc-c10-s2"
    running.mkdir(parents=True)
    (running / "status.json").write_text(json.dumps({"state": "running", "step": 500}))
    for s in range(2):  # Layer Norm.: final much worse than best in one run
        rid = f"ln-c10-s{s}"
        rows.append(run_row(rid, "Layer Norm.", "CIFAR-10", s))
        final_fid = 45.0 if s == 0 else 34.0
        write_run(runs, "sngan_t2", rid, seed=s, final=score(fid=final_fid, is_mean=7.0, is_std=0.1),
                  best=score(step=40000, fid=33.0, is_mean=7.2, is_std=0.1))
    tsv = write_tsv(tmp_path / "sngan_t2.tsv", rows)
    return tsv, runs


#: Fixture references, written here and not read from the shipped config/references/, so that
#: editing a paper's number there cannot break a test of the verdict logic. The values are the

#: papers' (SNGAN Table 2, SAGAN Table 1), which the expectations below are written against.
FIXTURE_REFERENCES = """\
paper,paper_table,row,column,metric,checkpoint,value,std,direction,protocol,g_updates,tolerance,kind,verified,hard,source
SNGAN,table2,SN-GANs,CIFAR-10,fid,final,29.3,,lower,sngan,100000,10%,paper,true,true,fixture
SNGAN,table2,SN-GANs,CIFAR-10,is_mean,final,7.42,,higher,sngan,100000,5%,paper,true,true,fixture
SNGAN,table2,WGAN-GP,CIFAR-10,fid,final,40.2,,lower,sngan,100000,10%,paper,true,true,fixture
SNGAN,table2,WGAN-GP,CIFAR-10,is_mean,final,6.68,,higher,sngan,100000,5%,paper,true,true,fixture
SNGAN,table2,Weight clipping,CIFAR-10,fid,final,42.6,,lower,sngan,100000,10%,paper,true,true,fixture
SNGAN,table2,Weight clipping,CIFAR-10,is_mean,final,6.41,,higher,sngan,100000,5%,paper,true,true,fixture
SNGAN,table2,Layer Norm.,CIFAR-10,fid,final,33.9,,lower,sngan,100000,10%,paper,true,true,fixture
SNGAN,table2,Layer Norm.,CIFAR-10,is_mean,final,7.19,,higher,sngan,100000,5%,paper,true,true,fixture
SNGAN,table2,Orthonormal,CIFAR-10,fid,final,29.0,,lower,sngan,100000,10%,paper,true,true,fixture
SNGAN,table2,Orthonormal,CIFAR-10,is_mean,final,7.40,,higher,sngan,100000,5%,paper,true,true,fixture
SAGAN,table1,SAGAN,feat8,fid,final,22.98,,lower,sagan-imagenet128-50k,,10%,paper,true,true,fixture
SAGAN,table1,SAGAN,feat16,fid,final,22.14,,lower,sagan-imagenet128-50k,,10%,paper,false,false,fixture
"""

