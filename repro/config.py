"""The run config: one cell of a paper table with one seed.

``RunConfig.from_dict`` rejects unknown keys, wrong types and impossible values at once, naming
the key and what is allowed; :meth:`RunConfig.resolved` expands the named setting (from
:mod:`repro.settings`, the only place its numbers live) into explicit optimizer values, and
:meth:`RunConfig.hash` identifies the run.
"""
from __future__ import annotations

import dataclasses
import hashlib
import json
import typing
from dataclasses import dataclass, fields
from pathlib import Path

from . import datasets, settings
from .errors import UserError

__all__ = ["RunConfig", "ConfigError", "MACHINE_KEYS", "CADENCE_KEYS", "RESULT_NEUTRAL",
           "TRAJECTORY_NEUTRAL", "MAX_SEED", "check_given", "record_keys"]

OPTIMIZER_KEYS = ("lr_g", "lr_d", "beta1", "beta2", "n_dis", "batch_size", "linear_decay", "batch_size_g",
                  "optim")
#: Keys that resolved() derives (no config field): dropped when a config.json is read back.
DERIVED = ("norm_revision",)
#: Keys added after runs were published, and the value that means "as before": a config holding
#: it hashes without the key, so every earlier run keeps its hash (see RunConfig.hash).
HASH_NEUTRAL = {"batch_size_g": lambda d: d["batch_size_g"] == d["batch_size"],
                "optim": lambda d: d["optim"] == "adam",
                "attention_variant": lambda d: d["attention_variant"] == "paper",
                "norm_revision": lambda d: d["norm_revision"] is None}


# -- which keys are the run's identity ------------------------------------------------------
# One definition, used by the config hash (RunConfig.hash), the experiment tables' schema
# (repro.experiments.NOT_IN_TABLES) and the prefix derivation (repro.report.references.PREFIX_FREE).
#: Where the data live and on what the run executes: set per machine, never in a table, not
#: hashed. The device is provenance, recorded per resumed segment (``segments`` in status.json /
#: scores.json): on a CPU the trajectory is bit-identical whichever device string picked it.
MACHINE_KEYS = ("data_root", "download", "device")
#: How often the trainer logs, checkpoints, draws samples and evaluates the learning curve (in
#: generator updates). None of them moves the trajectory: logging only reads the device-side
#: sums, checkpoints only copy state, the sample grid uses fixed noise and G in inference mode,
#: and curve evaluations run under repro.train.preserved_rng (tests/test_train.py checks
#: train.csv's losses and the final scores do not change with them). ``eval_every`` does set
#: which curve points the best checkpoint is chosen from; a run's curve.csv shows them.
CADENCE_KEYS = ("log_every", "ckpt_every", "keep_ckpts", "sample_every", "eval_every")
#: Keys the config hash leaves out: a run continues when only these change.
RESULT_NEUTRAL = MACHINE_KEYS + CADENCE_KEYS
#: Keys that do not change a run's trajectory up to its last update (without linear decay): a
#: run that differs from a longer one only in these is that run's exact prefix.
TRAJECTORY_NEUTRAL = CADENCE_KEYS + ("g_updates", "eval_protocol", "final_protocol", "seed")

#: Seeds are uint32 (numpy's and python's seeding take them; torch's too).
MAX_SEED = 2**32 - 1

class ConfigError(UserError, ValueError):
    """A config value that cannot run; ``key`` is the config key it is about (or None)."""

    def __init__(self, message: str, key: str | None = None):
        super().__init__(message)
        self.key = key


@dataclass(frozen=True)
class RunConfig:
    # what is trained
    dataset: str
    arch: str
    resolution: int = 32
    norm_d: str | None = None  # D's treatment (SNGAN's comparison set); None: the arch's default
    norm_g: str | None = None  # G's weight treatment; None: the arch's (SAGAN: spectral norm)
    loss: str = "standard"
    ls_coding: str = "iccv"  # least squares only: LSGAN's (a, b, c) coding
    z_dim: int | None = None  # None: the architecture's paper value
    ch: int | None = None  # base width; None: the paper's
    n_classes: int = 0  # > 0: class-conditional (SAGAN / projection D)
    attention: int | None = None  # SAGAN: feature-map size of the self-attention block
    attention_variant: str = "paper"  # "paper" (SAGAN Sec. 3) | "tf" (the authors' TF code)
    arch_kwargs: dict = dataclasses.field(default_factory=dict)  # e.g. LSGAN's bn_g / bn_d
    # how it is optimized: a named setting, each value overridable
    setting: str | None = None
    lr_g: float | None = None
    lr_d: float | None = None
    beta1: float | None = None
    beta2: float | None = None
    n_dis: int | None = None
    batch_size: int | None = None
    batch_size_g: int | None = None  # G's batch; None: the setting's, else batch_size
    linear_decay: bool | None = None
    optim: str | None = None  # the optimizer, adam | rmsprop; None: the setting's
    update: str = "alternating"  # or "simultaneous": both nets from one forward (LSGAN MoG code)
    g_updates: int = 1000  # number of generator updates
    seed: int = 0
    # evaluation, logging and checkpoints (in generator updates)
    eval_every: int = 0  # 0: only at the end
    eval_protocol: str | None = None  # None: the dataset's default curve protocol
    final_protocol: str | None = None  # None: the dataset's default protocol
    sample_every: int = 0
    log_every: int = 50
    ckpt_every: int = 500
    keep_ckpts: int = 2
    # where and how
    data_root: str | None = None
    data_subdir: str = ""
    download: bool = False
    device: str = "auto"  # auto | cpu | cuda | cuda:N
    precision: str = "fp32"  # fp32 (the reproduction path) | bf16 (autocast)
    compile: bool = False  # torch.compile the networks

    # ------------------------------------------------------------------ construction
    @classmethod
    def from_dict(cls, d: dict) -> "RunConfig":
        known = {f.name for f in fields(cls)}
        unknown = sorted(set(d) - known)
        derived = [k for k in unknown if k in DERIVED]
        if derived:  # copied from a run's config.json["config"]: the suite records it, nobody sets it
            raise ConfigError(f"config key {derived[0]!r} is derived (the suite records it in a run's "
                              f"config.json), not a setting: remove it, or give the whole config.json",
                              derived[0])
        if unknown:
            raise ConfigError(f"unknown config key(s) {unknown}; allowed keys: {', '.join(sorted(known))}",
                              unknown[0])
        missing = [f.name for f in fields(cls)
                   if f.default is dataclasses.MISSING and f.default_factory is dataclasses.MISSING
                   and f.name not in d]
        if missing:
            raise ConfigError(f"missing required config key(s) {missing}")
        hints = typing.get_type_hints(cls)
        for k, v in d.items():
            _check_type(k, v, hints[k])
        cfg = cls(**d)
        cfg.validate()
        return cfg

    @classmethod
    def load(cls, path: str | Path) -> "RunConfig":
        """Read a config from JSON or YAML; a resolved ``config.json`` of a run reads back too."""
        text = Path(path).read_text()
        if str(path).endswith((".yaml", ".yml")):
            import yaml

            d = yaml.safe_load(text)
        else:
            d = json.loads(text)
        if "config" in d:  # config.json of a run directory: {"config": ..., "hash": ...}
            d = record_keys(d["config"])
        return cls.from_dict(d)

    # ------------------------------------------------------------------ checks
    def validate(self) -> None:
        from . import losses, norms  # the torch modules that hold their registries: imported on use,
        # so that importing repro.config (as the report does) imports no torch
        def bad(key, value, allowed):
            raise ConfigError(f"config key {key!r}: {value!r} is not allowed; allowed: {allowed}", key)

        if self.dataset not in datasets.REGISTRY:
            bad("dataset", self.dataset, ", ".join(datasets.REGISTRY))
        spec = datasets.get(self.dataset)
        if spec.resolutions is not None and self.resolution not in spec.resolutions:
            bad("resolution", self.resolution, f"{spec.resolutions} for dataset {self.dataset}")
        if self.norm_d is not None and self.norm_d not in norms.NORMS:
            bad("norm_d", self.norm_d, ", ".join(norms.NORMS))
        if self.loss not in losses.LOSS_NAMES:
            bad("loss", self.loss, ", ".join(losses.LOSS_NAMES))
        if self.ls_coding not in losses.LS_CODINGS:
            bad("ls_coding", self.ls_coding, ", ".join(losses.LS_CODINGS))
        if self.setting is not None and self.setting not in settings.SETTINGS:
            bad("setting", self.setting, ", ".join(settings.SETTINGS))
        if self.attention_variant not in ("paper", "tf"):
            bad("attention_variant", self.attention_variant, "paper, tf")
        if self.attention_variant != "paper" and self.attention is None:
            bad("attention_variant", self.attention_variant, "paper when attention is empty (no block)")
        if self.update not in ("alternating", "simultaneous"):
            bad("update", self.update, "alternating, simultaneous")
        if self.precision not in ("fp32", "bf16"):
            bad("precision", self.precision, "fp32, bf16")
        if not (self.device in ("auto", "cpu", "cuda") or self.device.startswith("cuda:")):
            bad("device", self.device, "auto, cpu, cuda, cuda:N")
        if spec.n_classes is not None and self.n_classes not in (0, spec.n_classes):
            bad("n_classes", self.n_classes, f"0 (unconditional) or {spec.n_classes} for {self.dataset}")
        opt = self.optimizer()
        if opt["optim"] not in settings.OPTIMIZERS:
            bad("optim", opt["optim"], ", ".join(settings.OPTIMIZERS))
        for k in ("lr_g", "lr_d"):
            if not opt[k] > 0:
                bad(k, opt[k], "a learning rate > 0")
        for k in ("beta1", "beta2"):
            if not 0 <= opt[k] < 1:
                bad(k, opt[k], "0 <= beta < 1")
        for k, v in [("n_dis", opt["n_dis"]), ("batch_size", opt["batch_size"]),
                     ("batch_size_g", opt["batch_size_g"]), ("g_updates", self.g_updates),
                     ("log_every", self.log_every), ("ckpt_every", self.ckpt_every), ("keep_ckpts", self.keep_ckpts)]:
            if v < 1:
                bad(k, v, "an integer >= 1")
        for k in ("eval_every", "sample_every", "seed"):
            if getattr(self, k) < 0:
                bad(k, getattr(self, k), "an integer >= 0")
        if self.seed > MAX_SEED:
            bad("seed", self.seed, f"an integer 0 ... 2**32 - 1 = {MAX_SEED} (numpy's seed range)")
        if self.update == "simultaneous" and opt["n_dis"] != 1:
            bad("n_dis", opt["n_dis"], "1 with update 'simultaneous'")
        if self.update == "simultaneous" and opt["batch_size_g"] != opt["batch_size"]:
            bad("batch_size_g", opt["batch_size_g"], "batch_size with update 'simultaneous' (one forward)")
        from . import models

        try:
            models.check(self.arch, self.resolution, self.norm_d, self.norm_g, self.n_classes, self.attention,
                         ch=self.ch, z_dim=self.z_dim, channels=self.channels, **self.arch_kwargs)
        except ValueError as e:
            key = _arch_error_key(str(e))
            raise ConfigError(f"config key {key!r} ({self.arch}): {e}", key) from None
        if self.arch == "mlp" and self.channels is None:
            x_dim = self.networks()["arch_kwargs"].get("x_dim")
            if x_dim != 2:
                bad("arch_kwargs", self.arch_kwargs, f"x_dim 2 for dataset {self.dataset} (2-D points)")
        self._check_protocols()

    def _check_protocols(self) -> None:
        """A named protocol must fit the dataset (its network scores these samples; its real
        split exists), so a bad name fails here and not after training."""
        from .metrics import protocol

        for key, name in (("eval_protocol", self.eval_protocol), ("final_protocol", self.final_protocol)):
            if name is None:
                continue
            if name not in protocol.PROTOCOLS:
                raise ConfigError(f"config key {key!r}: {name!r} is not allowed; allowed: "
                                  f"{', '.join(protocol.PROTOCOLS)}", key)
            p = protocol.PROTOCOLS[name]
            if not datasets.fits(self.dataset, p):
                raise ConfigError(f"config key {key!r}: protocol {name!r} ({p.network} network, real "
                                  f"split {p.real_split}, {p.n_real} images) does not fit dataset "
                                  f"{self.dataset}; allowed: "
                                  f"{', '.join(protocol.protocols_for(self.dataset)) or 'none'}", key)

    # ------------------------------------------------------------------ derived values
    def optimizer(self) -> dict:
        """lr_g, lr_d, beta1, beta2, n_dis, batch_size, linear_decay, batch_size_g, optim:
        explicit values win over the named setting; with neither, SNGAN's setting A and batch 64
        (SNGAN's default). G's batch defaults to D's."""
        base = settings.get_setting(self.setting or "A").to_dict()
        o = {k: (getattr(self, k) if getattr(self, k) is not None else base[k]) for k in OPTIMIZER_KEYS}
        if o["batch_size_g"] is None:
            o["batch_size_g"] = o["batch_size"]
        return o

    @property
    def channels(self) -> int | None:
        """Image channels of the dataset (None for 2-D points)."""
        return datasets.get(self.dataset).channels

    def networks(self) -> dict:
        """The network arguments with the architecture's defaults filled in."""
        from . import models

        spec = models.ARCHS[self.arch]
        return {"norm_d": self.norm_d or spec.default_norm_d, "norm_g": self.norm_g or spec.default_norm_g,
                "z_dim": self.z_dim or spec.z_dim, "ch": self.ch or spec.ch,
                "arch_kwargs": {**dict(spec.arch_kwargs), **self.arch_kwargs}}

    def resolved(self) -> dict:
        """Every value the run uses, settings and defaults expanded: what ``config.json``
        records, and what the hash is taken of (so spelling a default out changes nothing)."""
        d = dataclasses.asdict(self)
        d.update(self.optimizer())
        d.update(self.networks())
        from . import norms

        d["norm_revision"] = norms.REVISIONS.get(d["norm_d"])  # what the treatment does since when
        return d

    def hash(self) -> str:
        """sha256 (first 16 hex digits) of the resolved config, minus the keys that cannot change
        the result (:data:`RESULT_NEUTRAL`: where the data live, the device, the logging,
        checkpoint, sample and evaluation cadence) and the :data:`HASH_NEUTRAL` keys at their
        "as before" value (so runs made before those keys existed keep their hashes)."""
        return _hash(self.resolved(), RESULT_NEUTRAL)


def _hash(resolved: dict, leave_out) -> str:
    d = {k: v for k, v in resolved.items() if k not in leave_out}
    d = {k: v for k, v in d.items() if not (k in HASH_NEUTRAL and HASH_NEUTRAL[k](d))}
    return hashlib.sha256(json.dumps(d, sort_keys=True).encode()).hexdigest()[:16]


def _arch_error_key(message: str) -> str:
    """The config key a :func:`repro.models.check` message is about."""
    for words, key in (("D normalization", "norm_d"), ("norm_d", "norm_d"), ("G normalization", "norm_g"),
                       ("attention", "attention"), ("resolution", "resolution"), ("n_classes", "n_classes"),
                       ("unknown arch ", "arch"), (" ch ", "ch"), ("z_dim", "z_dim"), ("argument", "arch_kwargs"),
                       (" must be a ", "arch_kwargs")):
        if words in message:
            return key
    return "arch"


def record_keys(d: dict) -> dict:
    """The config keys of a run's own record (``config.json``'s "config"), as the suite reads them
    back: the derived keys (:data:`DERIVED`) dropped."""
    return {k: v for k, v in d.items() if k not in DERIVED}


def check_given(d: dict) -> None:
    """Refuse keys a user set that the run would ignore (today: ``ls_coding`` with a loss other
    than least squares); called on what a table row or the command line gives, not on a resolved
    config.json (which spells every default out)."""
    loss = d.get("loss") or "standard"
    if d.get("ls_coding") is not None and loss != "least_squares":
        raise ConfigError(f"config key 'ls_coding': {d['ls_coding']!r} is ignored by loss "
                          f"{loss!r}; allowed: ls_coding only with loss least_squares",
                          "ls_coding")


def _check_type(key: str, value, hint) -> None:
    """Reject a value whose type does not match the field (bool is not an int here)."""
    args = typing.get_args(hint) or (hint,)
    ok = []
    for t in args:
        t = typing.get_origin(t) or t
        if t is type(None):
            ok.append(value is None)
        elif t is float:
            ok.append(isinstance(value, (int, float)) and not isinstance(value, bool))
        elif t is int:
            ok.append(isinstance(value, int) and not isinstance(value, bool))
        else:
            ok.append(isinstance(value, t))
    if not any(ok):
        names = " or ".join(getattr(typing.get_origin(t) or t, "__name__", str(t)) for t in args)
        raise ConfigError(f"config key {key!r}: {value!r} has type {type(value).__name__}; expected {names}", key)
