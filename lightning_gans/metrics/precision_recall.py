"""Improved precision and recall of generative models (Kynkäänniemi et al. 2019) as a torchmetrics ``Metric``."""

from __future__ import annotations

import torch
from torch import Tensor
from torchmetrics import Metric
from torchmetrics.utilities import dim_zero_cat


class KnnPrecisionRecall(Metric):
    """Improved precision/recall (Kynkäänniemi et al., 2019): k-NN balls around real/fake features.

    torchmetrics has no such metric; the computation is torch-fidelity's own (``prc``), so the two agree.
    Real features survive :meth:`reset` like FID's with ``reset_real_features=False``. ``neighborhood`` is k
    (3, torch-fidelity's default).

    >>> metric = KnnPrecisionRecall()
    >>> metric.update(torch.randn(50, 4), real=True)
    >>> metric.update(torch.randn(50, 4) + 100.0, real=False)  # fakes far from every real ball
    >>> [float(v) for v in metric.compute()]
    [0.0, 0.0]
    """

    full_state_update = False

    def __init__(self, neighborhood: int = 3) -> None:
        super().__init__()
        self.neighborhood = neighborhood
        self.add_state("real_features", [], dist_reduce_fx="cat")
        self.add_state("fake_features", [], dist_reduce_fx="cat")

    def update(self, features: Tensor, real: bool) -> None:
        (self.real_features if real else self.fake_features).append(features.float())

    def compute(self) -> tuple[Tensor, Tensor]:
        from torch_fidelity.metric_prc import calculate_precision_recall_full

        real, fake = dim_zero_cat(self.real_features), dim_zero_cat(self.fake_features)
        precision, recall = calculate_precision_recall_full(fake, real, self.neighborhood)
        return torch.tensor(precision), torch.tensor(recall)

    def reset(self) -> None:
        real = list(self.real_features)  # Metric.reset() clears list states in place
        super().reset()
        self.real_features = real
