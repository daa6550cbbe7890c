"""Every question the health monitor asks about the module it watches, answered in one place.

The monitor works with any LightningModule that has a ``generator`` and a ``discriminator``; for this library's own
:class:`~lightning_gans.gan.GAN` it can say more (the loss, the hyperparameters to name in remedies). Each query is
one small function here, so the rest of the package never inspects the engine directly.
"""

from __future__ import annotations

import torch
from torch import nn

# Losses whose discriminator output passes through a sigmoid: only for them is a saturated sigmoid a problem.
SIGMOID_LOSSES = ("minimax", "non_saturating")


def is_library_gan(module: nn.Module) -> bool:
    """True for this library's :class:`~lightning_gans.gan.GAN` (and its variants), whose arguments remedies name.

    >>> is_library_gan(nn.Linear(1, 1))
    False
    """
    from lightning_gans.gan import GAN  # imported here: the callbacks must not import the engine at import time

    return isinstance(module, GAN)


def network_of(module: nn.Module, optimizer: torch.optim.Optimizer) -> str | None:
    """``"g"`` when ``optimizer`` updates ``module.generator``, ``"d"`` for ``module.discriminator``, else ``None``.

    >>> m = nn.Module()
    >>> m.generator, m.discriminator = nn.Linear(2, 2), nn.Linear(2, 1)
    >>> network_of(m, torch.optim.SGD(m.discriminator.parameters(), lr=0.1))
    'd'
    """
    first = optimizer.param_groups[0]["params"][0]
    for key, name in (("g", "generator"), ("d", "discriminator")):
        if any(first is p for p in getattr(module, name).parameters()):
            return key
    return None


def loss_name(module: nn.Module) -> str | None:
    """The name of the module's loss (``"minimax"``, ``"hinge"``, ...) when it is ours and named, else ``None``."""
    if not is_library_gan(module):
        return None
    loss = module.hparams.get("loss")
    return loss if isinstance(loss, str) else None


def loss_is_sigmoid(module: nn.Module) -> bool:
    """Whether the discriminator's logits go through a sigmoid in the loss (so a saturated sigmoid starves G).

    Unknown losses (a custom callable, a foreign module) count as sigmoid-based: the saturation rule then stays on.

    >>> loss_is_sigmoid(nn.Linear(1, 1))
    True
    """
    name = loss_name(module)
    return name is None or name in SIGMOID_LOSSES


def hyperparameter(module: nn.Module, key: str) -> object:
    """One of our GAN's hyperparameters (``pack``, ``augment``, ``lr_d``, ...); ``None`` for foreign modules, whose
    hyperparameters of the same name may mean something else."""
    return module.hparams.get(key) if is_library_gan(module) else None
