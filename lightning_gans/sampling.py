"""How callbacks, evaluation and the command line draw samples from *any* LightningModule, not only ours.

The protocol, checked in this order:

1. the module has ``sample(n, labels=None)`` returning a tensor of ``n`` samples (images in ``[-1, 1]``), or
2. the module has a ``generator`` attribute (an ``nn.Module`` mapping ``z`` of shape ``(n, latent_dim)`` -- and
   ``labels`` of shape ``(n,)`` when the module has ``num_classes`` -- to samples) and a ``latent_dim`` (attribute
   or hyperparameter).

One rule for the number of samples everywhere (:func:`check_num_samples`): an ``int >= 1``. Conditional modules
(``num_classes`` set) get class-cycling labels ``0, 1, ..., K-1, 0, ...`` when none are given. Sampling is made
reproducible without touching the training run's random state: the global RNG is forked, seeded, and restored.
"""

from __future__ import annotations

import torch
from torch import Tensor, nn

from lightning_gans.checks import check_int

__all__ = [
    "check_can_sample",
    "check_num_samples",
    "latent_dim_of",
    "rank_share",
    "sample_from",
    "sampling_problem",
    "supports_sampling",
]


def check_num_samples(n: object, name: str = "n") -> int:
    """The one rule for a number of samples: an ``int >= 1`` (``TypeError`` for 2.0, ``ValueError`` for 0 or -1).

    >>> check_num_samples(0)
    Traceback (most recent call last):
    ...
    ValueError: n must be an int >= 1, got 0
    """
    return check_int(name, n, minimum=1)


def _latent_dim_or_none(module: nn.Module) -> int | None:
    value = getattr(module, "latent_dim", None)
    if value is None:
        value = getattr(getattr(module, "hparams", {}), "get", lambda _k: None)("latent_dim")
    return None if value is None else int(value)


def sampling_problem(module: nn.Module) -> str | None:
    """Why :func:`sample_from` cannot draw from ``module`` (``None`` when it can)."""
    if callable(getattr(module, "sample", None)):
        return None
    if not isinstance(getattr(module, "generator", None), nn.Module):
        return "give it a `sample(n, labels=None)` method, or a `generator` module and a `latent_dim`"
    if _latent_dim_or_none(module) is None:
        return "it has a `generator` but no `latent_dim` attribute or hyperparameter; add `self.latent_dim = ...`"
    return None


def supports_sampling(module: nn.Module) -> bool:
    """True when :func:`sample_from` can draw from ``module``."""
    return sampling_problem(module) is None


def check_can_sample(module: nn.Module, user: str = "lightning_gans") -> None:
    """Raise the one "cannot draw samples" ``TypeError`` (naming ``user``, e.g. a callback) unless ``module`` can be
    sampled.

    >>> check_can_sample(nn.Linear(2, 2), "EvaluationCallback")
    Traceback (most recent call last):
    ...
    TypeError: EvaluationCallback cannot draw samples from Linear: give it a `sample(n, labels=None)` method, or a `generator` module and a `latent_dim`
    """
    problem = sampling_problem(module)
    if problem is not None:
        raise TypeError(f"{user} cannot draw samples from {type(module).__name__}: {problem}")


def latent_dim_of(module: nn.Module) -> int:
    """The latent size of a module following the protocol, or the "cannot draw samples" error."""
    value = _latent_dim_or_none(module)
    if value is None:
        check_can_sample(module)
    return value


def rank_share(n: int, rank: int, world_size: int) -> int:
    """Samples drawn by process ``rank`` of ``world_size`` so that the shares add up to ``n``.

    >>> [rank_share(10, r, 4) for r in range(4)]
    [3, 3, 2, 2]
    """
    return n // world_size + int(rank < n % world_size)


@torch.no_grad()
def sample_from(
    module: nn.Module, n: int, seed: int | None = None, labels: Tensor | None = None, batch_size: int = 256
) -> Tensor:
    """Draw ``n`` samples from ``module`` in batches of ``batch_size``, reproducibly when ``seed`` is given.

    Autocast is disabled so that evaluation sees float32 outputs whatever precision trains the model.

    >>> class Plain(nn.Module):  # not a GAN of ours: just a generator and a latent size
    ...     def __init__(self):
    ...         super().__init__()
    ...         self.generator, self.latent_dim = nn.Linear(4, 2), 4
    >>> sample_from(Plain(), 5, seed=0).shape
    torch.Size([5, 2])
    """
    check_num_samples(n)
    check_int("batch_size", batch_size, minimum=1)
    check_can_sample(module)
    num_classes = getattr(module, "num_classes", None)
    if labels is None and num_classes:
        labels = torch.arange(n) % num_classes
    device = _device_of(module)
    fork_devices = [device] if device.type == "cuda" else []
    with torch.random.fork_rng(devices=fork_devices), torch.autocast(device.type, enabled=False):
        if seed is not None:
            torch.manual_seed(seed)
        chunks = []
        for start in range(0, n, batch_size):
            count = min(batch_size, n - start)
            chunk_labels = None if labels is None else labels[start : start + count].to(device)
            chunks.append(_sample_batch(module, count, chunk_labels, device).float())
    return torch.cat(chunks)


def _sample_batch(module: nn.Module, count: int, labels: Tensor | None, device: torch.device) -> Tensor:
    if callable(getattr(module, "sample", None)):
        return module.sample(count) if labels is None else module.sample(count, labels=labels)
    z = torch.randn(count, latent_dim_of(module), device=device)
    generator = module.generator
    was_training = generator.training
    generator.eval()
    try:
        return generator(z) if labels is None else generator(z, labels)
    finally:
        generator.train(was_training)


def _device_of(module: nn.Module) -> torch.device:
    for tensor in module.parameters():
        return tensor.device
    return torch.device("cpu")
