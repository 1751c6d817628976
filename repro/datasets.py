"""The dataset registry: every training set the suite knows, with its facts, registered once.

As torch-fidelity registers its inputs by name with the split in the name (``cifar10-train``),
each :class:`Dataset` is one entry: the name a run config uses, the split a run trains on (so
``cifar10-train`` is :meth:`Dataset.split_name`), its channels, resolutions, classes, whether it
is available offline, its loader, the protocols that score it by default, its split sizes and
how to download it. Everything that used to restate these facts (``repro.data.DATASETS``,
``load``'s if-chain, ``_TORCHVISION``, ``repro.evaluator.DEFAULT_PROTOCOLS``, the test-split
tuple, the ``repro download`` list, ``repro.config.PROTOCOL_DATASETS``) reads them from here.

The loaders live next to their data in :mod:`repro.data`, which registers the suite's datasets;
adding a dataset is one :func:`register` call with its loader.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Callable, Iterator, Mapping

from .errors import UserError


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
            :class:`repro.data.Source` (``split`` None: the split a run trains on).
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
    loader: Callable
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
    _load_builtin()
    try:
        return REGISTRY[name]
    except KeyError:
        raise UnknownDatasetError(f"unknown dataset {name!r}; known: {', '.join(REGISTRY)}") from None


def all_datasets() -> list[Dataset]:
    _load_builtin()
    return list(REGISTRY.values())


def _load_builtin() -> None:
    from . import data  # noqa: F401  (registers the suite's datasets on import)


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


def fits(dataset: str, network: str, real_split: str) -> bool:
    """Whether a protocol on `network` with real split `real_split` can score `dataset`."""
    d = get(dataset)
    return d.network == network and (real_split != "test" or d.has_test_split)
