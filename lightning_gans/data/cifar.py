"""CIFAR-10 (50,000 training / 10,000 test colour images, 32x32, 10 classes) through torchvision."""

from __future__ import annotations

import os
from pathlib import Path

import torch
from torch.utils.data import Dataset

from lightning_gans.checks import check_choice
from lightning_gans.data._common import Uint8ImageDataset, describe_files
from lightning_gans.data.images import ImageDataModule

CIFAR10_FOLDER = "cifar-10-batches-py"
CIFAR10_URL = "https://www.cs.toronto.edu/~kriz/cifar-10-python.tar.gz"
_CIFAR10_FILES = {
    "train": ("data_batch_1", "data_batch_2", "data_batch_3", "data_batch_4", "data_batch_5", "batches.meta"),
    "test": ("test_batch", "batches.meta"),
}


def cifar10_root(data_dir: str | os.PathLike) -> Path:
    """The folder that holds (or will hold) ``cifar-10-batches-py``: ``data_dir``, or its parent when ``data_dir``
    is that folder itself.

    >>> cifar10_root("/data/cifar-10-batches-py").as_posix(), cifar10_root("/data").as_posix()
    ('/data', '/data')
    """
    path = Path(data_dir).expanduser()
    return path.parent if path.name == CIFAR10_FOLDER else path


def missing_cifar10_files(data_dir: str | os.PathLike, split: str = "train") -> list[str]:
    """Names of the files of ``split`` missing from ``<root>/cifar-10-batches-py`` (empty when complete).

    >>> import tempfile
    >>> missing_cifar10_files(tempfile.mkdtemp(), "test")
    ['test_batch', 'batches.meta']
    """
    folder = cifar10_root(data_dir) / CIFAR10_FOLDER
    return [name for name in _CIFAR10_FILES[split] if not (folder / name).is_file()]


class CIFAR10DataModule(ImageDataModule):
    """CIFAR-10 from ``data_dir/cifar-10-batches-py`` (torchvision's layout), resized to ``image_size``.

    Args:
        data_dir: the folder that contains ``cifar-10-batches-py`` (or that folder itself).
        image_size: output side length (32 is native; any size >= 4, the DCGAN networks take 28, 32 and 64).
        batch_size: images per training batch.
        download: fetch and unpack the archive with torchvision (needs network, 163 MB).
        split: ``"train"`` (50,000 images) or ``"test"`` (10,000).
        num_workers: DataLoader workers.
        seed: seeds the per-epoch shuffling.

    Batches: ``(images (B, 3, S, S) float32 in [-1, 1], labels (B,) int64)``.

    >>> import tempfile
    >>> dm = CIFAR10DataModule(tempfile.mkdtemp(), batch_size=8)
    >>> dm.channels, dm.image_size, dm.num_classes
    (3, 32, 10)
    >>> try:
    ...     dm.setup("fit")
    ... except FileNotFoundError as err:
    ...     print("cifar-10-batches-py" in str(err) and "data_batch_1" in str(err))
    True
    """

    def __init__(
        self,
        data_dir: str | os.PathLike,
        image_size: int = 32,
        batch_size: int = 64,
        download: bool = False,
        split: str = "train",
        num_workers: int = 0,
        seed: int = 0,
    ) -> None:
        super().__init__(
            data_dir,
            image_size,
            channels=3,
            num_classes=10,
            batch_size=batch_size,
            download=download,
            num_workers=num_workers,
            seed=seed,
        )
        self.split = check_choice("split", split, ("train", "test"))
        self.root = cifar10_root(self.data_dir)
        self.save_hyperparameters()

    def download_files(self) -> None:
        """Download and unpack the archive into ``data_dir`` unless the files are already there."""
        if not missing_cifar10_files(self.root, self.split):
            return
        from torchvision.datasets import CIFAR10
        from torchvision.datasets import utils as tv_utils

        self.root.mkdir(parents=True, exist_ok=True)
        try:
            tv_utils.download_and_extract_archive(
                CIFAR10.url, str(self.root), filename=CIFAR10.filename, md5=CIFAR10.tgz_md5
            )
        except (OSError, RuntimeError) as err:  # URLError, socket errors, checksum failures
            raise RuntimeError(
                f"could not download CIFAR-10 into '{self.root.resolve()}' ({err}). Download {CIFAR10_URL} by hand "
                f"and unpack it there, so that {describe_files(self.root / CIFAR10_FOLDER, _CIFAR10_FILES['train'])}"
                " exist (test_batch too for split='test')"
            ) from err

    def load_dataset(self) -> Dataset:
        """The chosen split as ``uint8`` images ``(N, 3, 32, 32)`` with labels."""
        missing = missing_cifar10_files(self.root, self.split)
        if missing:
            folder = (self.root / CIFAR10_FOLDER).resolve()
            raise FileNotFoundError(
                f"CIFAR-10 {self.split} files not found: expected {describe_files(folder, missing)}. "
                f"Get them with `download=True`, or download {CIFAR10_URL} and unpack it in "
                f"'{self.root.resolve()}' (it creates '{CIFAR10_FOLDER}/')"
            )
        from torchvision.datasets import CIFAR10

        try:
            dataset = CIFAR10(str(self.root), train=self.split == "train", download=False)
        except RuntimeError as err:  # torchvision's MD5 check failed
            raise RuntimeError(
                f"the CIFAR-10 files in '{(self.root / CIFAR10_FOLDER).resolve()}' failed torchvision's checksum "
                "check (incomplete or corrupted); delete the folder and download again"
            ) from err
        images = torch.from_numpy(dataset.data).permute(0, 3, 1, 2).contiguous()  # (N, 32, 32, 3) -> (N, 3, 32, 32)
        return Uint8ImageDataset(images, torch.as_tensor(dataset.targets, dtype=torch.int64))
