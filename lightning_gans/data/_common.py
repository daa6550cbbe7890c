"""Pieces shared by the data modules: the epoch-seeded sampler, the uint8 -> [-1, 1] collate.

Reproducibility contract of every data module in this package: the order (and, for the toy mixtures, the
content) of the training batches of epoch ``e`` depends only on ``(seed, e, rank, world_size)``, never on the
process's global random state or on how many epochs ran before in this process. A run resumed from an
end-of-epoch checkpoint therefore sees exactly the batches an uninterrupted run would have seen. (A checkpoint
taken mid-epoch resumes at the start of that epoch's sequence, as for any non-stateful loader; Lightning warns.)
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from pathlib import Path
from typing import Any

import torch
import torch.nn.functional as F
from lightning.pytorch import LightningDataModule
from torch import Tensor
from torch.utils.data import DataLoader, Dataset, DistributedSampler
from torch.utils.data._utils.collate import default_collate


def distributed_context(datamodule: LightningDataModule) -> tuple[int, int, int]:
    """``(rank, world_size, epoch)`` from the attached Trainer, or ``(0, 1, 0)`` outside of one.

    The epoch is read here because Lightning may start iterating a loader with workers *before* it calls
    ``set_epoch`` on the sampler (seen when resuming); seeding the sampler with the trainer's epoch at creation keeps
    the first resumed epoch correct.
    """
    trainer = datamodule.trainer
    if trainer is None:
        return 0, 1, 0
    return int(trainer.global_rank), int(trainer.world_size), int(trainer.current_epoch)


def build_loader(
    datamodule: LightningDataModule,
    dataset: Dataset,
    *,
    batch_size: int | None,
    shuffle: bool,
    seed: int,
    num_workers: int,
    drop_last: bool,
    collate_fn: Callable[[list[Any]], Any] | None = None,
    sampler_class: type[DistributedSampler] = DistributedSampler,
) -> DataLoader:
    """A DataLoader whose order is a function of ``(seed, epoch, rank)`` only.

    A ``DistributedSampler`` (with one replica outside DDP) is used even on one process: its ``set_epoch`` makes
    each epoch's permutation reproducible, and Lightning leaves a ``DistributedSampler`` in place under DDP (it would
    wrap any other sampler in a wrapper that does not forward ``set_epoch``).
    """
    rank, world_size, epoch = distributed_context(datamodule)
    sampler = sampler_class(
        dataset, num_replicas=world_size, rank=rank, shuffle=shuffle, seed=seed, drop_last=drop_last
    )
    sampler.set_epoch(epoch)
    too_few = len(sampler) == 0 or (batch_size is not None and drop_last and len(sampler) < batch_size)
    if too_few:
        raise ValueError(
            f"`batch_size` ({batch_size}) is larger than the {len(sampler)} items this process gets "
            f"({len(dataset)} in the dataset, {world_size} process(es)); lower `batch_size` or use more data"
        )
    return DataLoader(
        dataset,
        batch_size=batch_size,
        sampler=sampler,
        num_workers=num_workers,
        drop_last=drop_last if batch_size is not None else False,
        collate_fn=collate_fn,
        persistent_workers=num_workers > 0,
    )


def uint8_to_model_range(images: Tensor, image_size: int) -> Tensor:
    """``uint8`` images ``(N, C, H, W)`` -> ``float32`` in ``[-1, 1]`` of shape ``(N, C, image_size, image_size)``.

    Resizing is bilinear (antialiased when shrinking) on the 0..255 values, before scaling, so a constant image stays
    exactly constant.

    >>> x = torch.full((2, 1, 28, 28), 255, dtype=torch.uint8)
    >>> y = uint8_to_model_range(x, 32)
    >>> y.shape, y.dtype, float(y.min()), float(y.max())
    (torch.Size([2, 1, 32, 32]), torch.float32, 1.0, 1.0)
    """
    if images.dtype != torch.uint8 or images.dim() != 4:
        raise ValueError(f"expected uint8 images of shape (N, C, H, W), got {images.dtype} {tuple(images.shape)}")
    x = images.float()
    if x.shape[-2:] != (image_size, image_size):
        x = F.interpolate(x, size=(image_size, image_size), mode="bilinear", align_corners=False, antialias=True)
    return (x / 127.5 - 1.0).clamp_(-1.0, 1.0)


class Uint8Collate:
    """Collate ``(uint8 image (C, H, W), int label)`` items into ``(float images in [-1, 1], int64 labels)``.

    A class rather than a closure so that DataLoader workers can pickle it.

    >>> items = [(torch.zeros(1, 28, 28, dtype=torch.uint8), 3), (torch.zeros(1, 28, 28, dtype=torch.uint8), 5)]
    >>> images, labels = Uint8Collate(32)(items)
    >>> images.shape, labels.tolist(), float(images.max())
    (torch.Size([2, 1, 32, 32]), [3, 5], -1.0)
    """

    def __init__(self, image_size: int) -> None:
        self.image_size = image_size

    def __call__(self, items: list[tuple[Tensor, int]]) -> tuple[Tensor, Tensor]:
        images, labels = default_collate(items)
        return uint8_to_model_range(images, self.image_size), labels.long()


def describe_files(folder: Path, names: Iterable[str]) -> str:
    """``"'a', 'b' in '/abs/folder'"`` for error messages."""
    return f"{', '.join(repr(n) for n in names)} in '{folder.resolve()}'"


class Uint8ImageDataset(Dataset):
    """In-memory ``uint8`` images ``(N, C, H, W)`` with ``int64`` labels ``(N,)``; items are ``(image, int label)``.

    >>> ds = Uint8ImageDataset(torch.zeros(3, 1, 28, 28, dtype=torch.uint8), torch.tensor([4, 5, 6]))
    >>> len(ds), ds[1][0].shape, ds[1][1]
    (3, torch.Size([1, 28, 28]), 5)
    """

    def __init__(self, images: Tensor, labels: Tensor) -> None:
        if images.dtype != torch.uint8 or images.dim() != 4 or labels.shape != (images.shape[0],):
            raise ValueError(
                f"expected uint8 images (N, C, H, W) and labels (N,), got {images.dtype} {tuple(images.shape)} "
                f"and {tuple(labels.shape)}"
            )
        self.images, self.labels = images, labels.long()

    def __len__(self) -> int:
        return int(self.images.shape[0])

    def __getitem__(self, index: int) -> tuple[Tensor, int]:
        return self.images[index], int(self.labels[index])
