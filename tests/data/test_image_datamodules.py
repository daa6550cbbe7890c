"""MNIST, Stacked MNIST, CIFAR-10 and image-folder data modules on tiny generated files."""

from __future__ import annotations

import pickle
import types
import urllib.error

import numpy as np
import pytest
import torch
import torchvision.datasets.cifar as tv_cifar
import torchvision.datasets.utils as tv_utils
from PIL import Image

from lightning_gans.data import (
    CIFAR10DataModule,
    ImageFolderDataModule,
    MNISTDataModule,
    StackedMNISTDataModule,
    stacked_mode_ids,
)


def all_batches(dm):
    dm.setup("fit")
    batches = list(dm.train_dataloader())
    return torch.cat([b[0] for b in batches]), torch.cat([b[1] for b in batches])


@pytest.mark.parametrize("image_size", [28, 32, 64])
def test_mnist_batches(mnist_test_only, fakes, image_size):
    dm = MNISTDataModule(mnist_test_only, image_size=image_size, batch_size=8)
    assert (dm.channels, dm.image_size, dm.num_classes) == (1, image_size, 10)
    images, labels = all_batches(dm)
    assert images.shape == (40, 1, image_size, image_size) and images.dtype == torch.float32
    assert labels.dtype == torch.int64 and sorted(labels.tolist()) == sorted(list(range(10)) * 4)
    assert images.min() >= -1.0 and images.max() <= 1.0
    # Every image is its class's constant grey level: pixels and label must agree after resizing and scaling.
    digits = fakes.digit_from_pixels(images)
    assert torch.allclose(digits, labels.view(-1, 1, 1, 1).float().expand_as(digits), atol=1e-4)


def test_image_scaling_reaches_both_ends(tmp_path, fakes):
    images = np.zeros((2, 28, 28), np.uint8)
    images[1] = 255
    fakes.write_idx(tmp_path / "t10k-images-idx3-ubyte.gz", images)
    fakes.write_idx(tmp_path / "t10k-labels-idx1-ubyte.gz", np.array([0, 1], np.uint8))
    batch, labels = all_batches(MNISTDataModule(tmp_path, image_size=32, batch_size=2))
    by_label = batch[labels.argsort()]
    assert torch.all(by_label[0] == -1.0) and torch.all(by_label[1] == 1.0)


def test_shuffle_depends_only_on_seed_and_epoch(mnist_test_only):
    def order(seed, epoch):
        dm = MNISTDataModule(mnist_test_only, batch_size=40, seed=seed)
        dm.setup("fit")
        loader = dm.train_dataloader()
        loader.sampler.set_epoch(epoch)  # what Lightning calls at every epoch start
        return next(iter(loader))[1].tolist()

    assert order(0, 3) == order(0, 3)
    assert order(0, 3) != order(0, 4)
    assert order(0, 3) != order(1, 3)


def test_stacked_mnist_labels_match_channel_digits(mnist_test_only, fakes):
    dm = StackedMNISTDataModule(mnist_test_only, image_size=28, batch_size=300, num_samples=3000, seed=5)
    assert (dm.channels, dm.image_size, dm.num_classes) == (3, 28, 1000)
    images, labels = all_batches(dm)
    assert images.shape == (3000, 3, 28, 28) and images.dtype == torch.float32
    assert labels.dtype == torch.int64 and labels.min() >= 0 and labels.max() <= 999
    assert images.min() >= -1.0 and images.max() <= 1.0
    channel_digits = fakes.digit_from_pixels(images.mean(dim=(2, 3))).round().long()  # (N, 3): R, G, B digit
    assert torch.equal(stacked_mode_ids(channel_digits), labels)
    # Three independent uniform digits: 3,000 draws from 1,000 triples cover most of them (expected ~950).
    assert len(labels.unique()) > 900
    assert len(channel_digits[:, 0].unique()) == len(channel_digits[:, 2].unique()) == 10


def test_stacked_mnist_is_a_fixed_seeded_draw(mnist_test_only):
    def labels_of(seed):
        dm = StackedMNISTDataModule(mnist_test_only, batch_size=10, num_samples=200, seed=seed)
        dm.setup("fit")
        return dm.train_set.targets

    assert torch.equal(labels_of(1), labels_of(1))
    assert not torch.equal(labels_of(1), labels_of(2))
    dm = StackedMNISTDataModule(mnist_test_only, image_size=64, batch_size=10, num_samples=20)
    dm.setup("fit")
    assert next(iter(dm.train_dataloader()))[0].shape == (10, 3, 64, 64)


def write_fake_cifar(folder, num_per_batch=6):
    """CIFAR-10's pickle layout with tiny content; batch b, image i has red level 10*b + i."""
    folder.mkdir(parents=True)
    names = [f"data_batch_{b}" for b in range(1, 6)] + ["test_batch"]
    for b, name in enumerate(names):
        data = np.zeros((num_per_batch, 3, 32, 32), np.uint8)
        data[:, 0] = (10 * b + np.arange(num_per_batch))[:, None, None]
        data[:, 2] = 255
        entry = {"data": data.reshape(num_per_batch, -1), "labels": [(b + i) % 10 for i in range(num_per_batch)]}
        (folder / name).write_bytes(pickle.dumps(entry))
    (folder / "batches.meta").write_bytes(pickle.dumps({"label_names": [f"c{i}" for i in range(10)]}))


def test_cifar10_loads_through_torchvision(tmp_path, monkeypatch):
    write_fake_cifar(tmp_path / "cifar-10-batches-py")
    # Our files are not the real ones: only torchvision's MD5 check is bypassed, its loading code runs.
    monkeypatch.setattr(tv_cifar, "check_integrity", lambda *args, **kwargs: True)
    for data_dir in (tmp_path, tmp_path / "cifar-10-batches-py"):  # the parent or the folder itself
        dm = CIFAR10DataModule(data_dir, image_size=64, batch_size=5)
        images, labels = all_batches(dm)
        assert images.shape == (30, 3, 64, 64) and labels.dtype == torch.int64
        assert torch.all(images[:, 2] == 1.0) and torch.all(images[:, 1] == -1.0)
        red = ((images[:, 0, 0, 0] + 1) * 127.5).round().long()
        assert sorted(red.tolist()) == [10 * b + i for b in range(5) for i in range(6)]
    test_images, _ = all_batches(CIFAR10DataModule(tmp_path, split="test", batch_size=6))
    assert test_images.shape == (6, 3, 32, 32)


def test_cifar10_missing_files_error(tmp_path):
    dm = CIFAR10DataModule(tmp_path / "data", batch_size=4)
    with pytest.raises(FileNotFoundError) as err:
        dm.setup("fit")
    message = str(err.value)
    assert str((tmp_path / "data" / "cifar-10-batches-py").resolve()) in message
    assert all(f"data_batch_{i}" in message for i in range(1, 6)) and "batches.meta" in message
    assert "download=True" in message and "cifar-10-python.tar.gz" in message


def test_cifar10_offline_download_error(tmp_path, monkeypatch):
    def offline(*args, **kwargs):
        raise urllib.error.URLError("Name or service not known")

    monkeypatch.setattr(tv_utils, "download_and_extract_archive", offline)
    dm = CIFAR10DataModule(tmp_path, download=True)
    with pytest.raises(RuntimeError) as err:
        dm.prepare_data()
    assert "cifar-10-python.tar.gz" in str(err.value) and "data_batch_1" in str(err.value)
    assert str(tmp_path.resolve()) in str(err.value)
    assert isinstance(err.value.__cause__, urllib.error.URLError)


def test_image_folder_with_classes(tmp_path):
    for label, colour in enumerate([(255, 0, 0), (0, 0, 255)]):
        (tmp_path / f"class_{label}").mkdir()
        for i in range(3):
            Image.new("RGB", (40 + 10 * i, 30), colour).save(tmp_path / f"class_{label}" / f"{i}.png")
    (tmp_path / "empty").mkdir()  # no images: not a class
    dm = ImageFolderDataModule(tmp_path, image_size=32, batch_size=2)
    assert (dm.channels, dm.image_size, dm.num_classes) == (3, 32, 2)
    images, labels = all_batches(dm)
    assert images.shape == (6, 3, 32, 32) and labels.dtype == torch.int64
    red = images[:, 0].mean(dim=(1, 2))
    assert torch.allclose(red, torch.where(labels == 0, 1.0, -1.0))  # class_0 is red, class_1 blue

    grey, _ = all_batches(ImageFolderDataModule(tmp_path, image_size=28, channels=1, batch_size=3))
    assert grey.shape == (6, 1, 28, 28) and grey.min() >= -1.0 and grey.max() <= 1.0


def test_image_folder_flat_and_missing(tmp_path):
    for i in range(4):
        Image.new("L", (16, 16), 60 * i).save(tmp_path / f"{i}.jpg")
    images, labels = all_batches(ImageFolderDataModule(tmp_path, image_size=16, batch_size=4))
    assert images.shape == (4, 3, 16, 16) and labels.tolist() == [0, 0, 0, 0]
    with pytest.raises(FileNotFoundError, match="does not exist"):
        ImageFolderDataModule(tmp_path / "missing")
    (tmp_path / "empty").mkdir()
    (tmp_path / "empty" / "notes.txt").write_text("not an image")
    with pytest.raises(FileNotFoundError, match="no images found"):
        ImageFolderDataModule(tmp_path / "empty")


def test_arguments_are_validated(mnist_test_only):
    with pytest.raises(ValueError, match=r"image_size must be an int >= 4, got 2"):
        MNISTDataModule(mnist_test_only, image_size=2)
    with pytest.raises(ValueError, match="batch_size must be an int >= 1, got 0"):
        StackedMNISTDataModule(mnist_test_only, batch_size=0)
    with pytest.raises(TypeError, match="batch_size must be an int"):
        MNISTDataModule(mnist_test_only, batch_size=8.0)
    with pytest.raises(ValueError, match="split must be one of"):
        MNISTDataModule(mnist_test_only, split="val")
    with pytest.raises(ValueError, match="num_samples must be"):
        StackedMNISTDataModule(mnist_test_only, num_samples=0)
    with pytest.raises(TypeError, match="data_dir must be"):
        MNISTDataModule(None)
    with pytest.raises(TypeError, match="download must be"):
        CIFAR10DataModule(mnist_test_only, download="yes")
    with pytest.raises(ValueError, match="channels must be"):
        ImageFolderDataModule(mnist_test_only, channels=4)
    dm = MNISTDataModule(mnist_test_only, batch_size=41)
    dm.setup("fit")
    with pytest.raises(ValueError, match=r"`batch_size` \(41\) is larger than the 40 items"):
        dm.train_dataloader()


def test_ddp_ranks_get_disjoint_shards(mnist_test_only):
    seen = []
    for rank in range(2):
        dm = MNISTDataModule(mnist_test_only, batch_size=4)
        dm.trainer = types.SimpleNamespace(global_rank=rank, world_size=2, current_epoch=0)  # what a DDP rank sees
        dm.setup("fit")
        loader = dm.train_dataloader()
        assert len(loader) == 5
        seen.append(set(loader.sampler))
    assert seen[0].isdisjoint(seen[1]) and len(seen[0] | seen[1]) == 40
