"""Residual generator and discriminator for 32 px images (WGAN-GP, Gulrajani et al. 2017; SNGAN, Miyato et al. 2018).

Residual connections keep gradients alive through deep networks — the literature's architectural remedy for
vanishing gradients. The discriminator has no BatchNorm, so gradient penalties (double backward) are safe, and it
supports spectral normalisation, PacGAN packing and the projection term for class labels (Miyato & Koyama 2018).
"""

from __future__ import annotations

import math

import torch
import torch.nn.functional as F
from torch import Tensor, nn
from torch.nn.utils.parametrizations import spectral_norm as _spectral_norm

from lightning_gans.nets.layers import pack_samples, spectral_norm_if

_ACTIVATIONS = ("relu", "leaky_relu")


def _check_int(name: str, value: object, minimum: int) -> None:
    if isinstance(value, bool) or not isinstance(value, int) or value < minimum:
        raise ValueError(f"{name} must be an integer >= {minimum}, got {value!r}")


def _check_image_size(image_size: object) -> int:
    _check_int("image_size", image_size, 8)
    if image_size & (image_size - 1):  # type: ignore[operator]
        raise ValueError(f"image_size must be a power of two >= 8 (e.g. 32), got {image_size!r}")
    return int(math.log2(image_size))  # type: ignore[arg-type]


def _check_num_classes(num_classes: object) -> None:
    if num_classes is not None:
        _check_int("num_classes", num_classes, 2)


def _init_conv(conv: nn.Module, gain: float) -> None:
    # Xavier-uniform as in the SNGAN/WGAN-GP reference code: gain sqrt(2) inside blocks (ReLU), 1 elsewhere.
    nn.init.xavier_uniform_(conv.weight, gain=gain)
    if conv.bias is not None:
        nn.init.zeros_(conv.bias)


class _UpBlock(nn.Module):
    """BN-ReLU-up-conv-BN-ReLU-conv, plus a nearest-upsampled 1x1 shortcut. ``(N, C, H, W) -> (N, C', 2H, 2W)``."""

    def __init__(self, in_ch: int, out_ch: int) -> None:
        super().__init__()
        self.bn1, self.bn2 = nn.BatchNorm2d(in_ch), nn.BatchNorm2d(out_ch)
        self.conv1 = nn.Conv2d(in_ch, out_ch, 3, padding=1)
        self.conv2 = nn.Conv2d(out_ch, out_ch, 3, padding=1)
        self.shortcut = nn.Conv2d(in_ch, out_ch, 1)
        _init_conv(self.conv1, math.sqrt(2.0))
        _init_conv(self.conv2, math.sqrt(2.0))
        _init_conv(self.shortcut, 1.0)

    def forward(self, x: Tensor) -> Tensor:
        h = F.interpolate(F.relu(self.bn1(x)), scale_factor=2.0, mode="nearest")
        h = self.conv2(F.relu(self.bn2(self.conv1(h))))
        return h + self.shortcut(F.interpolate(x, scale_factor=2.0, mode="nearest"))


class ResNetGenerator(nn.Module):
    """Residual generator: linear -> 4x4 -> up-resblocks -> BN, ReLU, 3x3 conv, tanh. ``G(z[, labels])``.

    For ``image_size=32`` there are three up-blocks (4 -> 8 -> 16 -> 32), as in WGAN-GP / SNGAN; other powers of
    two get ``log2(image_size / 4)`` blocks. Output images are in ``[-1, 1]``.

    Conditional generation (``num_classes`` given): a learned class embedding of size ``latent_dim`` is
    concatenated to ``z`` before the first linear layer. This is simpler than conditional BatchNorm and enough for
    the generator to condition on the class; the projection discriminator does the heavy lifting.

    >>> g = ResNetGenerator(latent_dim=16, channels=3, base_width=8, image_size=32)
    >>> g(torch.randn(2, 16)).shape
    torch.Size([2, 3, 32, 32])
    >>> g = ResNetGenerator(latent_dim=16, base_width=8, image_size=16, num_classes=10)
    >>> g(torch.randn(2, 16), torch.tensor([3, 7])).shape
    torch.Size([2, 3, 16, 16])
    """

    def __init__(
        self,
        latent_dim: int,
        channels: int = 3,
        base_width: int = 128,
        image_size: int = 32,
        num_classes: int | None = None,
    ) -> None:
        super().__init__()
        _check_int("latent_dim", latent_dim, 1)
        _check_int("channels", channels, 1)
        _check_int("base_width", base_width, 1)
        num_blocks = _check_image_size(image_size) - 2
        _check_num_classes(num_classes)
        self.latent_dim, self.channels, self.base_width = latent_dim, channels, base_width
        self.image_size, self.num_classes = image_size, num_classes
        self.embed = nn.Embedding(num_classes, latent_dim) if num_classes is not None else None
        in_dim = latent_dim * (2 if num_classes is not None else 1)
        self.linear = nn.Linear(in_dim, 4 * 4 * base_width)
        self.blocks = nn.Sequential(*[_UpBlock(base_width, base_width) for _ in range(num_blocks)])
        self.bn = nn.BatchNorm2d(base_width)
        self.to_image = nn.Conv2d(base_width, channels, 3, padding=1)
        _init_conv(self.linear, 1.0)
        _init_conv(self.to_image, 1.0)

    def forward(self, z: Tensor, labels: Tensor | None = None) -> Tensor:
        if z.dim() != 2 or z.shape[1] != self.latent_dim:
            raise ValueError(f"z must have shape (N, {self.latent_dim}), got {tuple(z.shape)}")
        if self.embed is not None:
            if labels is None:
                raise ValueError(f"labels are required: this generator is conditional (num_classes={self.num_classes})")
            z = torch.cat([z, self.embed(labels)], dim=1)  # (N, 2 * latent_dim)
        elif labels is not None:
            raise ValueError("labels were given but this generator is unconditional (num_classes=None)")
        h = self.linear(z).view(z.shape[0], self.base_width, 4, 4)  # (N, W, 4, 4)
        h = F.relu(self.bn(self.blocks(h)))  # (N, W, S, S)
        return torch.tanh(self.to_image(h))  # (N, channels, S, S)


class _DownBlock(nn.Module):
    """Pre-activation discriminator block: act-conv-act-conv[-avgpool] + 1x1[-avgpool] shortcut.

    ``optimized=True`` is SNGAN's first block: no activation before the first conv (the input is an image), and
    the shortcut pools before its 1x1 conv.
    """

    def __init__(self, in_ch: int, out_ch: int, down: bool, optimized: bool, act: nn.Module) -> None:
        super().__init__()
        self.down, self.optimized, self.act = down, optimized, act
        self.conv1 = nn.Conv2d(in_ch, out_ch, 3, padding=1)
        self.conv2 = nn.Conv2d(out_ch, out_ch, 3, padding=1)
        # A learnable shortcut only where the shape changes; otherwise the identity, as in the reference models.
        self.shortcut = nn.Conv2d(in_ch, out_ch, 1) if (down or in_ch != out_ch) else None
        _init_conv(self.conv1, math.sqrt(2.0))
        _init_conv(self.conv2, math.sqrt(2.0))
        if self.shortcut is not None:
            _init_conv(self.shortcut, 1.0)

    def forward(self, x: Tensor) -> Tensor:
        h = x if self.optimized else self.act(x)  # not in-place: x is reused by the shortcut
        h = self.conv2(self.act(self.conv1(h)))
        if self.down:
            h = F.avg_pool2d(h, 2)
        s = x
        if self.optimized:
            s = self.shortcut(F.avg_pool2d(s, 2))
        elif self.shortcut is not None:
            s = self.shortcut(s)
            s = F.avg_pool2d(s, 2) if self.down else s
        return h + s


class ResNetDiscriminator(nn.Module):
    """Residual discriminator (SNGAN / WGAN-GP): returns logits ``(N,)``, or ``(N // pack,)`` with packing.

    Optimized first block (down), further down-blocks to 8x8, two blocks without downsampling, activation, global
    *sum* pooling, linear. For 32 px: 32 -> 16 -> 8 -> 8 -> 8, as in SNGAN's CIFAR-10 model. No BatchNorm anywhere,
    so gradient penalties (double backward) and DDP are safe.

    Args:
        spectral_norm: spectral-normalise every conv / linear layer (and the class embedding), Miyato et al. 2018.
        num_classes: adds the projection term ``<embed(y), h>`` to the logits (Miyato & Koyama 2018); ``forward``
            then needs ``labels``. With ``pack > 1`` every position in a pack has its own class embedding and the
            terms are summed, so each packed sample is checked against its own label.
        pack: PacGAN packing (Lin et al. 2018); the batch must be divisible by it.
        activation: ``"relu"`` (the papers) or ``"leaky_relu"`` (slope 0.2).

    >>> d = ResNetDiscriminator(channels=3, base_width=8, image_size=32)
    >>> d(torch.randn(4, 3, 32, 32)).shape
    torch.Size([4])
    >>> d = ResNetDiscriminator(base_width=8, image_size=16, num_classes=10, pack=2)
    >>> d(torch.randn(4, 3, 16, 16), torch.tensor([1, 2, 3, 4])).shape
    torch.Size([2])
    """

    def __init__(
        self,
        channels: int = 3,
        base_width: int = 128,
        image_size: int = 32,
        spectral_norm: bool = True,
        num_classes: int | None = None,
        pack: int = 1,
        activation: str = "relu",
    ) -> None:
        super().__init__()
        _check_int("channels", channels, 1)
        _check_int("base_width", base_width, 1)
        _check_int("pack", pack, 1)
        log_size = _check_image_size(image_size)
        _check_num_classes(num_classes)
        if not isinstance(spectral_norm, bool):
            raise TypeError(f"spectral_norm must be a bool, got {type(spectral_norm).__name__}")
        if activation not in _ACTIVATIONS:
            raise ValueError(f"activation must be one of {list(_ACTIVATIONS)}, got {activation!r}")
        self.channels, self.base_width, self.image_size = channels, base_width, image_size
        self.num_classes, self.pack, self.activation = num_classes, pack, activation
        act: nn.Module = nn.ReLU() if activation == "relu" else nn.LeakyReLU(0.2)
        num_down = max(1, log_size - 3)  # halve down to 8x8 (4x4 for 8 px inputs)
        blocks = [_DownBlock(channels * pack, base_width, down=True, optimized=True, act=act)]
        blocks += [_DownBlock(base_width, base_width, True, False, act) for _ in range(num_down - 1)]
        blocks += [_DownBlock(base_width, base_width, False, False, act) for _ in range(2)]
        self.blocks = nn.Sequential(*blocks)
        self.act = act
        self.linear = nn.Linear(base_width, 1)
        _init_conv(self.linear, 1.0)
        self.embed: nn.Embedding | None = None
        if num_classes is not None:
            # One embedding row per (pack position, class): index = position * num_classes + label.
            self.embed = nn.Embedding(num_classes * pack, base_width)
            nn.init.xavier_uniform_(self.embed.weight)
        spectral_norm_if(self, spectral_norm)
        if spectral_norm and self.embed is not None:
            _spectral_norm(self.embed)  # the projection's SN embedding, as in the reference code

    def forward(self, x: Tensor, labels: Tensor | None = None) -> Tensor:
        expected = (self.channels, self.image_size, self.image_size)
        if x.dim() != 4 or tuple(x.shape[1:]) != expected:
            raise ValueError(f"x must have shape (N, {', '.join(map(str, expected))}), got {tuple(x.shape)}")
        h = self.blocks(pack_samples(x, self.pack))  # (N/pack, W, s, s)
        h = self.act(h).sum(dim=(2, 3))  # global sum pooling -> (N/pack, W)
        logits = self.linear(h).squeeze(1)  # (N/pack,)
        if self.embed is None:
            if labels is not None:
                raise ValueError("labels were given but this discriminator is unconditional (num_classes=None)")
            return logits
        if labels is None:
            raise ValueError(f"labels are required: this discriminator is conditional (num_classes={self.num_classes})")
        if labels.shape != (x.shape[0],):
            raise ValueError(f"labels must have shape ({x.shape[0]},), got {tuple(labels.shape)}")
        slots = torch.arange(self.pack, device=labels.device) * self.num_classes  # (pack,)
        idx = labels.reshape(-1, self.pack) + slots  # (N/pack, pack)
        proj = (self.embed(idx).sum(dim=1) * h).sum(dim=1)  # (N/pack,): sum_k <embed_k(y_k), h>
        return logits + proj
