"""What the engine checks about a real batch before training on it, each with a message that says what to change."""

from __future__ import annotations

from typing import Any

import torch
from torch import Tensor


def split_batch(batch: Any, num_classes: int | None, model_name: str) -> tuple[Tensor, Tensor | None]:
    """``(samples, labels)`` from a batch that is a tensor or a ``(samples, labels, ...)`` sequence.

    >>> split_batch(torch.zeros(4, 2), None, "GAN")[0].shape
    torch.Size([4, 2])
    """
    if isinstance(batch, (tuple, list)):
        real, labels = batch[0], batch[1] if len(batch) > 1 else None
    else:
        real, labels = batch, None
    if not isinstance(real, Tensor):
        raise TypeError(f"batches must be a tensor or a (samples, labels) pair, got {type(real).__name__}")
    if num_classes is None:
        return real, None  # unconditional models ignore the dataset's labels
    if labels is None:
        raise ValueError(
            f"{model_name} is conditional (num_classes={num_classes}): batches must be (samples, labels), "
            "but the dataloader yields samples only"
        )
    return real, labels


def check_pack(real: Tensor, labels: Tensor | None, pack: int) -> tuple[Tensor, Tensor | None]:
    """Whole groups of ``pack`` samples for a packed discriminator; the remainder of the batch is dropped.

    A batch smaller than ``pack`` cannot form one group: an error, not a silent step without any update.

    >>> check_pack(torch.zeros(10, 2), None, 4)[0].shape
    torch.Size([8, 2])
    >>> check_pack(torch.zeros(3, 2), None, 4)
    Traceback (most recent call last):
    ...
    ValueError: a batch of 3 samples cannot form one group of pack=4 for the packed discriminator: use a batch size that is a multiple of pack (and DataLoader(drop_last=True) if the last batch of an epoch is smaller), or a smaller pack
    """
    size = real.shape[0]
    if size < pack:
        raise ValueError(
            f"a batch of {size} samples cannot form one group of pack={pack} for the packed discriminator: use a "
            "batch size that is a multiple of pack (and DataLoader(drop_last=True) if the last batch of an epoch is "
            "smaller), or a smaller pack"
        )
    usable = size - size % pack
    if usable == size:
        return real, labels
    return real[:usable], None if labels is None else labels[:usable]


def check_first_batch(real: Tensor) -> None:
    """Images must be floats in [-1, 1]: say so when the first batch is clearly something else (uint8, [0, 255]).

    Looks at the values once (one device sync), so call it on the first batch only.

    >>> check_first_batch(torch.zeros(2, 1, 8, 8, dtype=torch.uint8))
    Traceback (most recent call last):
    ...
    TypeError: the engine expects real samples as floats (images in [-1, 1], float32, N x C x H x W); the first batch is torch.uint8. Convert, e.g. x.float() / 127.5 - 1 for uint8 images
    """
    if not real.is_floating_point():
        raise TypeError(
            f"the engine expects real samples as floats (images in [-1, 1], float32, N x C x H x W); the first batch is "
            f"{real.dtype}. Convert, e.g. x.float() / 127.5 - 1 for uint8 images"
        )
    if real.dim() != 4 or real.numel() == 0:
        return  # vectors (2-D mixtures, ...) may have any range
    low, high = torch.aminmax(real.detach())
    low, high = float(low), float(high)
    if low < -1.5 or high > 1.5:  # some slack for augmentation or noise; [0, 255] is far out
        raise ValueError(
            f"the engine expects images as floats in [-1, 1] (the generator ends in tanh); the first batch holds "
            f"values in [{low:.4g}, {high:.4g}]. Rescale, e.g. x / 127.5 - 1 for values in [0, 255], 2 * x - 1 for [0, 1]"
        )
