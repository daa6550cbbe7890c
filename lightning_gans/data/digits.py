"""scikit-learn's 8x8 handwritten digits (1,797 images, 10 classes): a tiny image set that needs no download."""

from __future__ import annotations

import torch
import torch.nn.functional as F
from lightning.pytorch import LightningDataModule
from torch import Tensor
from torch.utils.data import DataLoader, TensorDataset

from lightning_gans.checks import check_choice, check_int
from lightning_gans.data._common import build_loader

DIGITS_IMAGE_SIZES: tuple[int, ...] = (8, 16, 28, 32, 64)


def load_digits_tensors(image_size: int = 32) -> tuple[Tensor, Tensor]:
    """All 1,797 digits as ``(images (N, 1, image_size, image_size) float32 in [-1, 1], labels (N,) int64)``.

    The raw pixels are 0..16; they are resized bilinearly, then mapped linearly so 0 -> -1 and 16 -> 1.

    >>> images, labels = load_digits_tensors(16)
    >>> images.shape, labels.shape, float(images.min()), float(images.max()), labels.unique().tolist()
    (torch.Size([1797, 1, 16, 16]), torch.Size([1797]), -1.0, 1.0, [0, 1, 2, 3, 4, 5, 6, 7, 8, 9])
    """
    check_choice("image_size", image_size, DIGITS_IMAGE_SIZES)
    try:
        from sklearn.datasets import load_digits
    except ImportError as err:  # scikit-learn is an optional extra
        raise ImportError(
            "DigitsDataModule needs scikit-learn, which ships the 8x8 digits; install it with "
            "`pip install lightning-gans[examples]` (or `pip install scikit-learn`)"
        ) from err
    bunch = load_digits()
    images = torch.as_tensor(bunch.images, dtype=torch.float32).unsqueeze(1)  # (N, 1, 8, 8), values 0..16
    if image_size != images.shape[-1]:
        images = F.interpolate(images, size=(image_size, image_size), mode="bilinear", align_corners=False)
    images = (images / 8.0 - 1.0).clamp_(-1.0, 1.0)  # 0..16 -> [-1, 1]
    return images.contiguous(), torch.as_tensor(bunch.target, dtype=torch.int64)


class DigitsDataModule(LightningDataModule):
    """The 8x8 digits, resized to ``image_size``, in ``[-1, 1]``, one channel, with labels.

    Args:
        image_size: one of 8, 16, 28, 32, 64.
        batch_size: images per training batch (the last incomplete batch is dropped).
        val_fraction: share of the images held out for ``val_dataloader`` (split fixed by ``seed``); the default 0
            trains on all 1,797 images, as a GAN needs no validation set.
        num_workers: DataLoader workers.
        seed: seeds the split and the per-epoch shuffling.

    Batches are ``(images (B, 1, S, S) float32, labels (B,) int64)``.

    >>> dm = DigitsDataModule(image_size=32, batch_size=16, val_fraction=0.1)
    >>> dm.setup("fit")
    >>> images, labels = next(iter(dm.train_dataloader()))
    >>> images.shape, labels.dtype, dm.num_classes, dm.channels
    (torch.Size([16, 1, 32, 32]), torch.int64, 10, 1)
    >>> len(dm.train_set), len(dm.val_set)
    (1617, 180)
    """

    num_classes: int = 10
    channels: int = 1

    def __init__(
        self, image_size: int = 32, batch_size: int = 64, val_fraction: float = 0.0, num_workers: int = 0, seed: int = 0
    ) -> None:
        super().__init__()
        self.image_size = check_choice("image_size", image_size, DIGITS_IMAGE_SIZES)
        self.batch_size = check_int("batch_size", batch_size, 1)
        if isinstance(val_fraction, bool) or not isinstance(val_fraction, (int, float)):
            raise TypeError(f"val_fraction must be a number in [0, 1), got {val_fraction!r}")
        if not 0.0 <= val_fraction < 1.0:
            raise ValueError(f"val_fraction must be in [0, 1), got {val_fraction}")
        self.val_fraction = float(val_fraction)
        self.num_workers = check_int("num_workers", num_workers, 0)
        self.seed = check_int("seed", seed, 0)
        self.train_set: TensorDataset | None = None
        self.val_set: TensorDataset | None = None
        self.save_hyperparameters()

    def prepare_data(self) -> None:
        """Fail early, on one process, when scikit-learn is missing."""
        load_digits_tensors(8)

    def setup(self, stage: str | None = None) -> None:
        """Load, resize and split the images (once)."""
        if self.train_set is not None:
            return
        images, labels = load_digits_tensors(self.image_size)
        order = torch.randperm(len(labels), generator=torch.Generator().manual_seed(self.seed))
        num_val = round(self.val_fraction * len(labels))
        val_idx, train_idx = order[:num_val], order[num_val:]
        self.train_set = TensorDataset(images[train_idx], labels[train_idx])
        self.val_set = TensorDataset(images[val_idx], labels[val_idx])

    def train_dataloader(self) -> DataLoader:
        """Shuffled training batches; the order of epoch ``e`` depends only on ``(seed, e)``."""
        self.setup("fit")
        return build_loader(
            self,
            self.train_set,
            batch_size=self.batch_size,
            shuffle=True,
            seed=self.seed,
            num_workers=self.num_workers,
            drop_last=True,
        )

    def val_dataloader(self) -> DataLoader | list:
        """The held-out images in a fixed order, or an empty list (no validation) when ``val_fraction`` is 0."""
        self.setup("validate")
        if len(self.val_set) == 0:
            return []
        return build_loader(
            self,
            self.val_set,
            batch_size=self.batch_size,
            shuffle=False,
            seed=self.seed,
            num_workers=self.num_workers,
            drop_last=False,
        )
