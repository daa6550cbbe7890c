"""Sampling from a GAN's generator: which network samples, and the checks on what a caller passes in."""

from __future__ import annotations

import torch
from torch import Tensor, nn

from lightning_gans.sampling import check_num_samples


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
