"""Tiny MNIST-format files written from scratch for the data tests."""

from __future__ import annotations

import gzip
from pathlib import Path

import numpy as np
import pytest


def write_idx(path: Path, array: np.ndarray) -> Path:
    """Write a uint8 array as an IDX file (gzipped when ``path`` ends in .gz)."""
    array = np.ascontiguousarray(array, dtype=np.uint8)
    header = bytes([0, 0, 0x08, array.ndim]) + b"".join(int(d).to_bytes(4, "big") for d in array.shape)
    payload = header + array.tobytes()
    path.write_bytes(gzip.compress(payload) if path.suffix == ".gz" else payload)
    return path


def intensity(digit):
    """Each class gets its own constant grey level, so an image's digit can be read back from its pixels."""
    return 25 * digit + 5  # 5, 30, ..., 230


def digit_from_pixels(values):
    """Invert ``intensity`` for pixels already scaled to [-1, 1]."""
    return ((values + 1.0) * 127.5 - 5.0) / 25.0


def write_mnist_split(folder: Path, prefix: str, labels: np.ndarray, gz: bool = True) -> None:
    """Write ``<prefix>-images-idx3-ubyte`` and ``<prefix>-labels-idx1-ubyte`` with constant-intensity digits."""
    images = np.broadcast_to(intensity(labels)[:, None, None], (len(labels), 28, 28))
    suffix = ".gz" if gz else ""
    folder.mkdir(parents=True, exist_ok=True)
    write_idx(folder / f"{prefix}-images-idx3-ubyte{suffix}", images)
    write_idx(folder / f"{prefix}-labels-idx1-ubyte{suffix}", labels)


@pytest.fixture
def mnist_test_only(tmp_path: Path) -> Path:
    """A folder holding only a 40-image 't10k' split (4 of each digit), like a user with just the test set."""
    write_mnist_split(tmp_path, "t10k", np.tile(np.arange(10), 4))
    return tmp_path


@pytest.fixture
def fakes():
    """The helpers above, for tests (fixtures avoid importing conftest by name)."""
    from types import SimpleNamespace

    return SimpleNamespace(
        write_idx=write_idx,
        intensity=intensity,
        digit_from_pixels=digit_from_pixels,
        write_mnist_split=write_mnist_split,
    )
