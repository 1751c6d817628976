"""``config/config.yaml`` read and checked the way the workflow checks it (its JSON schema in
``repro/schemas/config.schema.yaml``, package data), for the commands that read it outside Snakemake
(``repro plan``): a YAML error names the line and column, a schema violation the key."""
from __future__ import annotations

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


def load(path: str | Path) -> dict:
    """The workflow config, checked against its schema."""
    import jsonschema
    import yaml

    conf = load_yaml_mapping(path, "workflow config")
    validator = jsonschema.Draft202012Validator(yaml.safe_load(SCHEMA.read_text()))
    err = jsonschema.exceptions.best_match(validator.iter_errors(conf))
    if err is not None:
        key = "/".join(map(str, err.absolute_path)) or "(top level)"
        raise WorkflowConfigError(f"{path}, key {key}: {err.message}")
    return conf
