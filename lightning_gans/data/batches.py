"""What a batch looks like: samples and, optionally, class labels. The one reader of a batch's layout, used by the
engine's training step, the health monitor's probe and the evaluation of real data.

A batch is a tensor of samples, a ``(samples, labels, ...)`` tuple or list, or a dict with ``"image"`` /
``"images"`` and ``"label"`` / ``"labels"``.
"""

from __future__ import annotations

from typing import Any

from torch import Tensor

__all__ = ["class_labels", "unpack_batch"]


def unpack_batch(batch: Any) -> tuple[Tensor, Any]:
    """``(samples, labels)`` of ``batch``; ``labels`` is what stands in the labels' place (``None`` if nothing),
    unchecked: :func:`class_labels` keeps it only if it is a vector of class ids.

    >>> import torch
    >>> samples, labels = unpack_batch((torch.zeros(2, 1, 4, 4), torch.tensor([0, 1])))
    >>> samples.shape, labels
    (torch.Size([2, 1, 4, 4]), tensor([0, 1]))
    >>> unpack_batch({"images": torch.zeros(3, 2)})[0].shape
    torch.Size([3, 2])
    >>> unpack_batch("text")
    Traceback (most recent call last):
    ...
    TypeError: a batch must be a tensor, a (samples, labels) pair or a dict with 'image(s)' / 'label(s)'; got str
    """
    samples, labels = None, None
    if isinstance(batch, Tensor):
        samples = batch
    elif isinstance(batch, (tuple, list)) and batch:
        samples, labels = batch[0], batch[1] if len(batch) > 1 else None
    elif isinstance(batch, dict):
        samples = batch.get("image", batch.get("images"))
        labels = batch.get("label", batch.get("labels"))
    if not isinstance(samples, Tensor):
        raise TypeError(
            "a batch must be a tensor, a (samples, labels) pair or a dict with 'image(s)' / 'label(s)'; "
            f"got {type(batch).__name__}" + ("" if samples is None else f" holding a {type(samples).__name__}")
        )
    return samples, labels


def class_labels(labels: Any) -> Tensor | None:
    """``labels`` if it is a vector of integer class ids, else ``None``.

    >>> import torch
    >>> class_labels(torch.tensor([0, 2])), class_labels(torch.tensor([0.5, 1.0]))
    (tensor([0, 2]), None)
    """
    is_ids = isinstance(labels, Tensor) and not labels.is_floating_point() and labels.ndim == 1
    return labels if is_ids else None
