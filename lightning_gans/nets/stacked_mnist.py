"""The 28-px stacked-MNIST networks of PacGAN's Tables 2 and 3 (Lin et al. 2018; code ``fjxmlzn/PacGAN``).

* Table 2, the VEEGAN setting: :class:`DCGAN28Generator` / :class:`DCGAN28Discriminator`, carpedm20's
  DCGAN-TensorFlow at 28 px. G: linear ``z -> 2x2x(8w)``, four 5x5 stride-2 transposed convolutions
  (2 -> 4 -> 7 -> 14 -> 28 px, widths ``4w, 2w, w, channels``), BatchNorm + ReLU, ``tanh``. D: four 5x5 stride-2
  convolutions (28 -> 14 -> 7 -> 4 -> 2 px, widths ``w, 2w, 4w, 8w``), LeakyReLU(0.2), BatchNorm on all but the
  first, a linear output. ``w = 64``.
* Table 3, the Unrolled-GAN setting with small discriminators: :class:`UnrolledGANGenerator` (linear ``z ->
  4x4x64``, 3x3 stride-2 transposed convolutions to 7x7x32, 14x14x16, 28x28x8, a 3x3 convolution to the image,
  BatchNorm + ReLU, ``tanh``) and :class:`UnrolledGANDiscriminator` (three 3x3 stride-2 convolutions with
  BatchNorm and LeakyReLU(0.3), widths ``w, 2w, 4w``, a linear output): ``w = 2`` is "D = 1/4 G", ``w = 4`` is
  "D = 1/2 G" (in the papers' sense of the discriminator's size relative to the generator's).

Discriminators take ``pack`` samples stacked along the channels (``channels * pack`` input channels, PacDCGANm) and
return logits ``(N // pack,)``. TensorFlow's "SAME" padding is asymmetric for even kernels and strides; these
modules use symmetric padding (plus ``output_padding`` on the transposed convolutions) that gives the same sizes.
Weights ``N(0, 0.02)``, biases 0, BatchNorm scale 1, as in the released code; a convolution followed by BatchNorm
has no bias (the BatchNorm subtracts the batch mean, cancelling it).
"""

from __future__ import annotations

import torch  # noqa: F401  (used by the doctests)
from torch import Tensor, nn

from lightning_gans.checks import check_int
from lightning_gans.nets.layers import pack_samples

IMAGE_SIZE = 28  # both settings are built for 28 px; the sizes below are that image's


def _init_(module: nn.Module) -> None:
    for m in module.modules():
        if isinstance(m, (nn.Linear, nn.Conv2d, nn.ConvTranspose2d)):
            nn.init.normal_(m.weight, 0.0, 0.02)
            if m.bias is not None:
                nn.init.zeros_(m.bias)


def _up(in_ch: int, out_ch: int, kernel: int, output_padding: int) -> list[nn.Module]:
    # Stride-2 transposed conv: out = (in - 1) * 2 - 2 * (kernel // 2) + kernel + output_padding.
    conv = nn.ConvTranspose2d(in_ch, out_ch, kernel, 2, kernel // 2, output_padding, bias=False)  # BN follows
    return [conv, nn.BatchNorm2d(out_ch), nn.ReLU()]


class DCGAN28Generator(nn.Module):
    """``z (N, latent_dim) -> images (N, channels, 28, 28)`` in [-1, 1]; PacGAN Table 2 / VEEGAN's DCGAN.

    >>> g = DCGAN28Generator(latent_dim=100, channels=3, base_width=8)
    >>> g(torch.rand(2, 100) * 2 - 1).shape  # the papers draw z ~ U(-1, 1)^100
    torch.Size([2, 3, 28, 28])
    """

    def __init__(self, latent_dim: int = 100, channels: int = 3, base_width: int = 64) -> None:
        super().__init__()
        self.latent_dim = check_int("latent_dim", latent_dim, minimum=1)
        check_int("channels", channels, minimum=1)
        w = check_int("base_width", base_width, minimum=1)
        self.project = nn.Linear(latent_dim, 8 * w * 2 * 2)
        self.net = nn.Sequential(
            nn.BatchNorm2d(8 * w),
            nn.ReLU(),
            *_up(8 * w, 4 * w, 5, 1),  # 2 -> 4
            *_up(4 * w, 2 * w, 5, 0),  # 4 -> 7
            *_up(2 * w, w, 5, 1),  # 7 -> 14
            nn.ConvTranspose2d(w, channels, 5, 2, 2, 1),  # 14 -> 28
            nn.Tanh(),
        )
        _init_(self)

    def forward(self, z: Tensor) -> Tensor:
        return self.net(self.project(z).view(z.shape[0], -1, 2, 2))


class DCGAN28Discriminator(nn.Module):
    """``images (N, channels, 28, 28) -> logits (N // pack,)``; PacGAN Table 2 / VEEGAN's DCGAN discriminator.

    >>> d = DCGAN28Discriminator(channels=3, base_width=8, pack=2)
    >>> d(torch.randn(4, 3, 28, 28)).shape
    torch.Size([2])
    """

    def __init__(self, channels: int = 3, base_width: int = 64, pack: int = 1) -> None:
        super().__init__()
        check_int("channels", channels, minimum=1)
        w = check_int("base_width", base_width, minimum=1)
        self.pack = check_int("pack", pack, minimum=1)
        layers: list[nn.Module] = [nn.Conv2d(channels * pack, w, 5, 2, 2), nn.LeakyReLU(0.2)]  # 28 -> 14
        for width in (w, 2 * w, 4 * w):  # 14 -> 7 -> 4 -> 2
            layers += [nn.Conv2d(width, 2 * width, 5, 2, 2), nn.BatchNorm2d(2 * width), nn.LeakyReLU(0.2)]
        self.body = nn.Sequential(*layers)
        self.head = nn.Linear(8 * w * 2 * 2, 1)
        _init_(self)

    def forward(self, x: Tensor) -> Tensor:
        return self.head(self.body(pack_samples(x, self.pack)).flatten(1)).squeeze(1)


class UnrolledGANGenerator(nn.Module):
    """``z (N, latent_dim) -> images (N, channels, 28, 28)``; the generator of Metz et al.'s stacked-MNIST experiment
    (PacGAN Table 3), z ~ N(0, I_256).

    >>> g = UnrolledGANGenerator()
    >>> g(torch.randn(2, 256)).shape, sum(p.numel() for p in g.parameters())
    (torch.Size([2, 3, 28, 28]), 287819)
    """

    def __init__(self, latent_dim: int = 256, channels: int = 3) -> None:
        super().__init__()
        self.latent_dim = check_int("latent_dim", latent_dim, minimum=1)
        check_int("channels", channels, minimum=1)
        self.project = nn.Linear(latent_dim, 64 * 4 * 4)
        self.net = nn.Sequential(
            nn.BatchNorm2d(64),
            nn.ReLU(),
            *_up(64, 32, 3, 0),  # 4 -> 7
            *_up(32, 16, 3, 1),  # 7 -> 14
            *_up(16, 8, 3, 1),  # 14 -> 28
            nn.Conv2d(8, channels, 3, 1, 1),
            nn.Tanh(),
        )
        _init_(self)

    def forward(self, z: Tensor) -> Tensor:
        return self.net(self.project(z).view(z.shape[0], 64, 4, 4))


class UnrolledGANDiscriminator(nn.Module):
    """``images (N, channels, 28, 28) -> logits (N // pack,)``: three 3x3 stride-2 convolutions of widths
    ``w, 2w, 4w`` (28 -> 14 -> 7 -> 4 px) with BatchNorm and LeakyReLU(0.3), then a linear output.

    ``base_width=2`` is PacGAN's "D = 1/4 G", ``base_width=4`` its "D = 1/2 G".

    >>> d = UnrolledGANDiscriminator(base_width=2, pack=4)
    >>> d(torch.randn(8, 3, 28, 28)).shape
    torch.Size([2])
    """

    def __init__(self, base_width: int = 2, channels: int = 3, pack: int = 1) -> None:
        super().__init__()
        w = check_int("base_width", base_width, minimum=1)
        check_int("channels", channels, minimum=1)
        self.pack = check_int("pack", pack, minimum=1)
        layers: list[nn.Module] = []
        in_ch = channels * pack
        for width in (w, 2 * w, 4 * w):
            layers += [nn.Conv2d(in_ch, width, 3, 2, 1), nn.BatchNorm2d(width), nn.LeakyReLU(0.3)]
            in_ch = width
        self.body = nn.Sequential(*layers)
        self.head = nn.Linear(4 * w * 4 * 4, 1)
        _init_(self)

    def forward(self, x: Tensor) -> Tensor:
        return self.head(self.body(pack_samples(x, self.pack)).flatten(1)).squeeze(1)
