"""Sampling: how callbacks, evaluation and the command line draw samples from *any* LightningModule, and how this
library's :class:`~lightning_gans.gan.GAN` samples (:class:`GeneratorSampling`: which network, the checks on what a
caller passes in).

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
    "GeneratorSampling",
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


class GeneratorSampling:
    """What :class:`~lightning_gans.gan.GAN` offers for sampling; needs ``generator``, ``ema_generator`` (or None),
    ``latent_dim``, ``latent_distribution``, ``num_classes`` and ``device`` on the module."""

    generator: nn.Module
    ema_generator: nn.Module | None
    latent_dim: int
    latent_distribution: str
    num_classes: int | None
    device: torch.device

    @property
    def sampling_generator(self) -> nn.Module:
        """The network used for sampling: the EMA generator when enabled, else the trained one."""
        return self.generator if self.ema_generator is None else self.ema_generator.module  # type: ignore[union-attr]

    def forward(self, z: Tensor, labels: Tensor | None = None) -> Tensor:
        """Apply the sampling network (EMA if enabled) to latent codes ``z`` of shape ``(N, latent_dim)``."""
        self._check_label_range(labels)
        return self._generate(self.sampling_generator, z, labels)

    def draw_latents(self, n: int, generator: torch.Generator | None = None) -> Tensor:
        """``n`` latent codes ``(n, latent_dim)`` from the model's ``latent_distribution``: ``N(0, I)`` or ``U(-1, 1)``;
        the one place training and sampling draw them (``generator``: the RNG, the global one if None)."""
        if self.latent_distribution == "uniform":
            return torch.rand(n, self.latent_dim, device=self.device, generator=generator) * 2.0 - 1.0
        return torch.randn(n, self.latent_dim, device=self.device, generator=generator)

    @torch.no_grad()
    def sample(self, n: int, labels: Tensor | None = None) -> Tensor:
        """Draw ``n`` samples with the sampling network in eval mode (global RNG; see ``sampling.sample_from``).

        For a conditional model, ``labels`` (``(n,)`` ints in ``[0, num_classes)``) pick the classes; without them
        the classes cycle ``0, 1, ..., num_classes - 1, 0, ...``.
        """
        check_num_samples(n)  # the one rule for sample counts, shared with sampling.sample_from
        if self.num_classes is not None and labels is None:
            labels = torch.arange(n, device=self.device) % self.num_classes
        self._check_label_range(labels)
        network = self.sampling_generator
        was_training = network.training
        network.eval()
        try:
            z = self.draw_latents(n)
            return self._generate(network, z, None if labels is None else labels.to(self.device))
        finally:
            network.train(was_training)

    @torch.no_grad()
    def _check_generator_input(self) -> None:
        """Run the generator once on two latent codes ``(2, latent_dim)`` and raise a ``ValueError`` that names
        ``latent_dim`` when it fails (the engine does so before its first step, instead of a bare shape error).

        Zeros (no random draw) in eval mode (no BatchNorm statistics change): the check leaves no trace on the run.
        """
        network = self.generator
        labels = None if self.num_classes is None else torch.zeros(2, dtype=torch.long, device=self.device)
        was_training = network.training
        network.eval()
        try:
            self._generate(network, torch.zeros(2, self.latent_dim, device=self.device), labels)
        except RuntimeError as err:
            reason = str(err).strip().splitlines()[0] if str(err).strip() else type(err).__name__
            raise ValueError(
                f"the generator fails on latent codes of shape (2, {self.latent_dim}) (latent_dim={self.latent_dim}): "
                f"{reason}. Its input size must be latent_dim: pass the generator's input size as latent_dim, or "
                f"build the generator for latent_dim={self.latent_dim}"
            ) from err
        finally:
            network.train(was_training)

    def _check_label_range(self, labels: Tensor | None) -> None:
        # Looks at the values (a sync): for user calls only, never in the training step.
        if self.num_classes is None or labels is None or not labels.numel() or labels.is_floating_point():
            return
        low, high = int(labels.min()), int(labels.max())
        if low < 0 or high >= self.num_classes:
            raise ValueError(
                f"labels must lie in [0, {self.num_classes - 1}] (num_classes={self.num_classes}), got values in [{low}, {high}]"
            )

    def _generate(self, network: nn.Module, z: Tensor, labels: Tensor | None) -> Tensor:
        if self.num_classes is None:
            if labels is not None:
                raise ValueError("labels were given but this model is unconditional (num_classes is None)")
            return network(z)
        if labels is None:
            raise ValueError(f"this model is conditional (num_classes={self.num_classes}): labels are required")
        if labels.is_floating_point() or labels.shape != (z.shape[0],):
            raise ValueError(
                f"labels must be integer class ids of shape ({z.shape[0]},), got {labels.dtype} of shape {tuple(labels.shape)}"
            )
        return network(z, labels)
