"""Improved precision and recall of generative models (Kynkäänniemi et al. 2019): the one computation that
:class:`~lightning_gans.evaluation.FeatureMetrics` (``"pr"``) and the health monitor's probe use.

torchmetrics has no such metric; the computation is torch-fidelity's own (``prc``), so numbers agree with it.
"""

from __future__ import annotations

from torch import Tensor

#: k of the k-NN balls: torch-fidelity's default, the paper's choice.
NEIGHBORHOOD = 3


def knn_precision_recall(fake: Tensor, real: Tensor, neighborhood: int = NEIGHBORHOOD) -> tuple[float, float]:
    """``(precision, recall)``: the share of ``fake`` samples inside the ball of at least one ``real`` sample (whose
    radius is that sample's distance to its ``neighborhood``-th nearest real neighbour), and the same with the
    roles swapped. Samples are flattened to vectors; both sets need more than ``neighborhood`` samples.

    Real data against more real data score near 1; fakes smeared between the modes score a low precision, a
    generator that misses modes a low recall.

    >>> import torch
    >>> real = torch.tensor([[0.0], [1.0], [2.0], [3.0]])  # every real ball has radius 1 (neighborhood=1)
    >>> knn_precision_recall(torch.tensor([[1.5], [10.0]]), real, neighborhood=1)[0]
    0.5
    >>> knn_precision_recall(torch.zeros(3, 2), torch.zeros(10, 2))
    Traceback (most recent call last):
    ...
    ValueError: fake and real need more than neighborhood=3 samples each, got 3 and 10
    """
    from torch_fidelity.metric_prc import calculate_precision_recall_full

    if min(len(fake), len(real)) <= neighborhood:
        raise ValueError(
            f"fake and real need more than neighborhood={neighborhood} samples each, got {len(fake)} and {len(real)}"
        )
    precision, recall = calculate_precision_recall_full(fake.flatten(1).float(), real.flatten(1).float(), neighborhood)
    return float(precision), float(recall)
