"""Data sources: offline sets load with the right shapes and ranges; missing sets fail clearly."""
import math

import pytest
import torch

from repro import data


def test_digits_upsampled_uint8_with_labels():
    s = data.digits(16)
    assert s.data.shape == (1797, 1, 16, 16) and s.data.dtype == torch.uint8
    assert s.n_classes == 10 and s.labels.shape == (1797,)
    assert s.data.max() == 255 and s.data.min() == 0  # 16 -> 255 scaling
    x, y = s.sample(32, torch.Generator().manual_seed(0))
    assert x.shape == (32, 1, 16, 16) and x.min() >= -1 and x.max() <= 1 and y.shape == (32,)


def test_digits_at_native_resolution_keep_sklearn_values():
    from sklearn.datasets import load_digits

    s = data.digits(8)
    ref = torch.from_numpy(load_digits().images).float() * 255 / 16
    assert torch.equal(s.data[:, 0], ref.round().to(torch.uint8))


def test_ring_mixture_is_lsgan_official():
    m = data.ring_mixture()
    assert len(m.centers) == 9 and len(m.modes) == 8
    assert torch.allclose(m.centers.norm(dim=1), torch.ones(9), atol=1e-6)
    assert m.sigma == 0.01
    x = m.sample(20000, torch.Generator().manual_seed(0))
    d = torch.cdist(x, m.modes).min(dim=1).values
    assert (d < 3 * m.sigma * math.sqrt(2) * 1.5).float().mean() > 0.99
    # the doubled component: mode (1, 0) gets twice the mass of the others
    counts = torch.bincount(torch.cdist(x, m.modes).argmin(1), minlength=8).float() / len(x)
    assert counts.max() == pytest.approx(2 / 9, abs=0.01) and counts.min() == pytest.approx(1 / 9, abs=0.01)
    assert sorted(m.weights.tolist()) == pytest.approx([1 / 9] * 7 + [2 / 9])
    assert m.weights[torch.cdist(m.modes, torch.tensor([[1.0, 0.0]])).argmin()] == pytest.approx(2 / 9)


def test_grid_mixture_has_25_modes():
    m = data.grid_mixture()
    assert len(m.modes) == 25 and m.centers.abs().max() == 4


def test_synthetic_is_deterministic():
    a, b = data.synthetic(16, n=64), data.synthetic(16, n=64)
    assert torch.equal(a.data, b.data) and a.data.shape == (64, 3, 16, 16)


def test_missing_cifar_names_file_paths_and_fix(tmp_path, monkeypatch):
    monkeypatch.delenv("REPRO_DATA", raising=False)
    with pytest.raises(data.DataNotFoundError) as e:
        data.load("cifar10", 32, root=tmp_path)
    msg = str(e.value)
    assert "cifar-10-batches-py" in msg and str(tmp_path) in msg
    assert "cifar-10-python.tar.gz" in msg and "download" in msg and "REPRO_DATA" in msg


def test_data_root_from_environment(tmp_path, monkeypatch):
    monkeypatch.setenv("REPRO_DATA", str(tmp_path))
    assert data.data_root() == tmp_path
    with pytest.raises(data.DataNotFoundError, match="stl10_binary"):
        data.load("stl10", 48)


def test_cifar_loads_through_torchvision_when_present(tmp_path, monkeypatch):
    """A CIFAR-10 directory in torchvision's format (built here from random bytes) loads."""
    import pickle

    import numpy as np
    import torchvision

    folder = tmp_path / "cifar-10-batches-py"
    folder.mkdir()
    rng = np.random.default_rng(0)
    for name, _ in torchvision.datasets.CIFAR10.train_list + torchvision.datasets.CIFAR10.test_list:
        batch = {"data": rng.integers(0, 256, (10, 3072), dtype=np.uint8), "labels": list(range(10))}
        (folder / name).write_bytes(pickle.dumps(batch))
    meta = {"label_names": [str(i) for i in range(10)]}
    (folder / "batches.meta").write_bytes(pickle.dumps(meta))
    with pytest.raises(data.DataNotFoundError, match="corrupted"):  # md5s differ from the real files
        data.load("cifar10", 32, root=tmp_path)
    monkeypatch.setattr(torchvision.datasets.cifar, "check_integrity", lambda *a, **k: True)
    s = data.load("cifar10", 32, root=tmp_path)
    assert s.data.shape == (50, 3, 32, 32) and s.n_classes == 10


def test_image_folder(tmp_path):
    from PIL import Image

    for cls in ("a", "b"):
        (tmp_path / cls).mkdir()
        for i in range(3):
            Image.new("RGB", (40, 30), (i * 80, 10, 200)).save(tmp_path / cls / f"{i}.png")
    s = data.load("image_folder", 16, root=tmp_path)
    assert s.data.shape == (6, 3, 16, 16) and s.n_classes == 2
    with pytest.raises(data.DataNotFoundError, match="nope"):
        data.load("image_folder", 16, root=tmp_path / "nope")


def test_unknown_dataset():
    with pytest.raises(KeyError, match="digits"):
        data.load("mnist", 28)
