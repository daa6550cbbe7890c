"""Small discriminator-side building blocks against mode collapse.

* :func:`pack_samples` — PacGAN packing (Lin et al. 2018): the discriminator judges ``pack`` samples at once, so a
  generator that repeats itself is easy to spot.
* :func:`spectral_norm_if` — spectral normalisation (Miyato et al. 2018) switched by a flag.
* :class:`MinibatchStdDev` — ProGAN's minibatch standard deviation channel (Karras et al. 2018).
* :class:`MinibatchDiscrimination` — minibatch discrimination features (Salimans et al. 2016).

And one generator-side layer:

* :class:`ConditionalBatchNorm2d` — class-conditional BatchNorm (de Vries et al. 2017; the conditional generators of
  Miyato & Koyama 2018, SNGAN and BigGAN).
"""

from __future__ import annotations

import torch
from torch import Tensor, nn
from torch.nn.utils.parametrizations import spectral_norm

from lightning_gans.checks import check_int

_SN_TYPES = (nn.Linear, nn.Conv1d, nn.Conv2d, nn.Conv3d, nn.ConvTranspose1d, nn.ConvTranspose2d, nn.ConvTranspose3d)


def pack_samples(x: Tensor, pack: int) -> Tensor:
    """Group ``pack`` consecutive samples into one discriminator input (PacGAN, Lin et al. 2018).

    ``(N, C, H, W) -> (N // pack, pack * C, H, W)`` and ``(N, D) -> (N // pack, pack * D)``: samples
    ``k * pack ... k * pack + pack - 1`` become packed sample ``k``, concatenated along the feature/channel axis.

    >>> x = torch.arange(8.0).reshape(4, 2)
    >>> pack_samples(x, 2)
    tensor([[0., 1., 2., 3.],
            [4., 5., 6., 7.]])
    >>> pack_samples(torch.zeros(6, 3, 8, 8), 3).shape
    torch.Size([2, 9, 8, 8])
    """
    if isinstance(pack, bool) or not isinstance(pack, int) or pack < 1:
        raise ValueError(f"pack must be an integer >= 1, got {pack!r}")
    if x.dim() < 2:
        raise ValueError(f"x must have a batch and a feature dimension (>= 2 dims), got shape {tuple(x.shape)}")
    n = x.shape[0]
    if n % pack != 0:
        raise ValueError(f"batch size {n} is not divisible by pack={pack}; use a batch size that is a multiple of pack")
    if pack == 1:
        return x
    # (N, C, *rest) -> (N // pack, pack, C, *rest) -> (N // pack, pack * C, *rest); row-major keeps neighbours together.
    return x.reshape(n // pack, pack * x.shape[1], *x.shape[2:])


def spectral_norm_if(module: nn.Module, enabled: bool) -> nn.Module:
    """Apply spectral normalisation (Miyato et al. 2018) to every Linear/Conv layer in ``module`` when ``enabled``.

    Uses :func:`torch.nn.utils.parametrizations.spectral_norm` (one power iteration per training forward pass).
    The module is changed in place and returned, so it can wrap a constructor call.

    >>> layer = spectral_norm_if(nn.Linear(3, 2), True)
    >>> hasattr(layer, "parametrizations")
    True
    >>> hasattr(spectral_norm_if(nn.Linear(3, 2), False), "parametrizations")
    False
    """
    if not isinstance(enabled, bool):
        raise TypeError(f"enabled must be a bool, got {type(enabled).__name__}")
    if not isinstance(module, nn.Module):
        raise TypeError(f"module must be an nn.Module, got {type(module).__name__}")
    if not enabled:
        return module
    for sub in list(module.modules()):
        if isinstance(sub, _SN_TYPES) and not _has_spectral_norm(sub):
            spectral_norm(sub)
    return module


def _has_spectral_norm(module: nn.Module) -> bool:
    plist = getattr(module, "parametrizations", None)
    return plist is not None and "weight" in plist


class MinibatchStdDev(nn.Module):
    """Append the minibatch standard deviation as extra feature(s) (ProGAN, Karras et al. 2018, section 3).

    The batch is split into groups of ``group_size`` *consecutive* samples (sample ``n`` is in group
    ``n // group_size``). Within a group the standard deviation of every feature is taken over the group members,
    averaged over the features (and pixels), and appended to every member of the group: a collapsed generator
    produces groups with near-zero spread, which the discriminator can see directly. With ``num_channels > 1`` the
    channels (or features) are split into that many equal parts, each giving one statistic (as in StyleGAN2).

    * ``(N, C, H, W) -> (N, C + num_channels, H, W)``; ``(N, D) -> (N, D + num_channels)``.
    * The group size is clipped to the batch size; if the batch is not divisible by it, the largest divisor of
      the batch size that is not larger is used (so an odd last batch never fails).
    * The standard deviation is the population one, ``sqrt(mean((x - mean)^2) + 1e-8)``.

    >>> layer = MinibatchStdDev(group_size=2)
    >>> x = torch.tensor([[0.0, 0.0], [2.0, 2.0], [1.0, 1.0], [1.0, 3.0]])
    >>> layer(x)[:, -1].round(decimals=4)
    tensor([1.0000, 1.0000, 0.5000, 0.5000])
    """

    def __init__(self, group_size: int = 4, num_channels: int = 1) -> None:
        super().__init__()
        if isinstance(group_size, bool) or not isinstance(group_size, int) or group_size < 1:
            raise ValueError(f"group_size must be an integer >= 1, got {group_size!r}")
        if isinstance(num_channels, bool) or not isinstance(num_channels, int) or num_channels < 1:
            raise ValueError(f"num_channels must be an integer >= 1, got {num_channels!r}")
        self.group_size = group_size
        self.num_channels = num_channels

    def extra_repr(self) -> str:
        return f"group_size={self.group_size}, num_channels={self.num_channels}"

    def forward(self, x: Tensor) -> Tensor:
        if x.dim() not in (2, 4):
            raise ValueError(f"x must be (N, D) or (N, C, H, W), got shape {tuple(x.shape)}")
        flat = x.dim() == 2
        y = x[:, :, None, None] if flat else x  # (N, C, H, W)
        n, c, h, w = y.shape
        f = self.num_channels
        if c % f != 0:
            raise ValueError(f"num_channels={f} must divide the number of channels/features, got {c}")
        g = _largest_divisor_at_most(n, self.group_size)
        # (N, C, H, W) -> (M, G, F, C/F, H, W) with M = N / G groups of consecutive samples.
        z = y.float().reshape(n // g, g, f, c // f, h, w)
        z = z - z.mean(dim=1, keepdim=True)
        std = (z.square().mean(dim=1) + 1e-8).sqrt()  # (M, F, C/F, H, W): spread over the group
        stat = std.mean(dim=(2, 3, 4))  # (M, F): one number per group and channel split
        stat = stat.repeat_interleave(g, dim=0).to(x.dtype)  # (N, F): back to every group member
        if flat:
            return torch.cat([x, stat], dim=1)
        return torch.cat([x, stat[:, :, None, None].expand(n, f, h, w)], dim=1)


def _largest_divisor_at_most(n: int, k: int) -> int:
    for g in range(min(n, k), 0, -1):
        if n % g == 0:
            return g
    return 1


class MinibatchDiscrimination(nn.Module):
    """Minibatch discrimination features (Salimans et al. 2016, "Improved Techniques for Training GANs", 3.2).

    A learned tensor ``T`` of shape ``(in_features, num_kernels * kernel_dim)`` maps each sample to ``num_kernels``
    rows ``M_i,b`` of length ``kernel_dim``. For every pair of samples the closeness
    ``c_b(i, j) = exp(-||M_i,b - M_j,b||_1)`` is summed over the *other* samples ``j != i``, giving
    ``o(x_i)_b``, which is concatenated to the input: ``(N, in_features) -> (N, in_features + num_kernels)``.
    Samples that all look alike get large ``o`` values, so the discriminator can penalise a collapsed batch.

    ``T`` starts at ``N(0, 1 / (kernel_dim^2 * in_features))`` so that the L1 distances of unit-scale inputs start
    around 1, where ``exp(-d)`` still has useful gradient (a large init makes every ``c`` zero).

    >>> layer = MinibatchDiscrimination(in_features=5, num_kernels=3, kernel_dim=2)
    >>> layer(torch.randn(4, 5)).shape
    torch.Size([4, 8])
    >>> layer(torch.zeros(4, 5))[:, 5:].detach()  # identical samples: each sees 3 others at distance 0
    tensor([[3., 3., 3.],
            [3., 3., 3.],
            [3., 3., 3.],
            [3., 3., 3.]])
    """

    def __init__(self, in_features: int, num_kernels: int, kernel_dim: int) -> None:
        super().__init__()
        for name, value in (("in_features", in_features), ("num_kernels", num_kernels), ("kernel_dim", kernel_dim)):
            if isinstance(value, bool) or not isinstance(value, int) or value < 1:
                raise ValueError(f"{name} must be an integer >= 1, got {value!r}")
        self.in_features = in_features
        self.num_kernels = num_kernels
        self.kernel_dim = kernel_dim
        self.T = nn.Parameter(torch.empty(in_features, num_kernels * kernel_dim))
        nn.init.normal_(self.T, std=1.0 / (kernel_dim * in_features**0.5))

    def extra_repr(self) -> str:
        return f"in_features={self.in_features}, num_kernels={self.num_kernels}, kernel_dim={self.kernel_dim}"

    def forward(self, x: Tensor) -> Tensor:
        if x.dim() != 2 or x.shape[1] != self.in_features:
            raise ValueError(f"x must have shape (N, {self.in_features}), got {tuple(x.shape)}")
        n = x.shape[0]
        m = (x @ self.T).reshape(n, self.num_kernels, self.kernel_dim)  # (N, B, C)
        # Pairwise L1 distances by broadcasting (N, 1, B, C) - (1, N, B, C) -> (N, N, B); abs() keeps
        # double backward (gradient penalties) working, unlike cdist(p=1).
        dist = (m[:, None] - m[None, :]).abs().sum(dim=3)
        closeness = torch.exp(-dist)  # (N, N, B)
        not_self = 1.0 - torch.eye(n, device=x.device, dtype=closeness.dtype)  # exclude j == i
        o = (closeness * not_self[:, :, None]).sum(dim=1)  # (N, B)
        return torch.cat([x, o.to(x.dtype)], dim=1)


class ConditionalBatchNorm2d(nn.Module):
    """Class-conditional BatchNorm: ``BN(x) * (1 + W_g c) + W_b c`` for a condition vector ``c`` (a class embedding).

    The batch statistics are shared by all classes (a plain ``BatchNorm2d`` without affine parameters); the scale and
    shift applied after normalisation are linear functions of the condition (de Vries et al. 2017). With one-hot
    conditions that is one learned scale and shift per class and channel (Miyato & Koyama 2018, SNGAN); with a learned
    class embedding shared by all layers it is BigGAN's form (Brock et al. 2019), which learns the class much faster:
    an update of ``W`` moves every class at once. The class then modulates *every* layer of the generator, not only
    its input. ``W_g`` and ``W_b`` start at zero, so a new layer is exactly ``BatchNorm2d``.

    ``x (N, C, H, W), condition (N, condition_dim) -> (N, C, H, W)``.

    >>> layer = ConditionalBatchNorm2d(num_features=3, condition_dim=2)
    >>> x = torch.randn(8, 3, 4, 4)
    >>> one_hot = nn.functional.one_hot(torch.tensor([0, 1] * 4), 2).float()
    >>> torch.allclose(layer(x, one_hot), nn.BatchNorm2d(3)(x), atol=1e-6)
    True
    >>> with torch.no_grad():
    ...     layer.bias.weight[:, 1] = 5.0  # condition (0, 1) shifts every channel by 5
    >>> first, second = torch.tensor([[1.0, 0.0]]).expand(8, 2), torch.tensor([[0.0, 1.0]]).expand(8, 2)
    >>> (layer(x, second) - layer(x, first)).detach().unique()
    tensor([5.])
    """

    def __init__(self, num_features: int, condition_dim: int, eps: float = 1e-5, momentum: float = 0.1) -> None:
        super().__init__()
        self.num_features = check_int("num_features", num_features, minimum=1)
        self.condition_dim = check_int("condition_dim", condition_dim, minimum=1)
        self.norm = nn.BatchNorm2d(num_features, eps=eps, momentum=momentum, affine=False)
        self.gain = nn.Linear(condition_dim, num_features, bias=False)
        self.bias = nn.Linear(condition_dim, num_features, bias=False)
        nn.init.zeros_(self.gain.weight)
        nn.init.zeros_(self.bias.weight)

    def extra_repr(self) -> str:
        return f"num_features={self.num_features}, condition_dim={self.condition_dim}"

    def forward(self, x: Tensor, condition: Tensor) -> Tensor:
        if x.dim() != 4 or condition.shape != (x.shape[0], self.condition_dim):
            raise ValueError(
                f"x must be (N, C, H, W) with condition (N, {self.condition_dim}), got x {tuple(x.shape)} and "
                f"condition {tuple(condition.shape)}"
            )
        gain = 1.0 + self.gain(condition)[:, :, None, None]  # (N, C, 1, 1): broadcast over the positions
        return self.norm(x) * gain + self.bias(condition)[:, :, None, None]
