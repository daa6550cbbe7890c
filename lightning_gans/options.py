"""The engine's training options, in two small groups whose defaults every signature shows in full.

:class:`Optimization` says how the two networks are updated, :class:`Regularization` what is added to the
discriminator's task. Both are frozen dataclasses: a variant puts an instance with its paper's values in its own
signature, so ``help(WGANGP)`` and ``lightning-gans fit --print_config`` show what will be trained. A group
remembers which fields its caller set (:mod:`lightning_gans.option_group`): a variant keeps its own values for the
others, so ``WGANGP(optimization=Optimization(lr_d=4e-4))`` is still WGAN-GP with 5 critic steps::

    >>> from lightning_gans import WGANGP
    >>> opt = WGANGP(data_dim=2, optimization=Optimization(lr_d=4e-4)).optimization
    >>> opt.lr_g, opt.lr_d, opt.n_critic, opt.betas_d
    (0.0001, 0.0004, 5, (0.0, 0.9))
    >>> Optimization(n_critic=0)
    Traceback (most recent call last):
    ...
    ValueError: n_critic must be an int >= 1, got 0

Checkpoints store each group as a plain mapping of its fields (``torch.load(weights_only=True)`` then works);
:func:`~lightning_gans.option_group.as_options` turns such a mapping back into the group.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import asdict
from typing import Any

import torch
from torch import nn
from torch.optim import Optimizer

from lightning_gans.augment import DiffAugment
from lightning_gans.checks import check_choice, check_int, check_number, check_positive_number
from lightning_gans.nets.factory import NetworkOptions
from lightning_gans.option_group import as_options, option_group

__all__ = ["Optimization", "Regularization", "as_options", "options_as_dict"]

OPTIMIZERS = ("adam", "rmsprop")
LR_DECAYS = (None, "linear", "cosine")
UPDATES = ("alternating", "simultaneous")


@option_group
class Optimization:
    """How G and D are updated.

    Args:
        optimizer: ``"adam"`` or ``"rmsprop"`` (the original WGAN's choice; ``betas`` are then unused).
        lr_g / lr_d: learning rates of G and D (different values: TTUR, Heusel et al. 2017).
        betas_g / betas_d: Adam's ``(β1, β2)`` for each network.
        n_critic: D updates per G update, each on its own real batch.
        g_steps: G updates per D update (VEEGAN's and PacGAN's stacked-MNIST setting: 2), each on fresh latents
            (the first reuses the D phase's fakes); ``n_critic`` and ``g_steps`` cannot both exceed 1.
        update: ``"alternating"``: D is updated, then G against the updated D. ``"simultaneous"``: the gradients of
            D's loss w.r.t. D and of G's loss w.r.t. G are taken at the same weights on the same fakes, then both
            steps are applied (PacGAN's released code); needs ``n_critic == g_steps == 1``.
        grad_clip_norm: clip each network's total gradient norm (after AMP unscaling); ``None`` = off.
        lr_decay: ``"linear"`` or ``"cosine"`` decay of both learning rates to 0 over ``lr_decay_steps`` G steps.
    """

    optimizer: str = "adam"
    lr_g: float = 2e-4
    lr_d: float = 2e-4
    betas_g: tuple[float, float] = (0.5, 0.999)
    betas_d: tuple[float, float] = (0.5, 0.999)
    n_critic: int = 1
    g_steps: int = 1
    update: str = "alternating"
    grad_clip_norm: float | None = None
    lr_decay: str | None = None
    lr_decay_steps: int | None = None

    def __post_init__(self) -> None:
        check_choice("optimizer", self.optimizer, OPTIMIZERS)
        check_positive_number("lr_g", self.lr_g)
        check_positive_number("lr_d", self.lr_d)
        for name in ("betas_g", "betas_d"):
            betas = getattr(self, name)
            if isinstance(betas, (str, bytes)) or not isinstance(betas, (tuple, list)):
                raise TypeError(
                    f"{name} must be two numbers (beta1, beta2) in [0, 1), e.g. (0.5, 0.999); "
                    f"got {betas!r} ({type(betas).__name__})"
                )
            betas = tuple(betas)
            if len(betas) != 2:
                raise ValueError(f"{name} must be two numbers in [0, 1), got {betas!r}")
            for beta in betas:
                check_number(name, beta, low=0.0, high=1.0, high_inclusive=False)
            object.__setattr__(self, name, betas)  # a YAML list becomes the tuple the signature shows
        check_int("n_critic", self.n_critic, minimum=1)
        check_int("g_steps", self.g_steps, minimum=1)
        check_choice("update", self.update, UPDATES)
        if self.n_critic > 1 and self.g_steps > 1:
            raise ValueError(
                f"n_critic and g_steps cannot both exceed 1 (one of the networks takes one step per iteration), "
                f"got n_critic={self.n_critic}, g_steps={self.g_steps}"
            )
        if self.update == "simultaneous" and (self.n_critic > 1 or self.g_steps > 1):
            raise ValueError(
                "update='simultaneous' takes one D and one G step from each batch: it needs n_critic=1 and g_steps=1, "
                f"got n_critic={self.n_critic}, g_steps={self.g_steps}"
            )
        if self.grad_clip_norm is not None:
            check_positive_number("grad_clip_norm", self.grad_clip_norm)
        check_choice("lr_decay", self.lr_decay, LR_DECAYS)
        if self.lr_decay is None and self.lr_decay_steps is not None:
            raise ValueError(
                f"lr_decay_steps applies with lr_decay='linear' or 'cosine'; got lr_decay_steps={self.lr_decay_steps!r} "
                "with lr_decay=None (set lr_decay too, or drop lr_decay_steps)"
            )
        if self.lr_decay is not None:
            check_int(f"lr_decay_steps (generator steps of lr_decay={self.lr_decay!r})", self.lr_decay_steps, minimum=1)

    def optimizers(self, generator: nn.Module, discriminator: nn.Module) -> tuple[Optimizer, Optimizer]:
        """``(G's optimizer, D's optimizer)`` with these settings.

        >>> opt_g, opt_d = Optimization(lr_d=1e-3).optimizers(torch.nn.Linear(2, 2), torch.nn.Linear(2, 1))
        >>> type(opt_d).__name__, opt_d.param_groups[0]["lr"], opt_g.param_groups[0]["betas"]
        ('Adam', 0.001, (0.5, 0.999))
        """
        made = []
        for network, lr, betas in ((generator, self.lr_g, self.betas_g), (discriminator, self.lr_d, self.betas_d)):
            if self.optimizer == "rmsprop":
                made.append(torch.optim.RMSprop(network.parameters(), lr=lr))
            else:
                made.append(torch.optim.Adam(network.parameters(), lr=lr, betas=tuple(betas)))
        return made[0], made[1]

    def scheduler(self, optimizer: Optimizer) -> torch.optim.lr_scheduler.LRScheduler:
        """The ``lr_decay`` schedule of one optimizer, stepped once per generator step by the engine."""
        if self.lr_decay == "linear":
            return torch.optim.lr_scheduler.LinearLR(
                optimizer, start_factor=1.0, end_factor=0.0, total_iters=self.lr_decay_steps
            )
        return torch.optim.lr_scheduler.CosineAnnealingLR(optimizer, T_max=self.lr_decay_steps)


@option_group
class Regularization:
    """What is added to the discriminator's task to keep the game trainable.

    Args:
        gp_weight: λ of the WGAN-GP gradient penalty (Gulrajani et al. 2017); 0 = off.
        r1_weight / r1_interval: γ of the R1 penalty (Mescheder et al. 2018), applied every ``r1_interval`` D steps
            (lazy regularization, StyleGAN2); 0 = off.
        weight_clip: clip D's weights to ``[-c, c]`` after each step (original WGAN); ``None`` = off.
        label_smoothing: one-sided: real targets become ``1 - label_smoothing`` (classifier losses only).
        instance_noise / instance_noise_steps: Gaussian noise std on D's inputs, annealed to 0 over that many G
            steps (0 steps = constant).
        augment: DiffAugment policy for real and fake D inputs, e.g. ``"color,translation,cutout"``; ``None`` = off.
    """

    gp_weight: float = 0.0
    r1_weight: float = 0.0
    r1_interval: int = 1
    weight_clip: float | None = None
    label_smoothing: float = 0.0
    instance_noise: float = 0.0
    instance_noise_steps: int = 0
    augment: str | None = None

    def __post_init__(self) -> None:
        for name in ("gp_weight", "r1_weight", "instance_noise"):
            check_number(name, getattr(self, name), low=0.0)
        check_int("r1_interval", self.r1_interval, minimum=1)
        check_int("instance_noise_steps", self.instance_noise_steps, minimum=0)
        if self.weight_clip is not None:
            check_positive_number("weight_clip", self.weight_clip)
        check_number("label_smoothing", self.label_smoothing, low=0.0, high=1.0, high_inclusive=False)
        if self.augment is not None:
            DiffAugment(self.augment)  # raises on an unknown policy


def options_as_dict(hparams: Mapping[str, Any]) -> dict[str, Any]:
    """The option groups among ``hparams`` as plain mappings of their fields (as checkpoints and YAML hold them)."""
    groups = (Optimization, Regularization, NetworkOptions)
    return {key: asdict(value) for key, value in hparams.items() if isinstance(value, groups)}
