"""The one place where images change representation.

Images live in ``[-1, 1]`` float tensors inside the library; metrics and image files want ``uint8`` in ``[0, 255]``.
"""

import torch
from torch import Tensor


def to_unit_range(images: Tensor) -> Tensor:
    """Map images from ``[-1, 1]`` to ``[0, 1]`` (clamped), for saving and plotting.

    >>> to_unit_range(torch.tensor([-2.0, -1.0, 0.0, 1.0, 3.0]))
    tensor([0.0000, 0.0000, 0.5000, 1.0000, 1.0000])
    """
    return ((images.float() + 1.0) / 2.0).clamp_(0.0, 1.0)


def to_uint8(images: Tensor) -> Tensor:
    """Map images from ``[-1, 1]`` to ``uint8`` in ``[0, 255]``, clamped and rounded.

    Clamping first matters: a generator output of 1.01 must become 255, never wrap around to 2.

    >>> to_uint8(torch.tensor([-1.5, -1.0, 0.0, 1.0, 1.01]))
    tensor([  0,   0, 128, 255, 255], dtype=torch.uint8)
    """
    return (to_unit_range(images) * 255.0).round_().to(torch.uint8)


def enlarge_for_viewing(image: Tensor, target: int = 768) -> Tensor:
    """Enlarge a small picture ``(C, H, W)`` by the largest whole factor that keeps its longer side <= ``target``.

    Nearest-neighbour: every pixel becomes a ``k x k`` block, so the picture shows exactly the pixels generated, only
    big enough to judge (a grid of 64 digits at 28 px is 242 px wide). Pictures already that large are unchanged.

    >>> enlarge_for_viewing(torch.zeros(3, 242, 242)).shape
    torch.Size([3, 726, 726])
    >>> enlarge_for_viewing(torch.tensor([[[0.0, 1.0]]]), target=4)
    tensor([[[0., 0., 1., 1.],
             [0., 0., 1., 1.]]])
    """
    factor = max(1, target // max(image.shape[-2:]))
    return image.repeat_interleave(factor, dim=-2).repeat_interleave(factor, dim=-1) if factor > 1 else image
