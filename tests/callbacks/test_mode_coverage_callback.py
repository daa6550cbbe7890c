"""ModeCoverageCallback on plain LightningModules that are not ours, under a real Trainer."""

from __future__ import annotations

import math

import lightning.pytorch as pl
import pytest
import torch
from torch import Tensor, nn
from torch.utils.data import DataLoader, TensorDataset

from lightning_gans.callbacks.mode_coverage import ModeCoverageCallback
from lightning_gans.data.toy import ToyDataModule, mixture_centers
from lightning_gans.metrics.mode_coverage import MixtureModeCoverage
from lightning_gans.sampling import sample_from


class ConstantGenerator(nn.Module):
    """Ignores most of ``z``: outputs ``point`` plus ``spread * z[:, :dim]`` (a tiny blob around ``point``)."""

    def __init__(self, point: Tensor, spread: float = 0.0) -> None:
        super().__init__()
        self.point = nn.Parameter(point.clone(), requires_grad=False)
        self.spread = spread

    def forward(self, z: Tensor) -> Tensor:
        out = self.point.expand(z.shape[0], *self.point.shape)
        return out + self.spread * z[:, : self.point.numel()].reshape(out.shape) if self.spread else out


class PlainModule(pl.LightningModule):
    """Not a GAN of ours: a `generator`, a `latent_dim` and a trivial training step on a dummy parameter."""

    def __init__(self, generator: nn.Module, latent_dim: int) -> None:
        super().__init__()
        self.generator, self.latent_dim = generator, latent_dim
        self.dummy = nn.Parameter(torch.ones(1))

    def training_step(self, batch, batch_idx):
        return (self.dummy - batch[0].float().mean()).pow(2).sum()

    def configure_optimizers(self):
        return torch.optim.SGD([self.dummy], lr=0.1)


def _trainer(callback: ModeCoverageCallback, max_epochs: int = 2) -> pl.Trainer:
    return pl.Trainer(
        accelerator="cpu",
        max_epochs=max_epochs,
        limit_train_batches=2,
        logger=False,
        enable_checkpointing=False,
        enable_progress_bar=False,
        enable_model_summary=False,
        callbacks=[callback],
    )


def test_mixture_metrics_logged_for_a_plain_module_with_a_datamodule() -> None:
    ring = mixture_centers("ring")
    module = PlainModule(ConstantGenerator(ring[3], spread=0.01), latent_dim=4)  # collapsed onto mode 3
    callback = ModeCoverageCallback("mixture", num_samples=500)
    trainer = _trainer(callback)
    trainer.fit(module, datamodule=ToyDataModule("ring", batch_size=8, num_batches_per_epoch=2))
    # z ~ N(0, I), so each sample is 1 std away from mode 3 on average: P(|z| < 3) for a 2-D normal.
    expected_hq = torch.tensor(1 - math.exp(-9 / 2))
    logged = trainer.callback_metrics
    assert float(logged["val/modes"]) == 1
    assert float(logged["val/high_quality"]) == pytest.approx(float(expected_hq), abs=0.02)
    assert float(logged["val/reverse_kl"]) == pytest.approx(math.log(8), abs=1e-5)
    assert [h["epoch"] for h in callback.history] == [0, 1]
    # The logged values are those of the metric on the same seeded samples.
    direct = MixtureModeCoverage(ring, std=0.01)(sample_from(module, 500, seed=0))
    assert callback.history[-1]["high_quality"] == pytest.approx(float(direct["high_quality"]))


def test_every_n_epochs_and_explicit_centers() -> None:
    centers = torch.tensor([[0.0, 0.0], [5.0, 5.0]])
    module = PlainModule(ConstantGenerator(torch.zeros(2)), latent_dim=2)
    callback = ModeCoverageCallback("mixture", num_samples=100, every_n_epochs=2, centers=centers, std=0.1)
    loader = DataLoader(TensorDataset(torch.randn(16, 2)), batch_size=4)
    _trainer(callback, max_epochs=3).fit(module, loader)
    assert [h["epoch"] for h in callback.history] == [1]
    assert callback.history[0]["modes"] == 1 and callback.history[0]["high_quality"] == 1.0
    assert callback.history[0]["reverse_kl"] == pytest.approx(math.log(2), abs=1e-6)
    restored = ModeCoverageCallback("mixture", centers=centers, std=0.1)
    restored.load_state_dict(callback.state_dict())
    assert restored.history == callback.history


class ValueDigitClassifier(nn.Module):
    """Digit ``d`` from a constant image of value ``-1 + 2 d / 9``."""

    def forward(self, x: Tensor) -> Tensor:
        levels = torch.linspace(-1, 1, 10, device=x.device)
        return -(x.mean(dim=(1, 2, 3))[:, None] - levels[None, :]).abs()


def test_stacked_mnist_metrics_logged() -> None:
    digits = torch.tensor([1.0, 2.0, 3.0])
    image = (-1 + 2 * digits / 9)[:, None, None].expand(3, 14, 14)  # (3, 14, 14): the triple (1, 2, 3)
    module = PlainModule(ConstantGenerator(image), latent_dim=8)
    callback = ModeCoverageCallback("stacked_mnist", num_samples=40, classifier=ValueDigitClassifier())
    trainer = _trainer(callback, max_epochs=1)
    trainer.fit(module, DataLoader(TensorDataset(torch.randn(8, 2)), batch_size=4))
    assert float(trainer.callback_metrics["val/modes"]) == 1
    assert float(trainer.callback_metrics["val/kl"]) == pytest.approx(math.log(1000), abs=1e-4)
    assert int(callback.metric.histogram[123]) == 40


def test_metric_factory_and_rank_shares() -> None:
    callback = ModeCoverageCallback(lambda: MixtureModeCoverage(torch.zeros(1, 2), std=1.0), num_samples=101)
    module = PlainModule(ConstantGenerator(torch.zeros(2)), latent_dim=2)
    callback.metric = callback._build_metric(trainer=None)
    # Under DDP each rank draws its share; the shares add up to num_samples.
    callback.evaluate(module, rank=0, world_size=2)
    first = int(callback.metric.total)
    callback.evaluate(module, rank=1, world_size=2)
    assert (first, int(callback.metric.total)) == (51, 50)


def test_setup_errors_are_clear(tmp_path) -> None:
    loader = DataLoader(TensorDataset(torch.randn(8, 2)), batch_size=4)
    module = PlainModule(ConstantGenerator(torch.zeros(2)), latent_dim=2)
    with pytest.raises(ValueError, match="mode_centers"):
        _trainer(ModeCoverageCallback("mixture")).fit(module, loader)
    with pytest.raises(ValueError, match="`classifier` is required"):
        _trainer(ModeCoverageCallback("stacked_mnist")).fit(module, loader)
    with pytest.raises(FileNotFoundError, match="python -m lightning_gans.metrics.classifier"):
        _trainer(ModeCoverageCallback("stacked_mnist", classifier=tmp_path / "none.pt")).fit(module, loader)

    class NoSampler(PlainModule):  # trains, but has neither `sample` nor `generator`
        def __init__(self) -> None:
            super().__init__(nn.Identity(), latent_dim=2)
            del self.generator

    with pytest.raises(TypeError, match="cannot draw samples"):
        _trainer(ModeCoverageCallback("mixture", centers=torch.zeros(1, 2), std=1.0)).fit(NoSampler(), loader)
    with pytest.raises(ValueError, match="`metric`"):
        ModeCoverageCallback("grid")
    with pytest.raises(ValueError, match="`num_samples`"):
        ModeCoverageCallback(lambda: MixtureModeCoverage(torch.zeros(1, 2), std=1.0))
    with pytest.raises(ValueError, match="`every_n_epochs`"):
        ModeCoverageCallback("mixture", every_n_epochs=0)
