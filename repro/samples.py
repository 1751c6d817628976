"""Sample grids of a run: G's samples at the run's fixed noise, drawn every ``sample_every``
generator updates into ``samples/`` (:func:`repro.rundir.sample_file`).

Images become one PNG grid (8 per row, [-1, 1] mapped to [0, 255]); 2-D points (the mixtures of
Gaussians) are kept as numbers (``.npy``, for the density plots of
:func:`repro.claims.mog_modes.plot_mog_samples`) beside a scatter plot. Drawing never touches the
training RNG: the noise is fixed at setup, and G samples in inference mode.
"""
from __future__ import annotations

from pathlib import Path

import numpy as np
import torch
from torch import nn

from . import io, rundir


@torch.no_grad()
def draw_eval_mode(G: nn.Module, z: torch.Tensor, y: torch.Tensor | None = None, batch: int = 500) -> torch.Tensor:
    """G's samples of the given noise with BN in inference mode (running averages), as the SNGAN
    authors' evaluation code samples; G's training mode is restored afterwards. (Not
    :func:`repro.metrics.evaluate.generate`, which draws its own noise for a protocol.)"""
    was_training = G.training
    G.eval()
    try:
        return torch.cat([G(z[i:i + batch], None if y is None else y[i:i + batch])
                          for i in range(0, len(z), batch)])
    finally:
        G.train(was_training)


def save_samples(G: nn.Module, z: torch.Tensor, y: torch.Tensor | None, run_dir: Path, step: int) -> Path:
    """Write the samples of step ``step`` into ``run_dir/samples/``; return the figure's path."""
    x = draw_eval_mode(G, z, y).float().cpu()
    out = Path(run_dir) / rundir.SAMPLES
    if x.dim() == 2:  # 2-D points: keep the numbers (for density plots) and a scatter plot
        io.atomic_write(out / rundir.sample_file(step, ".npy"), lambda f: np.save(f, x.numpy()))
        return _scatter(x, step, out / rundir.sample_file(step, ".png"))
    from PIL import Image
    from torchvision.utils import make_grid

    grid = make_grid(x, nrow=8, normalize=True, value_range=(-1, 1))
    img = Image.fromarray(grid.mul(255).round().byte().permute(1, 2, 0).squeeze(-1).numpy())
    return io.atomic_write(out / rundir.sample_file(step, ".png"), lambda f: img.save(f, format="PNG"))


def _scatter(x: torch.Tensor, step: int, path: Path) -> Path:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, ax = plt.subplots(figsize=(3, 3))
    ax.scatter(x[:, 0], x[:, 1], s=1, alpha=0.3)
    ax.set(xlim=(-1.5, 1.5), ylim=(-1.5, 1.5), title=f"step {step}", aspect="equal")
    path = io.save_figure(path, fig, dpi=80)
    plt.close(fig)
    return path
