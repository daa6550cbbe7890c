"""Mode coverage on stacked MNIST: 1,000 modes, one per digit triple.

Protocol (Metz et al., "Unrolled Generative Adversarial Networks", ICLR 2017; Srivastava et al., "VEEGAN",
NeurIPS 2017, sec. 5.2; Lin et al., "PacGAN", NeurIPS 2018, Table 2): each of the 3 channels of a generated
image is classified by a pretrained MNIST classifier; the digits ``(d0, d1, d2)`` give the mode
``100 * d0 + 10 * d1 + d2``. Over 26,000 samples the metric reports the number of modes that received at least one
sample and ``KL(q || uniform)`` in nats, ``q`` being the normalised 1,000-bin mode histogram and ``0 log 0 = 0``
(see :func:`lightning_gans.metrics.mode_coverage.kl_to_uniform`).
"""

from __future__ import annotations

import torch
from torch import Tensor, nn
from torchmetrics import Metric

from lightning_gans.data.stacked_mnist import stacked_mode_ids
from lightning_gans.metrics.mode_coverage import kl_to_uniform

__all__ = ["StackedMNISTModes", "NUM_STACKED_MODES"]

NUM_STACKED_MODES = 1000


class StackedMNISTModes(Metric):
    """Modes covered (out of 1,000) and ``KL(generated || uniform)`` on stacked MNIST.

    The classifier (an ``nn.Module`` mapping ``(N, 1, H, W)`` images in ``[-1, 1]`` to 10 logits, e.g.
    :class:`~lightning_gans.metrics.classifier.MNISTClassifier`) is kept in eval mode and run without gradients,
    with autocast disabled, in chunks of ``batch_size`` channel images. The 1,000-bin histogram is the only state
    and is sum-reduced, so the result under DDP equals the result on the samples of all ranks together.

    Args:
        classifier: per-channel digit classifier; may be ``None`` if only :meth:`update_labels` is used.
        batch_size: how many single-channel images are classified at once.

    ``compute()`` returns ``{"modes": int tensor, "kl": nats}``.

    >>> metric = StackedMNISTModes(classifier=None)
    >>> metric.update_labels(torch.tensor([0, 0, 1, 999]))
    >>> result = metric.compute()
    >>> int(result["modes"]), round(float(result["kl"]), 4)  # q = (1/2, 1/4, 1/4): sum q log(1000 q)
    (3, 5.868)
    >>> metric = StackedMNISTModes(nn.Sequential(nn.Flatten(), nn.LazyLinear(10)))  # any digit classifier
    >>> metric.update(torch.rand(4, 3, 28, 28) * 2 - 1)
    >>> int(metric.histogram.sum())
    4
    """

    is_differentiable = False
    higher_is_better = None  # modes: higher; kl: lower
    full_state_update = False

    histogram: Tensor

    def __init__(self, classifier: nn.Module | None, batch_size: int = 1024) -> None:
        super().__init__()
        if classifier is not None and not isinstance(classifier, nn.Module):
            raise TypeError(f"`classifier` must be an nn.Module or None, got {type(classifier).__name__}")
        if not isinstance(batch_size, int) or batch_size < 1:
            raise ValueError(f"`batch_size` must be a positive int, got {batch_size!r}")
        self.classifier = classifier
        self.batch_size = batch_size
        if classifier is not None:
            classifier.eval()
        self.add_state("histogram", default=torch.zeros(NUM_STACKED_MODES, dtype=torch.long), dist_reduce_fx="sum")

    def train(self, mode: bool = True) -> StackedMNISTModes:
        """Keep the classifier in eval mode whatever mode the metric is put in (BatchNorm / dropout)."""
        super().train(mode)
        if self.classifier is not None:
            self.classifier.eval()
        return self

    @torch.no_grad()
    def classify(self, images: Tensor) -> Tensor:
        """Per-channel digits ``(N, 3)`` for images ``(N, 3, H, W)`` in ``[-1, 1]``."""
        if self.classifier is None:
            raise RuntimeError("this StackedMNISTModes has no classifier; pass one, or use `update_labels`")
        if images.dim() != 4 or images.shape[1] != 3:
            raise ValueError(f"`images` must have shape (N, 3, H, W) in [-1, 1], got {tuple(images.shape)}")
        n, _, height, width = images.shape
        channels = images.detach().float().reshape(n * 3, 1, height, width)  # (N*3, 1, H, W), channel-major per image
        digits = []
        with torch.autocast(images.device.type, enabled=False):
            for start in range(0, channels.shape[0], self.batch_size):
                digits.append(self.classifier(channels[start : start + self.batch_size]).float().argmax(dim=1))
        return torch.cat(digits).reshape(n, 3)

    def update(self, images: Tensor | None = None, mode_ids: Tensor | None = None) -> None:
        """Count modes from ``images`` ``(N, 3, H, W)`` in ``[-1, 1]`` (each channel classified), or from known
        ``mode_ids`` ``(N,)`` in ``[0, 1000)`` (see :func:`lightning_gans.data.stacked_mnist.stacked_mode_ids`); give exactly one of the two."""
        if (images is None) == (mode_ids is None):
            raise ValueError("give exactly one of `images` (N, 3, H, W) or `mode_ids` (N,) to update()")
        if images is not None:
            mode_ids = stacked_mode_ids(self.classify(images)) if images.shape[0] else images.new_zeros(0).long()
        assert mode_ids is not None
        if mode_ids.dim() != 1:
            raise ValueError(f"`mode_ids` must have shape (N,), got {tuple(mode_ids.shape)}")
        if mode_ids.numel() and (mode_ids.min() < 0 or mode_ids.max() >= NUM_STACKED_MODES):
            raise ValueError(
                f"`mode_ids` must lie in [0, {NUM_STACKED_MODES}), got values in "
                f"[{int(mode_ids.min())}, {int(mode_ids.max())}]"
            )
        self.histogram += torch.bincount(mode_ids.long().to(self.histogram.device), minlength=NUM_STACKED_MODES)

    def update_labels(self, mode_ids: Tensor) -> None:
        """Count already known modes (planted labels): ``update(mode_ids=mode_ids)``."""
        self.update(mode_ids=mode_ids)

    def compute(self) -> dict[str, Tensor]:
        """``{"modes", "kl"}`` over all samples seen (and all ranks under DDP); KL is NaN with no samples."""
        return {
            "modes": (self.histogram > 0).sum(),
            "kl": torch.tensor(kl_to_uniform(self.histogram), device=self.histogram.device),
        }
