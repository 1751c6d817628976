"""Cross-checks against clean-fid 0.1.35's own pipeline, on the same generator, seed and network.

Our path (`evaluate.evaluate_generator`) resizes whole batches on the device with
``F.interpolate(bicubic, antialias=True)``; clean-fid resizes each image and channel with PIL on the
CPU. These helpers run clean-fid's code on exactly the images our path sees, so the two can be
compared number for number:

* `cleanfid_fid` calls ``cleanfid.fid.compute_fid(gen=..., fdir2=<real PNGs>,
  custom_feat_extractor=...)`` -- clean-fid end to end, including its own ``frechet_distance``
  (``scipy.linalg.sqrtm(..., disp=False)``: works on SciPy 1.17, raises TypeError on >= 1.18);
* `cleanfid_features` calls clean-fid's ``get_model_features`` / ``get_files_features`` only (no
  sqrtm), so feature-level agreement can be checked on any SciPy.

How "the same images" is guaranteed: clean-fid's generator path draws z from the *global* torch
RNG (``torch.randn((batch_size, z_dim))``) and calls ``G(z)``. Our ``gen(z)`` ignores z's values and
returns ``sample_fn(len(z), g)`` from a private ``torch.Generator`` seeded with `seed` -- the same
stream `evaluate_generator` draws, provided clean-fid's `batch_size` equals our `sample_batch` and
`n` is a multiple of it (clean-fid generates whole batches, then truncates). The global RNG is still
seeded with `seed` inside ``torch.random.fork_rng`` so clean-fid's draws are reproducible and the
caller's RNG state is untouched. Generator outputs are quantized to uint8 exactly as our path does
and handed to clean-fid as float 0..255 (its generator path does not quantize by itself). clean-fid
defaults (device cuda, 12 workers, DataParallel) are overridden explicitly.
"""

from __future__ import annotations

import tempfile
from pathlib import Path

import numpy as np
import torch

from .evaluate import SampleFn
from .extractor import FeatureExtractor
from .images import resize_legacy_tf, to_uint8


def _write_pngs(images: torch.Tensor, folder: Path) -> list[str]:
    from PIL import Image

    arr = images.detach().cpu().numpy()
    if arr.dtype != np.uint8 or arr.ndim != 4 or arr.shape[1] != 3:
        raise ValueError("real images must be uint8 RGB (N, 3, H, W)")
    paths = []
    for i, img in enumerate(arr):
        path = folder / f"{i:06d}.png"
        Image.fromarray(img.transpose(1, 2, 0)).save(path)
        paths.append(str(path))
    return paths


def _feature_fn(extractor: FeatureExtractor):
    """What clean-fid's pipeline calls: float 0..255 (N, 3, 299, 299) in clean mode, raw-size
    images in legacy_tensorflow mode (clean-fid then expects the network to resize)."""
    net, device = extractor.net, extractor.device

    @torch.no_grad()
    def fn(x: torch.Tensor) -> torch.Tensor:
        x = x.to(device).float()
        if extractor.resize_mode == "legacy_tensorflow" and not extractor.resizes_inside:
            x = resize_legacy_tf(x, extractor.input_size)
        return net(x)[0]

    return fn


def _generator_for_cleanfid(sample_fn: SampleFn, seed: int, device, quantize: str):
    generator = torch.Generator(device=torch.device(device)).manual_seed(int(seed))

    def gen(z: torch.Tensor) -> torch.Tensor:
        return to_uint8(sample_fn(z.shape[0], generator), quantize).float()

    return gen


def _check(n: int, batch_size: int, extractor: FeatureExtractor) -> str:
    if n % batch_size:
        raise ValueError("n must be a multiple of batch_size for identical image streams")
    if extractor.in_channels != 3:
        raise ValueError("clean-fid handles RGB images only")
    return extractor.resize_mode


def cleanfid_fid(sample_fn: SampleFn, real_images: torch.Tensor, extractor: FeatureExtractor, *,
                 n: int, seed: int, batch_size: int, device="cpu", quantize: str = "trunc") -> float:
    """clean-fid's ``compute_fid(gen=..., fdir2=...)`` on our generator stream and network."""
    from cleanfid import fid as cfid

    mode = _check(n, batch_size, extractor)
    with tempfile.TemporaryDirectory() as tmp:
        _write_pngs(real_images, Path(tmp))
        with torch.random.fork_rng(devices=[]):
            torch.manual_seed(seed)
            return float(cfid.compute_fid(
                gen=_generator_for_cleanfid(sample_fn, seed, device, quantize), fdir2=tmp, mode=mode,
                custom_feat_extractor=_feature_fn(extractor), num_gen=n, z_dim=1,
                batch_size=batch_size, device=torch.device(device), num_workers=0,
                use_dataparallel=False, verbose=False))


def cleanfid_features(sample_fn: SampleFn, real_images: torch.Tensor, extractor: FeatureExtractor,
                      *, n: int, seed: int, batch_size: int, device="cpu",
                      quantize: str = "trunc") -> tuple[np.ndarray, np.ndarray]:
    """(generated, real) features through clean-fid's resize/feature code, without its sqrtm."""
    from cleanfid import fid as cfid

    mode = _check(n, batch_size, extractor)
    with tempfile.TemporaryDirectory() as tmp:
        files = _write_pngs(real_images, Path(tmp))
        real = cfid.get_files_features(files, model=_feature_fn(extractor), num_workers=0,
                                       batch_size=batch_size, device=torch.device(device),
                                       mode=mode, verbose=False)
    with torch.random.fork_rng(devices=[]):
        torch.manual_seed(seed)
        fake = cfid.get_model_features(_generator_for_cleanfid(sample_fn, seed, device, quantize),
                                       _feature_fn(extractor), mode=mode, z_dim=1, num_gen=n,
                                       batch_size=batch_size, device=torch.device(device),
                                       verbose=False)
    return fake, real
