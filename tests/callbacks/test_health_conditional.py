"""GANHealthMonitor on conditional models: collapse *within* classes, which diversity across classes hides.

A foreign conditional LightningModule (``D(x, labels)``, ``G(z, labels)``, ``num_classes``) with planted generators
on tiny class-structured 8x8 images: one that emits one image per class, and one that draws varied samples of the
requested class exactly as the data does.
"""

from __future__ import annotations

import warnings

import lightning.pytorch as pl
import pytest
import torch
import torch.nn.functional as F
from torch import nn
from torch.utils.data import DataLoader, TensorDataset

from lightning_gans.callbacks import GANHealthMonitor, GANHealthWarning, HealthThresholds

NUM_CLASSES, SPREAD = 10, 0.3
PROTOTYPES = torch.rand(NUM_CLASSES, 1, 8, 8, generator=torch.Generator().manual_seed(0)) * 1.6 - 0.8


def class_images(labels: torch.Tensor, noise: torch.Tensor) -> torch.Tensor:
    """The data: the class prototype plus pixel noise ``SPREAD * noise``, in [-1, 1]."""
    return (PROTOTYPES.to(noise)[labels] + SPREAD * noise).clamp(-1, 1)


def digits_like_loader(n: int = 640) -> DataLoader:
    g = torch.Generator().manual_seed(1)
    labels = torch.randint(0, NUM_CLASSES, (n,), generator=g)
    images = class_images(labels, torch.randn(n, 1, 8, 8, generator=g))
    return DataLoader(TensorDataset(images, labels), batch_size=64, shuffle=True)


class OneImagePerClass(nn.Module):
    """Collapsed within every class: the class prototype, whatever z (plus one learned shift for all samples)."""

    def __init__(self) -> None:
        super().__init__()
        self.shift = nn.Parameter(torch.zeros(1, 1, 8, 8))

    def forward(self, z, labels):
        return PROTOTYPES.to(z)[labels] + self.shift


class ClassSampler(nn.Module):
    """Healthy: z -> a sample of the requested class drawn exactly as the data is (plus a learned shift)."""

    def __init__(self) -> None:
        super().__init__()
        self.shift = nn.Parameter(torch.zeros(1, 1, 8, 8))

    def forward(self, z, labels):
        return class_images(labels, z.view(-1, 1, 8, 8)) + self.shift


class ProjectionDiscriminator(nn.Module):
    def __init__(self) -> None:
        super().__init__()
        self.body, self.head, self.embed = nn.Linear(64, 32), nn.Linear(32, 1), nn.Embedding(NUM_CLASSES, 32)

    def forward(self, x, labels):
        h = F.leaky_relu(self.body(x.flatten(1)), 0.2)  # (N, 32)
        return self.head(h).squeeze(1) + (self.embed(labels) * h).sum(1)  # (N,) logits, projection term per class


class ForeignConditionalGAN(pl.LightningModule):
    """Not a lightning_gans.GAN: the monitor's conditional protocol and nothing more; manual optimization."""

    def __init__(self, generator: nn.Module) -> None:
        super().__init__()
        self.generator, self.discriminator = generator, ProjectionDiscriminator()
        self.latent_dim, self.num_classes = 64, NUM_CLASSES
        self.automatic_optimization = False

    def training_step(self, batch, batch_idx):
        real, labels = batch
        opt_g, opt_d = self.optimizers()
        z = torch.randn(len(real), self.latent_dim)
        fake = self.generator(z, labels).detach()
        d_loss = (
            F.softplus(-self.discriminator(real, labels)).mean() + F.softplus(self.discriminator(fake, labels)).mean()
        )
        opt_d.zero_grad()
        self.manual_backward(d_loss)
        opt_d.step()
        g_loss = F.softplus(-self.discriminator(self.generator(z, labels), labels)).mean()
        opt_g.zero_grad()
        self.manual_backward(g_loss)
        opt_g.step()
        self.log_dict({"loss/d": d_loss, "loss/g": g_loss})

    def configure_optimizers(self):
        opt_g = torch.optim.Adam(self.generator.parameters(), lr=1e-4)
        return [opt_g, torch.optim.Adam(self.discriminator.parameters(), lr=1e-4)]


def fit_with_monitor(generator: nn.Module) -> tuple[GANHealthMonitor, pl.Trainer, list[str]]:
    torch.manual_seed(0)
    monitor = GANHealthMonitor(
        check_every_n_steps=5, warmup_steps=10, thresholds=HealthThresholds(patience=2), probe_size=200, grad_window=2
    )
    trainer = pl.Trainer(
        accelerator="cpu",
        max_steps=60,  # 30 generator steps: checks at 5, ..., 30; diagnoses possible from step 15 on
        callbacks=[monitor],
        logger=False,
        enable_checkpointing=False,
        enable_progress_bar=False,
        enable_model_summary=False,
    )
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        trainer.fit(ForeignConditionalGAN(generator), digits_like_loader())
    return monitor, trainer, [str(w.message) for w in caught if issubclass(w.category, GANHealthWarning)]


def test_a_generator_emitting_one_image_per_class_is_diagnosed_as_collapse_within_classes():
    monitor, trainer, messages = fit_with_monitor(OneImagePerClass())
    assert [d.kind for d in monitor.diagnoses] == ["mode_collapse_within_classes"]
    diagnosis = monitor.diagnoses[0]
    assert (diagnosis.first_step, diagnosis.step) == (15, 20)
    evidence = diagnosis.evidence
    assert evidence["within_class_diversity_ratio"] == pytest.approx(0.0, abs=1e-5)
    assert evidence["classes_measured"] == NUM_CLASSES
    # Across classes the fakes look as varied as the data: the whole-batch signal alone would not see it.
    assert evidence["diversity_ratio"] > 0.5
    (message,) = messages
    assert "mode collapse within classes" in message and "within-class diversity ratio 0 < 0.4" in message
    assert "class-conditional BatchNorm" in diagnosis.remedies[0]
    # A foreign module: techniques and where they live, no lightning_gans.GAN arguments.
    assert any("lightning_gans.nets.layers.MinibatchStdDev" in r for r in diagnosis.remedies)
    assert not any("pack=" in r or "minibatch_stddev=" in r for r in diagnosis.remedies)
    assert float(trainer.callback_metrics["health/within_class_diversity_min"]) == pytest.approx(0.0, abs=1e-5)


def test_a_healthy_conditional_generator_raises_nothing():
    monitor, trainer, messages = fit_with_monitor(ClassSampler())
    assert messages == [] and monitor.diagnoses == []
    metrics = trainer.callback_metrics  # the monitor did measure within classes: as varied as the data
    assert 0.8 < float(metrics["health/within_class_diversity_ratio"]) < 1.25
    assert float(metrics["health/within_class_diversity_min"]) > 0.6
    assert float(metrics["health/classes_measured"]) == NUM_CLASSES


def test_too_small_a_probe_for_the_classes_is_reported_instead_of_measuring_nothing_silently():
    from lightning_gans.callbacks.health.probe import HealthProbe

    module = ForeignConditionalGAN(ClassSampler())
    probe = HealthProbe(probe_size=10)  # one fake per class: no class can be measured
    loader = digits_like_loader()
    probe.collect(next(iter(loader)))
    with pytest.warns(UserWarning, match=r"no class has 2 real and 2 fake probe samples \(probe_size=10"):
        signals = probe.measure(module)
    assert "within_class_diversity_ratio" not in signals and "d_auc" in signals
