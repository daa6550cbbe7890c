"""The InfoGAN-style MNIST networks of Lucic et al. (compare_gan v1, ``infogan`` architecture).

G: z -> FC 1024 (BN, ReLU) -> FC 7x7x128 (BN, ReLU) -> deconv 64 4x4/2 (BN, ReLU) -> deconv 1 4x4/2 -> tanh.
D: x -> conv 64 4x4/2 (lReLU 0.2) -> conv 128 4x4/2 (BN, lReLU) -> FC 1024 (BN, lReLU) -> FC 1 (a logit).
WGAN-GP's critic drops BatchNorm (a penalty on per-sample gradients is not defined through batch statistics).
Images are 28x28 in [-1, 1] (compare_gan used a sigmoid and [0, 1]: a protocol difference, FID sees the same
uint8 images either way).
"""

from __future__ import annotations

from torch import Tensor, nn


class InfoGANGenerator(nn.Module):
    """``z (N, latent_dim)`` -> images ``(N, 1, 28, 28)`` in ``[-1, 1]``."""

    def __init__(self, latent_dim: int = 64) -> None:
        super().__init__()
        self.net = nn.Sequential(
            nn.Linear(latent_dim, 1024),
            nn.BatchNorm1d(1024),
            nn.ReLU(),
            nn.Linear(1024, 128 * 7 * 7),
            nn.BatchNorm1d(128 * 7 * 7),
            nn.ReLU(),
            nn.Unflatten(1, (128, 7, 7)),
            nn.ConvTranspose2d(128, 64, 4, stride=2, padding=1),
            nn.BatchNorm2d(64),
            nn.ReLU(),  # 14x14
            nn.ConvTranspose2d(64, 1, 4, stride=2, padding=1),
            nn.Tanh(),  # 28x28
        )

    def forward(self, z: Tensor) -> Tensor:
        return self.net(z)


class InfoGANDiscriminator(nn.Module):
    """Images ``(N, 1, 28, 28)`` -> logits ``(N,)``; ``batch_norm=False`` for WGAN-GP's critic."""

    def __init__(self, batch_norm: bool = True) -> None:
        super().__init__()

        def norm(kind: type[nn.Module], width: int) -> nn.Module:
            return kind(width) if batch_norm else nn.Identity()

        self.net = nn.Sequential(
            nn.Conv2d(1, 64, 4, stride=2, padding=1),
            nn.LeakyReLU(0.2),  # 14x14
            nn.Conv2d(64, 128, 4, stride=2, padding=1),
            norm(nn.BatchNorm2d, 128),
            nn.LeakyReLU(0.2),  # 7x7
            nn.Flatten(),
            nn.Linear(128 * 7 * 7, 1024),
            norm(nn.BatchNorm1d, 1024),
            nn.LeakyReLU(0.2),
            nn.Linear(1024, 1),
        )

    def forward(self, x: Tensor) -> Tensor:
        return self.net(x).squeeze(1)
