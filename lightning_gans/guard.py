"""Divergence guard: a non-finite loss or gradient stops training (or skips the step) before it reaches the weights."""

from __future__ import annotations

from typing import TYPE_CHECKING

import torch
from torch import Tensor, nn

if TYPE_CHECKING:
    from lightning_gans.gan import GAN


class GANDivergenceError(RuntimeError):
    """Raised when a GAN's loss or gradients become non-finite; the message names the network and the step."""


class DivergenceGuard:
    """Checks each update of a :class:`~lightning_gans.gan.GAN` for non-finite losses and gradients.

    ``policy="raise"`` stops training with :class:`GANDivergenceError` *before* the bad update is applied, so the
    weights and every checkpoint already written stay finite. ``policy="skip"`` drops the update and goes on; after
    ``patience`` consecutive skipped updates it raises anyway (a run that only skips is not training).

    >>> guard = DivergenceGuard("skip", patience=3)
    >>> guard.policy, guard.skipped_steps
    ('skip', 0)
    """

    def __init__(self, policy: str = "raise", patience: int = 10) -> None:
        if policy not in ("raise", "skip"):
            raise ValueError(f"on_nonfinite must be 'raise' or 'skip', got {policy!r}")
        self.policy, self.patience = policy, patience
        self.skipped_steps = 0
        self._consecutive = {"generator": 0, "discriminator": 0}  # per network: one may fail while the other works

    def loss_is_bad(self, gan: GAN, loss: Tensor, network: str, reported_loss: Tensor) -> bool:
        """True when the update must be skipped; raises under ``policy="raise"``. Syncs once per update."""
        bad = not bool(torch.isfinite(loss.detach()).item())
        if gan.trainer.world_size > 1:  # every rank must take the same decision, or DDP hangs
            bad = gan.trainer.strategy.reduce_boolean_decision(bad, all=False)
        if not bad:
            self._consecutive[network] = 0
            return False
        what = f"its loss is {float(reported_loss):.4g} (checked value {float(loss.detach()):.4g})"
        self._handle(gan, network, what)
        return True

    def check_gradients(self, gan: GAN, module: nn.Module, network: str, norm: Tensor) -> None:
        """Called with the total gradient norm right before the step; on a non-finite norm, raise or drop the grads."""
        if bool(torch.isfinite(norm).item()):
            return
        self._handle(gan, network, f"its gradient norm is {float(norm):.4g} (the loss was finite)")
        for p in module.parameters():
            p.grad = None  # the optimizer skips parameters without gradients: the update is dropped

    def _handle(self, gan: GAN, network: str, what: str) -> None:
        self.skipped_steps += 1
        self._consecutive[network] += 1
        message = (
            f"the {network} diverged at generator step {gan.generator_steps}, discriminator step "
            f"{gan.discriminator_steps} (trainer.global_step {gan.trainer.global_step}): {what}. "
            f"Non-finite weights: {_nonfinite_weights(gan)}. The update was not applied, so the weights are those "
            "from before the divergence and checkpoints already written are intact. Remedies: lower lr_d / lr_g, "
            "set grad_clip_norm, add gp_weight or r1_weight, or try precision='bf16-mixed' instead of '16-mixed'."
        )
        if self.policy == "raise":
            raise GANDivergenceError(message)
        if self._consecutive[network] > self.patience:
            raise GANDivergenceError(
                f"{self._consecutive[network]} consecutive {network} updates skipped (patience={self.patience}); last: {message}"
            )
        gan.log("guard/skipped_steps", float(self.skipped_steps), on_step=True, on_epoch=False)


def _nonfinite_weights(gan: GAN) -> str:
    names = [
        name
        for name, net in (("generator", gan.generator), ("discriminator", gan.discriminator))
        if any(not torch.isfinite(p).all() for p in net.parameters())
    ]
    return ", ".join(names) if names else "none"
