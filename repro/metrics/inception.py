"""The Inception-v3 feature network behind FID and IS: NVIDIA's TorchScript of the 2015 TF graph.

File: ``inception-2015-12-05.pt`` (95,607,719 bytes), a direct TorchScript translation of
http://download.tensorflow.org/models/image/imagenet/inception-2015-12-05.tgz made for
StyleGAN2-ADA and used by StyleGAN2-ADA/3, EDM and clean-fid (clean-fid 0.1.35 downloads it from
`INCEPTION_URL` into a hard-coded ``/tmp``: ``cleanfid/downloads_helper.py``,
``cleanfid/features.py``).

Checksum: `INCEPTION_SHA256` is *not* published by NVIDIA or clean-fid. It is the digest that
crowsonkb/k-diffusion pins for the very same URL (``k_diffusion/evaluation.py``,
``InceptionV3FeatureExtractor``: ``digest = 'f58cb9b6...'`` passed to its verifying download helper,
commit 0f9902fcbf06414cb53d9a1db99b3a61205b0ca7); several other public projects pin the same value
for this file, one of them noting "official NVIDIA response, 95,607,719 bytes" (the size we quote in
error messages). We could not hash the file here (no network), so it stays a constant with this
provenance; verification is mandatory anyway -- a file with any other digest is never loaded. If
NVIDIA ever re-publishes a different file, this constant (and every protocol key) must change.

What the TorchScript holds (seen in public transcriptions of its ``code/``; StyleGAN2-ADA calls
``detector(img, return_features=True)`` for FID and ``detector(img, no_output_bias=True)`` for IS):

* ``forward(img, return_features=False, use_fp16=False, no_output_bias=False)``: resizes any input
  to 299x299 inside (TF1 legacy bilinear via affine_grid/grid_sample), normalizes with
  ``(x - 128) / 128``, runs ``self.layers`` (-> 2048-d pool3 features), and either returns the
  features or ``softmax(linear(features, self.output.weight[, self.output.bias]))`` (1008 classes);
* ``self.layers``: the convolutional trunk; clean-fid's "clean" mode calls it directly on images it
  has already resized to 299 with ``(x - 128) / 128`` (``InceptionV3W.forward``);
* ``self.output``: ``Linear(2048, 1008)``.

`NvidiaInception` returns both outputs from one pass: pool features, and logits
``features @ output.weightᵀ`` *without* bias (StyleGAN2-ADA ``no_output_bias=True`` / torch-fidelity
"logits_unbiased", matching OpenAI's original IS code). In "clean" mode it feeds ``layers`` like
clean-fid; in "legacy_tensorflow" mode it calls the TorchScript's own ``forward`` (resize inside),
exactly like clean-fid's legacy mode and StyleGAN2-ADA.

Offline: nothing here downloads. `locate_inception_weights` searches, in order: an explicit path
(argument / config value) -> ``$REPRO_INCEPTION`` -> ``$REPRO_CACHE/inception-2015-12-05.pt``
(``REPRO_CACHE`` defaults to ``<project root or cwd>/cache``) -> clean-fid's ``/tmp`` location,
and raises `MissingWeightsError` naming every path, the digest and the URL.
"""

from __future__ import annotations

import os
import warnings
from pathlib import Path

import torch
import torch.nn.functional as F
from torch import nn

from ..io import CACHE_ENV, cache_dir, sha256_file
from .extractor import FeatureExtractor
from .networks import INCEPTION_SHA256
from ..errors import UserError

INCEPTION_FILENAME = "inception-2015-12-05.pt"
INCEPTION_URL = ("https://nvlabs-fi-cdn.nvidia.com/stylegan2-ada-pytorch/pretrained/metrics/"
                 + INCEPTION_FILENAME)
INCEPTION_BYTES = 95_607_719  # reported by a third party with the digest; only used in messages
WEIGHTS_ENV = "REPRO_INCEPTION"
# clean-fid's hard-coded download location on non-Windows systems (cleanfid/features.py).
CLEANFID_PATH = Path("/tmp") / INCEPTION_FILENAME


class MissingWeightsError(UserError, FileNotFoundError):
    """The Inception weights file is not in any searched location (we never download)."""


class WeightsChecksumError(UserError, RuntimeError):
    """A weights file exists but its sha256 is wrong (truncated or a different file)."""


_VERIFIED: dict[tuple[str, int, int], str] = {}  # (path, size, mtime_ns) -> digest, per process


def candidate_paths(explicit: str | os.PathLike | None = None) -> list[Path]:
    """The search order for the weights file (see module docstring)."""
    paths: list[Path] = []
    if explicit:
        paths.append(Path(explicit))
    env = os.environ.get(WEIGHTS_ENV)
    if env:
        paths.append(Path(env))
    paths.append(cache_dir() / INCEPTION_FILENAME)
    paths.append(CLEANFID_PATH)
    unique: list[Path] = []
    for path in paths:
        if path not in unique:
            unique.append(path)
    return unique


def verify_weights(path: str | os.PathLike, expected: str = INCEPTION_SHA256) -> Path:
    """Check `path`'s sha256 against `expected`; raise `WeightsChecksumError` on mismatch.

    The digest is remembered per (path, size, mtime) so repeated evaluations hash the ~95 MB file
    once per process.
    """
    path = Path(path)
    stat = path.stat()
    key = (str(path.resolve()), stat.st_size, stat.st_mtime_ns)
    digest = _VERIFIED.get(key) or sha256_file(path)
    if digest != expected:
        raise WeightsChecksumError(
            f"{path} has sha256 {digest} ({stat.st_size:,} bytes) but {INCEPTION_FILENAME} must "
            f"have sha256 {expected} ({INCEPTION_BYTES:,} bytes): the file is truncated, corrupt "
            f"or a different network, and will not be used. Delete it and download it again from "
            f"{INCEPTION_URL}")
    _VERIFIED[key] = digest
    return path


def locate_inception_weights(explicit: str | os.PathLike | None = None) -> Path:
    """Return the verified path of ``inception-2015-12-05.pt`` or raise.

    Raises:
        MissingWeightsError: no candidate exists; the message lists the paths searched, the
            expected sha256, the download URL and where to put the file.
        WeightsChecksumError: the first existing candidate has the wrong sha256.
    """
    searched = candidate_paths(explicit)
    for path in searched:
        if path.is_file():
            return verify_weights(path)
    listing = "\n".join(f"  - {p}" for p in searched)
    raise MissingWeightsError(
        f"Inception weights {INCEPTION_FILENAME} not found (training and scoring never download).\n"
        f"Searched, in order:\n{listing}\n"
        f"On a machine with internet, run `repro download inception` (it verifies the file and "
        f"puts it in the cache), or download it from\n  {INCEPTION_URL}\n"
        f"(expected sha256 {INCEPTION_SHA256}, {INCEPTION_BYTES:,} bytes), check it with "
        f"`sha256sum {INCEPTION_FILENAME}`, then either put it in the cache directory "
        f"{cache_dir() / INCEPTION_FILENAME} (set ${CACHE_ENV} to move the cache) or point "
        f"${WEIGHTS_ENV} at the file.")


class NvidiaInception(nn.Module):
    """NVIDIA's Inception TorchScript with the (features, logits) contract of `extractor.py`.

    Args:
        path: a *verified* path (use `locate_inception_weights`).
        resize_inside: True for "legacy_tensorflow" (the TorchScript resizes any input itself);
            False for "clean" (inputs must already be 299x299 float 0..255).
    """

    input_size = 299
    in_channels = 3
    num_classes = 1008

    def __init__(self, path: str | os.PathLike, resize_inside: bool = False):
        super().__init__()
        with warnings.catch_warnings():
            # torch 2.15 deprecates torch.jit.load; the file only exists as TorchScript.
            warnings.simplefilter("ignore", category=DeprecationWarning)
            warnings.simplefilter("ignore", category=FutureWarning)
            self.base = torch.jit.load(str(path), map_location="cpu").eval()
        self.resizes_inside = bool(resize_inside)
        try:
            self.base.output.weight  # noqa: B018 -- fail early if the layout is not the expected one
        except AttributeError as err:  # pragma: no cover - depends on the file
            raise RuntimeError(f"{path}: TorchScript has no `output.weight`; not NVIDIA's file?") from err

    def forward(self, x: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        n = x.shape[0]
        if self.resizes_inside:
            feats = self.base(x, return_features=True).reshape(n, 2048)
        else:
            if x.shape[-2:] != (299, 299):
                raise ValueError(f"clean mode needs 299x299 inputs, got {tuple(x.shape[-2:])}")
            feats = self.base.layers((x - 128) / 128).reshape(n, 2048)
        logits = F.linear(feats, self.base.output.weight)  # no bias: IS convention
        return feats, logits


def inception_extractor(weights: str | os.PathLike | None = None, *, resize_mode: str = "clean",
                        device: torch.device | str = "cpu", quantize: str = "trunc",
                        batch_size: int = 200) -> FeatureExtractor:
    """Locate + verify the weights (raising before any other work) and wrap them for extraction."""
    path = locate_inception_weights(weights)
    net = NvidiaInception(path, resize_inside=(resize_mode == "legacy_tensorflow"))
    return FeatureExtractor(net=net, kind="inception", sha256=INCEPTION_SHA256,
                            resize_mode=resize_mode, quantize=quantize, device=device,
                            batch_size=batch_size, description=f"NVIDIA Inception TorchScript {path}",
                            info={"weights_path": str(path)})
