"""scikit-learn's 8x8 digits as a data module."""

from __future__ import annotations

import sys

import pytest
import torch

from lightning_gans.data import DigitsDataModule, load_digits_tensors


@pytest.mark.parametrize("image_size", [8, 28, 32, 64])
def test_digits_shapes_range_and_labels(image_size):
    images, labels = load_digits_tensors(image_size)
    assert images.shape == (1797, 1, image_size, image_size) and images.dtype == torch.float32
    assert images.min() == -1.0 and images.max() == 1.0
    assert labels.dtype == torch.int64 and torch.bincount(labels).tolist() == [
        178,
        182,
        177,
        183,
        181,
        182,
        181,
        179,
        174,
        180,
    ]


def test_native_size_is_the_raw_pixels_rescaled():
    from sklearn.datasets import load_digits

    images, _ = load_digits_tensors(8)
    raw = torch.as_tensor(load_digits().images, dtype=torch.float32)  # values 0..16
    assert torch.allclose(images[:, 0], raw / 8.0 - 1.0)


def test_datamodule_batches_and_split():
    dm = DigitsDataModule(image_size=32, batch_size=100, val_fraction=0.2, seed=1)
    assert (dm.channels, dm.image_size, dm.num_classes) == (1, 32, 10)
    dm.setup("fit")
    train_images, train_labels = next(iter(dm.train_dataloader()))
    assert train_images.shape == (100, 1, 32, 32) and train_labels.dtype == torch.int64
    assert len(dm.train_dataloader()) == len(dm.train_set) // 100  # incomplete last batch dropped
    val = list(dm.val_dataloader())
    assert sum(len(b[1]) for b in val) == len(dm.val_set) == round(0.2 * 1797)
    # The split is a partition: no image in both parts.
    train_flat, val_flat = dm.train_set.tensors[0].flatten(1), dm.val_set.tensors[0].flatten(1)
    assert len(torch.unique(torch.cat([train_flat, val_flat]), dim=0)) == len(
        torch.unique(load_digits_tensors(32)[0].flatten(1), dim=0)
    )
    assert DigitsDataModule(val_fraction=0.0).val_dataloader() == []


def test_missing_scikit_learn_names_the_extra(monkeypatch):
    monkeypatch.setitem(sys.modules, "sklearn.datasets", None)  # import now fails as if not installed
    with pytest.raises(ImportError, match=r"pip install lightning-gans\[examples\]"):
        DigitsDataModule().setup("fit")


def test_arguments_are_validated():
    with pytest.raises(ValueError, match="image_size must be one of 8, 16, 28, 32, 64; got 48"):
        DigitsDataModule(image_size=48)
    with pytest.raises(ValueError, match=r"val_fraction must be in \[0, 1\), got 1.0"):
        DigitsDataModule(val_fraction=1.0)
    with pytest.raises(ValueError, match="batch_size must be"):
        DigitsDataModule(batch_size=-3)
    with pytest.raises(ValueError, match=r"`batch_size` \(4000\) is larger than the 1797 items"):
        DigitsDataModule(batch_size=4000).train_dataloader()
