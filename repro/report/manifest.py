"""The seal of a published results folder: ``results/<table>/MANIFEST.json``.

A suite writes its tables under ``runs/results/`` (config/config.yaml); :func:`publish` copies a
finished table folder into the committed ``results/`` and seals it. The manifest holds the
sha256 of every file in the folder and, per row of the folder's provenance CSV, the run it came
from: run id, config hash and the seal of the run's ``scores.json`` (:mod:`repro.rundir`), read
from the run directory, which must be intact when published. A digest of the manifest's own
content closes it (as a run's ``scores.json`` is closed by its seal).

:func:`verify` says which file no longer matches: an edited number in a ``.verdicts.csv``, an
edited line of a ``.md`` table, a file added or removed, or an edited manifest. ``repro check``
and ``repro rejudge`` verify the folder of every verdicts file they read; ``rejudge``, which
legitimately rewrites the tables from the verdicts, seals the folder again afterwards
(:func:`reseal`), keeping the runs it came from.
"""
from __future__ import annotations

from pathlib import Path

import pandas as pd

from .. import io, layout, rundir
from ..errors import UserError

MANIFEST = "MANIFEST.json"
FORMAT = 1
SEAL = "seal"


class ManifestError(UserError):
    """A published folder that its manifest does not vouch for (exit status 1, a failed check)."""

    exit_code = 1


def _digests(folder: Path) -> dict[str, str]:
    return {p.relative_to(folder).as_posix(): io.sha256_file(p)
            for p in sorted(folder.rglob("*")) if p.is_file() and p.name != MANIFEST}


def _provenance(folder: Path) -> pd.DataFrame | None:
    found = sorted(folder.glob(f"*{layout.REPORT['provenance'][0]}"))
    return pd.read_csv(found[0], dtype=str, keep_default_na=False) if found else None


def _runs(folder: Path, require_runs: bool) -> list[dict]:
    """Per provenance row: run id, config hash and the run's scores seal (None when the runs are
    not at hand and ``require_runs`` is False: a folder sealed from its published files alone)."""
    prov = _provenance(folder)
    if prov is None:
        return []
    runs = []
    for _, r in prov.iterrows():
        seal = None
        if r.get("status") in rundir.FINISHED:
            rd = rundir.RunDir(r["run_dir"])
            problem = rd.problem(r["config_hash"] or None, files=())
            if problem is None:
                seal = rd.read_json(rundir.SCORES)[rundir.SEAL]
            elif require_runs:
                raise ManifestError(f"{folder}: row {r['run_id']!r} came from {r['run_dir']}, which is not "
                                    f"an intact sealed run ({problem}); publish from the runs the tables "
                                    f"were made from (rerun the suite), or seal the published files alone "
                                    f"with `repro publish --in-place`")
        runs.append({"run_id": r["run_id"], "status": r.get("status"), "config_hash": r["config_hash"] or None,
                     "scores_seal": seal})
    return runs


def seal(folder: str | Path, require_runs: bool = True, runs: list[dict] | None = None) -> Path:
    """Write ``folder``'s manifest (the runs read from its provenance CSV unless given)."""
    folder = Path(folder)
    record = {"format": FORMAT, "table": folder.name, "files": _digests(folder),
              "runs": _runs(folder, require_runs) if runs is None else runs}
    record[SEAL] = io.stable_hash(record, length=64)
    return io.write_json(folder / MANIFEST, record)


def problems(folder: str | Path) -> list[str]:
    """What in ``folder`` its manifest does not vouch for (empty: intact, or no manifest)."""
    folder = Path(folder)
    path = folder / MANIFEST
    if not path.exists():
        return []
    try:
        record = rundir.RunDir(folder).read_json(MANIFEST)
    except rundir.RunDirError as e:
        return [str(e)]
    body = {k: v for k, v in record.items() if k != SEAL}
    if SEAL not in record or io.stable_hash(body, length=64) != record[SEAL]:
        return [f"{path} does not match its own seal (edited or damaged)"]
    found, listed = _digests(folder), record.get("files") or {}
    out = [f"{folder / name} does not match its digest in {path} (edited after publication)"
           for name, digest in listed.items() if name in found and found[name] != digest]
    out += [f"{folder / name} is missing (listed in {path})" for name in listed if name not in found]
    out += [f"{folder / name} is not listed in {path} (added after publication)" for name in found
            if name not in listed]
    prov = _provenance(folder)
    if prov is not None and not out:
        made = [(r["run_id"], r["config_hash"] or None) for _, r in prov.iterrows()]
        sealed = [(r["run_id"], r["config_hash"]) for r in record.get("runs") or []]
        if made != sealed:
            out.append(f"{path}: its runs are not the rows of the provenance CSV")
    return out


def verify(folder: str | Path) -> None:
    """Raise :class:`ManifestError` naming every file of ``folder`` that no longer matches."""
    found = problems(folder)
    if found:
        raise ManifestError("; ".join(found) + f"; republish the table (`repro publish`) or restore the "
                                                 f"files (git checkout {Path(folder)})")


def verify_paths(paths) -> list[Path]:
    """Verify the folder of every verdicts file in ``paths`` (files or directories, as ``repro
    check`` takes them) and every sealed folder under a given directory; returns the folders."""
    folders = []
    for p in map(Path, paths):
        if p.is_dir():
            folders += [m.parent for m in sorted(p.rglob(MANIFEST))]
            folders += [v.parent for v in sorted(p.rglob(f"*{layout.REPORT['verdicts'][0]}"))]
        elif p.is_file():
            folders.append(p.parent)
    folders = list(dict.fromkeys(folders))
    for folder in folders:
        verify(folder)
    return folders


def reseal(folder: str | Path) -> Path | None:
    """Seal ``folder`` again after a command that derives its files from its own (rejudge):
    the runs stay those of the old manifest. None when the folder has no manifest."""
    folder = Path(folder)
    if not (folder / MANIFEST).exists():
        return None
    runs = rundir.RunDir(folder).read_json(MANIFEST).get("runs") or []
    return seal(folder, runs=runs)


def publish(source: str | Path, dest_root: str | Path) -> Path:
    """Copy a finished table folder (``runs/results/<table>``) to ``<dest_root>/<table>`` and seal
    it; every row's run must be an intact sealed run. Files already in the destination that the
    source lacks (a hand-written README.md) are kept and sealed with it."""
    source = Path(source)
    if not source.is_dir() or not any(source.glob(f"*{layout.REPORT['verdicts'][0]}")) \
            and not any(source.glob("*.claim.md")):
        raise ManifestError(f"{source}: not a results folder of a table (no *.verdicts.csv or "
                            f"*.claim.md); give runs/results/<table>")
    runs = _runs(source, require_runs=True)  # before anything is copied
    dest = Path(dest_root) / source.name
    dest.mkdir(parents=True, exist_ok=True)
    for p in sorted(source.rglob("*")):
        if p.is_file() and p.name != MANIFEST:
            target = dest / p.relative_to(source)
            target.parent.mkdir(parents=True, exist_ok=True)
            io.atomic_write(target, lambda f, p=p: f.write(p.read_bytes()))
    return seal(dest, runs=runs)
