"""Image data modules: the shared base class and MNIST.

Every image module yields batches ``(images, labels)``: ``float32`` images ``(B, channels, image_size, image_size)``
in ``[-1, 1]`` (bilinear resize, antialiased when shrinking) and ``int64`` labels ``(B,)``; it exposes
``channels``, ``image_size`` and ``num_classes``. Training batches are shuffled with an order that depends only on
``(seed, epoch, rank)``, and the last incomplete batch is dropped (constant batch size for BatchNorm and packing).
"""

from __future__ import annotations

import os
from pathlib import Path

from lightning.pytorch import LightningDataModule
from torch.utils.data import DataLoader, Dataset

from lightning_gans.checks import check_choice, check_dir, check_int
from lightning_gans.data._common import (
    Uint8Collate,
    Uint8ImageDataset,
    build_loader,
)
from lightning_gans.data.mnist_files import MNIST_SPLITS, ensure_mnist_files, load_mnist_arrays


class ImageDataModule(LightningDataModule):
    """Base class: a subclass loads a dataset of ``(uint8 image (C, H, W), int label)`` items; this class resizes,
    scales to ``[-1, 1]`` and batches them.

    Subclasses implement :meth:`load_dataset` and, if they can fetch data, :meth:`download_files`.

    >>> import torch
    >>> class Blank(ImageDataModule):
    ...     def load_dataset(self):
    ...         return Uint8ImageDataset(torch.zeros(8, 1, 28, 28, dtype=torch.uint8), torch.arange(8))
    >>> dm = Blank(data_dir=".", image_size=32, channels=1, num_classes=8, batch_size=4)
    >>> dm.setup("fit")
    >>> images, labels = next(iter(dm.train_dataloader()))
    >>> images.shape, float(images.min()), labels.dtype
    (torch.Size([4, 1, 32, 32]), -1.0, torch.int64)
    """

    def __init__(
        self,
        data_dir: str | os.PathLike,
        image_size: int,
        channels: int,
        num_classes: int,
        batch_size: int,
        download: bool = False,
        num_workers: int = 0,
        seed: int = 0,
    ) -> None:
        super().__init__()
        self.data_dir: Path = check_dir("data_dir", data_dir)
        # Any size: the model says which sizes its networks take, and the engine checks data and model agree.
        self.image_size = check_int("image_size", image_size, 4)
        self.channels = check_int("channels", channels, 1)
        self.num_classes = check_int("num_classes", num_classes, 1)
        self.batch_size = check_int("batch_size", batch_size, 1)
        if not isinstance(download, bool):
            raise TypeError(f"download must be True or False, got {download!r}")
        self.download = download
        self.num_workers = check_int("num_workers", num_workers, 0)
        self.seed = check_int("seed", seed, 0)
        self.train_set: Dataset | None = None

    def load_dataset(self) -> Dataset:
        """The training dataset of ``(uint8 image (C, H, W), int label)`` items (implemented by subclasses)."""
        raise NotImplementedError(f"{type(self).__name__} must implement `load_dataset()`")

    def download_files(self) -> None:
        """Fetch missing files into ``data_dir`` (only called with ``download=True``; default: nothing to fetch)."""

    def prepare_data(self) -> None:
        """Download on one process, when ``download=True``."""
        if self.download:
            self.download_files()

    def setup(self, stage: str | None = None) -> None:
        """Load the dataset once (downloading first if ``download=True`` and the files are still missing)."""
        if self.train_set is None:
            if self.download:
                self.download_files()
            self.train_set = self.load_dataset()

    def train_dataloader(self) -> DataLoader:
        """Shuffled ``(images, labels)`` batches in ``[-1, 1]``; the order of epoch ``e`` depends on ``(seed, e)``."""
        self.setup("fit")
        return build_loader(
            self,
            self.train_set,
            batch_size=self.batch_size,
            shuffle=True,
            seed=self.seed,
            num_workers=self.num_workers,
            drop_last=True,
            collate_fn=Uint8Collate(self.image_size),
        )


class MNISTDataModule(ImageDataModule):
    """MNIST digits from the IDX files in ``data_dir`` (gzipped or not; also ``data_dir/MNIST/raw``).

    Args:
        data_dir: folder holding the IDX files.
        image_size: output side length (any size >= 4; the DCGAN networks take 28, 32 and 64).
        batch_size: images per training batch.
        download: fetch missing files with torchvision's downloader (needs network).
        split: ``"train"`` (60,000), ``"test"`` (10,000, ``t10k-*``) or ``"auto"``: the training files if present,
            else the test files, so a folder with only the test set can be trained on.
        num_workers: DataLoader workers.
        seed: seeds the per-epoch shuffling.

    Batches: ``(images (B, 1, S, S) float32 in [-1, 1], labels (B,) int64)``.

    >>> import tempfile
    >>> dm = MNISTDataModule(tempfile.mkdtemp(), image_size=32, batch_size=8)
    >>> dm.channels, dm.image_size, dm.num_classes
    (1, 32, 10)
    >>> try:
    ...     dm.setup("fit")
    ... except FileNotFoundError as err:
    ...     print("train-images-idx3-ubyte.gz" in str(err))
    True
    """

    def __init__(
        self,
        data_dir: str | os.PathLike,
        image_size: int = 28,
        batch_size: int = 64,
        download: bool = False,
        split: str = "auto",
        num_workers: int = 0,
        seed: int = 0,
    ) -> None:
        super().__init__(
            data_dir,
            image_size,
            channels=1,
            num_classes=10,
            batch_size=batch_size,
            download=download,
            num_workers=num_workers,
            seed=seed,
        )
        self.split = check_choice("split", split, MNIST_SPLITS)
        self.save_hyperparameters()

    def download_files(self) -> None:
        """Download the files of the chosen split (``"auto"``: the training files, only if neither split is here)."""
        ensure_mnist_files(self.data_dir, self.split)

    def load_dataset(self) -> Dataset:
        """The chosen split as ``uint8`` images ``(N, 1, 28, 28)`` with labels."""
        images, labels = load_mnist_arrays(self.data_dir, self.split)
        return Uint8ImageDataset(images.unsqueeze(1), labels)
