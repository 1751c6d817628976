"""Training-step throughput: the suite's loop against a plain eager baseline, in one run.

The step is SNGAN's standard-CNN step (n_dis = 5 D updates, then one G update). On a CPU it
runs at a tiny size (width 8, batch 16); on a GPU at the paper's size (CIFAR-10 32x32,
width 64, batch 64). Run with: make bench  (or pytest tests/benchmarks --benchmark-enable).
The baseline is the loop most GAN code starts from: batches copied host->device every step,
a loss `.item()` per step, unfused Adam, no cudnn autotuning.
"""
import numpy as np
import pytest
import torch

from repro import losses, models
from repro.config import RunConfig
from repro.train import _Steps, setup

CUDA = torch.cuda.is_available()
SIZES = {"cpu": dict(ch=8, batch_size=16), "cuda": dict(ch=64, batch_size=64)}


def _cfg(device):
    return RunConfig.from_dict(dict(dataset="synthetic", resolution=32, arch="sngan_cnn", norm="spectralnorm",
                                    setting="A", device=device, **SIZES[device]))


def _suite_step(device, tmp_path):
    run = setup(_cfg(device), tmp_path)
    steps = _Steps(run)

    def step():
        steps.alternating()
        if device == "cuda":
            torch.cuda.synchronize()
    return step


def _baseline_step(device):
    cfg = _cfg(device)
    torch.manual_seed(0)
    G, D = models.build("sngan_cnn", resolution=32, ch=cfg.ch, norm_d="spectralnorm")
    G, D = G.to(device), D.to(device)
    o = cfg.optimizer()
    opt_g = torch.optim.Adam(G.parameters(), o["lr_g"], (o["beta1"], o["beta2"]))
    opt_d = torch.optim.Adam(D.parameters(), o["lr_d"], (o["beta1"], o["beta2"]))
    images = np.random.default_rng(0).integers(0, 256, (2048, 3, 32, 32), dtype=np.uint8)  # host memory
    loss, bs = losses.get_loss("standard"), o["batch_size"]

    def step():
        for _ in range(o["n_dis"]):
            idx = np.random.randint(0, len(images), bs)
            real = torch.from_numpy(images[idx]).to(device).float() / 127.5 - 1
            fake = G(torch.randn(bs, G.z_dim, device=device)).detach()
            l_d = loss.d(D(real), D(fake))
            opt_d.zero_grad()
            l_d.backward()
            opt_d.step()
            l_d.item()  # per-step logging: a host sync
        l_g = loss.g(D(G(torch.randn(bs, G.z_dim, device=device))))
        opt_g.zero_grad()
        l_g.backward()
        opt_g.step()
        l_g.item()
    return step


DEVICES = ["cpu"] + (["cuda"] if CUDA else [])


@pytest.mark.parametrize("device", DEVICES)
def test_train_step_suite(benchmark, device, tmp_path):
    benchmark.group = f"sngan_cnn step ({device})"
    benchmark.extra_info.update(device=torch.cuda.get_device_name() if device == "cuda" else "cpu", **SIZES[device])
    step = _suite_step(device, tmp_path)
    step()  # warm-up (cudnn autotuning, allocator)
    benchmark(step)


@pytest.mark.parametrize("device", DEVICES)
def test_train_step_eager_baseline(benchmark, device):
    benchmark.group = f"sngan_cnn step ({device})"
    benchmark.extra_info.update(device=torch.cuda.get_device_name() if device == "cuda" else "cpu", **SIZES[device])
    step = _baseline_step(device)
    step()
    benchmark(step)
