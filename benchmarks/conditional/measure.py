"""What the conditional benchmark measures on a trained conditional generator.

* **class accuracy**: the share of samples an *independent* classifier puts in the requested class. On the 8x8
  digits that is an RBF SVM trained on scikit-learn's raw 8x8 digits (generated images are shrunk back to 8x8); on
  MNIST the digit CNN of :mod:`lightning_gans.metrics.classifier`. Each classifier's accuracy on held-out *real*
  images taken through the same pipeline is reported next to it: it is the ceiling.
* **within-class diversity**: :func:`lightning_gans.metrics.within_class_std` of the samples divided by the same
  statistic of as many real images per class (1.0 = as varied as the data, 0 = one image per class).
* **intra-FID**: the Fréchet distance between the real and the generated images *of one class*, averaged over the
  classes (Miyato & Koyama 2018), in the MNIST classifier's feature space (the library's
  :func:`lightning_gans.metrics.intra_fid` on that classifier's features; the committed runs were measured with one
  torchmetrics ``FrechetInceptionDistance`` per class on the same features, the same quantity).
"""

from __future__ import annotations

from dataclasses import dataclass

import torch
import torch.nn.functional as F
from torch import Tensor, nn

from lightning_gans.evaluation.features import FeatureExtractor, extract_features
from lightning_gans.metrics.conditional import intra_fid as library_intra_fid
from lightning_gans.metrics.conditional import within_class_std
from lightning_gans.sampling import sample_from


def class_balanced_labels(per_class: int, num_classes: int) -> Tensor:
    """``per_class`` copies of every class id, class by class: ``[0]*per_class + [1]*per_class + ...``.

    >>> class_balanced_labels(2, 3).tolist()
    [0, 0, 1, 1, 2, 2]
    """
    return torch.arange(num_classes).repeat_interleave(per_class)


def generate(module: nn.Module, per_class: int, num_classes: int, seed: int) -> tuple[Tensor, Tensor]:
    """``per_class`` samples of every class (eval mode, EMA generator if any), reproducible by ``seed``."""
    labels = class_balanced_labels(per_class, num_classes)
    return sample_from(module, len(labels), seed=seed, labels=labels), labels


def take_per_class(
    images: Tensor, labels: Tensor, per_class: int, num_classes: int, seed: int
) -> tuple[Tensor, Tensor]:
    """A random subset of at most ``per_class`` real images of every class, ordered class by class."""
    generator = torch.Generator().manual_seed(seed)
    chosen = []
    for c in range(num_classes):
        members = (labels == c).nonzero().flatten()
        chosen.append(members[torch.randperm(len(members), generator=generator)[:per_class]])
    index = torch.cat(chosen)
    return images[index], labels[index]


def diversity_ratio(fake: Tensor, fake_labels: Tensor, real: Tensor, real_labels: Tensor, num_classes: int) -> dict:
    """Within-class pixel std of samples and of real images (same count per class), and their ratio.

    >>> x = torch.randn(20, 1, 4, 4)
    >>> y = torch.arange(2).repeat_interleave(10)
    >>> diversity_ratio(x, y, x, y, 2)["ratio"]
    1.0
    """
    fake_std = within_class_std(fake, fake_labels, num_classes)
    real_std = within_class_std(real, real_labels, num_classes)
    return {
        "fake_std": round(float(fake_std.mean()), 4),
        "real_std": round(float(real_std.mean()), 4),
        "ratio": round(float(fake_std.mean() / real_std.mean()), 4),
        "ratio_per_class": [round(float(v), 3) for v in fake_std / real_std],
    }


def shrink_to_digits(images: Tensor) -> Tensor:
    """Images ``(N, 1, H, W)`` in [-1, 1] -> scikit-learn digit features ``(N, 64)`` on its 0..16 scale.

    The inverse of :func:`lightning_gans.data.digits.load_digits_tensors`'s mapping, after an antialiased resize to
    8x8 (the digits' native size).

    >>> shrink_to_digits(torch.ones(2, 1, 28, 28)).shape, float(shrink_to_digits(-torch.ones(1, 1, 8, 8)).max())
    (torch.Size([2, 64]), 0.0)
    """
    small = F.interpolate(images.float(), size=(8, 8), mode="bilinear", align_corners=False, antialias=True)
    return ((small.clamp(-1, 1) + 1.0) * 8.0).flatten(1)


@dataclass
class DigitsClassifier:
    """An RBF SVM on scikit-learn's raw 8x8 digits (trained on a seeded 75 % split, never on generated images)."""

    svm: object
    holdout_index: Tensor

    @classmethod
    def fit(cls, seed: int = 0) -> DigitsClassifier:
        from sklearn.datasets import load_digits
        from sklearn.svm import SVC

        bunch = load_digits()
        order = torch.randperm(len(bunch.target), generator=torch.Generator().manual_seed(seed))
        train = order[: int(0.75 * len(order))].numpy()
        svm = SVC(gamma=0.001, C=10.0).fit(bunch.data[train], bunch.target[train])
        return cls(svm, order[int(0.75 * len(order)) :])

    def predict(self, images: Tensor) -> Tensor:
        """Class ids of images ``(N, 1, H, W)`` in [-1, 1] (any size; shrunk to 8x8 first)."""
        return torch.as_tensor(self.svm.predict(shrink_to_digits(images).numpy()))


class MNISTClassifierPredictor:
    """Predicts digit classes with a trained :class:`~lightning_gans.metrics.classifier.MNISTClassifier`."""

    def __init__(self, classifier: nn.Module) -> None:
        self.classifier = classifier.eval()

    @torch.no_grad()
    def predict(self, images: Tensor) -> Tensor:
        return torch.cat([self.classifier(chunk).argmax(1) for chunk in images.split(1000)])


def class_accuracy(predict, images: Tensor, labels: Tensor) -> float:
    """Share of ``images`` that ``predict`` puts in their ``labels``' class."""
    return round(float((predict(images) == labels).float().mean()), 4)


@torch.no_grad()
def intra_fid(
    extractor: FeatureExtractor, real: Tensor, real_labels: Tensor, fake: Tensor, fake_labels: Tensor, num_classes: int
) -> dict:
    """FID between the real and generated images of each class (features of ``extractor``), and their mean.

    The library's :func:`lightning_gans.metrics.intra_fid` (torch-fidelity's FID per class) on features extracted
    from the images put on the 8-bit grid; classes need at least two images on each side.
    """
    real_features, _ = extract_features(extractor, real)
    fake_features, _ = extract_features(extractor, fake)
    per_class = [
        float(v) for v in library_intra_fid(fake_features, fake_labels, real_features, real_labels, num_classes)
    ]
    return {"mean": round(sum(per_class) / num_classes, 3), "per_class": [round(v, 2) for v in per_class]}
