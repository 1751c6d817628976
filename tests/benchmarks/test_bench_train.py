"""Training-step throughput: the suite's loop against a plain eager baseline, in one run.

The step is SNGAN's standard-CNN step (n_dis = 5 D updates, then one G update). On a CPU it
runs at a tiny size (width 8, batch 16); on a GPU at the paper's size (CIFAR-10 32x32,
width 64, batch 64). Run with: make bench  (or pytest tests/benchmarks --benchmark-enable).
The baseline is the loop most GAN code starts from: batches copied host->device every step,
a loss `.item()` per step, unfused Adam, no cudnn autotuning. Both loops live in repro/bench.py,
which bench/device.sh runs too.
"""
import pytest
import torch

from repro import bench

CUDA = torch.cuda.is_available()
SIZES = {"cpu": dict(resolution=32, ch=8, batch_size=16), "cuda": dict(resolution=32, ch=64, batch_size=64)}


def _suite_step(device, tmp_path):
    step, run = bench.suite_step(torch.device(device), "reduced", tmp=str(tmp_path), size=SIZES[device])

    def timed():
        step()
        if device == "cuda":
            torch.cuda.synchronize()
    return timed, run


def _weights(module):
    return torch.cat([p.detach().flatten().cpu() for p in module.parameters()])


def _baseline_step(device):
    return bench.eager_step(torch.device(device), "reduced", size=SIZES[device])


DEVICES = ["cpu"] + (["cuda"] if CUDA else [])


@pytest.mark.parametrize("device", DEVICES)
def test_train_step_suite(benchmark, device, tmp_path):
    benchmark.group = f"sngan_cnn step ({device})"
    benchmark.extra_info.update(device=torch.cuda.get_device_name() if device == "cuda" else "cpu", **SIZES[device])
    step, run = _suite_step(device, tmp_path)
    before = _weights(run.G), _weights(run.D)
    step()  # warm-up (cudnn autotuning, allocator)
    benchmark(step)
    # what was timed is a real update: both networks moved, and stayed finite
    for net, old in zip((run.G, run.D), before):
        new = _weights(net)
        assert torch.isfinite(new).all() and not torch.equal(new, old)


@pytest.mark.parametrize("device", DEVICES)
def test_train_step_eager_baseline(benchmark, device):
    benchmark.group = f"sngan_cnn step ({device})"
    benchmark.extra_info.update(device=torch.cuda.get_device_name() if device == "cuda" else "cpu", **SIZES[device])
    step = _baseline_step(device)
    before = [_weights(net) for net in step.nets]
    step()
    benchmark(step)
    for net, old in zip(step.nets, before):
        new = _weights(net)
        assert torch.isfinite(new).all() and not torch.equal(new, old)
