"""Mode coverage of a sampling module: the one evaluation behind :class:`~lightning_gans.callbacks.ModeCoverageCallback`,
``lightning-gans evaluate`` and the benchmarks (the VEEGAN / PacGAN protocol).

The metrics themselves are torchmetrics classes in :mod:`lightning_gans.metrics`
(:class:`~lightning_gans.metrics.MixtureModeCoverage` for the 2-D mixtures, :class:`~lightning_gans.metrics.StackedMNISTModes`
for stacked MNIST); this module draws the samples and feeds them. Under DDP each process draws its share of the
samples and the metric sums the counts over processes, so the total is the requested count for any world size.
"""

from __future__ import annotations

import torch
from torch import Tensor, nn
from torchmetrics import Metric

from lightning_gans.metrics.mode_coverage import MixtureModeCoverage
from lightning_gans.sampling import rank_share, sample_from

#: The papers' sample counts: 2,500 points on a mixture, 26,000 images on stacked MNIST.
MIXTURE_SAMPLES, STACKED_MNIST_SAMPLES = 2500, 26000


def coverage(
    metric: Metric,
    module: nn.Module,
    num_samples: int,
    seed: int = 0,
    rank: int = 0,
    world_size: int = 1,
    chunk: int | None = None,
) -> dict[str, float]:
    """``metric`` (reset first) over ``num_samples`` samples of ``module``, as floats.

    This process draws its share (:func:`~lightning_gans.sampling.rank_share`) with seed ``seed + rank``, or, with
    ``chunk``, in chunks of that size seeded ``(seed + rank) * 1000 + i`` (images: memory stays bounded).

    >>> from lightning_gans import VanillaGAN
    >>> from lightning_gans.data.toy import MIXTURE_STD, mixture_centers
    >>> model = VanillaGAN(data_dim=2, latent_dim=2, noise_seed=0)
    >>> metric = MixtureModeCoverage(mixture_centers("grid"), MIXTURE_STD["grid"])
    >>> sorted(coverage(metric, model, 100, seed=0))
    ['high_quality', 'modes', 'reverse_kl']
    """
    metric.reset()
    share = rank_share(num_samples, rank, world_size)
    base = seed + rank
    if chunk is None:
        if share > 0:
            metric.update(sample_from(module, share, seed=base))
    else:
        for index, start in enumerate(range(0, share, chunk)):
            metric.update(sample_from(module, min(chunk, share - start), seed=base * 1000 + index))
    return {key: float(value) for key, value in metric.compute().items()}


def mixture_coverage(samples: Tensor, centers: Tensor, std: float) -> dict[str, float]:
    """``modes`` (an int), ``high_quality`` and ``reverse_kl`` of 2-D ``samples`` already drawn.

    >>> mixture_coverage(torch.tensor([[0.0, 0.0], [1.0, 1.0]]), torch.tensor([[0.0, 0.0], [5.0, 5.0]]), 0.1)
    {'modes': 1, 'high_quality': 0.5, 'reverse_kl': 0.6931471824645996}
    """
    metric = MixtureModeCoverage(torch.as_tensor(centers), float(std))
    metric.update(samples.detach().float().cpu())
    result = {key: float(value) for key, value in metric.compute().items()}
    return {**result, "modes": int(result["modes"])}
