"""Resize throughput, 64 RGB 32x32 images -> 299x299 ("clean" mode), both paths in one run:

* clean-fid's path: PIL bicubic per image and channel on float32 ('F' mode), CPU, as its
  ``build_resizer("clean")`` does inside its Dataset / generator loop;
* ours: one batched ``F.interpolate(bicubic, antialias=True)`` call (`repro.metrics.images`), which
  runs on whatever device the images are on (here the CPU).

Run with ``make bench`` (``pytest tests/benchmarks --benchmark-enable``); under the project's default
``--benchmark-disable`` each function still runs once, so the outputs are checked on every test run.
images/s is stored in each benchmark's ``extra_info``.
"""

from __future__ import annotations

import time

import numpy as np
import pytest
import torch

from repro.metrics.images import resize_clean

N_IMAGES = 64


@pytest.fixture(scope="module")
def images():
    g = torch.Generator().manual_seed(0)
    return torch.randint(0, 256, (N_IMAGES, 3, 32, 32), generator=g, dtype=torch.uint8)


def _images_per_second(benchmark, fn):
    start = time.perf_counter()
    out = benchmark(fn)
    stats = getattr(benchmark, "stats", None)
    seconds = stats.stats.mean if stats is not None else time.perf_counter() - start
    benchmark.extra_info["images_per_second"] = N_IMAGES / seconds
    return out


@pytest.mark.benchmark(group="resize-32-to-299")
def test_bench_cleanfid_pil_resize(benchmark, images):
    from cleanfid.resize import build_resizer

    resize = build_resizer("clean")
    arrays = [img.permute(1, 2, 0).numpy() for img in images]
    out = _images_per_second(benchmark, lambda: np.stack([resize(a) for a in arrays]))
    assert out.shape == (N_IMAGES, 299, 299, 3)


@pytest.mark.benchmark(group="resize-32-to-299")
def test_bench_torch_batched_resize(benchmark, images):
    out = _images_per_second(benchmark, lambda: resize_clean(images, 299))
    assert out.shape == (N_IMAGES, 3, 299, 299)
    from cleanfid.resize import build_resizer

    reference = build_resizer("clean")(images[0].permute(1, 2, 0).numpy())
    assert np.abs(out[0].permute(1, 2, 0).numpy() - reference).max() < 2e-3
