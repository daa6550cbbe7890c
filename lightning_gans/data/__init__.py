"""Data modules: 2-D mixtures, the 8x8 digits, MNIST, Stacked MNIST, CIFAR-10 and image folders.

All image modules yield ``(images, labels)`` with images ``float32`` in ``[-1, 1]`` of shape
``(B, channels, image_size, image_size)`` and ``int64`` labels; the toy module yields ``float32`` points ``(B, 2)``.
"""

from lightning_gans.data.cifar import CIFAR10DataModule
from lightning_gans.data.digits import DigitsDataModule, load_digits_tensors
from lightning_gans.data.folder import ImageFolderDataModule
from lightning_gans.data.images import ImageDataModule, MNISTDataModule
from lightning_gans.data.mnist_files import MNIST_FILES, ensure_mnist_files, load_mnist_arrays, read_idx
from lightning_gans.data.stacked_mnist import StackedMNISTDataModule, StackedMNISTDataset, stacked_mode_ids
from lightning_gans.data.toy import MIXTURE_STD, ToyDataModule, mixture_centers, sample_mixture

__all__ = [
    "MIXTURE_STD",
    "MNIST_FILES",
    "CIFAR10DataModule",
    "DigitsDataModule",
    "ImageDataModule",
    "ImageFolderDataModule",
    "MNISTDataModule",
    "StackedMNISTDataModule",
    "StackedMNISTDataset",
    "ToyDataModule",
    "ensure_mnist_files",
    "load_digits_tensors",
    "load_mnist_arrays",
    "mixture_centers",
    "read_idx",
    "sample_mixture",
    "stacked_mode_ids",
]
