"""The settings the throughput suite measures: one :class:`Case` per model and batch, its networks and its data.

Both sides of a measurement (the engine and the bare loop) build their networks with :func:`case_networks` and read
:func:`case_loader`'s data, with the same seed: the same constructors, weights, samples and order.
"""

from __future__ import annotations

from dataclasses import dataclass

import torch
from torch import nn
from torch.utils.data import DataLoader, TensorDataset

from lightning_gans.nets import DCGANDiscriminator, DCGANGenerator, MLPDiscriminator, MLPGenerator

IMAGE_SIZE, CHANNELS, LATENT_DIM, BASE_WIDTH = 32, 3, 100, 64  # DCGAN at CIFAR-10 size, the paper's widths
MLP_LATENT_DIM, MLP_HIDDEN = 8, 64  # the overhead probe: a step so cheap that the per-batch overhead shows


@dataclass(frozen=True)
class Case:
    """One benchmark setting; the optimizer settings are the papers' (and the variants' defaults).

    >>> CASES["wgangp_b64"].n_critic, CASES["wgangp_b64"].adam["betas"], CASES["mlp_b256"].sample_shape
    (5, (0.0, 0.9), (2,))
    """

    name: str
    variant: str  # "dcgan", "wgangp" or "mlp" (the non-saturating GAN on 2-D points, tiny MLPs)
    batch_size: int
    scale: int = 1  # batches per timed "step" and warm-up batch: cheap steps need many to be measurable

    @property
    def is_wgan(self) -> bool:
        return self.variant == "wgangp"

    @property
    def latent_dim(self) -> int:
        return MLP_LATENT_DIM if self.variant == "mlp" else LATENT_DIM

    @property
    def sample_shape(self) -> tuple[int, ...]:
        return (2,) if self.variant == "mlp" else (CHANNELS, IMAGE_SIZE, IMAGE_SIZE)

    @property
    def n_critic(self) -> int:
        return 5 if self.is_wgan else 1

    @property
    def adam(self) -> dict:
        return dict(lr=1e-4, betas=(0.0, 0.9)) if self.is_wgan else dict(lr=2e-4, betas=(0.5, 0.999))


CASES = {
    "dcgan_b64": Case("DCGAN 32px, batch 64", "dcgan", 64),
    "dcgan_b128": Case("DCGAN 32px, batch 128", "dcgan", 128),
    "wgangp_b64": Case("WGAN-GP 32px, batch 64", "wgangp", 64),
    "mlp_b256": Case("overhead probe: MLP GAN on 2-D points, batch 256", "mlp", 256, scale=40),
}


def case_networks(case: Case, seed: int = 0) -> tuple[nn.Module, nn.Module]:
    """The generator and discriminator of ``case``, identical for both sides (same constructors, same seed)."""
    torch.manual_seed(seed)
    if case.variant == "mlp":
        return MLPGenerator(MLP_LATENT_DIM, 2, MLP_HIDDEN, 3), MLPDiscriminator(2, MLP_HIDDEN, 3)
    generator = DCGANGenerator(LATENT_DIM, IMAGE_SIZE, CHANNELS, BASE_WIDTH)
    # WGAN-GP's critic uses layer norm: BatchNorm breaks the per-sample gradient penalty (as the variant's default).
    discriminator = DCGANDiscriminator(IMAGE_SIZE, CHANNELS, BASE_WIDTH, norm="layer" if case.is_wgan else "batch")
    return generator, discriminator


def case_loader(case: Case, num_batches: int, seed: int = 0) -> DataLoader:
    """Synthetic samples in [-1, 1], in memory, shuffled with a seeded generator; exactly ``num_batches`` batches.

    >>> len(case_loader(CASES["mlp_b256"], 3))
    3
    """
    data = torch.rand(num_batches * case.batch_size, *case.sample_shape, generator=torch.Generator().manual_seed(seed))
    dataset = TensorDataset(data * 2 - 1)
    return DataLoader(
        dataset, batch_size=case.batch_size, shuffle=True, drop_last=True, generator=torch.Generator().manual_seed(seed)
    )
