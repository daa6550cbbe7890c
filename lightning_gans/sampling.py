"""How callbacks draw samples from *any* LightningModule, not only ours.

The protocol, checked in this order:

1. the module has ``sample(n, labels=None)`` returning a tensor of ``n`` samples (images in ``[-1, 1]``), or
2. the module has a ``generator`` attribute (an ``nn.Module`` mapping ``z`` of shape ``(n, latent_dim)`` to
   samples) and a ``latent_dim`` (attribute or hyperparameter).

Sampling is made reproducible without touching the training run's random state: the global RNG is forked,
seeded, and restored afterwards.
"""

from __future__ import annotations

import torch
from torch import Tensor, nn


def latent_dim_of(module: nn.Module) -> int:
    """The latent size of a module following the protocol, or a clear error."""
    value = getattr(module, "latent_dim", None)
    if value is None:
        value = getattr(getattr(module, "hparams", {}), "get", lambda _k: None)("latent_dim")
    if value is None:
        raise TypeError(
            f"{type(module).__name__} has a `generator` but no `latent_dim` attribute or hyperparameter; "
            "add `self.latent_dim = ...` or a `sample(n)` method so samples can be drawn"
        )
    return int(value)


def supports_sampling(module: nn.Module) -> bool:
    """True when :func:`sample_from` can draw from ``module``."""
    return callable(getattr(module, "sample", None)) or isinstance(getattr(module, "generator", None), nn.Module)


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
    >>> a = sample_from(Plain(), 5, seed=0)
    >>> a.shape
    torch.Size([5, 2])
    """
    if n < 1:
        raise ValueError(f"`n` must be a positive number of samples, got {n}")
    if not supports_sampling(module):
        raise TypeError(
            f"cannot draw samples from {type(module).__name__}: give it a `sample(n, labels=None)` method, "
            "or a `generator` module and a `latent_dim`"
        )
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
