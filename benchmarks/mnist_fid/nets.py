"""The InfoGAN-style MNIST networks of Lucic et al. (compare_gan v1, ``infogan`` architecture).

G: z -> FC 1024 (BN, ReLU) -> FC 7x7x128 (BN, ReLU) -> deconv 64 4x4/2 (BN, ReLU) -> deconv 1 4x4/2 -> tanh.
D: x -> conv 64 4x4/2 (lReLU 0.2) -> conv 128 4x4/2 (BN, lReLU) -> FC 1024 (BN, lReLU) -> FC 1 (a logit).
WGAN-GP's critic drops BatchNorm (a penalty on per-sample gradients is not defined through batch statistics).
Images are 28x28 in [-1, 1] (compare_gan used a sigmoid and [0, 1]: a protocol difference, FID sees the same
uint8 images either way).

``layers="compare_gan"`` copies the layer details of compare_gan v1's ``ops.py`` that PyTorch's defaults do not
share: weights drawn from N(0, 0.02) (truncated at two standard deviations in the convolutions), zero biases
(``init``), leaky ReLU 0.2 in G as well (``leaky_g``), BatchNorm with epsilon 1e-3 and moving-average decay 0.999
(PyTorch momentum 0.001; ``bn_constants``), and z uniform in [-1, 1] (``uniform_z``). The engine draws z ~ N(0, 1);
``erf(z / sqrt(2))`` is exactly uniform in [-1, 1], so the generator applies it first. ``layers="torch"`` keeps
PyTorch's defaults (ReLU in G, as in the InfoGAN paper); ``layers="cg_<detail>"`` takes that one detail alone, to
find which of them matters.
"""

from __future__ import annotations

import math
from typing import Literal, get_args

import torch
from torch import Tensor, nn

Layers = Literal["torch", "compare_gan", "cg_init", "cg_leaky_g", "cg_bn_constants", "cg_uniform_z"]
LAYERS = get_args(Layers)
DETAILS = ("init", "leaky_g", "bn_constants", "uniform_z")  # compare_gan's layer details, one name each


def _check_layers(layers: str) -> None:
    if layers not in LAYERS:
        raise ValueError(f"layers must be one of {LAYERS}, got {layers!r}")


def has_detail(layers: Layers, detail: str) -> bool:
    """Whether ``layers`` takes compare_gan's ``detail``: all of them, or the one named.

    >>> has_detail("compare_gan", "init"), has_detail("cg_init", "init"), has_detail("cg_init", "uniform_z")
    (True, True, False)
    """
    return layers == "compare_gan" or layers == f"cg_{detail}"


def _batch_norm(kind: type[nn.Module], width: int, layers: Layers) -> nn.Module:
    # TF's batch_norm(decay=0.999, epsilon=0.001) is PyTorch's momentum 1 - decay.
    return kind(width, eps=1e-3, momentum=0.001) if has_detail(layers, "bn_constants") else kind(width)


def _compare_gan_init(net: nn.Module) -> None:
    """compare_gan v1's initialisers: N(0, 0.02) weights (truncated at 2 std in conv2d), zero biases."""
    for layer in net.modules():
        if isinstance(layer, nn.Conv2d):
            nn.init.trunc_normal_(layer.weight, std=0.02, a=-0.04, b=0.04)
        elif isinstance(layer, (nn.Linear, nn.ConvTranspose2d)):
            nn.init.normal_(layer.weight, std=0.02)
        else:
            continue
        nn.init.zeros_(layer.bias)


class UniformLatent(nn.Module):
    """N(0, 1) -> uniform in [-1, 1], elementwise: ``erf(z / sqrt(2)) = 2 Phi(z) - 1``.

    >>> z = torch.randn(200_000, generator=torch.Generator().manual_seed(0))
    >>> u = UniformLatent()(z)
    >>> bool(u.abs().max() <= 1), round(float(u.mean()), 2) + 0.0, round(float(u.var()), 2)  # U(-1, 1): var 1/3
    (True, 0.0, 0.33)
    """

    def forward(self, z: Tensor) -> Tensor:
        return torch.erf(z / math.sqrt(2.0))


class InfoGANGenerator(nn.Module):
    """``z (N, latent_dim)`` -> images ``(N, 1, 28, 28)`` in ``[-1, 1]``."""

    def __init__(self, latent_dim: int = 64, layers: Layers = "torch") -> None:
        super().__init__()
        _check_layers(layers)
        act = nn.LeakyReLU(0.2) if has_detail(layers, "leaky_g") else nn.ReLU()
        self.net = nn.Sequential(
            UniformLatent() if has_detail(layers, "uniform_z") else nn.Identity(),
            nn.Linear(latent_dim, 1024),
            _batch_norm(nn.BatchNorm1d, 1024, layers),
            act,
            nn.Linear(1024, 128 * 7 * 7),
            _batch_norm(nn.BatchNorm1d, 128 * 7 * 7, layers),
            act,
            nn.Unflatten(1, (128, 7, 7)),
            nn.ConvTranspose2d(128, 64, 4, stride=2, padding=1),
            _batch_norm(nn.BatchNorm2d, 64, layers),
            act,  # 14x14
            nn.ConvTranspose2d(64, 1, 4, stride=2, padding=1),
            nn.Tanh(),  # 28x28
        )
        if has_detail(layers, "init"):
            _compare_gan_init(self.net)

    def forward(self, z: Tensor) -> Tensor:
        return self.net(z)


class InfoGANDiscriminator(nn.Module):
    """Images ``(N, 1, 28, 28)`` -> logits ``(N,)``; ``batch_norm=False`` for WGAN-GP's critic."""

    def __init__(self, batch_norm: bool = True, layers: Layers = "torch") -> None:
        super().__init__()
        _check_layers(layers)

        def norm(kind: type[nn.Module], width: int) -> nn.Module:
            return _batch_norm(kind, width, layers) if batch_norm else nn.Identity()

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
        if has_detail(layers, "init"):
            _compare_gan_init(self.net)

    def forward(self, x: Tensor) -> Tensor:
        return self.net(x).squeeze(1)
