"""Your own images from a folder: one subfolder per class (torchvision ``ImageFolder``), or a flat folder."""

from __future__ import annotations

import os
from pathlib import Path

from PIL import Image
from torch import Tensor
from torch.utils.data import Dataset
from torchvision.datasets import ImageFolder
from torchvision.datasets.folder import IMG_EXTENSIONS
from torchvision.transforms import functional as TF

from lightning_gans.checks import check_choice, check_dir, check_int
from lightning_gans.data.images import ImageDataModule


def _is_image(path: Path) -> bool:
    return path.is_file() and path.name.lower().endswith(IMG_EXTENSIONS)


class PILToUint8:
    """PIL image -> ``uint8`` tensor ``(channels, size, size)``: convert the mode, resize the shorter side to
    ``size`` (bilinear, antialiased), centre-crop. A class so that DataLoader workers can pickle it.

    >>> PILToUint8(16, channels=1)(Image.new("RGB", (40, 20), (255, 0, 0))).shape
    torch.Size([1, 16, 16])
    """

    def __init__(self, size: int, channels: int) -> None:
        self.size, self.mode = size, "L" if channels == 1 else "RGB"

    def __call__(self, image: Image.Image) -> Tensor:
        image = TF.resize(image.convert(self.mode), self.size, interpolation=TF.InterpolationMode.BILINEAR)
        return TF.pil_to_tensor(TF.center_crop(image, [self.size, self.size]))


class _FlatImages(Dataset):
    """The image files directly inside one folder, all with label 0."""

    def __init__(self, files: list[Path], transform: PILToUint8) -> None:
        self.files, self.transform = files, transform

    def __len__(self) -> int:
        return len(self.files)

    def __getitem__(self, index: int) -> tuple[Tensor, int]:
        with Image.open(self.files[index]) as image:
            return self.transform(image), 0


class _ClassFolders(ImageFolder):
    """torchvision's ImageFolder restricted to the class folders that hold images (empty ones get no label)."""

    def __init__(self, root: Path, classes: list[str], transform: PILToUint8) -> None:
        self._classes = classes
        super().__init__(str(root), transform=transform)

    def find_classes(self, directory: str) -> tuple[list[str], dict[str, int]]:
        return self._classes, {name: index for index, name in enumerate(self._classes)}


class ImageFolderDataModule(ImageDataModule):
    """Images from ``data_dir``, resized (shorter side, then centre crop) to ``image_size``, in ``[-1, 1]``.

    Layouts: ``data_dir/<class>/<image>`` (labels are the sorted class folder indices, as in torchvision's
    ``ImageFolder``; folders without images are skipped, files beside the class folders ignored) or images directly
    in ``data_dir`` (one class, label 0). Extensions: those of torchvision
    (``.png``, ``.jpg``, ...).

    Args:
        data_dir: the image folder; it must exist and contain images.
        image_size: output side length (any size >= 4; our DCGAN networks support 28, 32 and 64).
        channels: 1 (grayscale) or 3 (RGB); images are converted.
        batch_size: images per training batch.
        num_workers: DataLoader workers (decoding images benefits from a few).
        seed: seeds the per-epoch shuffling.

    Batches: ``(images (B, channels, S, S) float32 in [-1, 1], labels (B,) int64)``.

    >>> import tempfile
    >>> folder = Path(tempfile.mkdtemp())
    >>> for i in range(4):
    ...     Image.new("RGB", (20, 30), (60 * i, 0, 0)).save(folder / f"{i}.png")
    >>> dm = ImageFolderDataModule(folder, image_size=16, batch_size=2)
    >>> dm.num_classes, dm.setup("fit"), next(iter(dm.train_dataloader()))[0].shape
    (1, None, torch.Size([2, 3, 16, 16]))
    """

    def __init__(
        self,
        data_dir: str | os.PathLike,
        image_size: int = 64,
        channels: int = 3,
        batch_size: int = 64,
        num_workers: int = 0,
        seed: int = 0,
    ) -> None:
        check_choice("channels", channels, (1, 3))
        check_int("image_size", image_size, 4)
        self.classes = self._find_classes(check_dir("data_dir", data_dir))
        super().__init__(
            data_dir,
            image_size,
            channels=channels,
            num_classes=max(len(self.classes), 1),
            batch_size=batch_size,
            num_workers=num_workers,
            seed=seed,
        )
        self.save_hyperparameters()

    @staticmethod
    def _find_classes(folder: Path) -> list[str]:
        """Class folder names (empty for a flat folder); raises when there is nothing to load."""
        if not folder.is_dir():
            raise FileNotFoundError(
                f"image folder '{folder.resolve()}' does not exist; `data_dir` must be a folder of images, either "
                "data_dir/<class>/<image>.png or data_dir/<image>.png"
            )
        entries = sorted(folder.iterdir())
        classes = [p.name for p in entries if p.is_dir() and any(_is_image(f) for f in p.rglob("*"))]
        if not classes and not any(_is_image(p) for p in entries):
            raise FileNotFoundError(
                f"no images found in '{folder.resolve()}' (looked for {', '.join(IMG_EXTENSIONS)} files directly "
                "in it and in its subfolders); expected data_dir/<class>/<image>.png or data_dir/<image>.png"
            )
        return classes

    def load_dataset(self) -> Dataset:
        """The images as ``(uint8 (C, S, S), label)`` items."""
        transform = PILToUint8(self.image_size, self.channels)
        if not self.classes:
            files = sorted(p for p in self.data_dir.iterdir() if _is_image(p))
            return _FlatImages(files, transform)
        return _ClassFolders(self.data_dir, self.classes, transform)
