"""Instance noise: blur the supports of the real and fake distributions (Sønderby et al. 2016; Arjovsky & Bottou
2017).

When real and fake data live on (nearly) disjoint low-dimensional manifolds a perfect discriminator exists and the
generator's gradients vanish. Adding the same Gaussian noise to the discriminator's real and fake inputs makes the
two distributions overlap; annealing the noise to zero removes the bias once training is under way.
"""

from __future__ import annotations

import torch
from torch import Tensor


def instance_noise_std(step: int, initial_std: float, anneal_steps: int) -> float:
    """Noise level at ``step``: linear decay from ``initial_std`` to 0 over ``anneal_steps`` steps.

    ``std = initial_std * max(0, 1 - step / anneal_steps)``. ``anneal_steps=0`` means no annealing: the noise
    stays at ``initial_std``.

    >>> instance_noise_std(0, 0.1, 100), instance_noise_std(50, 0.1, 100), instance_noise_std(500, 0.1, 100)
    (0.1, 0.05, 0.0)
    >>> instance_noise_std(10_000, 0.1, 0)
    0.1
    """
    if isinstance(step, bool) or not isinstance(step, int) or step < 0:
        raise ValueError(f"step must be an integer >= 0, got {step!r}")
    if not float(initial_std) >= 0.0:
        raise ValueError(f"initial_std must be >= 0, got {initial_std!r}")
    if isinstance(anneal_steps, bool) or not isinstance(anneal_steps, int) or anneal_steps < 0:
        raise ValueError(f"anneal_steps must be an integer >= 0 (0 = constant noise), got {anneal_steps!r}")
    if anneal_steps == 0:
        return float(initial_std)
    return float(initial_std) * max(0.0, 1.0 - step / anneal_steps)


def add_instance_noise(x: Tensor, std: float, generator: torch.Generator | None = None) -> Tensor:
    """Return ``x + std * N(0, I)``; with ``std == 0`` the input itself is returned (no random numbers drawn).

    Apply it to real *and* fake discriminator inputs alike. The noise is drawn from the global torch RNG unless a
    ``generator`` (on ``x``'s device) is given; gradients flow to ``x`` unchanged.

    >>> x = torch.zeros(10_000)
    >>> round(add_instance_noise(x, 0.5, torch.Generator().manual_seed(0)).std().item(), 1)
    0.5
    >>> add_instance_noise(x, 0.0) is x
    True
    """
    if not float(std) >= 0.0:
        raise ValueError(f"std must be >= 0, got {std!r}")
    if std == 0:
        return x
    noise = torch.randn(x.shape, generator=generator, device=x.device, dtype=x.dtype)
    return x + float(std) * noise
