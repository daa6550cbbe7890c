"""Real images for evaluation: read from a dataset, tensor, loader or folder; their features cached on disk.

The features of the real images are what costs (one pass of the feature network over them) and they never change
for a given dataset, extractor and count: they are computed once and kept in memory, and on disk when a cache folder
is given (keyed by dataset name, extractor name and weights hash, count and image shape).
"""

from __future__ import annotations

import os
import re
from collections.abc import Callable, Iterable, Iterator
from pathlib import Path

import torch
from torch import Tensor
from torch.utils.data import DataLoader, Dataset, IterableDataset, Subset

from lightning_gans.data.batches import class_labels, unpack_batch
from lightning_gans.evaluation.features import FeatureExtractor, extract_features

__all__ = ["images_of", "labels_of", "real_batches", "summarize_real", "RealFeatureCache"]

_IMAGE_SUFFIXES = (".png", ".jpg", ".jpeg", ".bmp")


def images_of(batch: object) -> Tensor:
    """The image tensor of a dataset item or batch (:func:`~lightning_gans.data.batches.unpack_batch`).

    >>> images_of((torch.zeros(2, 1, 4, 4), torch.tensor([0, 1]))).shape
    torch.Size([2, 1, 4, 4])
    """
    return unpack_batch(batch)[0]


def labels_of(batch: object) -> Tensor | None:
    """The integer class labels of a batch, when it has them; else ``None``.

    >>> labels_of((torch.zeros(2, 1, 4, 4), torch.tensor([0, 1])))
    tensor([0, 1])
    """
    return class_labels(unpack_batch(batch)[1])


class _Folder(Dataset):
    """Image files of a folder (sorted by name) as ``[-1, 1]`` float tensors, grey kept grey."""

    def __init__(self, folder: Path) -> None:
        self.files = sorted(p for p in folder.iterdir() if p.suffix.lower() in _IMAGE_SUFFIXES)
        if not self.files:
            raise ValueError(
                f"real must be a folder of image files ({', '.join(_IMAGE_SUFFIXES)}), got {str(folder)!r}"
            )

    def __len__(self) -> int:
        return len(self.files)

    def __getitem__(self, index: int) -> Tensor:
        from torchvision.io import read_image

        return read_image(str(self.files[index])).float() / 127.5 - 1.0


def real_batches(
    real: Dataset | DataLoader | Tensor | str | os.PathLike, limit: int, batch_size: int
) -> Iterator[tuple[Tensor, Tensor | None]]:
    """Batches ``(images, labels or None)`` of the first ``limit`` real images (``[-1, 1]``), in order, from any
    accepted source."""
    if isinstance(real, (str, os.PathLike)):
        if not Path(real).is_dir():
            raise ValueError(f"real as a path must be a folder of images, got {str(real)!r}")
        real = _Folder(Path(real))
    if isinstance(real, Tensor):
        yield from ((images, None) for images in real[:limit].split(batch_size))
        return
    if isinstance(real, DataLoader):
        dataset, workers, collate = real.dataset, real.num_workers, real.collate_fn
        if isinstance(dataset, IterableDataset) or not hasattr(dataset, "__len__"):
            batches: Iterator = iter(real)  # no random access: the loader's own first batches
        else:
            subset = Subset(dataset, range(min(limit, len(dataset))))  # fixed: the first N items, in order
            batches = iter(DataLoader(subset, batch_size=batch_size, num_workers=workers, collate_fn=collate))
    else:
        subset = Subset(real, range(min(limit, len(real))))
        batches = iter(DataLoader(subset, batch_size=batch_size))
    count = 0
    for batch in batches:
        images, labels = images_of(batch)[: limit - count], labels_of(batch)
        count += len(images)
        yield images, None if labels is None else labels[: len(images)]
        if count >= limit:
            return


class RealFeatureCache:
    """Real features by key, in memory and (with ``directory``) on disk, written atomically.

    >>> cache = RealFeatureCache(None)
    >>> cache.get(("toy",), lambda: {"features": torch.ones(3, 2)})["features"].shape
    torch.Size([3, 2])
    """

    def __init__(self, directory: str | os.PathLike | None) -> None:
        self.directory = None if directory is None else Path(directory)
        self.memory: dict[tuple, dict[str, Tensor]] = {}
        self.last_file: Path | None = None

    def path(self, key: tuple) -> Path | None:
        if self.directory is None:
            return None
        name = "_".join(str(part) for part in key)
        return self.directory / (re.sub(r"[^A-Za-z0-9_.-]", "-", f"real_{name}") + ".pt")

    def get(self, key: tuple, compute: Callable[[], dict[str, Tensor]], write: bool = True) -> dict[str, Tensor]:
        """The tensors stored under ``key``, else ``compute()`` (stored; written to disk when ``write``)."""
        path = self.path(key)
        self.last_file = path
        if key not in self.memory and path is not None and path.is_file():
            stored = torch.load(path, map_location="cpu", weights_only=True)
            self.memory[key] = {name: value for name, value in stored.items() if isinstance(value, Tensor)}
        if key not in self.memory:
            self.memory[key] = compute()
            if path is not None and write:
                path.parent.mkdir(parents=True, exist_ok=True)
                tmp = path.with_suffix(f".tmp{os.getpid()}")
                torch.save({**self.memory[key], "key": [str(k) for k in key]}, tmp)
                os.replace(tmp, path)  # atomic: a reader never sees half a file
        return self.memory[key]


def summarize_real(
    extractor: FeatureExtractor, batches: Iterable[tuple[Tensor, Tensor | None]], batch_size: int, device: torch.device
) -> dict[str, Tensor]:
    """What evaluation needs of the real images: ``features`` ``(N, D)``, and with labels ``labels`` ``(N,)`` and
    ``within_class_std`` (per class, pixel space; see :func:`~lightning_gans.metrics.within_class_std`)."""
    from lightning_gans.metrics.conditional import within_class_std

    features, labels, images = [], [], []
    for batch_images, batch_labels in batches:
        features.append(extract_features(extractor, batch_images, batch_size, device)[0].cpu())
        if batch_labels is not None:
            labels.append(batch_labels.cpu())
            images.append(batch_images.float().cpu())
    if not features:
        raise ValueError("no real images found")
    summary = {"features": torch.cat(features)}
    if labels and len(labels) == len(features):
        summary["labels"] = torch.cat(labels)
        num_classes = int(summary["labels"].max()) + 1
        summary["within_class_std"] = within_class_std(torch.cat(images), summary["labels"], num_classes)
    return summary
