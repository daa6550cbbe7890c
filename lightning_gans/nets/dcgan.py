"""DCGAN generator and discriminator (Radford et al. 2016) for 28, 32 and 64 px images with any channel count.

Generator: a transposed convolution from ``z`` to a 4x4 (7x7 for 28 px) map, then stride-2 transposed convolutions
that double the size and halve the width, BatchNorm + ReLU, ``tanh`` output in [-1, 1]. Discriminator: the mirror
image with stride-2 convolutions and LeakyReLU(0.2), no normalisation on the first layer, logits out. Weights are
drawn from N(0, 0.02) as in the paper.
"""

from __future__ import annotations

import torch
from torch import Tensor, nn

from lightning_gans.checks import check_int
from lightning_gans.nets.layers import MinibatchStdDev, pack_samples, spectral_norm_if

SUPPORTED_IMAGE_SIZES = (28, 32, 64)
NORMS = ("batch", "layer", "instance", "none")


def _check_image_size(image_size: int) -> int:
    if image_size not in SUPPORTED_IMAGE_SIZES:
        raise ValueError(f"image_size must be one of {SUPPORTED_IMAGE_SIZES}, got {image_size!r}")
    return image_size


def _num_stages(image_size: int) -> int:
    # Number of stride-2 stages between the first map (4x4, or 7x7 for 28 px) and the image.
    return {28: 2, 32: 3, 64: 4}[image_size]


def dcgan_init_(module: nn.Module) -> None:
    """DCGAN initialisation: conv weights ~ N(0, 0.02), norm scales ~ N(1, 0.02), biases 0."""
    for m in module.modules():
        if isinstance(m, (nn.Conv2d, nn.ConvTranspose2d, nn.Linear)):
            nn.init.normal_(m.weight, 0.0, 0.02)
            if m.bias is not None:
                nn.init.zeros_(m.bias)
        elif isinstance(m, (nn.BatchNorm2d, nn.GroupNorm, nn.InstanceNorm2d)) and m.weight is not None:
            nn.init.normal_(m.weight, 1.0, 0.02)
            nn.init.zeros_(m.bias)


class DCGANGenerator(nn.Module):
    """``z (N, latent_dim) -> images (N, channels, image_size, image_size)`` in [-1, 1].

    With ``num_classes`` a class embedding (of size ``latent_dim``) is concatenated to ``z`` (conditional GAN,
    Mirza & Osindero 2014).

    >>> g = DCGANGenerator(latent_dim=16, image_size=28, channels=1, base_width=8)
    >>> g(torch.randn(2, 16)).shape
    torch.Size([2, 1, 28, 28])
    """

    def __init__(
        self,
        latent_dim: int = 100,
        image_size: int = 64,
        channels: int = 3,
        base_width: int = 64,
        num_classes: int | None = None,
    ) -> None:
        super().__init__()
        for name, value in (("latent_dim", latent_dim), ("channels", channels), ("base_width", base_width)):
            check_int(name, value, minimum=1)
        _check_image_size(image_size)
        self.latent_dim, self.image_size, self.channels, self.num_classes = (
            latent_dim,
            image_size,
            channels,
            num_classes,
        )
        self.embed = (
            None if num_classes is None else nn.Embedding(check_int("num_classes", num_classes, minimum=1), latent_dim)
        )
        stages = _num_stages(image_size)
        width = base_width * 2 ** (stages - 1)
        first_kernel = 7 if image_size == 28 else 4
        in_dim = latent_dim * (1 if num_classes is None else 2)
        layers: list[nn.Module] = [
            nn.ConvTranspose2d(in_dim, width, first_kernel, 1, 0, bias=False),
            nn.BatchNorm2d(width),
            nn.ReLU(True),
        ]
        for _ in range(stages - 1):
            layers += [
                nn.ConvTranspose2d(width, width // 2, 4, 2, 1, bias=False),
                nn.BatchNorm2d(width // 2),
                nn.ReLU(True),
            ]
            width //= 2
        layers += [nn.ConvTranspose2d(width, channels, 4, 2, 1, bias=False), nn.Tanh()]
        self.net = nn.Sequential(*layers)
        dcgan_init_(self)

    def forward(self, z: Tensor, labels: Tensor | None = None) -> Tensor:
        if self.embed is not None:
            if labels is None:
                raise ValueError("this generator is conditional (num_classes is set): pass labels")
            z = torch.cat([z, self.embed(labels)], dim=1)
        return self.net(z[:, :, None, None])  # (N, latent, 1, 1) -> (N, C, H, W)


def _norm(kind: str, width: int) -> nn.Module:
    if kind == "batch":
        return nn.BatchNorm2d(width)
    if kind == "layer":  # layer norm over (C, H, W), as WGAN-GP's critic: no batch coupling, double backward is fine
        return nn.GroupNorm(1, width)
    if kind == "instance":
        return nn.InstanceNorm2d(width, affine=True)
    return nn.Identity()


class DCGANDiscriminator(nn.Module):
    """``images (N, channels, image_size, image_size) -> logits (N // pack,)``.

    ``norm`` picks the normalisation of the hidden layers: ``"batch"`` (the paper), ``"layer"`` or ``"instance"``
    (needed with gradient penalties, which BatchNorm breaks by coupling samples), or ``"none"``.
    ``pack``, ``minibatch_stddev`` and ``spectral_norm`` are the anti-collapse options; ``num_classes`` makes it a
    projection discriminator (Miyato & Koyama 2018).

    >>> d = DCGANDiscriminator(image_size=32, channels=3, base_width=8, norm="layer", pack=2)
    >>> d(torch.randn(4, 3, 32, 32)).shape
    torch.Size([2])
    """

    def __init__(
        self,
        image_size: int = 64,
        channels: int = 3,
        base_width: int = 64,
        norm: str = "batch",
        pack: int = 1,
        minibatch_stddev: bool = False,
        spectral_norm: bool = False,
        num_classes: int | None = None,
    ) -> None:
        super().__init__()
        for name, value in (("channels", channels), ("base_width", base_width), ("pack", pack)):
            check_int(name, value, minimum=1)
        _check_image_size(image_size)
        if norm not in NORMS:
            raise ValueError(f"norm must be one of {NORMS}, got {norm!r}")
        self.pack, self.num_classes = pack, num_classes
        stages = _num_stages(image_size)
        width = base_width
        layers: list[nn.Module] = [nn.Conv2d(channels * pack, width, 4, 2, 1), nn.LeakyReLU(0.2, True)]
        for _ in range(stages - 1):
            layers += [
                nn.Conv2d(width, width * 2, 4, 2, 1, bias=norm == "none"),
                _norm(norm, width * 2),
                nn.LeakyReLU(0.2, True),
            ]
            width *= 2
        self.body = spectral_norm_if(nn.Sequential(*layers), spectral_norm)
        self.stddev = MinibatchStdDev() if minibatch_stddev else None
        final_kernel = 7 if image_size == 28 else 4
        self.head = spectral_norm_if(
            nn.Conv2d(width + (1 if minibatch_stddev else 0), 1, final_kernel, 1, 0), spectral_norm
        )
        self.embed = None
        if num_classes is not None:
            self.embed = nn.Embedding(check_int("num_classes", num_classes, minimum=1), width)
        dcgan_init_(self)

    def forward(self, x: Tensor, labels: Tensor | None = None) -> Tensor:
        h = self.body(pack_samples(x, self.pack))  # (N // pack, width, k, k)
        if self.stddev is not None:
            h = self.stddev(h)
        logits = self.head(h).flatten()
        if self.embed is not None:
            if labels is None:
                raise ValueError("this discriminator is conditional (num_classes is set): pass labels")
            pooled = h[:, : self.embed.embedding_dim].sum(dim=(2, 3))  # global sum pooling, as in SNGAN's projection
            logits = logits + (self.embed(labels[:: self.pack]) * pooled).sum(dim=1)
        return logits
