"""One-time migration (issue 22): published provenance config hashes onto the one hash rule.

Before issue 22 a config hash renamed ``norm_d`` back to ``norm`` (the key's name before issue 12)
and, for runs made before ``RESULT_NEUTRAL``, also hashed device and the cadence keys (the
"legacy" rule). Issue 22 hashes the resolved config under its own key names. This script
rewrites the ``config_hash`` column of every ``results/<table>/<table>.provenance.csv`` to the
hash of the run's table row under today's rule, and only where the published hash is what one
of the two old rules gives for that same row: any other hash stops the script and nothing is
written (a hash that matches neither rule is not this migration's to fix).

    .venv/bin/python tools/migrate_config_hashes.py          # rewrite (atomically, per file)
    .venv/bin/python tools/migrate_config_hashes.py --check  # say what would change, write nothing

Run directories and checkpoints made before issue 22 carry the old hashes in their own sealed
files; they are not migrated, so a workflow run does not reuse them (their runs are trained again).
"""
from __future__ import annotations

import argparse
import csv
import hashlib
import io as textio
import json
import sys
from pathlib import Path

from repro import experiments, io
from repro.config import HASH_NEUTRAL, RESULT_NEUTRAL

ROOT = Path(__file__).resolve().parents[1]
#: The two rules the published hashes were made under (issue 12's repro/config.py): the key
#: ``norm_d`` hashed under its old name ``norm``, leaving out RESULT_NEUTRAL (today) or only
#: where the data live (before RESULT_NEUTRAL existed).
OLD_NAMES = {"norm_d": "norm"}
OLD_LEAVE_OUTS = (RESULT_NEUTRAL, ("data_root", "download"))


def old_hash(resolved: dict, leave_out) -> str:
    """A config hash under a pre-issue-22 rule (the same steps as repro.config._hash then)."""
    d = {OLD_NAMES.get(k, k): v for k, v in resolved.items()}
    d = {k: v for k, v in d.items() if k not in leave_out}
    d = {k: v for k, v in d.items() if not (k in HASH_NEUTRAL and HASH_NEUTRAL[k](d))}
    return hashlib.sha256(json.dumps(d, sort_keys=True).encode()).hexdigest()[:16]


def migrated(provenance: Path) -> tuple[list[dict], list[str], int]:
    """(rows with today's hashes, the header, how many hashes changed) of one provenance file."""
    table = ROOT / "config" / "tables" / f"{provenance.parent.name}.tsv"
    configs = {r["run_id"]: experiments.run_config(r) for _, r in experiments.validate(table).iterrows()}
    with open(provenance, newline="") as f:
        reader = csv.DictReader(f)
        rows, header = list(reader), list(reader.fieldnames)
    changed = 0
    for row in rows:
        cfg = configs.get(row["run_id"])
        if cfg is None:
            sys.exit(f"error: {provenance}: run {row['run_id']!r} is not a row of {table}; nothing written")
        olds = {old_hash(cfg.resolved(), leave_out) for leave_out in OLD_LEAVE_OUTS}
        new = cfg.hash()
        if row["config_hash"] not in olds | {new}:
            sys.exit(f"error: {provenance}: run {row['run_id']!r} has config hash {row['config_hash']}, "
                     f"which no hash rule gives for its table row; nothing written")
        changed += row["config_hash"] != new
        row["config_hash"] = new
    return rows, header, changed


def main(argv=None) -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--check", action="store_true", help="say what would change; write nothing")
    args = ap.parse_args(argv)
    done = [(p, *migrated(p)) for p in sorted(ROOT.glob("results/*/*.provenance.csv"))]
    for path, rows, header, changed in done:  # every file checked before any is written
        print(f"{path.relative_to(ROOT)}: {changed} of {len(rows)} config hashes "
              f"{'to change' if args.check else 'changed'}")
        if args.check or not changed:
            continue
        out = textio.StringIO()
        writer = csv.DictWriter(out, fieldnames=header, lineterminator="\n")
        writer.writeheader()
        writer.writerows(rows)
        io.write_text(path, out.getvalue())


if __name__ == "__main__":
    main()
