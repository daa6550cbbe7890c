"""Diversity inside each class: what tells a conditional generator that ignores its noise from a healthy one.

Diversity across a whole batch of a conditional model is high as soon as the classes differ, even when every class
is a single repeated image; the spread has to be measured *within* each class and compared with the real data's.
"""

from __future__ import annotations

import torch
from torch import Tensor


def within_class_std(samples: Tensor, labels: Tensor, num_classes: int) -> Tensor:
    """Mean per-feature standard deviation across the samples of each class, shape ``(num_classes,)``.

    ``samples`` is ``(N, ...)`` (images or vectors), ``labels`` ``(N,)`` integer class ids. For each class the
    standard deviation of every pixel (feature) is taken across that class's samples (unbiased), then averaged over
    pixels; a class with fewer than two samples gets ``nan``. A class whose samples are all one image scores 0.

    >>> x = torch.tensor([[0.0, 0.0], [2.0, 2.0], [1.0, 1.0], [1.0, 1.0]])
    >>> within_class_std(x, torch.tensor([0, 0, 1, 1]), num_classes=3)
    tensor([1.4142, 0.0000,    nan])
    """
    if samples.ndim < 2 or labels.shape != (samples.shape[0],):
        raise ValueError(
            f"samples must be (N, ...) with labels (N,), got samples {tuple(samples.shape)} and labels "
            f"{tuple(labels.shape)}"
        )
    flat = samples.detach().reshape(samples.shape[0], -1).double()
    result = torch.full((num_classes,), float("nan"), dtype=torch.float64, device=samples.device)
    for c in range(num_classes):
        members = flat[labels == c]
        if members.shape[0] >= 2:
            result[c] = members.std(dim=0, unbiased=True).mean()
    return result.float()
