"""A toy experiment table (a tiny version of the smoke suite's mixture row) shared by the
user-error and kill-and-damage tests of this folder."""
from __future__ import annotations

from pathlib import Path

COLUMNS = ["run_id", "paper", "paper_table", "row", "column", "dataset", "resolution", "arch", "norm_d", "loss",
           "setting", "update", "batch_size", "ch", "z_dim", "g_updates", "eval_every", "sample_every",
           "log_every", "ckpt_every", "seed", "protocol"]
#: a tiny version of the smoke suite's mixture row (same kind of run, a few seconds)
MOG_ROW = dict(paper="smoke", paper_table="faults", row="regular GAN", column="ring", dataset="mog_ring",
               resolution=0, arch="mlp", norm_d="none", loss="standard", setting="lsgan_mog",
               update="simultaneous", batch_size=64, ch=32, z_dim=16, g_updates=60, eval_every=20,
               sample_every=60, log_every=10, ckpt_every=20, seed=0, protocol="mog")


def write_table(path: Path, rows: list[dict], columns=COLUMNS) -> Path:
    lines = ["\t".join(columns)] + ["\t".join("" if r.get(c) is None else str(r.get(c)) for c in columns)
                                    for r in rows]
    path.write_text("\n".join(lines) + "\n")
    return path


def mog_rows(g_updates=60) -> list[dict]:
    """Regular GAN vs LSGAN on the ring, one seed each (what the mog_modes claim compares)."""
    return [{**MOG_ROW, "run_id": "std-s0", "g_updates": g_updates, "sample_every": g_updates},
            {**MOG_ROW, "run_id": "ls-s0", "row": "LSGAN", "loss": "least_squares",
             "g_updates": g_updates, "sample_every": g_updates}]
