"""Discriminator regularizers as pure functions, correct under fp32, bf16 autocast and the fp16 GradScaler.

Both penalties need the gradient of the critic output with respect to its *input*. Under the fp16 GradScaler that
gradient can underflow in half precision, so the caller passes the scaler's current scale: the output is multiplied by
it before ``autograd.grad`` and the gradient divided by it afterwards (the recipe of the PyTorch AMP notes,
"Gradient penalty"), and the norm is taken in fp32. The weights (λ, γ) and the lazy interval are applied by the engine.

>>> critic = torch.nn.Linear(3, 1, bias=False)
>>> with torch.no_grad():
...     _ = critic.weight.copy_(torch.tensor([[3.0, 0.0, 4.0]]))  # |w| = 5
>>> x = torch.randn(8, 3)
>>> float(gradient_penalty(lambda v: critic(v).squeeze(1), x, torch.randn(8, 3)))  # (|w| - 1)^2
16.0
>>> float(r1_penalty(lambda v: critic(v).squeeze(1), x))  # |w|^2
25.0
"""

from __future__ import annotations

from collections.abc import Callable

import torch
from torch import Tensor

Critic = Callable[[Tensor], Tensor]


def input_gradient_norms(critic: Critic, inputs: Tensor, grad_scale: float | None = None) -> Tensor:
    """L2 norm of ``d critic / d inputs`` per critic output, in fp32, differentiable (``create_graph=True``).

    ``inputs`` must require grad. A packed critic (PacGAN) returns one logit per group of samples; the norm is then
    taken over each group's inputs, which is the gradient of that group's logit.
    """
    outputs = critic(inputs)  # (G,) logits, G = N / pack
    scale = 1.0 if grad_scale is None else float(grad_scale)
    (grads,) = torch.autograd.grad((outputs.float() * scale).sum(), inputs, create_graph=True)
    grads = grads.float() / scale  # unscale before squaring: the penalty is computed on the true gradient
    return grads.reshape(outputs.shape[0], -1).norm(2, dim=1)  # (G,)


def gradient_penalty(
    critic: Critic, real: Tensor, fake: Tensor, grad_scale: float | None = None, noise: torch.Generator | None = None
) -> Tensor:
    """WGAN-GP two-sided gradient penalty (Gulrajani et al. 2017, eq. 3): ``E[(||∇D(x̂)||₂ - 1)²]``.

    ``x̂ = εx + (1 - ε)x̃`` with one ``ε ~ U[0, 1]`` per sample (per packed group, so a group stays one point on the
    line between real and fake groups). Multiply by λ (10 in the paper) yourself.

    Args:
        critic: maps a batch of inputs to logits; close over labels for a conditional critic.
        real: real samples ``(N, ...)``; fake: generated samples of the same shape (detached or not).
        grad_scale: the fp16 GradScaler's current scale, or ``None`` without a scaler.
        noise: the random generator that draws ε (reproducible runs).
    """
    if real.shape != fake.shape:
        raise ValueError(
            f"real and fake must have the same shape for the gradient penalty, got {tuple(real.shape)} and {tuple(fake.shape)}"
        )
    eps_shape = (real.shape[0],) + (1,) * (real.dim() - 1)
    eps = torch.rand(eps_shape, device=real.device, dtype=torch.float32, generator=noise).to(real.dtype)
    interpolates = (eps * real.detach() + (1 - eps) * fake.detach()).requires_grad_(True)
    norms = input_gradient_norms(critic, interpolates, grad_scale)
    return (norms - 1.0).pow(2).mean()


def r1_penalty(critic: Critic, real: Tensor, grad_scale: float | None = None) -> Tensor:
    """R1 penalty (Mescheder et al. 2018, "Which Training Methods for GANs do actually Converge?"): ``E[||∇D(x)||²]``
    on real data. The paper's regularizer is ``γ/2`` times this value.
    """
    inputs = real.detach().requires_grad_(True)
    return input_gradient_norms(critic, inputs, grad_scale).pow(2).mean()


class GradientPenalty:
    """``weight · gradient_penalty`` on every D step: the WGAN-GP term as an object the engine adds to D's loss.

    >>> reg = GradientPenalty(10.0)
    >>> reg.name, reg.applies_at(3)
    ('reg/gp', True)
    """

    name = "reg/gp"

    def __init__(self, weight: float) -> None:
        self.weight = float(weight)

    def applies_at(self, discriminator_step: int) -> bool:
        return True

    def penalty(
        self, critic: Critic, real: Tensor, fake: Tensor, grad_scale: float | None, noise: torch.Generator | None
    ) -> tuple[Tensor, Tensor]:
        """``(penalty, weighted term to add to D's loss)``."""
        value = gradient_penalty(critic, real, fake, grad_scale, noise)
        return value, self.weight * value


class R1Penalty:
    """``γ/2 · R1`` on real data, lazily: only every ``interval`` D steps, then scaled by ``interval`` so the average
    strength stays the same (StyleGAN2, appendix B).

    >>> reg = R1Penalty(1.0, interval=4)
    >>> [reg.applies_at(step) for step in range(5)]
    [True, False, False, False, True]
    """

    name = "reg/r1"

    def __init__(self, weight: float, interval: int = 1) -> None:
        self.weight, self.interval = float(weight), int(interval)

    def applies_at(self, discriminator_step: int) -> bool:
        return discriminator_step % self.interval == 0

    def penalty(
        self, critic: Critic, real: Tensor, fake: Tensor, grad_scale: float | None, noise: torch.Generator | None
    ) -> tuple[Tensor, Tensor]:
        value = r1_penalty(critic, real, grad_scale)
        return value, 0.5 * self.weight * self.interval * value


def discriminator_regularizers(
    gp_weight: float, r1_weight: float, r1_interval: int
) -> list[GradientPenalty | R1Penalty]:
    """The penalties the engine's arguments switch on (a weight of 0 means none).

    >>> [type(r).__name__ for r in discriminator_regularizers(10.0, 1.0, 16)]
    ['GradientPenalty', 'R1Penalty']
    """
    regularizers: list[GradientPenalty | R1Penalty] = []
    if gp_weight:
        regularizers.append(GradientPenalty(gp_weight))
    if r1_weight:
        regularizers.append(R1Penalty(r1_weight, r1_interval))
    return regularizers
