"""Metrics for conditional generators: diversity inside each class, intra-FID, and class accuracy of samples.

Diversity across a whole batch of a conditional model is high as soon as the classes differ, even when every class
is a single repeated image; the spread has to be measured *within* each class and compared with the real data's.
Intra-FID (FID per class, averaged) sees the same failure in feature space, and class accuracy (a classifier's
verdict on each sample's requested class) tells whether the conditioning works at all.
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


def intra_fid(
    fake_features: Tensor, fake_labels: Tensor, real_features: Tensor, real_labels: Tensor, num_classes: int
) -> Tensor:
    """FID within each class (generated class c against real class c), shape ``(num_classes,)``; intra-FID is its
    mean (Miyato & Koyama 2018). A class with fewer than two samples on either side gets ``nan``.

    Computed with torch-fidelity's FID functions on the given features.

    >>> real = torch.randn(40, 3, generator=torch.Generator().manual_seed(0))
    >>> labels = torch.arange(40) % 2
    >>> per_class = intra_fid(real, labels, real, labels, num_classes=2)
    >>> [round(float(v), 6) + 0.0 for v in per_class]
    [0.0, 0.0]
    """
    from torch_fidelity.metric_fid import fid_features_to_statistics, fid_statistics_to_metric

    result = torch.full((num_classes,), float("nan"), dtype=torch.float64)
    fake_features, real_features = fake_features.detach().float().cpu(), real_features.detach().float().cpu()
    fake_labels, real_labels = fake_labels.cpu(), real_labels.cpu()
    for c in range(num_classes):
        fake, real = fake_features[fake_labels == c], real_features[real_labels == c]
        if len(fake) >= 2 and len(real) >= 2:
            stats = fid_features_to_statistics(fake), fid_features_to_statistics(real)
            result[c] = fid_statistics_to_metric(*stats, verbose=False)["frechet_inception_distance"]
    return result


def class_accuracy(logits: Tensor, labels: Tensor) -> float:
    """Share of samples a classifier puts in the class they were generated for.

    >>> class_accuracy(torch.tensor([[2.0, 0.0], [0.0, 1.0], [3.0, 1.0]]), torch.tensor([0, 1, 1]))
    0.6666666666666666
    """
    if logits.dim() != 2 or labels.shape != (logits.shape[0],):
        raise ValueError(f"logits must be (N, K) with labels (N,), got {tuple(logits.shape)} and {tuple(labels.shape)}")
    return float((logits.argmax(dim=1).cpu() == labels.cpu()).double().mean())
