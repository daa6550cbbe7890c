"""The monitor's view of the module it watches: every question it asks about that module, answered in one place.

The monitor works with any LightningModule that has a ``generator`` and a ``discriminator``; for this library's own
:class:`~lightning_gans.gan.GAN` it can say more (the loss, the hyperparameters to name in remedies). Each query is
one small function here, so the rest of the package never inspects a module directly. The networks are named as
the engine names them: ``"generator"`` and ``"discriminator"``.
"""

from __future__ import annotations

from collections.abc import Mapping

import torch
from torch import Tensor, nn


def is_library_gan(module: nn.Module) -> bool:
    """True for this library's :class:`~lightning_gans.gan.GAN` (and its variants), whose arguments remedies name.

    >>> is_library_gan(nn.Linear(1, 1))
    False
    """
    from lightning_gans.gan import GAN  # imported here: the callbacks must not import the engine at import time

    return isinstance(module, GAN)


def network_of(module: nn.Module, optimizer: torch.optim.Optimizer) -> str | None:
    """``"generator"`` or ``"discriminator"``: the network of ``module`` that ``optimizer`` updates, else ``None``.

    >>> m = nn.Module()
    >>> m.generator, m.discriminator = nn.Linear(2, 2), nn.Linear(2, 1)
    >>> network_of(m, torch.optim.SGD(m.discriminator.parameters(), lr=0.1))
    'discriminator'
    """
    if is_library_gan(module):
        return module.network_of(optimizer)  # the engine's one answer
    first = optimizer.param_groups[0]["params"][0]
    for name in ("generator", "discriminator"):
        if any(first is p for p in getattr(module, name).parameters()):
            return name
    return None


def loss_name(module: nn.Module) -> str | None:
    """The name of the module's loss (``"minimax"``, ``"hinge"``, ...) when it is ours and named, else ``None``."""
    if not is_library_gan(module) or module.loss.name == "custom":
        return None
    return module.loss.name


def loss_is_sigmoid(module: nn.Module) -> bool:
    """Whether the discriminator's logits go through a sigmoid in the loss (so a saturated sigmoid starves G).

    Unknown losses (a custom callable, a foreign module) count as sigmoid-based: the saturation rule then stays on.

    >>> loss_is_sigmoid(nn.Linear(1, 1))
    True
    """
    return module.loss.sigmoid if is_library_gan(module) else True


def hyperparameter(module: nn.Module, key: str) -> object:
    """One of our GAN's hyperparameters (``pack``, ``augment``, ``lr_d``, ...); ``None`` for foreign modules, whose
    hyperparameters of the same name may mean something else."""
    if not is_library_gan(module):
        return None
    if key == "pack":
        return module.pack
    for group in (module.optimization, module.regularization):
        if hasattr(group, key):
            return getattr(group, key)
    networks = module.hparams.get("networks")  # variants record the network options they built
    if isinstance(networks, Mapping) and key in networks:
        return networks[key]
    return module.hparams.get(key)


def step_value(module: nn.Module, key: str) -> Tensor | None:
    """The value our engine recorded under ``key`` (``loss/d``, ...) at its last step, read without ``self.log``.

    ``None`` for foreign modules (their values come from ``trainer.callback_metrics``) or a key not recorded.
    """
    return getattr(module, "step_stats", {}).get(key) if is_library_gan(module) else None
