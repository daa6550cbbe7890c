"""Differentiable augmentation for GAN training (DiffAugment, Zhao et al. 2020).

The discriminator overfits small data sets and then stops giving the generator useful gradients. DiffAugment
applies the *same kind* of random, differentiable transformation to real and fake images before the discriminator
sees them (in both the D and the G step), so D cannot memorise the real set and gradients still reach G through
the augmentation. Each sample in a batch draws its own random parameters.
"""

from __future__ import annotations

import torch
import torch.nn.functional as F
from torch import Tensor, nn

#: The policy names DiffAugment understands, in the order they are applied.
ALLOWED_POLICIES = ("color", "translation", "cutout")


class DiffAugment(nn.Module):
    """Random differentiable color / translation / cutout for images in ``[-1, 1]`` (Zhao et al. 2020).

    Args:
        policy: comma-separated subset of ``"color"``, ``"translation"``, ``"cutout"``; ``""`` is the identity.
            The operations always run in that order, as in the paper.
        translation_ratio: the largest shift, as a fraction of the image side (shifted-in pixels are 0).
        cutout_ratio: side of the zeroed square, as a fraction of the image side.
        generator: optional :class:`torch.Generator` (on the images' device) for the random parameters. By default
            the global torch RNG is used, so seeding / checkpointing the global RNG makes runs reproducible.

    ``color`` draws per sample: brightness ``+ U(-0.5, 0.5)``, saturation ``x U(0, 2)`` around the per-pixel
    channel mean, contrast ``x U(0.5, 1.5)`` around the per-image mean. ``translation`` shifts by an integer number
    of pixels in ``[-r * side, r * side]`` per axis. ``cutout`` zeroes a square at a random centre (it may be
    clipped by the border). All operations are differentiable w.r.t. the images.

    >>> aug = DiffAugment("color,translation,cutout")
    >>> x = torch.rand(4, 3, 16, 16) * 2 - 1
    >>> aug(x).shape
    torch.Size([4, 3, 16, 16])
    >>> torch.equal(DiffAugment("")(x), x)
    True
    """

    def __init__(
        self,
        policy: str = "color,translation,cutout",
        translation_ratio: float = 0.125,
        cutout_ratio: float = 0.5,
        generator: torch.Generator | None = None,
    ) -> None:
        super().__init__()
        self.ops = parse_policy(policy)
        if not 0.0 <= float(translation_ratio) < 1.0:
            raise ValueError(f"translation_ratio must be in [0, 1), got {translation_ratio!r}")
        if not 0.0 <= float(cutout_ratio) <= 1.0:
            raise ValueError(f"cutout_ratio must be in [0, 1], got {cutout_ratio!r}")
        if generator is not None and not isinstance(generator, torch.Generator):
            raise TypeError(f"generator must be a torch.Generator or None, got {type(generator).__name__}")
        self.policy = ",".join(self.ops)
        self.translation_ratio = float(translation_ratio)
        self.cutout_ratio = float(cutout_ratio)
        self.generator = generator

    def extra_repr(self) -> str:
        return f"policy={self.policy!r}, translation_ratio={self.translation_ratio}, cutout_ratio={self.cutout_ratio}"

    def forward(self, x: Tensor) -> Tensor:
        if x.dim() != 4:
            raise ValueError(f"x must be images of shape (N, C, H, W), got shape {tuple(x.shape)}")
        for op in self.ops:
            if op == "color":
                x = self._color(x)
            elif op == "translation":
                x = self._translation(x)
            else:
                x = self._cutout(x)
        return x

    def _rand(self, *shape: int, like: Tensor) -> Tensor:
        return torch.rand(*shape, generator=self.generator, device=like.device, dtype=like.dtype)

    def _randint(self, low: int, high: int, n: int, like: Tensor) -> Tensor:
        return torch.randint(low, high, (n,), generator=self.generator, device=like.device)

    def _color(self, x: Tensor) -> Tensor:
        n = x.shape[0]
        x = x + (self._rand(n, 1, 1, 1, like=x) - 0.5)  # brightness
        mean = x.mean(dim=1, keepdim=True)  # (N, 1, H, W): grey level per pixel
        x = (x - mean) * (self._rand(n, 1, 1, 1, like=x) * 2.0) + mean  # saturation
        mean = x.mean(dim=(1, 2, 3), keepdim=True)  # (N, 1, 1, 1): mean intensity per image
        return (x - mean) * (self._rand(n, 1, 1, 1, like=x) + 0.5) + mean  # contrast

    def _translation(self, x: Tensor) -> Tensor:
        n, _, h, w = x.shape
        sh, sw = int(h * self.translation_ratio + 0.5), int(w * self.translation_ratio + 0.5)
        if sh == 0 and sw == 0:
            return x
        dy = self._randint(-sh, sh + 1, n, x)  # (N,) shift down by dy
        dx = self._randint(-sw, sw + 1, n, x)  # (N,) shift right by dx
        padded = F.pad(x, [sw, sw, sh, sh])  # zeros flow in from the border
        # out[n, :, i, j] = padded[n, :, i - dy + sh, j - dx + sw], gathered by advanced indexing (differentiable).
        rows = torch.arange(h, device=x.device)[None, :] - dy[:, None] + sh  # (N, H)
        cols = torch.arange(w, device=x.device)[None, :] - dx[:, None] + sw  # (N, W)
        idx = torch.arange(n, device=x.device)[:, None, None]
        out = padded.permute(0, 2, 3, 1)[idx, rows[:, :, None], cols[:, None, :]]  # (N, H, W, C)
        return out.permute(0, 3, 1, 2)

    def _cutout(self, x: Tensor) -> Tensor:
        n, _, h, w = x.shape
        ch, cw = int(h * self.cutout_ratio + 0.5), int(w * self.cutout_ratio + 0.5)
        if ch == 0 or cw == 0:
            return x
        # Centre anywhere in the image; the square [cy - ch//2, cy - ch//2 + ch) is clipped by the border.
        top = self._randint(0, h + (1 - ch % 2), n, x) - ch // 2  # (N,)
        left = self._randint(0, w + (1 - cw % 2), n, x) - cw // 2  # (N,)
        rows = torch.arange(h, device=x.device)[None, :] - top[:, None]  # (N, H)
        cols = torch.arange(w, device=x.device)[None, :] - left[:, None]  # (N, W)
        inside = ((rows >= 0) & (rows < ch))[:, :, None] & ((cols >= 0) & (cols < cw))[:, None, :]  # (N, H, W)
        return x * (~inside).to(x.dtype)[:, None]


def parse_policy(policy: str) -> tuple[str, ...]:
    """Split a DiffAugment policy string into operation names, validated and in the canonical order.

    >>> parse_policy("cutout, color")
    ('color', 'cutout')
    >>> parse_policy("")
    ()
    """
    if not isinstance(policy, str):
        raise TypeError(f"policy must be a comma-separated string, got {type(policy).__name__}")
    names = [p.strip() for p in policy.split(",") if p.strip()]
    unknown = [p for p in names if p not in ALLOWED_POLICIES]
    if unknown:
        allowed = list(ALLOWED_POLICIES)
        raise ValueError(f"policy has unknown operation(s) {unknown}; allowed: {allowed} (got {policy!r})")
    return tuple(op for op in ALLOWED_POLICIES if op in names)
