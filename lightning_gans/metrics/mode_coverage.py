"""Mode coverage of a 2-D Gaussian mixture (ring / grid), following the VEEGAN / PacGAN protocol.

Protocol (Srivastava et al., "VEEGAN: Reducing Mode Collapse in GANs using Implicit Variational Learning",
NeurIPS 2017, sec. 5.1; Lin et al., "PacGAN: The power of two samples in generative adversarial networks",
NeurIPS 2018, sec. 5.1 / Table 1):

- draw samples (2,500 in the papers) and assign each to its **nearest** mode centre;
- a sample is **high quality** when it lies strictly within 3 standard deviations of that centre;
- a mode is **covered** when it owns at least one high-quality sample;
- **reverse KL**: with ``q`` the histogram of the high-quality samples over the modes (normalised to sum to 1)
  and ``p`` uniform over the ``K`` modes, ``KL(q || p) = sum_k q_k log(q_k / p_k) = sum_k q_k log(K q_k)``
  in nats, with ``0 log 0 = 0``. It is 0 for perfectly balanced coverage and ``log K`` when all high-quality
  samples sit in one mode; it is undefined (NaN) when no sample is high quality.

The papers' mixtures: ring = 8 modes on a circle of radius 1, std 0.01; grid = 25 modes at
``{-4, -2, 0, 2, 4}^2``, std 0.05 (see :func:`lightning_gans.data.toy.mixture_centers` and
:meth:`MixtureModeCoverage.for_mixture`).
"""

from __future__ import annotations

import math  # noqa: F401  (used by the doctests)

import torch
from torch import Tensor
from torchmetrics import Metric

from lightning_gans.data.toy import MIXTURE_STD, mixture_centers

__all__ = ["MixtureModeCoverage", "kl_to_uniform"]


def kl_to_uniform(counts: Tensor) -> float:
    """``KL(q || uniform)`` in nats, ``q = counts / counts.sum()``, with ``0 log 0 = 0``; NaN for no counts.

    >>> kl_to_uniform(torch.tensor([5, 5, 5, 5]))
    0.0
    >>> round(kl_to_uniform(torch.tensor([10, 0, 0, 0])), 6) == round(math.log(4), 6)
    True
    """
    counts = counts.detach().double().flatten()
    total = counts.sum()
    if total <= 0:
        return float("nan")
    q = counts[counts > 0] / total  # zero bins contribute 0 log 0 = 0
    return float((q * torch.log(q * counts.numel())).sum().clamp_min(0.0))


class MixtureModeCoverage(Metric):
    """Modes covered, fraction of high-quality samples and reverse KL for a Gaussian mixture.

    States are per-mode counts of high-quality samples plus the total sample count, all sum-reduced, so the
    result under DDP equals the result on the concatenated samples of all ranks.

    Args:
        centers: mode centres, shape ``(K, D)`` (``D = 2`` for the benchmark mixtures).
        std: standard deviation of every mixture component; "high quality" means closer than ``3 * std``.

    ``compute()`` returns ``{"modes": int tensor, "high_quality": fraction in [0, 1], "reverse_kl": nats}``.

    >>> metric = MixtureModeCoverage(mixture_centers("ring"), std=0.01)
    >>> samples = torch.tensor([[1.0, 0.0], [0.0, 1.0], [0.001, 0.999], [0.5, 0.5]])
    >>> metric.update(samples)
    >>> result = metric.compute()  # 2 modes, 3 of 4 samples high quality
    >>> int(result["modes"]), float(result["high_quality"])
    (2, 0.75)
    >>> metric = MixtureModeCoverage.for_mixture("grid")
    >>> metric.num_modes, metric.std
    (25, 0.05)
    """

    is_differentiable = False
    higher_is_better = None  # modes / high_quality: higher; reverse_kl: lower
    full_state_update = False

    counts: Tensor
    total: Tensor

    def __init__(self, centers: Tensor, std: float) -> None:
        super().__init__()
        if not isinstance(centers, Tensor) or centers.dim() != 2 or centers.shape[0] < 1:
            shape = tuple(centers.shape) if isinstance(centers, Tensor) else type(centers).__name__
            raise ValueError(f"`centers` must be a tensor of shape (K, D) with K >= 1, got {shape}")
        if not isinstance(std, (int, float)) or not std > 0:
            raise ValueError(f"`std` must be a positive float, got {std!r}")
        self.std = float(std)
        # A buffer so that `.to(device)` moves the centres with the states; not part of the synced state.
        self.register_buffer("centers", centers.detach().clone().float(), persistent=False)
        self.add_state("counts", default=torch.zeros(centers.shape[0], dtype=torch.long), dist_reduce_fx="sum")
        self.add_state("total", default=torch.zeros((), dtype=torch.long), dist_reduce_fx="sum")

    @classmethod
    def for_mixture(cls, kind: str) -> MixtureModeCoverage:
        """The metric for the papers' ``"ring"`` (8 modes, std 0.01) or ``"grid"`` (25 modes, std 0.05)."""
        return cls(mixture_centers(kind), std=MIXTURE_STD[kind])

    @property
    def num_modes(self) -> int:
        """Number of mixture components ``K``."""
        return int(self.centers.shape[0])

    def update(self, samples: Tensor) -> None:
        """Add samples ``(N, D)``: each goes to its nearest centre and counts there if within ``3 * std``."""
        if samples.dim() != 2 or samples.shape[1] != self.centers.shape[1]:
            raise ValueError(
                f"`samples` must have shape (N, {self.centers.shape[1]}) to match `centers`, got {tuple(samples.shape)}"
            )
        if samples.shape[0] == 0:
            return
        # Exact pairwise distances in float64: (N, D) x (K, D) -> (N, K); no matmul shortcut near the 3-std edge.
        dist = torch.cdist(
            samples.detach().double(), self.centers.double(), compute_mode="donot_use_mm_for_euclid_dist"
        )
        nearest_dist, nearest = dist.min(dim=1)  # (N,), (N,)
        high_quality = nearest_dist < 3 * self.std  # strict, as in the PacGAN evaluation code
        self.counts += torch.bincount(nearest[high_quality], minlength=self.num_modes)
        self.total += samples.shape[0]

    def compute(self) -> dict[str, Tensor]:
        """``{"modes", "high_quality", "reverse_kl"}`` over all samples seen (and all ranks under DDP)."""
        high_quality = self.counts.sum().double() / self.total.double().clamp_min(1)
        return {
            "modes": (self.counts > 0).sum(),
            "high_quality": high_quality.float(),
            "reverse_kl": torch.tensor(kl_to_uniform(self.counts), device=self.counts.device),
        }
