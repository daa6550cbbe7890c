"""IDX reading, split resolution, missing-file and download-failure messages, and the real MNIST test set."""

from __future__ import annotations

import gzip
import hashlib
import urllib.error
from pathlib import Path

import numpy as np
import pytest
import torch
import torchvision.datasets.utils as tv_utils

from lightning_gans.data import MNISTDataModule, load_mnist_arrays, read_idx
from lightning_gans.data.mnist_files import MNIST_FILES, ensure_mnist_files

REAL_MNIST = Path("/work/shared/data/mnist")


@pytest.mark.parametrize("name", ["a-idx3-ubyte", "a-idx3-ubyte.gz"])
def test_read_idx_round_trip(tmp_path, fakes, name):
    array = np.arange(2 * 3 * 4, dtype=np.uint8).reshape(2, 3, 4)
    out = read_idx(fakes.write_idx(tmp_path / name, array))
    assert out.dtype == torch.uint8
    assert out.shape == (2, 3, 4)
    assert torch.equal(out, torch.from_numpy(array))


def test_read_idx_rejects_bad_headers(tmp_path, fakes):
    good = fakes.write_idx(tmp_path / "good-idx1-ubyte", np.arange(5, dtype=np.uint8)).read_bytes()
    cases = {
        "magic": (b"\x01" + good[1:], "two zero bytes"),
        "dtype": (good[:2] + b"\x0d" + good[3:], "type code 0x0d"),
        "short": (good[:-1], "header shape (5,) needs 5"),
        "long": (good + b"\x00", "has 6 data bytes"),
    }
    for label, (raw, expected) in cases.items():
        path = tmp_path / f"{label}-idx1-ubyte"
        path.write_bytes(raw)
        with pytest.raises(ValueError, match=expected.replace("(", r"\(").replace(")", r"\)")) as err:
            read_idx(path)
        assert str(path) in str(err.value)
    broken_gz = tmp_path / "broken-idx1-ubyte.gz"
    broken_gz.write_bytes(gzip.compress(good)[:-8])  # truncated gzip stream
    with pytest.raises(ValueError, match="cannot read IDX file"):
        read_idx(broken_gz)


def test_auto_split_uses_test_files_when_only_they_exist(mnist_test_only):
    images, labels = load_mnist_arrays(mnist_test_only)  # split="auto"
    assert images.shape == (40, 28, 28) and images.dtype == torch.uint8
    assert labels.dtype == torch.int64 and labels.tolist() == list(range(10)) * 4


def test_auto_split_prefers_training_files(tmp_path, fakes):
    fakes.write_mnist_split(tmp_path, "t10k", np.arange(10))
    fakes.write_mnist_split(tmp_path, "train", np.array([3, 1, 4, 1, 5]), gz=False)  # unpacked files work too
    images, labels = load_mnist_arrays(tmp_path, split="auto")
    assert labels.tolist() == [3, 1, 4, 1, 5]
    assert int(images[0, 0, 0]) == fakes.intensity(3)
    assert load_mnist_arrays(tmp_path, split="test")[1].tolist() == list(range(10))


def test_torchvision_layout_is_found(tmp_path, fakes):
    fakes.write_mnist_split(tmp_path / "MNIST" / "raw", "t10k", np.arange(10))
    assert load_mnist_arrays(tmp_path, split="test")[0].shape == (10, 28, 28)


@pytest.mark.parametrize("split", ["train", "test", "auto"])
def test_missing_files_error_names_files_folder_and_remedy(tmp_path, split):
    with pytest.raises(FileNotFoundError) as err:
        load_mnist_arrays(tmp_path / "nowhere", split=split)
    message = str(err.value)
    expected = MNIST_FILES["train" if split == "auto" else split]
    for name in expected:
        assert f"{name}.gz" in message
    assert str((tmp_path / "nowhere").resolve()) in message
    assert "download=True" in message


def test_inconsistent_files_are_rejected(tmp_path, fakes):
    fakes.write_idx(tmp_path / "t10k-images-idx3-ubyte.gz", np.zeros((3, 28, 28), np.uint8))
    fakes.write_idx(tmp_path / "t10k-labels-idx1-ubyte.gz", np.zeros(4, np.uint8))
    with pytest.raises(ValueError, match="one label per image"):
        load_mnist_arrays(tmp_path, "test")
    fakes.write_idx(tmp_path / "t10k-images-idx3-ubyte.gz", np.zeros((4, 10, 10), np.uint8))
    with pytest.raises(ValueError, match=r"shape \(N, 28, 28\)"):
        load_mnist_arrays(tmp_path, "test")
    with pytest.raises(ValueError, match="split"):
        load_mnist_arrays(tmp_path, "validation")


def test_offline_download_gives_clear_error(tmp_path, monkeypatch):
    calls = []

    def offline(url, root, filename=None, md5=None, max_redirect_hops=3):
        calls.append(url)
        raise urllib.error.URLError("Name or service not known")

    monkeypatch.setattr(tv_utils, "download_url", offline)
    dm = MNISTDataModule(tmp_path / "mnist", download=True)
    with pytest.raises(RuntimeError) as err:
        dm.prepare_data()
    message = str(err.value)
    assert "train-images-idx3-ubyte.gz" in message and str((tmp_path / "mnist").resolve()) in message
    assert "https://" in message and "by hand" in message
    assert isinstance(err.value.__cause__, urllib.error.URLError)
    assert len(calls) == 2  # both torchvision mirrors were tried


def test_download_path_fetches_missing_files(tmp_path, monkeypatch, fakes):
    def fake_download(url, root, filename=None, md5=None, max_redirect_hops=3):
        # stands in for the network: writes a valid tiny file where torchvision would
        labels = np.arange(10, dtype=np.uint8)
        data = labels if "labels" in filename else np.zeros((10, 28, 28), np.uint8)
        fakes.write_idx(Path(root) / filename, data)

    monkeypatch.setattr(tv_utils, "download_url", fake_download)
    ensure_mnist_files(tmp_path / "new", split="test")
    assert load_mnist_arrays(tmp_path / "new", "test")[1].tolist() == list(range(10))


@pytest.mark.skipif(not (REAL_MNIST / "t10k-images-idx3-ubyte.gz").is_file(), reason="real MNIST test set absent")
def test_real_mnist_test_set_loads():
    images, labels = load_mnist_arrays(REAL_MNIST, "test")
    assert images.shape == (10_000, 28, 28)
    # The parsed pixels re-serialised as IDX must be byte-identical to the published (unpacked) file.
    header = bytes([0, 0, 8, 3]) + b"".join(d.to_bytes(4, "big") for d in (10_000, 28, 28))
    assert hashlib.md5(header + images.numpy().tobytes()).hexdigest() == "2646ac647ad5339dbf082846283269ea"
    counts = torch.bincount(labels, minlength=10).tolist()
    assert counts == [980, 1135, 1032, 1010, 982, 892, 958, 1028, 974, 1009]

    dm = MNISTDataModule(REAL_MNIST, image_size=32, batch_size=128, split="test")
    dm.setup("fit")
    batch, batch_labels = next(iter(dm.train_dataloader()))
    assert batch.shape == (128, 1, 32, 32) and batch.dtype == torch.float32
    assert batch.min() == -1.0 and batch.max() <= 1.0 and batch.max() > 0.9
    assert batch_labels.dtype == torch.int64 and batch_labels.min() >= 0 and batch_labels.max() <= 9
    assert len(dm.train_dataloader()) == 10_000 // 128


@pytest.mark.skipif(not (REAL_MNIST / "train-images-idx3-ubyte.gz").is_file(), reason="real MNIST training set absent")
def test_real_mnist_training_set_loads_and_auto_prefers_it():
    images, labels = load_mnist_arrays(REAL_MNIST)  # both splits present: "auto" picks the 60k training digits
    header = bytes([0, 0, 8, 3]) + b"".join(d.to_bytes(4, "big") for d in (60_000, 28, 28))
    assert hashlib.md5(header + images.numpy().tobytes()).hexdigest() == "6bbc9ace898e44ae57da46a324031adb"
    counts = torch.bincount(labels, minlength=10).tolist()
    assert counts == [5923, 6742, 5958, 6131, 5842, 5421, 5918, 6265, 5851, 5949]
