"""Scoring a 10,000-image sample set under the digits protocol: ``repro evaluate --npz`` against
clean-fid's folder path on the same images, same network.

* ours: `repro.scoring.evaluate(npz=...)`: read the .npz, extract features of the images in
  batches (`FeatureExtractor`), FID against the cached digits reference and IS -- the `digits`
  protocol with n_fake = 10,000 (the registered one takes the first 1,000 of a set);
* clean-fid 0.1.35: ``cleanfid.fid.get_folder_features`` on a folder of the same images as PNGs
  (its Dataset opens each file with PIL, converts to RGB, resizes with its own PIL resizer --
  here to the digits network's 16x16 input, ``make_resizer("PIL", False, "bicubic", (16, 16))``
  -- and batches through a DataLoader, ``num_workers=0``), the suite's digits network plugged in
  as its model (``model=`` is clean-fid's custom-feature hook: it calls ``model(batch)``), then
  its ``frechet_distance`` against the same reference statistics.

Both give the same FID (asserted to 1e-3: identical features up to PIL's float resize at 16 -> 16).
Under ``make test`` (benchmarks disabled) both run once on 500 images, to keep CI fast.
"""
from __future__ import annotations

import time

import numpy as np
import pytest
import torch

from repro.metrics import evaluate as ev
from repro.metrics.protocol import get_protocol
from repro.scoring import _reference, evaluate, from_real


def _digits_like(n: int) -> np.ndarray:
    """n digits (the 1,797 real ones, tiled) as (n, 16, 16, 1) uint8."""
    x = from_real("digits-16").images
    return x[torch.arange(n) % len(x)].permute(0, 2, 3, 1).numpy().copy()


@pytest.fixture(scope="module")
def sample_set(tmp_path_factory, request):
    opt = request.config.getoption
    enabled = opt("benchmark_enable", False) or not opt("benchmark_disable", False)
    n = 10_000 if enabled else 500
    folder = tmp_path_factory.mktemp("evaluate_bench")
    a = _digits_like(n)
    np.savez(folder / "samples.npz", a)
    from PIL import Image

    (folder / "png").mkdir()
    for i, img in enumerate(a):
        Image.fromarray(img[..., 0], mode="L").save(folder / "png" / f"{i:05d}.png")
    protocol = get_protocol("digits").replace(name=f"digits-{n}", n_fake=n, is_n=n)
    return folder, protocol, n


def _timed(benchmark, fn, n):
    start = time.perf_counter()
    out = benchmark.pedantic(fn, rounds=1, iterations=1)
    benchmark.extra_info["images"] = n
    benchmark.extra_info["seconds"] = time.perf_counter() - start
    return out


def test_bench_evaluate_npz(benchmark, sample_set):
    folder, protocol, n = sample_set
    result = _timed(benchmark, lambda: evaluate(npz=folder / "samples.npz", dataset="digits",
                                                protocols=[protocol]), n)
    record = result["scores"]["images"][protocol.name]
    benchmark.extra_info["fid"] = record["fid"]
    assert record["n_fake"] == n


def test_bench_cleanfid_folder(benchmark, sample_set):
    from cleanfid import fid as cfid
    from cleanfid.resize import make_resizer

    folder, protocol, n = sample_set
    extractor = ev.build_extractor(protocol, "cpu")
    ref = _reference(protocol, from_real("digits-16"), extractor)

    @torch.no_grad()
    def model(batch):  # clean-fid hands float 0..255 RGB (B, 3, 16, 16); digits are grey
        return extractor.net(batch[:, :1].float())[0]

    def run():
        feats = cfid.get_folder_features(str(folder / "png"), model=model, num_workers=0,
                                         batch_size=500, device=torch.device("cpu"), mode="clean",
                                         custom_fn_resize=make_resizer("PIL", False, "bicubic", (16, 16)),
                                         verbose=False)
        mu, sigma = np.mean(feats, axis=0), np.cov(feats, rowvar=False)
        return cfid.frechet_distance(mu, sigma, ref.mu, ref.sigma)

    score = _timed(benchmark, run, n)
    benchmark.extra_info["fid"] = float(score)
    ours = evaluate(npz=folder / "samples.npz", dataset="digits", protocols=[protocol])
    assert abs(float(score) - ours["scores"]["images"][protocol.name]["fid"]) < 1e-3
