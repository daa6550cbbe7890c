"""Adversarial losses as pure functions of discriminator logits.

Every discriminator loss has the signature ``d_loss(real_logits, fake_logits, real_target=1.0) -> Tensor`` and every
generator loss ``g_loss(fake_logits) -> Tensor``; logits are raw scores (no sigmoid), higher means "more real".
``real_target < 1`` is one-sided label smoothing (Salimans et al. 2016, "Improved Techniques for Training GANs"):
only the real targets are softened, never the fake ones.

The registry :data:`LOSSES` maps a name to its :class:`AdversarialLoss` (the pair and its properties);
:func:`get_loss` resolves a name with a clear error.

>>> real, fake = torch.tensor([2.0, 3.0]), torch.tensor([-1.0, 0.5])
>>> round(float(wasserstein_d_loss(real, fake)), 4)  # E[D(fake)] - E[D(real)]
-2.75
>>> round(float(get_loss("hinge").g_loss(fake)), 4)
0.25
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import torch
import torch.nn.functional as F
from torch import Tensor

__all__ = [
    "AdversarialLoss",
    "LOSSES",
    "get_loss",
    "cross_entropy_d_loss",
    "minimax_g_loss",
    "non_saturating_g_loss",
    "least_squares_d_loss",
    "least_squares_g_loss",
    "wasserstein_d_loss",
    "wasserstein_g_loss",
    "hinge_d_loss",
    "hinge_g_loss",
]


def cross_entropy_d_loss(real_logits: Tensor, fake_logits: Tensor, real_target: float = 1.0) -> Tensor:
    """Discriminator loss of the original GAN (Goodfellow et al. 2014), binary cross-entropy on logits.

    ``L_D = -E[log D(x)] - E[log(1 - D(G(z)))]`` with ``D = sigmoid(logits)``; with ``real_target = t`` the real
    term is ``-E[t log D(x) + (1 - t) log(1 - D(x))]``.

    >>> cross_entropy_d_loss(torch.zeros(3), torch.zeros(3))  # D unsure: 2 log 2
    tensor(1.3863)
    """
    real = F.binary_cross_entropy_with_logits(real_logits, torch.full_like(real_logits, real_target))
    # log(1 - sigmoid(f)) = -softplus(f): stable for large logits, unlike log(1 - sigmoid(f)).
    fake = F.softplus(fake_logits).mean()
    return real + fake


def minimax_g_loss(fake_logits: Tensor) -> Tensor:
    """The *saturating* generator loss of the minimax game (Goodfellow et al. 2014): ``L_G = E[log(1 - D(G(z)))]``.

    Kept on purpose: it is the textbook vanishing-gradient case. Its gradient with respect to the fake logit is
    ``-sigmoid(f)``, which vanishes exactly when the discriminator confidently rejects the fakes.

    >>> minimax_g_loss(torch.zeros(2))  # log(1/2)
    tensor(-0.6931)
    """
    return -F.softplus(fake_logits).mean()


def non_saturating_g_loss(fake_logits: Tensor) -> Tensor:
    """Non-saturating generator loss (Goodfellow et al. 2014, section 3): ``L_G = -E[log D(G(z))]``.

    Its gradient with respect to the fake logit is ``sigmoid(f) - 1``: strong when D rejects the fakes.

    >>> non_saturating_g_loss(torch.zeros(2))
    tensor(0.6931)
    """
    return F.softplus(-fake_logits).mean()


def least_squares_d_loss(real_logits: Tensor, fake_logits: Tensor, real_target: float = 1.0) -> Tensor:
    """LSGAN discriminator loss (Mao et al. 2017, eq. 9 with a=0, b=1):
    ``L_D = 1/2 E[(D(x) - 1)^2] + 1/2 E[D(G(z))^2]`` (``1`` replaced by ``real_target`` when smoothing).

    >>> least_squares_d_loss(torch.tensor([1.0]), torch.tensor([0.0]))
    tensor(0.)
    """
    return 0.5 * (real_logits - real_target).pow(2).mean() + 0.5 * fake_logits.pow(2).mean()


def least_squares_g_loss(fake_logits: Tensor) -> Tensor:
    """LSGAN generator loss (Mao et al. 2017, eq. 9 with c=1): ``L_G = 1/2 E[(D(G(z)) - 1)^2]``.

    >>> least_squares_g_loss(torch.tensor([3.0]))
    tensor(2.)
    """
    return 0.5 * (fake_logits - 1.0).pow(2).mean()


def wasserstein_d_loss(real_logits: Tensor, fake_logits: Tensor, real_target: float = 1.0) -> Tensor:
    """Critic loss of WGAN (Arjovsky et al. 2017): ``L_D = E[D(G(z))] - E[D(x)]``.

    A Lipschitz constraint must come from elsewhere (weight clipping, a gradient penalty or spectral norm);
    ``real_target`` must stay 1 (label smoothing has no meaning for a critic).
    """
    _reject_smoothing("wasserstein", real_target)
    return fake_logits.mean() - real_logits.mean()


def wasserstein_g_loss(fake_logits: Tensor) -> Tensor:
    """Generator loss of WGAN (Arjovsky et al. 2017): ``L_G = -E[D(G(z))]``.

    >>> wasserstein_g_loss(torch.tensor([1.0, 3.0]))
    tensor(-2.)
    """
    return -fake_logits.mean()


def hinge_d_loss(real_logits: Tensor, fake_logits: Tensor, real_target: float = 1.0) -> Tensor:
    """Hinge discriminator loss (Lim & Ye 2017; Miyato et al. 2018):
    ``L_D = E[relu(1 - D(x))] + E[relu(1 + D(G(z)))]``.

    >>> hinge_d_loss(torch.tensor([2.0, 0.0]), torch.tensor([-2.0, 0.0]))  # (0 + 1)/2 + (0 + 1)/2
    tensor(1.)
    """
    _reject_smoothing("hinge", real_target)
    return F.relu(1.0 - real_logits).mean() + F.relu(1.0 + fake_logits).mean()


def hinge_g_loss(fake_logits: Tensor) -> Tensor:
    """Generator loss paired with the hinge discriminator loss (Miyato et al. 2018): ``L_G = -E[D(G(z))]``."""
    return -fake_logits.mean()


def _reject_smoothing(name: str, real_target: float) -> None:
    if real_target != 1.0:
        raise ValueError(
            f"label smoothing is not defined for the {name} loss: real_target must be 1.0, got {real_target}"
        )


@dataclass(frozen=True)
class AdversarialLoss:
    """A discriminator loss, the generator loss it is paired with, and the properties the rest of the library reads.

    Args:
        d_loss / g_loss: the two pure functions (signatures in the module docstring).
        name: the registry name (``"custom"`` for your own pair).
        sigmoid: the logits are read through a sigmoid (a probability of "real"): D's confidence saturates, and
            the health monitor may diagnose vanishing gradients from it.
        smoothable: one-sided label smoothing is meaningful (the targets of a classifier or of a regression).

    >>> loss = get_loss("non_saturating")
    >>> loss.name, loss.sigmoid, loss.smoothable
    ('non_saturating', True, True)
    """

    d_loss: Callable[..., Tensor]
    g_loss: Callable[[Tensor], Tensor]
    name: str = "custom"
    sigmoid: bool = False
    smoothable: bool = False


def _register(*losses: AdversarialLoss) -> dict[str, AdversarialLoss]:
    return {loss.name: loss for loss in losses}


# The one registry: a new entry is trained by every parametrised test (tests/test_losses.py, tests/test_gan.py).
LOSSES: dict[str, AdversarialLoss] = _register(
    AdversarialLoss(cross_entropy_d_loss, minimax_g_loss, "minimax", sigmoid=True, smoothable=True),
    AdversarialLoss(cross_entropy_d_loss, non_saturating_g_loss, "non_saturating", sigmoid=True, smoothable=True),
    AdversarialLoss(least_squares_d_loss, least_squares_g_loss, "least_squares", smoothable=True),
    AdversarialLoss(wasserstein_d_loss, wasserstein_g_loss, "wasserstein"),
    AdversarialLoss(hinge_d_loss, hinge_g_loss, "hinge"),
)


def get_loss(loss: str | AdversarialLoss) -> AdversarialLoss:
    """Resolve a loss name (see :data:`LOSSES`) or pass an :class:`AdversarialLoss` through.

    >>> get_loss("least_squares").g_loss is least_squares_g_loss
    True
    >>> get_loss("wgan")
    Traceback (most recent call last):
    ...
    ValueError: loss must be one of ['hinge', 'least_squares', 'minimax', 'non_saturating', 'wasserstein'] or an AdversarialLoss(d_loss, g_loss); got 'wgan'
    """
    if isinstance(loss, AdversarialLoss):
        return loss
    if isinstance(loss, str) and loss in LOSSES:
        return LOSSES[loss]
    raise ValueError(f"loss must be one of {sorted(LOSSES)} or an AdversarialLoss(d_loss, g_loss); got {loss!r}")
