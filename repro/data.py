"""Training data: the papers' image sets and the offline sources that ship or are generated.

Every source becomes a :class:`Source` that draws batches by random index from one tensor kept on
the training device (CIFAR-10 is 150 MB of uint8: it fits on any GPU), so the inner loop has no
DataLoader, no workers and no host-to-device copies. Mixtures of Gaussians are sampled afresh
each batch, as in the LSGAN official code.

Missing files raise :class:`DataNotFoundError` -- naming the file, the paths searched and how to
provide it -- before any network is built.
"""
from __future__ import annotations

import functools
import hashlib
import importlib.util
import math
import os
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import torch
import torch.nn.functional as F

from . import datasets
from .datasets import DIGITS_DATA_SHA256
from .errors import UserError

__all__ = ["Source", "Mixture", "DataNotFoundError", "load", "data_root", "ring_mixture",
           "grid_mixture", "torchvision_set", "image_folder", "digits", "synthetic", "DATASETS"]

Tensor = torch.Tensor


class DataNotFoundError(UserError, FileNotFoundError):
    pass


def data_root(root: str | os.PathLike | None = None) -> Path:
    """The data root: the argument, else ``$REPRO_DATA``, else ``./data``."""
    return Path(root or os.environ.get("REPRO_DATA") or "data")


# --------------------------------------------------------------------------- sources
@dataclass
class Source:
    """A dataset held as one tensor; ``sample`` returns a batch in the networks' value range.

    Images are uint8 (N, C, H, W) and come out as float in [-1, 1]; 2-D points (N, 2) come out
    as they are. ``labels`` (N,) are present for labelled sets (class-conditional training).
    """

    name: str
    data: Tensor | None  # None for sources sampled afresh (mixtures of Gaussians)
    labels: Tensor | None = None
    n_classes: int = 0
    mixture: "Mixture | None" = None
    meta: dict = field(default_factory=dict)

    @property
    def is_image(self) -> bool:
        return self.mixture is None

    @property
    def shape(self) -> tuple[int, ...]:
        return (2,) if self.mixture is not None else tuple(self.data.shape[1:])

    def to(self, device: torch.device | str) -> "Source":
        if self.data is not None:
            self.data = self.data.to(device)
        if self.labels is not None:
            self.labels = self.labels.to(device)
        if self.mixture is not None:
            self.mixture = self.mixture.to(device)
        return self

    def sample(self, n: int, generator: torch.Generator | None = None) -> tuple[Tensor, Tensor | None]:
        """A batch of n examples drawn uniformly with replacement (and their labels)."""
        if self.mixture is not None:
            return self.mixture.sample(n, generator), None
        idx = torch.randint(len(self.data), (n,), device=self.data.device, generator=generator)
        x = self.data[idx].float().div_(127.5).sub_(1.0)
        return x, (self.labels[idx] if self.labels is not None else None)


@dataclass
class Mixture:
    """An isotropic mixture of 2-D Gaussians with equal component weights."""

    centers: Tensor  # (K, 2), may repeat a centre (LSGAN's ring does)
    sigma: float

    def to(self, device) -> "Mixture":
        return Mixture(self.centers.to(device), self.sigma)

    def _distinct(self) -> tuple[Tensor, Tensor]:
        modes, inverse = torch.unique(self.centers.round(decimals=6), dim=0, return_inverse=True)
        return modes, torch.bincount(inverse, minlength=len(modes)).double() / len(self.centers)

    @property
    def modes(self) -> Tensor:
        """The distinct centres: what mode-coverage metrics count."""
        return self._distinct()[0]

    @property
    def weights(self) -> Tensor:
        """The probability of each distinct mode (in the order of :attr:`modes`)."""
        return self._distinct()[1]

    def sample(self, n: int, generator: torch.Generator | None = None) -> Tensor:
        c = self.centers
        k = torch.randint(len(c), (n,), device=c.device, generator=generator)
        return c[k] + self.sigma * torch.randn(n, 2, device=c.device, generator=generator)


def ring_mixture(sigma: float = 0.01) -> Mixture:
    """LSGAN official code (after poolio/unrolled_gan): 9 components at angles
    linspace(0, 2*pi, 9) on the unit circle -- first and last coincide, so 8 distinct modes, one
    with double weight -- each with std ``sigma`` = 0.01."""
    t = torch.linspace(0, 2 * math.pi, 9, dtype=torch.float64)
    centers = torch.stack([torch.cos(t), torch.sin(t)], 1).float()
    return Mixture(centers, sigma)


def grid_mixture(side: int = 5, spacing: float = 2.0, sigma: float = 0.05) -> Mixture:
    """A side x side grid of modes centred on 0 (the 25-mode grid of the mode-collapse
    literature, e.g. VEEGAN; spacing 2 on [-4, 4]^2, std 0.05)."""
    ticks = (torch.arange(side, dtype=torch.float32) - (side - 1) / 2) * spacing
    centers = torch.cartesian_prod(ticks, ticks)
    return Mixture(centers, sigma)


# --------------------------------------------------------------------------- image sets
def _resize_uint8(x: Tensor, resolution: int) -> Tensor:
    """Resize a uint8 batch with antialiased bilinear filtering (area-like when shrinking)."""
    if x.shape[-1] == resolution:
        return x
    y = F.interpolate(x.float(), size=(resolution, resolution), mode="bilinear",
                      antialias=True, align_corners=False)
    return y.round_().clamp_(0, 255).to(torch.uint8)




@functools.lru_cache(maxsize=1)
def _raw_digits() -> tuple[np.ndarray, np.ndarray]:
    """scikit-learn's digits (8x8, values 0..16) and labels, checked against their sha256.

    Reads the CSV that ``sklearn.datasets.load_digits`` reads without importing
    ``sklearn.datasets`` (~7 s on a busy 2-core machine)."""
    spec = importlib.util.find_spec("sklearn")
    csv = None
    if spec is not None and spec.submodule_search_locations:
        csv = Path(list(spec.submodule_search_locations)[0]) / "datasets" / "data" / "digits.csv.gz"
    if csv is not None and csv.is_file():
        table = np.loadtxt(csv, delimiter=",")
        images = table[:, :-1].reshape(-1, 8, 8).astype(np.uint8)
        labels = table[:, -1].astype(np.int64)
    else:  # an unusual sklearn layout
        from sklearn.datasets import load_digits

        d = load_digits()
        images, labels = d.images.astype(np.uint8), d.target.astype(np.int64)
    digest = hashlib.sha256(images.tobytes() + labels.tobytes()).hexdigest()
    if digest != DIGITS_DATA_SHA256:
        raise RuntimeError(f"scikit-learn's digits data changed (sha256 {digest}, expected "
                           f"{DIGITS_DATA_SHA256}); digits scores would not be comparable")
    return images, labels


def digits(resolution: int = 16) -> Source:
    """scikit-learn's 1,797 handwritten digits (8x8, values 0..16, ships with the package),
    scaled to 0..255 and upsampled bilinearly to ``resolution``; 1 channel, 10 classes."""
    images, labels = _raw_digits()
    x = torch.from_numpy(images.astype(np.float32) * (255.0 / 16.0)).round_().to(torch.uint8)
    x = _resize_uint8(x[:, None], resolution)
    return Source("digits", x, torch.from_numpy(labels), n_classes=10)


def synthetic(resolution: int = 32, n: int = 2048, channels: int = 3, seed: int = 0) -> Source:
    """Procedural images for tests: a bright disc of random colour, centre and radius on a dark
    background of random colour; two classes (disc in the left or right half)."""
    g = torch.Generator().manual_seed(seed)
    r = resolution
    yy, xx = torch.meshgrid(torch.arange(r), torch.arange(r), indexing="ij")
    cx = torch.rand(n, generator=g) * r
    cy = torch.rand(n, generator=g) * r
    rad = (0.15 + 0.2 * torch.rand(n, generator=g)) * r
    inside = ((xx - cx[:, None, None]) ** 2 + (yy - cy[:, None, None]) ** 2) <= rad[:, None, None] ** 2
    fg = 128 + 127 * torch.rand(n, channels, 1, 1, generator=g)
    bg = 100 * torch.rand(n, channels, 1, 1, generator=g)
    x = torch.where(inside[:, None], fg, bg).round().to(torch.uint8)
    return Source("synthetic", x, (cx >= r / 2).long(), n_classes=2)


#: name -> (torchvision class, directory torchvision expects, archive): derived from the registry.
_TORCHVISION = datasets.View(lambda d: (d.download.torchvision_class, d.download.folder, d.download.archive),
                             keep=lambda d: d.download is not None)


def _missing(name: str, root: Path, expected: Path, url: str, archive: str,
             problem: str = "not found") -> DataNotFoundError:
    return DataNotFoundError(
        f"{name}: {expected} {problem} (data root {root.resolve()}, from the run config's "
        f"'data_root', else $REPRO_DATA, else ./data).\n"
        f"  To provide it: on a machine with internet run the same command with download: true "
        f"(or `repro download {name} --root DIR`), or fetch {url} and unpack {archive} into "
        f"{root.resolve()} so that {expected.name}/ lies directly under it."
    )


def torchvision_set(name: str, resolution: int, root: str | os.PathLike | None = None,
                    download: bool = False, split: str | None = None) -> Source:
    """CIFAR-10 (train split, 32x32) or STL-10 (unlabeled split, 96 -> 48 as in SNGAN Sec. 4);
    ``split`` picks another split (e.g. "test" for an evaluation protocol's reference set)."""
    import torchvision.datasets as tvd

    cls_name, folder, archive = _TORCHVISION[name]
    cls = getattr(tvd, cls_name)
    root = data_root(root)
    expected = root / folder
    if not download and not expected.is_dir():
        raise _missing(name, root, expected, cls.url, archive)
    try:
        if name == "cifar10":
            ds = cls(str(root), train=(split or "train") == "train", download=download)
            x = torch.from_numpy(ds.data).permute(0, 3, 1, 2).contiguous()
            labels, n_classes = torch.tensor(ds.targets), 10
        else:
            ds = cls(str(root), split=split or "unlabeled", download=download)
            x, labels, n_classes = torch.from_numpy(ds.data), None, 0
    except RuntimeError as e:  # torchvision: "Dataset not found or corrupted"
        raise _missing(name, root, expected, cls.url, archive, f"is corrupted or incomplete ({e})") from e
    return Source(name, _resize_uint8(x, resolution), labels, n_classes)


def image_folder(resolution: int, root: str | os.PathLike | None = None, subdir: str = "") -> Source:
    """An ImageNet/LSUN-style folder of images (SAGAN 128x128, LSGAN 112x112): centre-cropped to
    a square and resized; class-per-subfolder labels when there are subfolders."""
    import torchvision.datasets as tvd
    import torchvision.transforms.v2 as T

    path = data_root(root) / subdir
    if not path.is_dir():
        raise DataNotFoundError(
            f"image_folder: directory {path.resolve()} not found. Put the images in class "
            f"subfolders under it (torchvision ImageFolder layout) or set 'data_root'/'data_subdir'."
        )
    tf = T.Compose([T.PILToTensor(), T.Resize(resolution, antialias=True), T.CenterCrop(resolution)])
    ds = tvd.ImageFolder(str(path), transform=tf)
    x = torch.stack([ds[i][0] for i in range(len(ds))])
    return Source("image_folder", x, torch.tensor(ds.targets), n_classes=len(ds.classes))


# -- the loaders the dataset registry (repro.datasets) names, one per dataset ---------------------

def loader_cifar10(resolution, root=None, download=False, subdir="", split=None) -> Source:
    return torchvision_set("cifar10", resolution, root, download, split=split)


def loader_stl10(resolution, root=None, download=False, subdir="", split=None) -> Source:
    return torchvision_set("stl10", resolution, root, download, split=split)


def loader_image_folder(resolution, root=None, download=False, subdir="", split=None) -> Source:
    return image_folder(resolution, root, subdir)


def loader_digits(resolution, **_) -> Source:
    return digits(resolution)


def loader_synthetic(resolution, **_) -> Source:
    return synthetic(resolution)


def loader_mog_ring(resolution, **_) -> Source:
    return Source("mog_ring", None, mixture=ring_mixture())


def loader_mog_grid(resolution, **_) -> Source:
    return Source("mog_grid", None, mixture=grid_mixture())


#: name -> dict(channels, resolutions, n_classes, offline): a live view of the registry.
DATASETS = datasets.View(lambda d: d.spec())


def load(name: str, resolution: int, root: str | os.PathLike | None = None, download: bool = False,
         subdir: str = "") -> Source:
    """Load a registered data source by name; a missing file fails here, before any network exists."""
    return datasets.get(name).load(resolution, root=root, download=download, subdir=subdir)
