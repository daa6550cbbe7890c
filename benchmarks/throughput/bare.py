"""The bare PyTorch loop the engine is measured against: the engine's algorithmic work and nothing else.

A careful hand-written loop: one generator forward per DCGAN iteration reused for the G step, D frozen during the G
backward, ``zero_grad`` to None; no gradient norms, no logging, no divergence check. It uses the losses and the
penalty of :mod:`lightning_gans.losses` / :mod:`lightning_gans.regularizers`, so that both sides compute the same.
"""

from __future__ import annotations

import torch

from benchmarks.throughput.cases import Case, case_loader, case_networks
from lightning_gans.losses import cross_entropy_d_loss, non_saturating_g_loss, wasserstein_d_loss, wasserstein_g_loss
from lightning_gans.regularizers import gradient_penalty


def sync(device: torch.device) -> None:
    """Wait for the device (CUDA runs asynchronously: a clock read without it measures the launch, not the work)."""
    if device.type == "cuda":
        torch.cuda.synchronize(device)


class BareLoop:
    """The bare PyTorch loop, one batch per :meth:`step`: the engine's algorithmic work and nothing else."""

    def __init__(self, case: Case, num_batches: int, device: torch.device, seed: int = 0) -> None:
        self.case, self.device, self.index = case, device, 0
        self.generator, self.discriminator = (net.to(device) for net in case_networks(case, seed))
        self.opt_g = torch.optim.Adam(self.generator.parameters(), **case.adam)
        self.opt_d = torch.optim.Adam(self.discriminator.parameters(), **case.adam)
        self.noise = torch.Generator(device=device).manual_seed(seed)
        self.batches = iter(case_loader(case, num_batches, seed))

    def step(self) -> None:
        """Fetch the next batch; one D update, and a G update every ``n_critic`` batches."""
        case, generator, discriminator = self.case, self.generator, self.discriminator
        (real,) = next(self.batches)
        real = real.to(self.device, non_blocking=True)
        z = torch.randn(real.shape[0], case.latent_dim, device=self.device, generator=self.noise)
        # D step. DCGAN keeps the graph of this fake for the G step (one G forward per iteration); WGAN-GP's G step
        # comes every 5th batch with its own fresh fake, so this one needs no graph.
        with torch.set_grad_enabled(not case.is_wgan):
            fake = generator(z)
        real_logits, fake_logits = discriminator(real), discriminator(fake.detach())
        if case.is_wgan:
            loss_d = wasserstein_d_loss(real_logits, fake_logits)
            loss_d = loss_d + 10.0 * gradient_penalty(discriminator, real, fake, None, self.noise)
        else:
            loss_d = cross_entropy_d_loss(real_logits, fake_logits)
        self.opt_d.zero_grad(set_to_none=True)
        loss_d.backward()
        self.opt_d.step()
        self.index += 1
        if self.index % case.n_critic == 0:  # G step, D frozen: its backward computes no D weight gradients
            if case.is_wgan:
                fake = generator(torch.randn(real.shape[0], case.latent_dim, device=self.device, generator=self.noise))
            discriminator.requires_grad_(False)
            fake_logits = discriminator(fake)
            loss_g = wasserstein_g_loss(fake_logits) if case.is_wgan else non_saturating_g_loss(fake_logits)
            self.opt_g.zero_grad(set_to_none=True)
            loss_g.backward()
            self.opt_g.step()
            discriminator.requires_grad_(True)
