"""``config/config.yaml`` read and checked the way the workflow checks it (its JSON schema in
``repro/schemas/config.schema.yaml``, package data), for the commands that read it outside Snakemake
(``repro plan``): a YAML error names the line and column, a schema violation the key."""
from __future__ import annotations

import contextlib
import sys
from importlib import resources
from pathlib import Path

from .errors import UserError

SCHEMA = resources.files("repro") / "schemas" / "config.schema.yaml"  # package data (pyproject.toml)


class WorkflowConfigError(UserError, ValueError):
    pass


def load_yaml_mapping(path: str | Path, what: str) -> dict:
    """A YAML file that must hold a mapping; errors name the file (and line, column) and the fix."""
    import yaml

    path = Path(path)
    if path.is_dir():
        raise WorkflowConfigError(f"{what} {path} is a directory; give the YAML file")
    try:
        text = path.read_text()
    except FileNotFoundError:
        raise WorkflowConfigError(f"{what} {path} not found") from None
    except (OSError, UnicodeDecodeError) as e:
        raise WorkflowConfigError(f"{what} {path} is unreadable ({e}); save it as UTF-8 text") from None
    try:
        d = yaml.safe_load(text)
    except yaml.YAMLError as e:
        mark = getattr(e, "problem_mark", None)
        where = f", line {mark.line + 1}, column {mark.column + 1}" if mark else ""
        raise WorkflowConfigError(f"{path}{where}: not valid YAML ({getattr(e, 'problem', None) or e})") from None
    if not isinstance(d, dict):
        raise WorkflowConfigError(f"{path}: expected a mapping of keys, got {type(d).__name__}")
    return d


def typed(config: dict) -> dict:
    """``config`` with the values ``snakemake --config`` gives as text made the numbers they
    stand for: it reads ``seeds=[0,1]`` as ["0", "1"], ``seeds=null`` as "null", and
    ``adaptive_seeds="{t: {start: 3, cap: 10}}"`` with "3" and "10" (YAML's base loader). A value
    that is still not a number names its key and the form to write (or ``--configfile``)."""
    out = dict(config)
    if out.get("seeds") in ("null", "~", "None", ""):
        out["seeds"] = None
    if isinstance(out.get("seeds"), (int, str)):
        out["seeds"] = [out["seeds"]]
    if isinstance(out.get("seeds"), list):
        out["seeds"] = [_integer(v, "seeds", "--config 'seeds=[0,1,2]'") for v in out["seeds"]]
    if out.get("adaptive_seeds") in ("null", "~", "None", ""):
        out["adaptive_seeds"] = None
    if isinstance(out.get("adaptive_seeds"), dict):
        out["adaptive_seeds"] = {
            t: {k: _integer(v, f"adaptive_seeds/{t}/{k}", "--config 'adaptive_seeds={%s: {start: 3, cap: 10}}' (a space after each colon)" % t)
                for k, v in spec.items()} if isinstance(spec, dict) else spec
            for t, spec in out["adaptive_seeds"].items()}
    return out


def _integer(value, key: str, form: str):
    if isinstance(value, str) and value.strip().lstrip("+").isdigit():
        return int(value)
    if isinstance(value, int) and not isinstance(value, bool):
        return value
    raise WorkflowConfigError(f"config key {key}: {value!r} is not a whole number; write it as {form}, "
                              f"or put it in a file given with --configfile")


def check(config: dict, tables_dir: str | Path = "config/tables", where: str = "config") -> dict:
    """``config`` typed (:func:`typed`) and checked against the schema; every table named in
    ``suites`` or ``adaptive_seeds`` must have its TSV (a misspelt name is never ignored).
    ``where`` starts each error: the file, or "config" for the merged Snakemake config."""
    import jsonschema
    import yaml

    conf = typed(config)
    validator = jsonschema.Draft202012Validator(yaml.safe_load(SCHEMA.read_text()))
    err = jsonschema.exceptions.best_match(validator.iter_errors(conf))
    if err is not None:
        key = "/".join(map(str, err.absolute_path)) or "(top level)"
        raise WorkflowConfigError(f"{where}, key {key}: {err.message}")
    if conf["suite"] not in conf["suites"]:
        raise WorkflowConfigError(f"{where}, key suite: {conf['suite']!r} is not in 'suites': "
                                  f"{', '.join(conf['suites'])}")
    from .claims import names as claim_names

    for table, kind in (conf.get("claims") or {}).items():
        if kind not in claim_names():
            raise WorkflowConfigError(f"{where}, key claims/{table}: unknown claim {kind!r}; known: "
                                      f"{', '.join(claim_names())}")
    named = [("adaptive_seeds", t) for t in conf.get("adaptive_seeds") or {}]
    named += [(f"suites/{s}", t) for s, ts in conf["suites"].items() for t in ts]
    known = sorted(p.stem for p in Path(tables_dir).glob("*.tsv"))
    for key, t in named:
        if t not in known:
            raise WorkflowConfigError(f"{where}, key {key}: no table {t!r} ({Path(tables_dir) / t}.tsv "
                                      f"does not exist); tables: {', '.join(known)}")
    return conf


@contextlib.contextmanager
def one_line_errors():
    """In the Snakefile: a user's mistake ends Snakemake with one ``error:`` line (the key or
    table line and the fix), as ``repro`` prints it, instead of Snakemake's traceback."""
    try:
        yield
    except UserError as e:
        sys.exit(f"error: {e}")


def load(path: str | Path) -> dict:
    """The workflow config file, typed and checked (:func:`check`)."""
    return check(load_yaml_mapping(path, "workflow config"), Path(path).parent / "tables", where=str(path))


# --------------------------------------------------------------------------- repair
#: Where a superseded run (its table row changed) is kept, beside the table's runs.
SUPERSEDED = ".superseded"
#: The name a damaged scores.json is kept under when it is set aside.
DAMAGED = "scores.json.damaged"


def expected_hash(row) -> str | None:
    """The config hash a run of ``row`` must carry (None: a "Real data" row, which trains nothing)."""
    from .experiments import is_real, run_config

    return None if is_real(row) else run_config(row).hash()


def repair(runs_root, ckpt_root, tables: dict) -> list[str]:
    """Set aside what Snakemake cannot see is wrong, so that it schedules the rebuild.

    Snakemake reruns a job whose output is missing, not one whose output is there but damaged,
    nor one of a run trained from an older version of its table row. So, for every run of the
    suite (``tables``: table name -> its validated rows), before the DAG is built: a run
    directory holding another config moves, with its checkpoints, to ``.superseded/<run>.<hash>``
    beside its table's runs (and back again when the row returns to that config); a scores.json
    its seal does not vouch for (unreadable, unsealed, edited) is renamed ``scores.json.damaged``.
    Nothing is deleted, and a run held by a training process is left alone. Returns one line per
    change. Only the seal is checked here (no file is hashed: that stays cheap for GPU suites);
    the readers check the files they read."""
    from . import layout, rundir

    notes = []
    for table, rows in tables.items():
        for run_id, row in rows.iterrows():
            run = rundir.RunDir(layout.run_path(runs_root, table, run_id))
            ckpt = Path(ckpt_root) / table / str(run_id)
            busy = run.holder()
            notes += [f"left alone: {busy}"] if busy else _repair_run(run, ckpt, expected_hash(row))
    return notes


def held_runs(runs_root, runs) -> str | None:
    """The refusal of a Snakemake about to train `runs` ((table, run id) pairs) when another
    process holds one of them (a second Snakemake with --nolock, a `repro train`), else None.
    The workflow's ``onstart`` asks before any job starts: Snakemake deletes a job's outputs
    when it starts the job and when the job fails, so a job refused by the run's owner lock
    would delete the holder's scores.json had it been sealed meanwhile (RELIABILITY.md)."""
    from . import layout, rundir

    held = [h for table, run in runs if (h := rundir.RunDir(layout.run_path(runs_root, table, run)).holder())]
    if not held:
        return None
    return ("; ".join(held) + ". No job was started: --nolock lifts Snakemake's own lock, not a "
            "run's; rerun once that command has ended")


def _repair_run(run, ckpt: Path, want: str | None) -> list[str]:
    from . import rundir

    old = _superseded(run.path, want)
    if not run.path.exists():
        if want is not None and old.exists():  # the row is back at a config already trained
            _move(old, run.path)
            if _superseded(ckpt, want).exists() and not ckpt.exists():
                _move(_superseded(ckpt, want), ckpt)
            return [f"{run.path}: restored from {old} (the table row is back at config {want})"]
        return []
    record = None
    try:
        record = run.read_json(rundir.CONFIG)
    except rundir.RunDirError:
        pass  # an unreadable config.json: the trainer rewrites it
    have = (record or {}).get("hash")
    if want is not None and have is not None and have != want:
        keep = _superseded(run.path, have)
        _move(run.path, keep)
        if ckpt.exists():
            _move(ckpt, _superseded(ckpt, have))
        return [f"{run.path}: trained from another version of its table row (config {have}, now "
                f"{want}): moved to {keep}; the run is trained again"]
    if (run.path / rundir.SCORES).exists():
        problem = run.problem(want, files=())
        if problem is not None:
            (run.path / rundir.SCORES).replace(run.path / DAMAGED)
            return [f"{problem}: kept as {run.path / DAMAGED}; the run is rebuilt from its checkpoints"]
    return []


def _superseded(path: Path, config_hash: str | None) -> Path:
    return Path(path).parent / SUPERSEDED / f"{Path(path).name}.{config_hash}"


def _move(src: Path, dst: Path) -> None:
    """Rename ``src`` to ``dst`` (or ``dst.1``, ``dst.2``... when taken: nothing is overwritten)."""
    free, k = dst, 0
    while free.exists():
        k += 1
        free = dst.with_name(f"{dst.name}.{k}")
    free.parent.mkdir(parents=True, exist_ok=True)
    src.replace(free)
