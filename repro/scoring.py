"""Score any generator or sample set under one or more named protocols ("bring your own
generator"): a run directory, a generator state dict of one of the suite's networks, a folder of
PNG/JPEG images, an ``.npz`` of uint8 samples, or a registered real-data split.

One call from Python::

    from repro.scoring import evaluate
    result = evaluate("runs/runs/smoke_digits/digits-sn-C-s0", protocols="all")
    result["scores"]["final"]["digits"]["fid"]

(``evaluate(npz="samples.npz", dataset="cifar10", protocols="sngan")``,
``evaluate(checkpoint="G.pt", arch="sngan_cnn", config={"dataset": "digits", "resolution": 16,
"ch": 16})``, ``evaluate(real="digits-16")`` and ``evaluate(images="folder/")`` likewise);
``repro evaluate`` is the same function on the command line.

Scoring reuses the trainer's path (:mod:`repro.evaluator`, :mod:`repro.metrics.evaluate`): the
same sampler, :func:`~repro.metrics.evaluate.sample_features` and
:func:`~repro.metrics.evaluate.score_features`, and the same cached reference statistics, so a run
scored under its own final protocol gives exactly the numbers in its ``scores.json``.

Features are computed once per *feature pass*: (network, its weights, resize, quantisation of
float output, generator mode, sample set). Every protocol of a pass takes the first ``n_generated`` of
the pass's ``max(n_generated)`` images -- the sample stream is a prefix-stable function of (seed,
sample batch), and features are extracted in batches of the pass's ``feature_batch``, so a
protocol scored inside a shared pass reads exactly as it does alone (tested).
"""
from __future__ import annotations

import contextlib
import json
import os
import time
import zipfile
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Callable, Iterable, Mapping

import numpy as np
import torch
from torch import nn

from . import data, datasets, io, rundir
from .datasets import REAL_SETS
from .errors import UserError
from .evaluator import DEFAULT_PROTOCOLS, protocols, sample_seed, sampler
from .metrics import evaluate as ev
from .metrics.protocol import PROTOCOLS, Protocol, get_protocol, protocols_for

FORMAT = "repro-evaluate/1"
IMAGE_SUFFIXES = (".png", ".jpg", ".jpeg")
#: Images per generator call when sampling (the trainer's default: part of the sample stream).
SAMPLE_BATCH = 250


class SourceError(UserError, ValueError):
    """A source to score cannot be read or does not fit the protocol; the message names the file."""


#: dataset -> network that scores it.
NETWORK_OF = datasets.View(lambda d: d.network, keep=lambda d: d.network and d.protocols[0])


@dataclass
class ScoreSource:
    """What is scored: generators (``kind`` run/checkpoint) or a fixed uint8 image set."""

    kind: str
    dataset: str
    resolution: int
    info: dict
    generators: dict[str, nn.Module] = field(default_factory=dict)
    images: torch.Tensor | None = None  # uint8 (N, C, H, W)
    seed: int = 0
    n_classes: int = 0
    data_root: str | None = None
    mixture: Any = None


# -- protocols -----------------------------------------------------------------------------------

def resolve_protocols(spec: str | Iterable[str] | None, source: ScoreSource) -> list[Protocol]:
    """Protocols named by `spec` ("a,b,c", a list of names or `Protocol` objects, "all", or None:
    the dataset's final protocol), each checked to fit the source's dataset."""
    fits = protocols_for(source.dataset)
    if spec is None:
        default = source.info.get("final_protocol") or DEFAULT_PROTOCOLS.get(source.dataset, (None,))[0]
        names = [default] if default else []
    elif isinstance(spec, str):
        names = fits if spec == "all" else [s.strip() for s in spec.split(",") if s.strip()]
    else:
        names = list(spec)
    if not names:
        raise SourceError(f"no protocol scores dataset {source.dataset!r}; name one with --protocol")
    out = []
    for name in names:
        if isinstance(name, Protocol):  # an unregistered variant (Python API only)
            if not datasets.fits(source.dataset, name):
                raise SourceError(f"protocol {name.name!r} (network {name.network!r}, real split "
                                  f"{name.real_split!r}, {name.n_real} real images) does not fit dataset "
                                  f"{source.dataset!r}, scored by {NETWORK_OF.get(source.dataset)!r}")
            out.append(name)
            continue
        if name not in PROTOCOLS:
            raise SourceError(f"--protocol: unknown protocol {name!r}; known: {', '.join(PROTOCOLS)}")
        if name not in fits:
            raise SourceError(f"--protocol: {name!r} does not fit dataset {source.dataset!r} (other "
                              f"network or too few real images); protocols that fit: {', '.join(fits)}")
        out.append(get_protocol(name))
    return out


# -- sources -------------------------------------------------------------------------------------

def _generator(cfg, device: torch.device) -> nn.Module:
    """G of the run config, built exactly as the trainer builds it (repro.train.setup)."""
    from . import models

    net = cfg.networks()
    G, _ = models.build(cfg.arch, resolution=cfg.resolution, channels=cfg.channels, z_dim=net["z_dim"],
                        ch=net["ch"], norm_d=net["norm_d"], norm_g=net["norm_g"], n_classes=cfg.n_classes,
                        attention=cfg.attention, **net["arch_kwargs"])
    return G.to(device)


#: What a training checkpoint (``ckpt_*.pt``, :mod:`repro.train`) holds besides tensors: numpy's
#: RNG state. Allowed by name, so ``weights_only`` loading (no code from the file) still reads it.
_CKPT_GLOBALS = [np._core.multiarray._reconstruct, np.ndarray, np.dtype, np.dtypes.UInt32DType,
                 np.dtypes.Int64DType, np.dtypes.Float64DType]


def _load_state(G: nn.Module, path: Path, what: str, device: torch.device) -> nn.Module:
    try:
        with torch.serialization.safe_globals(_CKPT_GLOBALS):  # a ckpt_*.pt's numpy RNG state
            state = torch.load(path, map_location=device, weights_only=True)
    except Exception as e:  # noqa: BLE001 -- any unreadable file is the user's to fix
        raise SourceError(f"{path}: not a readable torch state dict ({type(e).__name__}: {e})") from None
    if isinstance(state, Mapping) and "G" in state and isinstance(state["G"], Mapping):
        state = state["G"]  # a training checkpoint (ckpt_*.pt): take its generator
    if not isinstance(state, Mapping):
        raise SourceError(f"{path}: holds a {type(state).__name__}, expected a generator state dict")
    mine = G.state_dict()
    missing = [k for k in mine if k not in state]
    extra = [k for k in state if k not in mine]
    shapes = [f"{k}: file {tuple(state[k].shape)} vs network {tuple(v.shape)}" for k, v in mine.items()
              if k in state and hasattr(state[k], "shape") and tuple(state[k].shape) != tuple(v.shape)]
    if missing or extra or shapes:
        detail = "; ".join(filter(None, [
            f"missing {missing[:3]}{'...' if len(missing) > 3 else ''}" if missing else "",
            f"unexpected {extra[:3]}{'...' if len(extra) > 3 else ''}" if extra else "",
            f"shape {shapes[0]}" if shapes else ""]))
        raise SourceError(f"{path}: not a generator of {what} ({detail}); pass --arch and the --set "
                          f"keys that shape it (dataset, resolution, ch, z_dim, norm_g, n_classes, attention)")
    G.load_state_dict(state)
    return G


def from_run(run_dir: str | Path, device: str = "cpu") -> ScoreSource:
    """A finished, intact run directory (its sealed scores.json vouches for config.json and the
    generators): its final (and best) generator, its seed and final protocol."""
    from .config import RunConfig

    run_dir = Path(run_dir)
    cfg_path, final = run_dir / rundir.CONFIG, run_dir / rundir.G_FINAL
    if not cfg_path.is_file() or not final.is_file():
        state = {}
        with contextlib.suppress(OSError, ValueError):
            state = json.loads((run_dir / rundir.STATUS).read_text())
        if state.get("state") == "diverged":
            raise SourceError(f"{run_dir}: the run diverged at step {state.get('step')} and left no "
                              f"G_final.pt to score")
        raise SourceError(f"{run_dir}: not a finished run directory (needs config.json and G_final.pt; "
                          f"train it to the end with `repro train`)")
    cfg = RunConfig.load(cfg_path)
    # the seal vouches for config.json and the generators: a swapped G_final.pt is not this run
    problem = rundir.RunDir(run_dir).problem(cfg.hash(), files=(rundir.CONFIG, rundir.G_FINAL, rundir.G_BEST))
    if problem is not None:
        raise SourceError(f"{problem}; {rundir.rebuild_hint(run_dir)}")
    dev = torch.device(device)
    gens, files = {}, {}
    for kind, name in (("final", rundir.G_FINAL), ("best", rundir.G_BEST)):
        path = run_dir / name
        if path.is_file():
            gens[kind] = _load_state(_generator(cfg, dev), path, f"run {run_dir}", dev)
            files[name] = io.sha256_file(path)
    final_p = protocols(cfg)["final"]
    info = {"kind": "run", "path": str(run_dir), "config_hash": cfg.hash(), "files": files,
            "final_protocol": final_p.name if final_p else None}
    mixture = data.load(cfg.dataset, cfg.resolution).mixture if cfg.dataset.startswith("mog") else None
    return ScoreSource("run", cfg.dataset, cfg.resolution, info, gens, seed=cfg.seed,
                       n_classes=cfg.n_classes, data_root=cfg.data_root, mixture=mixture)


def from_checkpoint(path: str | Path, arch: str, config: Mapping | None = None, device: str = "cpu",
                    seed: int = 0) -> ScoreSource:
    """A generator state dict (or a training checkpoint) of `arch`, shaped by run-config keys."""
    from .config import RunConfig

    path = Path(path)
    if not path.is_file():
        raise SourceError(f"{path}: checkpoint not found")
    d = {"arch": arch, **dict(config or {})}
    if "dataset" not in d:
        raise SourceError(f"{path}: say which dataset the generator models with --set dataset=NAME "
                          f"(the protocols and reference images follow from it)")
    cfg = RunConfig.from_dict(d)
    G = _load_state(_generator(cfg, torch.device(device)), path,
                    f"arch {arch} with {', '.join(f'{k}={v}' for k, v in sorted(d.items()) if k != 'arch')}",
                    torch.device(device))
    info = {"kind": "checkpoint", "path": str(path), "arch": arch, "config": cfg.resolved(),
            "files": {path.name: io.sha256_file(path)}, "final_protocol": cfg.final_protocol}
    return ScoreSource("checkpoint", cfg.dataset, cfg.resolution, info, {"final": G}, seed=seed,
                       n_classes=cfg.n_classes, data_root=cfg.data_root)


def _nchw(a: np.ndarray) -> torch.Tensor:
    """(N, H, W, C) -> (N, C, H, W) with standard strides: a permuted view (which torch calls
    contiguous when C = 1) would send convolutions down another kernel and move scores by
    float32 round-off."""
    view = torch.from_numpy(a).permute(0, 3, 1, 2)
    return torch.empty(view.shape, dtype=view.dtype).copy_(view)  # empty(): standard strides


def _check_images(x: torch.Tensor, dataset: str | None, what: str) -> tuple[str, int]:
    """(dataset, resolution) of a uint8 (N, C, H, W) set, checked against the dataset."""
    n, c, h, w = x.shape
    if h != w:
        raise SourceError(f"{what}: images are {h}x{w}; the suite's protocols take square images")
    if dataset is None:
        raise SourceError(f"{what}: say which dataset the images imitate with --dataset "
                          f"({', '.join(d for d in NETWORK_OF if not d.startswith('mog'))}); the "
                          f"protocols and the reference images follow from it")
    spec = data.DATASETS.get(dataset)
    if spec is None or dataset.startswith("mog"):
        raise SourceError(f"--dataset {dataset!r} is not an image dataset; known: "
                          f"{', '.join(d for d in NETWORK_OF if not d.startswith('mog'))}")
    if spec["channels"] != c:
        kind = {1: "grayscale", 3: "RGB"}.get(c, f"{c}-channel")
        raise SourceError(f"{what}: images are {kind} ({c} channel(s)); dataset {dataset} and its "
                          f"protocols take {spec['channels']} channel(s)")
    if spec["resolutions"] is not None and h not in spec["resolutions"]:
        raise SourceError(f"{what}: images are {h}x{w}; dataset {dataset} is scored at "
                          f"{', '.join(map(str, spec['resolutions']))} pixels")
    return dataset, h


def from_images(folder: str | Path, dataset: str | None = None) -> ScoreSource:
    """A folder of PNG/JPEG files (sorted by name), all of one size and colour mode."""
    from PIL import Image

    folder = Path(folder)
    if not folder.is_dir():
        raise SourceError(f"{folder}: not a directory")
    files = sorted(p for p in folder.iterdir() if p.suffix.lower() in IMAGE_SUFFIXES)
    if not files:
        raise SourceError(f"{folder}: no {'/'.join(IMAGE_SUFFIXES)} files in it")
    arrays, first = [], None
    for p in files:
        try:
            with Image.open(p) as im:
                mode, size = im.mode, im.size
                if mode not in ("L", "RGB"):
                    raise SourceError(f"{p}: colour mode {mode}; expected L (grayscale) or RGB "
                                      f"(convert it, e.g. PIL's .convert('RGB'))")
                a = np.asarray(im, dtype=np.uint8)
        except OSError as e:
            raise SourceError(f"{p}: not a readable image ({e})") from None
        if first is None:
            first = (p, mode, size)
        elif (mode, size) != first[1:]:
            raise SourceError(f"{p}: {mode} {size[0]}x{size[1]}, but {first[0].name} is {first[1]} "
                              f"{first[2][0]}x{first[2][1]}; every image must have one size and mode")
        arrays.append(a[..., None] if a.ndim == 2 else a)
    x = _nchw(np.stack(arrays))
    dataset, res = _check_images(x, dataset, str(folder))
    digest = io.stable_hash({p.name: io.sha256_file(p) for p in files}, length=64)
    info = {"kind": "images", "path": str(folder), "n_files": len(files), "files_sha256": digest}
    return ScoreSource("images", dataset, res, info, images=x)


def from_npz(path: str | Path, dataset: str | None = None) -> ScoreSource:
    """An ``.npz`` holding one (N, H, W, C) uint8 array (as TF-era codebases save samples)."""
    path = Path(path)
    try:
        z = np.load(path, allow_pickle=False)
        if not isinstance(z, np.lib.npyio.NpzFile):  # a renamed .npy
            raise SourceError(f"{path}: an .npy array, not an .npz archive; save it with np.savez")
        with z:
            keys = list(z.keys())
            key = keys[0] if len(keys) == 1 else ("arr_0" if "arr_0" in keys else None)
            if key is None:
                raise SourceError(f"{path}: holds arrays {keys}; expected one (N, H, W, C) uint8 array")
            a = z[key]
    except (OSError, ValueError, EOFError, zipfile.BadZipFile) as e:  # truncated, not a zip
        raise SourceError(f"{path}: not a readable .npz ({type(e).__name__}: {e}); write it again "
                          f"with np.savez") from None
    want = "expected one (N, H, W, C) uint8 array with C = 1 or 3"
    if a.dtype != np.uint8:
        raise SourceError(f"{path}: array {key!r} has dtype {a.dtype}; {want} (values 0..255; "
                          f"from [-1, 1] floats: np.clip(x * 127.5 + 127.5, 0, 255).astype(np.uint8))")
    if a.ndim != 4 or a.shape[-1] not in (1, 3):
        hint = " -- it looks like (N, C, H, W): transpose it with a.transpose(0, 2, 3, 1)" \
            if a.ndim == 4 and a.shape[1] in (1, 3) else ""
        raise SourceError(f"{path}: array {key!r} has shape {a.shape}; {want}{hint}")
    x = _nchw(a)
    dataset, res = _check_images(x, dataset, str(path))
    info = {"kind": "npz", "path": str(path), "key": key, "sha256": io.sha256_file(path)}
    return ScoreSource("npz", dataset, res, info, images=x)


def real_images(dataset: str, resolution: int, split: str, data_root: str | None = None) -> torch.Tensor:
    """uint8 images of a protocol's real split, as the trainer reads it
    (:func:`repro.evaluator._real_images`): "test" is the torchvision test split, any other name
    the set a run trains on (CIFAR-10 train, STL-10 unlabeled, all digits)."""
    if split == "test":
        return data.torchvision_set(dataset, resolution, data_root, split="test").data
    return data.load(dataset, resolution, data_root).data.cpu()


def from_real(name: str, data_root: str | None = None) -> ScoreSource:
    """A registered real-data split (:data:`repro.datasets.REAL_SETS`), scored as if it were a generator's samples."""
    if name not in REAL_SETS:
        raise SourceError(f"--real: unknown real split {name!r}; registered: {', '.join(REAL_SETS)}")
    r = REAL_SETS[name]
    if "torchvision_split" in r:  # a split no protocol uses as its reference (STL-10 train)
        x = data.torchvision_set(r["dataset"], r["resolution"], data_root, split=r["torchvision_split"]).data
    else:
        x = real_images(r["dataset"], r["resolution"], r["split"], data_root)
    x = x[r.get("offset", 0):]
    info = {"kind": "real", "name": name, **r}
    return ScoreSource("real", r["dataset"], r["resolution"], info, images=x, data_root=data_root)


# -- scoring -------------------------------------------------------------------------------------

def _pass_key(p: Protocol, source: ScoreSource) -> tuple:
    """What determines the features a protocol needs (see the module docstring)."""
    generated = source.images is None
    return (p.network, p.network_sha256, p.resize, p.quantize if generated else "-",
            p.g_mode if generated else "-", p.feature_batch)


def _reference(p: Protocol, source: ScoreSource, extractor) -> Any:
    shape = (data.DATASETS[source.dataset]["channels"], source.resolution, source.resolution)
    return ev.reference_stats(lambda: real_images(source.dataset, source.resolution, p.real_split,
                                                  source.data_root),
                              p, extractor, dataset=f"{source.dataset}-{source.resolution}",
                              image_shape=shape)


def score(source: ScoreSource, protocols: list[Protocol], device: str = "cpu",
          extractor_factory: Callable | None = None) -> dict:
    """Scores of every generator (or the image set) of `source` under every protocol.

    Returns ``{"scores": {generator: {protocol: record}}, "passes": [...]}``; each record is what
    the trainer writes into a run's ``scores.json`` (metrics + the full protocol record).
    `extractor_factory(protocol, device)` replaces :func:`repro.metrics.evaluate.build_extractor`
    (tests count its calls).
    """
    dev = torch.device(device)
    build = extractor_factory or ev.build_extractor
    targets = source.generators or {"images": None}
    out: dict = {name: {} for name in targets}
    passes = []
    mog = [p for p in protocols if p.network == "mog"]
    for p in mog:  # 2-D samples: no features to share
        mix = source.mixture
        for name, G in targets.items():
            out[name][p.name] = ev.evaluate_mog_generator(
                sampler(G, source.n_classes, dev), mix.modes.cpu().numpy(), mix.sigma, p, dev,
                seed=sample_seed(source.seed, name), generator_module=G, weights=mix.weights.cpu().numpy())
    groups: dict[tuple, list[Protocol]] = {}
    for p in protocols:
        if p.network != "mog":
            groups.setdefault(_pass_key(p, source), []).append(p)
    for key, group in groups.items():
        extractor = build(group[0], dev)
        n = max(p.n_generated for p in group)
        refs = {p.name: _reference(p, source, extractor) for p in group}
        for name, G in targets.items():
            start = time.perf_counter()
            if G is None:
                feats, counters = extractor.extract_batches(
                    [source.images[i:i + SAMPLE_BATCH] for i in range(0, n, SAMPLE_BATCH)]), {}
            else:
                feats, counters = ev.sample_features(
                    sampler(G, source.n_classes, dev), n, sample_seed(source.seed, name), dev, extractor,
                    generator_module=G, g_mode=group[0].g_mode, quantize=group[0].quantize,
                    sample_batch=SAMPLE_BATCH)
            seconds = time.perf_counter() - start
            for p in group:
                fake = ev.Features(feats.features[:p.n_generated], feats.logits[:p.n_generated])
                ref = refs[p.name]
                s = ev.score_features(fake, p, ref.mu, ref.sigma, ref.features, kid=False)
                extra = {"seed": sample_seed(source.seed, name), "sample_batch": SAMPLE_BATCH} if G is not None else \
                    {"images_used": p.n_generated, "images_given": len(source.images)}
                out[name][p.name] = {**s, **ev._record(
                    p, extractor, dev, n_fake=p.n_fake, feature_batch=extractor.batch_size,
                    reference={"key": ref.key, "n": ref.n, "path": ref.path, "from_cache": ref.from_cache},
                    nonfinite_images=counters.get("nonfinite_images", 0), seconds=seconds, **extra)}
            passes.append({"generator": name, "protocols": [p.name for p in group], "n": n,
                           "network": key[0], "resize": key[2], "quantize": key[3], "g_mode": key[4],
                           "seconds": round(seconds, 3)})
    return {"scores": out, "passes": passes}


def _run_device(run_dir: str | Path) -> str | None:
    """"cuda" or "cpu": the device type a run's scores were computed on (its scores.json)."""
    with contextlib.suppress(OSError, ValueError, KeyError, TypeError):
        device = json.loads((Path(run_dir) / rundir.SCORES).read_text())["numerics"]["device"]
        return "cuda" if device.startswith("cuda") else "cpu"
    return None


def evaluate(run: str | Path | None = None, *, checkpoint: str | Path | None = None,
             arch: str | None = None, config: Mapping | None = None, images: str | Path | None = None,
             npz: str | Path | None = None, real: str | None = None, dataset: str | None = None,
             protocols: str | Iterable[str] | None = None, device: str | None = None, seed: int = 0,
             data_root: str | None = None, out: str | Path | None = None,
             extractor_factory: Callable | None = None) -> dict:
    """Score one source under one or more protocols; the documented one-call API.

    Exactly one of `run` (a finished run directory), `checkpoint` (+ `arch`, `config`: the
    run-config keys that shape the network, `dataset` among them), `images` (folder), `npz`
    (file) or `real` (a name of :data:`repro.datasets.REAL_SETS`). `protocols`: "a,b,c", a list, "all" (every protocol
    that fits the dataset: :func:`protocols_for`) or None (the run's final protocol / the
    dataset's default). `dataset` is needed for `images` and `npz`. `seed` seeds the sampling of
    a checkpoint (a run uses its own seed). `device`: None = a run's own device type (samples are
    drawn from a generator on it, so only that device reproduces its scores.json), else "auto".
    With `out`, the self-describing result is also written there (atomically) as JSON.

    Returns ``{"format", "source", "protocols", "scores": {generator: {protocol: record}},
    "passes", "versions", "numerics", "git_commit", "seconds"}``; ``scores`` has "final" and
    "best" for a run, "final" for a checkpoint, "images" for images, npz and real data.
    """
    from .train import pick_device

    _check_request(out, seed, config)  # before any work: a bad --out would lose the scores
    start = time.perf_counter()
    if device is None:  # a run: where it was scored (the sample stream depends on the device)
        device = (_run_device(run) if run is not None else None) or "auto"
    device = str(pick_device(device))  # "auto" -> cuda when there is one
    source = _source(run, checkpoint, arch, config, images, npz, real, dataset, protocols, device,
                     seed, data_root)
    chosen, skipped = _fitting_protocols(protocols, source)
    result = score(source, chosen, device, extractor_factory)
    note = _note(source, chosen, skipped)
    record = {"format": FORMAT, "source": {**source.info, "dataset": source.dataset,
                                           "resolution": source.resolution,
                                           "n_images": None if source.images is None else len(source.images)},
              "protocols": [p.name for p in chosen], **result, "note": note,
              "versions": io.versions(), "numerics": io.device_info(torch.device(device)),
              "git_commit": io.git_commit(), "seconds": round(time.perf_counter() - start, 3)}
    if out is not None:
        io.write_json(out, record)
    return record


def _source(run, checkpoint, arch, config, images, npz, real, dataset, protocols, device, seed,
            data_root) -> ScoreSource:
    """The one source :func:`evaluate` was given, loaded (a real set's protocol files checked
    before its data are read)."""
    given = [k for k, v in (("run", run), ("checkpoint", checkpoint), ("images", images),
                            ("npz", npz), ("real", real)) if v is not None]
    if len(given) != 1:
        raise SourceError(f"give exactly one source (--run, --checkpoint, --images, --npz or --real); "
                          f"got {', '.join(given) or 'none'}")
    if checkpoint is not None and not arch:
        raise SourceError(f"{checkpoint}: --checkpoint needs --arch NAME (and the --set keys that shape it)")
    if run is not None:
        source = from_run(run, device)
    elif checkpoint is not None:
        cfg = dict(config or {})
        if data_root:
            cfg.setdefault("data_root", data_root)
        source = from_checkpoint(checkpoint, arch, cfg, device, seed)
    elif images is not None:
        source = from_images(images, dataset)
    elif npz is not None:
        source = from_npz(npz, dataset)
    else:
        if real in REAL_SETS:  # the protocols' files are checked before a data set is loaded
            r = REAL_SETS[real]
            for p in resolve_protocols(protocols, ScoreSource("real", r["dataset"], r["resolution"], {})):
                ev.preflight(p)
        source = from_real(real, data_root)
    if data_root and source.data_root is None:
        source.data_root = data_root
    return source


def _fitting_protocols(protocols, source: ScoreSource) -> tuple[list, list[str]]:
    """The protocols to score `source` under, and those "all" skipped (more samples than the
    images given); each preflighted (a missing Inception file fails before any sample is drawn)."""
    chosen = resolve_protocols(protocols, source)
    skipped = []
    if protocols == "all" and source.images is not None:  # "all": those the images can fill
        skipped = [p.name for p in chosen if p.n_generated > len(source.images)]
        if len(skipped) == len(chosen):
            raise SourceError(f"{source.info.get('path') or source.info.get('name')}: {len(source.images)} "
                              f"images; every protocol of {source.dataset} needs at least "
                              f"{min(p.n_generated for p in chosen)}; give more images")
        chosen = [p for p in chosen if p.n_generated <= len(source.images)]
    for p in chosen:
        ev.preflight(p)
    if source.images is not None:
        most = max(p.n_generated for p in chosen)
        if len(source.images) < most:
            short = [p.name for p in chosen if p.n_generated > len(source.images)]
            raise SourceError(f"{source.info.get('path') or source.info.get('name')}: "
                              f"{len(source.images)} images; protocol(s) {', '.join(short)} need "
                              f"{most}; give more images or choose protocols with fewer samples")
    return chosen, skipped


def _note(source: ScoreSource, chosen: list, skipped: list[str]) -> str | None:
    """What the reader of the scores must know about the images used (None: nothing)."""
    notes = []
    if source.images is not None and len(source.images) > min(p.n_generated for p in chosen):
        notes.append(f"{len(source.images)} images given; each protocol used the first "
                     f"({', '.join(f'{p.name}: {p.n_generated}' for p in chosen)})")
    if skipped:
        notes.append(f"skipped (more samples than images given): {', '.join(skipped)}")
    return "; ".join(notes) or None


def _check_request(out, seed: int, config: Mapping | None) -> None:
    """Refuse what :func:`evaluate` would only find out after scoring: an ``out`` that cannot be
    written, a seed numpy cannot take (one past 2**32 - 1 wrapped to 0), a ``seed`` set as a
    shape key (it is ignored there: ``--seed`` seeds a checkpoint's samples)."""
    if "seed" in (config or {}):
        raise SourceError("--set seed=... does not seed the samples; give --seed N")
    if not 0 <= int(seed) < 2**32:
        raise SourceError(f"--seed {seed}: a sampling seed is 0 .. {2**32 - 1}")
    if out is None:
        return
    out = Path(out)
    if out.is_dir():
        raise SourceError(f"--out {out} is a directory; give a file path, e.g. {out / 'scores.json'}")
    parent = next((p for p in [out.parent, *out.parent.parents] if p.exists()), Path("."))
    if not parent.is_dir():
        raise SourceError(f"--out {out}: {parent} is a file, not a directory; give another path")
    if not os.access(parent, os.W_OK | os.X_OK):
        raise SourceError(f"--out {out}: {parent} is not writable; give a path you can write")


#: metrics shown by :func:`table`, in order.
TABLE_METRICS = ("fid", "is_mean", "is_std", "kid", "modes_covered", "hq_fraction", "kl_uniform", "top_mode_share")


def table(result: Mapping) -> "pd.DataFrame":  # noqa: F821
    """One row per (generator, protocol): the score, what distinguishes the protocol, and (with
    several protocols) each score minus the first protocol's: the protocol-sensitivity table."""
    import pandas as pd

    rows = []
    for gen, by_protocol in result["scores"].items():
        for name, r in by_protocol.items():
            p = r["protocol"]
            row = {"generator": gen, "protocol": name, "n_fake": p["n_fake"], "n_real": p["n_real"],
                   "real_split": p["real_split"], "resize": p["resize"], "quantize": p["quantize"],
                   "g_mode": p["g_mode"]}
            row.update({m: r[m] for m in TABLE_METRICS if r.get(m) is not None})
            first = next(iter(by_protocol.values()))  # the gap each protocol opens on its own
            for m in ("fid", "is_mean"):
                if r.get(m) is not None and first.get(m) is not None and len(by_protocol) > 1:
                    row[f"{m} - {next(iter(by_protocol))}"] = r[m] - first[m]
            rows.append(row)
    return pd.DataFrame(rows)


def score_real_row(table: str | Path, run_id: str, out: str | Path, data_root: str | None = None,
                   device: str = "cpu") -> dict:
    """Score a "Real data" row of an experiment table into a run directory (what the workflow's
    ``real_data`` rule runs): ``scores.json`` in the trainer's format (status, ``final``: the
    record, seed, versions, numerics) plus the source, and ``status.json`` -- so the report reads
    it like any run, and judges it with :func:`repro.report.real.judge_real`."""
    from .experiments import TableError, check_real_row, is_real, read_table

    df = read_table(table)
    match = df[df["run_id"] == run_id]
    if match.empty or not is_real(match.iloc[0]):
        raise TableError(f"{table}: no real-data row with run_id {run_id!r} (a row with a 'real' split)")
    row = dict(match.iloc[0])
    check_real_row(row)
    start = time.perf_counter()
    result = evaluate(real=row["real"], protocols=row["protocol"], device=device, data_root=data_root)
    out = Path(out)
    scores = {"status": "completed", "kind": "real", "final": result["scores"]["images"][row["protocol"]],
              "source": result["source"], "note": result["note"], "config_hash": None,
              "seed": row.get("seed"), "wall_seconds": round(time.perf_counter() - start, 3),
              "numerics": result["numerics"], "versions": result["versions"],
              "git_commit": result["git_commit"]}
    rd = rundir.RunDir(out)
    with rd.owner():  # one writer, and a sealed scores.json as every finished run has
        if rd.state() is None:
            rd.set_state(rundir.RUNNING, 0, kind="real")
        rd.seal(scores)
        rd.set_state(rundir.COMPLETED, 0, kind="real")
    return scores
