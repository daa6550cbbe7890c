"""Stacked MNIST: three MNIST digits as the R, G, B channels, 1,000 modes (the digit triples).

The mode-collapse benchmark of VEEGAN (Srivastava et al., 2017) and PacGAN (Lin et al., 2018): a generator that
covers the data produces all 1,000 triples; a collapsed one produces few.
"""

from __future__ import annotations

import os

import torch
from torch import Tensor
from torch.utils.data import Dataset

from lightning_gans.checks import check_choice, check_int
from lightning_gans.data.images import ImageDataModule
from lightning_gans.data.mnist_files import MNIST_SPLITS, ensure_mnist_files, load_mnist_arrays


def stacked_mode_ids(digits: Tensor) -> Tensor:
    """Mode ids ``(N,)`` in ``[0, 1000)`` from per-channel digits ``(N, 3)``: ``100 * d0 + 10 * d1 + d2``.

    >>> stacked_mode_ids(torch.tensor([[1, 2, 3], [0, 0, 7], [9, 9, 9]]))
    tensor([123,   7, 999])
    """
    if digits.dim() != 2 or digits.shape[1] != 3:
        raise ValueError(f"`digits` must have shape (N, 3), got {tuple(digits.shape)}")
    if digits.numel() and (digits.min() < 0 or digits.max() > 9):
        raise ValueError(f"`digits` must lie in 0..9, got values in [{int(digits.min())}, {int(digits.max())}]")
    digits = digits.long()
    return 100 * digits[:, 0] + 10 * digits[:, 1] + digits[:, 2]


class StackedMNISTDataset(Dataset):
    """``num_samples`` fixed stacks of three MNIST digits, drawn independently and uniformly (with replacement).

    The triples of source indices are drawn once from ``seed``, so the dataset is the same on every run and every
    process. Items are ``(uint8 image (3, 28, 28), int label in 0..999)``.

    >>> digits = torch.arange(10, dtype=torch.uint8).view(10, 1, 1).expand(10, 28, 28)  # digit d has intensity d
    >>> ds = StackedMNISTDataset(digits, torch.arange(10), num_samples=5, seed=0)
    >>> image, label = ds[0]
    >>> image.shape, label == 100 * int(image[0, 0, 0]) + 10 * int(image[1, 0, 0]) + int(image[2, 0, 0])
    (torch.Size([3, 28, 28]), True)
    """

    def __init__(self, images: Tensor, labels: Tensor, num_samples: int, seed: int = 0) -> None:
        if images.dtype != torch.uint8 or images.dim() != 3 or labels.shape != (images.shape[0],):
            raise ValueError(
                f"expected uint8 digits (N, H, W) and labels (N,), got {images.dtype} {tuple(images.shape)} "
                f"and {tuple(labels.shape)}"
            )
        check_int("num_samples", num_samples, 1)
        check_int("seed", seed, 0)
        self.images, self.labels = images, labels.long()
        generator = torch.Generator().manual_seed(seed)
        self.indices = torch.randint(images.shape[0], (num_samples, 3), generator=generator)  # (M, 3) source rows
        self.targets = stacked_mode_ids(self.labels[self.indices])  # (M,) in 0..999

    def __len__(self) -> int:
        return int(self.indices.shape[0])

    def __getitem__(self, index: int) -> tuple[Tensor, int]:
        return self.images[self.indices[index]], int(self.targets[index])  # (3, H, W): channel c = digit c


class StackedMNISTDataModule(ImageDataModule):
    """Stacked MNIST from the MNIST IDX files in ``data_dir`` (the test set alone is enough with ``split="auto"``).

    Args:
        data_dir: folder holding the MNIST IDX files (see :class:`~lightning_gans.data.MNISTDataModule`).
        image_size: output side length (any size >= 4; the DCGAN networks take 28, 32 and 64).
        batch_size: images per training batch.
        num_samples: size of the training set: how many stacks are drawn (once, from ``seed``) out of the
            ``N**3`` possible ones. The default 100,000 gives each of the 1,000 triples about 100 examples.
        download: fetch missing MNIST files with torchvision's downloader (needs network).
        split: which MNIST files supply the digits: ``"auto"``, ``"train"`` or ``"test"``.
        num_workers: DataLoader workers.
        seed: seeds the draw of the stacks and the per-epoch shuffling.

    Batches: ``(images (B, 3, S, S) float32 in [-1, 1], labels (B,) int64 in 0..999)``, label
    ``100 * d_R + 10 * d_G + d_B``.

    >>> import tempfile
    >>> dm = StackedMNISTDataModule(tempfile.mkdtemp(), image_size=32, batch_size=8, num_samples=1000)
    >>> dm.channels, dm.image_size, dm.num_classes
    (3, 32, 1000)
    """

    def __init__(
        self,
        data_dir: str | os.PathLike,
        image_size: int = 32,
        batch_size: int = 64,
        num_samples: int = 100_000,
        download: bool = False,
        split: str = "auto",
        num_workers: int = 0,
        seed: int = 0,
    ) -> None:
        super().__init__(
            data_dir,
            image_size,
            channels=3,
            num_classes=1000,
            batch_size=batch_size,
            download=download,
            num_workers=num_workers,
            seed=seed,
        )
        self.num_samples = check_int("num_samples", num_samples, 1)
        self.split = check_choice("split", split, MNIST_SPLITS)
        self.save_hyperparameters()

    def download_files(self) -> None:
        """Download the MNIST files of the chosen split (``"auto"``: only if neither split is present)."""
        ensure_mnist_files(self.data_dir, self.split)

    def load_dataset(self) -> Dataset:
        """The fixed set of ``num_samples`` stacks."""
        images, labels = load_mnist_arrays(self.data_dir, self.split)
        return StackedMNISTDataset(images, labels, self.num_samples, self.seed)
