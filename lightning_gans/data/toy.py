"""2-D Gaussian mixtures of the mode-collapse benchmarks (VEEGAN, PacGAN): a ring and a grid of modes.

- ``"ring"``: 8 modes evenly spaced on a circle of radius 1, each an isotropic Gaussian with std 0.01.
- ``"grid"``: 25 modes at ``{-4, -2, 0, 2, 4}^2`` (spacing 2), std 0.05.

Every sample picks a mode uniformly at random, then adds Gaussian noise. Training batches are drawn fresh, on the
fly: the batch with key ``k`` is a pure function of ``(seed, k)`` and the key encodes ``(epoch, rank, batch index)``,
so there is no sampler state to checkpoint and a run resumed at an epoch boundary sees the same batches as an
uninterrupted one.
"""

from __future__ import annotations

import math
from types import MappingProxyType

import numpy as np
import torch
from lightning.pytorch import LightningDataModule
from torch import Tensor
from torch.utils.data import DataLoader, Dataset, DistributedSampler

from lightning_gans.checks import check_choice, check_int, check_positive_number
from lightning_gans.data._common import build_loader

TOY_DATASETS: tuple[str, ...] = ("ring", "grid")
#: Standard deviation of each mixture component in the VEEGAN / PacGAN experiments.
MIXTURE_STD = MappingProxyType({"ring": 0.01, "grid": 0.05})
_DEFAULT_MODES = {"ring": 8, "grid": 25}


def mixture_centers(dataset: str, num_modes: int | None = None, radius: float = 1.0, spacing: float = 2.0) -> Tensor:
    """The mode centres, a float32 tensor of shape ``(num_modes, 2)``.

    ``"ring"``: ``num_modes`` (default 8) points at angles ``2*pi*k/num_modes`` on a circle of ``radius``.
    ``"grid"``: ``num_modes`` (default 25, must be a square ``s*s``) points on an ``s x s`` grid with ``spacing``,
    centred on the origin (``s=5``, spacing 2 gives ``{-4, -2, 0, 2, 4}^2``), in row-major order.

    >>> mixture_centers("ring")[:3].round(decimals=4)
    tensor([[1.0000, 0.0000],
            [0.7071, 0.7071],
            [0.0000, 1.0000]])
    >>> mixture_centers("ring", num_modes=4)
    tensor([[ 1.,  0.],
            [ 0.,  1.],
            [-1.,  0.],
            [ 0., -1.]])
    >>> c = mixture_centers("grid")
    >>> c.shape, c[0].tolist(), c[-1].tolist()
    (torch.Size([25, 2]), [-4.0, -4.0], [4.0, 4.0])
    """
    check_choice("dataset", dataset, TOY_DATASETS)
    num_modes = _DEFAULT_MODES[dataset] if num_modes is None else check_int("num_modes", num_modes, 1)
    if dataset == "ring":
        radius = check_positive_number("radius", radius)
        angles = torch.arange(num_modes, dtype=torch.float64) * (2.0 * math.pi / num_modes)  # (K,)
        centers = radius * torch.stack([torch.cos(angles), torch.sin(angles)], dim=1)  # (K, 2)
        # Round away float noise such as cos(pi/2) = 6e-17 (and -0.0) so centres print cleanly.
        return (centers.round(decimals=12) + 0.0).float()
    side = math.isqrt(num_modes)
    if side * side != num_modes:
        raise ValueError(f"`num_modes` for the grid must be a perfect square (s*s modes), got {num_modes}")
    spacing = check_positive_number("spacing", spacing)
    axis = (torch.arange(side, dtype=torch.float64) - (side - 1) / 2.0) * spacing  # (s,), centred on 0
    ys, xs = torch.meshgrid(axis, axis, indexing="ij")
    return torch.stack([xs.reshape(-1), ys.reshape(-1)], dim=1).float()  # (s*s, 2), x varies fastest


def sample_mixture(
    centers: Tensor, std: float, n: int, generator: torch.Generator | None = None
) -> tuple[Tensor, Tensor]:
    """Draw ``n`` points from the equal-weight mixture of ``N(center, std^2 I)``.

    Returns ``(points (n, 2) float32, mode index (n,) int64)``.

    >>> g = torch.Generator().manual_seed(0)
    >>> x, mode = sample_mixture(mixture_centers("ring"), 0.01, 4, generator=g)
    >>> x.shape, mode.shape, bool(((x - mixture_centers("ring")[mode]).norm(dim=1) < 0.1).all())
    (torch.Size([4, 2]), torch.Size([4]), True)
    """
    check_int("n", n, 1)
    std = check_positive_number("std", std)
    if centers.dim() != 2 or centers.shape[0] < 1:
        raise ValueError(f"centers must have shape (num_modes, dim), got {tuple(centers.shape)}")
    mode = torch.randint(centers.shape[0], (n,), generator=generator)  # (n,)
    noise = torch.randn(n, centers.shape[1], generator=generator)  # (n, dim)
    return (centers.float()[mode] + std * noise), mode


class _MixtureBatches(Dataset):
    """A map-style dataset of whole batches: item ``key`` is a ``(batch_size, 2)`` draw seeded by ``(seed, key)``."""

    def __init__(self, centers: Tensor, std: float, batch_size: int, length: int, seed: int) -> None:
        self.centers, self.std, self.batch_size, self.length, self.seed = centers, std, batch_size, length, seed

    def __len__(self) -> int:
        return self.length

    def __getitem__(self, key: int) -> Tensor:
        # SeedSequence mixes (seed, key) into independent streams; no collisions between e.g. (0, 7) and (7, 0).
        state = np.random.SeedSequence([self.seed, int(key)]).generate_state(1, dtype=np.uint64)[0]
        generator = torch.Generator().manual_seed(int(state))
        return sample_mixture(self.centers, self.std, self.batch_size, generator)[0]


class _EpochKeySampler(DistributedSampler):
    """Yields batch keys unique over ``(epoch, rank, batch index)`` so that every epoch draws new points."""

    def __iter__(self):
        offset = self.epoch * self.total_size
        return (offset + index for index in super().__iter__())


class ToyDataModule(LightningDataModule):
    """Ring or grid of 2-D Gaussians, drawn fresh every batch.

    Args:
        dataset: ``"ring"`` or ``"grid"``.
        batch_size: points per batch.
        num_batches_per_epoch: batches per epoch *per process* (each DDP rank draws its own batches).
        num_modes: number of modes; default 8 (ring) or 25 (grid; must be a square).
        radius: ring radius.
        spacing: distance between neighbouring grid modes.
        std: noise std of every mode; default 0.01 (ring) or 0.05 (grid), the benchmark values.
        seed: the data seed; batches depend only on ``(seed, epoch, rank, batch index)``.
        num_workers: DataLoader workers (0 is fastest for data this small).

    Batches are plain ``float32`` tensors of shape ``(batch_size, 2)`` (no labels). ``mode_centers`` ``(K, 2)`` and
    ``std`` describe the mixture for the mode-coverage metrics.

    >>> dm = ToyDataModule("grid", batch_size=8, num_batches_per_epoch=2, seed=1)
    >>> dm.mode_centers.shape, dm.std, dm.data_dim
    (torch.Size([25, 2]), 0.05, 2)
    >>> batches = list(dm.train_dataloader())
    >>> len(batches), batches[0].shape, batches[0].dtype
    (2, torch.Size([8, 2]), torch.float32)
    >>> torch.equal(batches[0], next(iter(ToyDataModule("grid", batch_size=8, seed=1).train_dataloader())))
    True
    """

    data_dim: int = 2

    def __init__(
        self,
        dataset: str = "ring",
        batch_size: int = 256,
        num_batches_per_epoch: int = 100,
        num_modes: int | None = None,
        radius: float = 1.0,
        spacing: float = 2.0,
        std: float | None = None,
        seed: int = 0,
        num_workers: int = 0,
    ) -> None:
        super().__init__()
        self.dataset = check_choice("dataset", dataset, TOY_DATASETS)
        self.batch_size = check_int("batch_size", batch_size, 1)
        self.num_batches_per_epoch = check_int("num_batches_per_epoch", num_batches_per_epoch, 1)
        self.mode_centers = mixture_centers(dataset, num_modes, radius, spacing)
        self.num_modes = int(self.mode_centers.shape[0])
        self.std = MIXTURE_STD[dataset] if std is None else check_positive_number("std", std)
        self.seed = check_int("seed", seed, 0)
        self.num_workers = check_int("num_workers", num_workers, 0)
        self.save_hyperparameters()

    def train_dataloader(self) -> DataLoader:
        """Batches of ``(batch_size, 2)`` points; each epoch and each DDP rank gets new, seed-determined points."""
        world_size = self.trainer.world_size if self.trainer is not None else 1
        # One dataset item per (rank, batch) of an epoch; the sampler adds the epoch to the key.
        batches = _MixtureBatches(
            self.mode_centers, self.std, self.batch_size, self.num_batches_per_epoch * world_size, self.seed
        )
        return build_loader(
            self,
            batches,
            batch_size=None,
            shuffle=False,
            seed=self.seed,
            num_workers=self.num_workers,
            drop_last=False,
            sampler_class=_EpochKeySampler,
        )

    def sample(self, n: int, seed: int = 0) -> Tensor:
        """``n`` reference points from the same mixture (e.g. real samples for a plot), reproducible by ``seed``.

        >>> ToyDataModule("ring").sample(3, seed=0).shape
        torch.Size([3, 2])
        """
        generator = torch.Generator().manual_seed(check_int("seed", seed, 0))
        return sample_mixture(self.mode_centers, self.std, n, generator)[0]
