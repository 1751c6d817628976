"""The dataset registry: every training set the suite knows, with its facts, registered once.

As torch-fidelity registers its inputs by name with the split in the name (``cifar10-train``),
each :class:`Dataset` is one entry: the name a run config uses, the split a run trains on (so
``cifar10-train`` is :meth:`Dataset.split_name`), its channels, resolutions, classes, whether it
is available offline, its loader, the protocols that score it by default, its split sizes and
how to download it. Everything that used to restate these facts (``repro.data.DATASETS``,
``load``'s if-chain, ``_TORCHVISION``, ``repro.evaluator.DEFAULT_PROTOCOLS``, the ``repro
download`` list) reads them from here.

The facts are registered here, without torch (the report and config checks read them); the
loaders live next to their data in :mod:`repro.data` and are named here as ``"module:function"``,
imported only when a dataset is loaded (so :mod:`repro.data` imports this module, not the other
way round). Adding a dataset is one :func:`register` call with its loader.

The real-data splits that can be scored as if they were samples (:data:`REAL_SPLITS`, SNGAN
Table 2's "Real data" row) and the one rule of which protocol fits which dataset (:func:`fits`; the registered protocols that
fit one: :func:`repro.metrics.protocol.protocols_for`)
live here too.
"""
from __future__ import annotations

import importlib
from dataclasses import dataclass, field
from typing import Callable, Iterator, Mapping

from .errors import UserError

__all__ = ["Dataset", "Download", "UnknownDatasetError", "REAL_SETS", "register", "get",
           "all_datasets", "by_network", "fits"]


#: sha256 of the digits' uint8 pixels and int64 labels (load_digits().images as uint8 bytes, then
#: .target as int64 bytes; scikit-learn 1.9.1): the data every digits score rests on, pinned so a
#: changed data set can never silently give a different "same" classifier (repro.data.digits).
DIGITS_DATA_SHA256 = "65e5b4619795efb40c1082f4c350c049e4ad552200d369b6ae99e21eef5e72c5"


class UnknownDatasetError(UserError, KeyError):
    """A dataset name that is not registered (names the known ones)."""

    def __str__(self) -> str:  # KeyError would quote the message
        return str(self.args[0])


@dataclass(frozen=True)
class Download:
    """How `repro download` fetches a dataset through torchvision: its dataset class, the
    directory torchvision expects under the data root, and the archive (for offline copies)."""

    torchvision_class: str
    folder: str
    archive: str


@dataclass(frozen=True)
class Dataset:
    """One registered dataset.

    Attributes:
        name: the run config's ``dataset`` value.
        loader: ``loader(resolution, root=..., download=..., subdir=..., split=...)`` -> a
            :class:`repro.data.Source` (``split`` None: the split a run trains on), or its
            ``"module:function"`` name (imported at the first :meth:`load`).
        channels: image channels (None: 2-D points).
        resolutions: the resolutions it can be trained at (None: any).
        n_classes: labels (0: unlabelled; None: decided by the data, e.g. an image folder).
        offline: needs no download (ships with a dependency, or is generated).
        network: the protocol network that scores its samples ("inception", "digits", "mog";
            None: none).
        protocols: (final, learning-curve) protocol names by default (None: no offline metric).
        train_split: the split a run trains on (the real split of protocols that are not "test").
        splits: images per split where known ({"train": 50_000, "test": 10_000}); a protocol
            whose real split is "test" needs the dataset to have one.
        download: how `repro download` gets it (None: nothing to download).
        about: one line for listings.
    """

    name: str
    loader: Callable | str
    channels: int | None
    resolutions: tuple[int, ...] | None
    n_classes: int | None
    offline: bool
    network: str | None
    protocols: tuple[str | None, str | None] = (None, None)
    train_split: str = "train"
    splits: Mapping[str, int] = field(default_factory=dict)
    download: Download | None = None
    about: str = ""

    def load(self, resolution: int, **kwargs):
        """The dataset as a :class:`repro.data.Source` (the loader's keywords: root, download, ...)."""
        loader = self.loader
        if isinstance(loader, str):
            module, _, function = loader.partition(":")
            loader = getattr(importlib.import_module(module), function)
        return loader(resolution, **kwargs)

    def split_name(self, split: str | None = None) -> str:
        """torch-fidelity style name of a split: ``cifar10-train``."""
        return f"{self.name}-{split or self.train_split}"

    @property
    def has_test_split(self) -> bool:
        return "test" in self.splits

    def spec(self) -> dict:
        """The record `repro.data.DATASETS` has always given (channels, resolutions, classes,
        offline)."""
        return dict(channels=self.channels, resolutions=self.resolutions, n_classes=self.n_classes,
                    offline=self.offline)


REGISTRY: dict[str, Dataset] = {}


def register(dataset: Dataset) -> Dataset:
    if dataset.name in REGISTRY:
        raise ValueError(f"dataset {dataset.name!r} is registered twice")
    REGISTRY[dataset.name] = dataset
    return dataset


def get(name: str) -> Dataset:
    """The registered dataset `name` (one ``error:`` line naming the known ones otherwise)."""
    try:
        return REGISTRY[name]
    except KeyError:
        raise UnknownDatasetError(f"unknown dataset {name!r}; known: {', '.join(REGISTRY)}") from None


def all_datasets() -> list[Dataset]:
    return list(REGISTRY.values())


class View(Mapping):
    """A live read-only mapping name -> ``fn(dataset)`` over the registry (the old constants'
    shape, e.g. ``DATASETS["digits"]["channels"]``), so a dataset registered later shows up."""

    def __init__(self, fn: Callable[[Dataset], object], keep: Callable[[Dataset], bool] = lambda d: True):
        self._fn, self._keep = fn, keep

    def _items(self) -> dict:
        return {d.name: self._fn(d) for d in all_datasets() if self._keep(d)}

    def __getitem__(self, name: str):
        items = self._items()
        if name not in items:
            raise KeyError(name)
        return items[name]

    def __iter__(self) -> Iterator[str]:
        return iter(self._items())

    def __len__(self) -> int:
        return len(self._items())

    def __repr__(self) -> str:
        return repr(self._items())


def by_network() -> dict[str, tuple[str, ...]]:
    """network -> the datasets whose samples it scores."""
    out: dict[str, list[str]] = {}
    for d in all_datasets():
        if d.network:
            out.setdefault(d.network, []).append(d.name)
    return {k: tuple(v) for k, v in out.items()}


def fits(dataset: str, protocol) -> bool:
    """Whether `protocol` (a :class:`repro.metrics.protocol.Protocol`: its ``network``,
    ``real_split`` and ``n_real``) can score `dataset`: the network scores the dataset's samples,
    and the real split exists with at least ``n_real`` images where its size is known (a
    "test" split is the dataset's test split; any other name the split a run trains on)."""
    d = get(dataset)
    if d.network != protocol.network or (protocol.real_split == "test" and not d.has_test_split):
        return False
    size = d.splits.get("test" if protocol.real_split == "test" else d.train_split)
    return size is None or size >= protocol.n_real


# -- the suite's datasets ------------------------------------------------------------------------
for _d in (
    Dataset("cifar10", "repro.data:loader_cifar10", channels=3, resolutions=(32,), n_classes=10,
            offline=False, network="inception", protocols=("sngan", "curve-inception"),
            train_split="train", splits={"train": 50_000, "test": 10_000},
            download=Download("CIFAR10", "cifar-10-batches-py", "cifar-10-python.tar.gz"),
            about="CIFAR-10 (train split, 32x32)"),
    Dataset("stl10", "repro.data:loader_stl10", channels=3, resolutions=(48,), n_classes=0,
            offline=False, network="inception", protocols=("sngan-stl10", "curve-inception-train"),
            train_split="unlabeled", splits={"unlabeled": 100_000, "test": 8_000},
            download=Download("STL10", "stl10_binary", "stl10_binary.tar.gz"),
            about="STL-10 (unlabeled split, 96 -> 48 as SNGAN Sec. 4)"),
    Dataset("image_folder", "repro.data:loader_image_folder", channels=3, resolutions=None,
            n_classes=None, offline=False, network="inception",
            protocols=("50k-train", "curve-inception-train"),
            about="a folder of images (ImageNet/LSUN layout)"),
    Dataset("digits", "repro.data:loader_digits", channels=1, resolutions=(8, 16, 32), n_classes=10,
            offline=True, network="digits", protocols=("digits", "curve-digits"), train_split="all",
            splits={"all": 1_797}, about="scikit-learn's 1,797 digits (ships with it)"),
    Dataset("synthetic", "repro.data:loader_synthetic", channels=3, resolutions=None, n_classes=2,
            offline=True, network="inception", about="procedural discs, for tests"),
    Dataset("mog_ring", "repro.data:loader_mog_ring", channels=None, resolutions=(0,), n_classes=0,
            offline=True, network="mog", protocols=("mog", "curve-mog"), train_split="-",
            about="LSGAN official code's ring of Gaussians (8 distinct modes, sigma 0.01)"),
    Dataset("mog_grid", "repro.data:loader_mog_grid", channels=None, resolutions=(0,), n_classes=0,
            offline=True, network="mog", protocols=("mog", "curve-mog"), train_split="-",
            about="5x5 grid of Gaussians"),
):
    register(_d)

#: Real-data splits that can be scored as if they were samples (``repro evaluate --real NAME``,
#: a table's ``real`` column): the "Real data" row of SNGAN Table 2. name -> dataset, resolution, split (as protocols name them:
#: "test", or any other name for the set a run trains on -- CIFAR-10 train, STL-10 unlabeled,
#: all digits; `real_images`), optional torchvision_split (another torchvision split instead)
#: and offset (images skipped at the start), what it is.
REAL_SETS: dict[str, dict] = {
    "cifar10-train": dict(dataset="cifar10", resolution=32, split="train",
                          about="CIFAR-10 training images (the first n_fake of 50,000)"),
    "stl10-unlabeled": dict(dataset="stl10", resolution=48, split="unlabeled", offset=10_000,
                            about="STL-10 unlabeled images (96->48) from the 10,001st on: the split "
                                  "SNGAN trains on, disjoint from the first 10,000 that the "
                                  "sngan-stl10 reference uses (90,000 images)"),
    "stl10-train": dict(dataset="stl10", resolution=48, split="train", torchvision_split="train",
                        about="STL-10 labelled train split (5,000 images, 96->48)"),
    **{f"digits-{r}": dict(dataset="digits", resolution=r, split="train",
                           about=f"scikit-learn digits at {r}x{r} (the first n_fake of 1,797; the "
                                 f"digits protocols' reference is all 1,797, so they overlap)")
       for r in (8, 16, 32)},
}
