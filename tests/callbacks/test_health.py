"""GANHealthMonitor on planted failures (real Lightning runs on tiny 2-D GANs) and its diagnosis rules."""

from __future__ import annotations

import json
import math
import warnings

import lightning.pytorch as pl
import pytest
import torch
import torch.nn.functional as F
from torch import nn
from torch.utils.data import DataLoader, TensorDataset

from lightning_gans import WGANGP, ConditionalGAN, NetworkOptions, Optimization, VanillaGAN
from lightning_gans.callbacks import GANHealthMonitor, GANHealthWarning, HealthThresholds
from lightning_gans.data.toy import ToyDataModule
from lightning_gans.gan import GAN
from lightning_gans.nets.mlp import MLPDiscriminator

RING = torch.stack([torch.cos(torch.arange(8) * math.pi / 4), torch.sin(torch.arange(8) * math.pi / 4)], 1)  # (8, 2)


def ring_data(n: int = 512, seed: int = 0) -> torch.Tensor:
    """``n`` points of the 8-Gaussian ring (radius 1, std 0.02), shape (n, 2)."""
    g = torch.Generator().manual_seed(seed)
    return RING[torch.randint(0, 8, (n,), generator=g)] + 0.02 * torch.randn(n, 2, generator=g)


class ToyGAN(pl.LightningModule):
    """The monitor's protocol and nothing more: generator, discriminator (logits), latent_dim; manual optimization."""

    def __init__(
        self,
        generator: nn.Module,
        discriminator: nn.Module,
        latent_dim: int = 2,
        loss: str = "non_saturating",
        lr_g: float = 1e-3,
        lr_d: float = 1e-3,
        loss_keys: tuple[str, str] = ("loss/d", "loss/g"),
    ):
        super().__init__()
        self.save_hyperparameters(ignore=["generator", "discriminator"])
        self.generator, self.discriminator, self.latent_dim = generator, discriminator, latent_dim
        self.automatic_optimization = False

    def training_step(self, batch, batch_idx):
        (real,) = batch
        opt_g, opt_d = self.optimizers()
        z = torch.randn(len(real), self.latent_dim)
        fake = self.generator(z).detach()
        d_loss = F.softplus(-self.discriminator(real)).mean() + F.softplus(self.discriminator(fake)).mean()
        opt_d.zero_grad()
        self.manual_backward(d_loss)
        opt_d.step()
        logits = self.discriminator(self.generator(z))
        # minimax: minimise log(1 - D(G(z))) = -softplus(logit); non-saturating: minimise -log D(G(z)).
        g_loss = -F.softplus(logits).mean() if self.hparams.loss == "minimax" else F.softplus(-logits).mean()
        opt_g.zero_grad()
        self.manual_backward(g_loss)
        opt_g.step()
        self.log_dict(dict(zip(self.hparams.loss_keys, (d_loss, g_loss))))

    def configure_optimizers(self):
        trainable_g = [p for p in self.generator.parameters() if p.requires_grad]
        opt_d = torch.optim.Adam(self.discriminator.parameters(), lr=self.hparams.lr_d)
        return [torch.optim.Adam(trainable_g, lr=self.hparams.lr_g), opt_d]


class ConstantGenerator(nn.Module):
    """Collapsed: zero (frozen) weight, learned bias -> every z maps to one point."""

    def __init__(self) -> None:
        super().__init__()
        self.net = nn.Linear(2, 2)
        nn.init.zeros_(self.net.weight)
        self.net.weight.requires_grad_(False)

    def forward(self, z):
        return self.net(z)


class RingSampler(nn.Module):
    """Healthy: z -> a sample of the data mixture itself (mode from z[:, 0], noise from z[:, 1:]) + a learned shift."""

    def __init__(self) -> None:
        super().__init__()
        self.shift = nn.Parameter(torch.zeros(2))

    def forward(self, z):
        mode = (torch.special.ndtr(z[:, 0]) * 8).long().clamp(0, 7)  # uniform over the 8 modes
        return RING.to(z)[mode] + 0.02 * z[:, 1:3] + self.shift


def nearest_mode_classifier() -> nn.Module:
    """Logits x . c_k: on the ring the arg-max is the nearest mode, so the predicted class is the mode."""
    layer = nn.Linear(2, 8, bias=False)
    layer.weight.data.copy_(RING)
    return layer


def fit(
    module: pl.LightningModule, monitor: GANHealthMonitor, generator_steps: int = 40, data=None, n_critic: int = 1
) -> pl.Trainer:
    torch.manual_seed(0)
    loader = DataLoader(TensorDataset(ring_data()), batch_size=64, shuffle=True) if data is None else data
    trainer = pl.Trainer(
        accelerator="cpu",
        max_steps=(n_critic + 1) * generator_steps,
        callbacks=[monitor],
        logger=False,
        enable_checkpointing=False,
        enable_progress_bar=False,
        enable_model_summary=False,
    )
    trainer.fit(module, loader)
    return trainer


def fast_monitor(**overrides) -> GANHealthMonitor:
    settings = dict(check_every_n_steps=5, warmup_steps=10, thresholds=HealthThresholds(patience=2), probe_size=64)
    return GANHealthMonitor(**(settings | dict(grad_window=2) | overrides))


def health_warnings(caught) -> list[str]:
    return [str(w.message) for w in caught if issubclass(w.category, GANHealthWarning)]


def test_collapsed_generator_is_diagnosed_as_mode_collapse():
    torch.manual_seed(0)
    module = ToyGAN(ConstantGenerator(), MLPDiscriminator(data_dim=2, hidden_dim=16, num_layers=2), lr_d=1e-4)
    monitor = fast_monitor(classifier=nearest_mode_classifier(), feature_extractor=nn.Linear(2, 4))
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        trainer = fit(module, monitor)
    assert [d.kind for d in monitor.diagnoses] == ["mode_collapse"]
    diagnosis = monitor.diagnoses[0]
    # Warm-up ends after step 10; evidence at the checks of steps 15 and 20 (patience 2) confirms it at 20.
    assert (diagnosis.first_step, diagnosis.step) == (15, 20)
    assert diagnosis.evidence["diversity_ratio"] == pytest.approx(0.0, abs=1e-6)
    assert diagnosis.evidence["modes_seen"] == 1 and diagnosis.evidence["class_entropy"] == 0.0
    assert diagnosis.evidence["real_class_entropy"] == pytest.approx(math.log(8), abs=0.1)
    # ToyGAN is not our GAN: the remedies name the technique and where it lives, not a GAN argument.
    assert any(
        r.startswith("PacGAN packing") and "lightning_gans.nets.layers.pack_samples" in r for r in diagnosis.remedies
    )
    assert not any("pack=" in r for r in diagnosis.remedies)
    (message,) = health_warnings(caught)  # one warning, however long the collapse lasts
    assert "mode collapse" in message and "generator step 20" in message and "diversity ratio 0" in message
    metrics = trainer.callback_metrics
    assert metrics["health/diversity_ratio"] == pytest.approx(0.0, abs=1e-6)
    assert metrics["health/feature_diversity_ratio"] == pytest.approx(0.0, abs=1e-6)
    assert metrics["health/modes_seen"] == 1
    assert {"health/g_grad_norm", "health/d_grad_norm", "health/d_saturation"} <= set(metrics)


def test_saturated_discriminator_with_minimax_loss_is_diagnosed_as_vanishing_gradients():
    generator = nn.Linear(2, 2)  # fakes spread like the data (weight 0.7 I) but far from it (around (-6, 0))
    generator.weight.data = 0.7 * torch.eye(2)
    generator.bias.data = torch.tensor([-6.0, 0.0])
    discriminator = nn.Sequential(nn.Linear(2, 1), nn.Flatten(0))  # huge weights: logits ~ +60 real, ~ -60 fake
    discriminator[0].weight.data = torch.tensor([[20.0, 0.0]])
    discriminator[0].bias.data = torch.tensor([60.0])
    module = ToyGAN(generator, discriminator, loss="minimax", lr_d=1e-4)
    monitor = fast_monitor()
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        fit(module, monitor)
    assert [d.kind for d in monitor.diagnoses] == ["vanishing_gradients"]
    evidence = monitor.diagnoses[0].evidence
    assert evidence["d_saturation"] == 1.0 and evidence["d_real_prob"] > 0.98 and evidence["d_fake_prob"] < 0.02
    assert evidence["g_grad_norm"] < 1e-6 and abs(evidence["loss_d"]) < 0.1 and evidence["d_auc"] == 1.0
    (message,) = health_warnings(caught)
    assert "vanishing gradients" in message and "saturated" in message
    # Worded for a module that is not ours: the techniques and where they live in lightning_gans.
    assert "non-saturating loss" in monitor.diagnoses[0].remedies[0]
    assert (
        "lightning_gans.losses.non_saturating_g_loss" in message and "lightning_gans.regularizers.r1_penalty" in message
    )
    assert "loss='non_saturating'" not in message and "gp_weight=10" not in message and "r1_weight" not in message


def test_healthy_run_raises_nothing():
    torch.manual_seed(0)
    discriminator = MLPDiscriminator(data_dim=2, hidden_dim=16, num_layers=2)
    module = ToyGAN(RingSampler(), discriminator, latent_dim=3, lr_g=1e-4, lr_d=1e-4)
    monitor = fast_monitor(classifier=nearest_mode_classifier())
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        trainer = fit(module, monitor)
    assert health_warnings(caught) == [] and monitor.diagnoses == []
    metrics = trainer.callback_metrics  # the monitor did look: the fakes are as diverse as the data
    assert 0.8 < float(metrics["health/diversity_ratio"]) < 1.25
    assert metrics["health/modes_seen"] == 8
    assert 0.3 < float(metrics["health/d_real_prob"]) < 0.7 and float(metrics["health/d_saturation"]) == 0.0
    assert 0.3 < float(metrics["health/d_auc"]) < 0.7  # D cannot tell the (identical) distributions apart
    assert float(metrics["health/g_grad_ratio"]) > 0.1
    assert float(metrics["health/precision"]) > 0.8  # the fakes lie on the data: no final verdict either


class SmearedRing(RingSampler):
    """Covers every mode but smears it: the ring's modes 10x wider than the data's (std 0.2 against 0.02)."""

    def forward(self, z):
        return super().forward(z) + 0.18 * z[:, 1:3]


def test_a_run_that_ends_with_samples_between_the_modes_gets_the_final_verdict():
    torch.manual_seed(0)
    module = ToyGAN(SmearedRing(), MLPDiscriminator(data_dim=2, hidden_dim=16, num_layers=2), latent_dim=3, lr_g=1e-4)
    monitor = fast_monitor(classifier=nearest_mode_classifier())
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        trainer = fit(module, monitor)
    # Nothing during training (all 8 modes, spread like the data): one verdict when training ends, at step 40.
    assert float(trainer.callback_metrics["health/modes_seen"]) == 8
    assert float(trainer.callback_metrics["health/diversity_ratio"]) > 0.8
    (diagnosis,) = monitor.diagnoses
    assert (diagnosis.kind, diagnosis.step) == ("samples_off_data", 40)
    assert diagnosis.evidence["precision"] < 0.5
    (message,) = health_warnings(caught)
    assert "samples off the data at the end of training" in message and "fixed-noise fakes lie on the data" in message
    assert any(r.startswith("decay both learning rates linearly to 0") for r in diagnosis.remedies)  # a foreign module


def test_the_final_verdict_waits_for_the_warm_up():
    module = ToyGAN(SmearedRing(), MLPDiscriminator(data_dim=2, hidden_dim=16, num_layers=2), latent_dim=3, lr_g=1e-4)
    monitor = fast_monitor(warmup_steps=40)
    fit(module, monitor)
    assert monitor.diagnoses == []


def test_stop_on_diagnosis_stops_training_and_state_round_trips():
    module = ToyGAN(ConstantGenerator(), MLPDiscriminator(data_dim=2, hidden_dim=16, num_layers=2), lr_d=1e-4)
    monitor = fast_monitor(stop_on_diagnosis=True)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", GANHealthWarning)
        trainer = fit(module, monitor)
    assert monitor.generator_steps == 20 and trainer.global_step == 40  # stopped at the diagnosis, not at 80
    restored = fast_monitor()
    restored.load_state_dict(monitor.state_dict())
    assert [d.kind for d in restored.diagnoses] == ["mode_collapse"] and restored.rules.diagnosed == {"mode_collapse"}
    assert restored.generator_steps == 20


def test_loss_keys_that_never_appear_are_reported_once_and_configured_keys_are_read():
    module = ToyGAN(
        ConstantGenerator(), MLPDiscriminator(data_dim=2, hidden_dim=16, num_layers=2), loss_keys=("d", "g")
    )
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        fit(module, fast_monitor())
    missing = [str(w.message) for w in caught if "in trainer.callback_metrics by generator step" in str(w.message)]
    assert len(missing) == 1  # once, although every check after warm-up lacks them
    assert "no 'loss/d' / 'loss/g' in trainer.callback_metrics by generator step 15" in missing[0]
    assert "Logged metrics: ['d', 'g']" in missing[0] and "d_loss_key=" in missing[0]
    module = ToyGAN(
        ConstantGenerator(), MLPDiscriminator(data_dim=2, hidden_dim=16, num_layers=2), loss_keys=("d", "g")
    )
    monitor = fast_monitor(d_loss_key="d", g_loss_key="g")
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        fit(module, monitor)
    assert not any("trainer.callback_metrics by generator step" in str(w.message) for w in caught)
    assert {"loss_d", "loss_g"} <= set(monitor.diagnoses[0].evidence)


def test_steps_are_generator_optimizer_steps_for_a_foreign_module():
    module = ToyGAN(RingSampler(), MLPDiscriminator(data_dim=2, hidden_dim=16, num_layers=2), latent_dim=3)
    monitor = fast_monitor(warmup_steps=100)
    trainer = fit(module, monitor, generator_steps=12)
    # trainer.global_step counts G and D steps (2 per batch); the monitor's schedule counts the generator's.
    assert trainer.global_step == 24 and monitor.generator_steps == 12


class Extractor(nn.Module):
    """A feature network used through a method, as with ``MNISTClassifier.features``."""

    def __init__(self) -> None:
        super().__init__()
        self.net = nn.Sequential(nn.Linear(2, 4), nn.BatchNorm1d(4))

    def features(self, x):
        return self.net(x)


def test_probe_leaves_no_trace_on_the_networks():
    discriminator = nn.Sequential(
        nn.Linear(2, 8),
        nn.BatchNorm1d(8),
        nn.LeakyReLU(0.2),
        nn.utils.parametrizations.spectral_norm(nn.Linear(8, 1)),
        nn.Flatten(0),
    )
    generator = nn.Sequential(nn.Linear(2, 2), nn.BatchNorm1d(2))
    module, classifier, extractor = ToyGAN(generator, discriminator), nearest_mode_classifier(), Extractor()
    module.train()
    monitor = fast_monitor(classifier=classifier, feature_extractor=extractor.features)  # a method of a module
    monitor.on_fit_start(None, module)
    monitor.probe.collect((ring_data(64),))
    before = {k: v.clone() for k, v in (module.state_dict() | extractor.state_dict()).items()}
    signals = monitor.probe.measure(module)
    assert {"diversity_ratio", "feature_diversity_ratio", "d_auc", "modes_seen"} <= set(signals)
    after = module.state_dict() | extractor.state_dict()
    assert all(torch.equal(before[k], after[k]) for k in before)  # BatchNorm statistics, spectral-norm vectors
    assert module.generator.training and module.discriminator.training
    assert classifier.training and extractor.training  # eval mode only during the probe


class RecordPerRank(pl.Callback):
    """Writes what each rank's monitor concluded (a forked fit returns only weights and metrics to the parent)."""

    def __init__(self, monitor: GANHealthMonitor, folder) -> None:
        self.monitor, self.folder = monitor, folder

    def on_train_end(self, trainer, pl_module) -> None:
        record = {"kinds": [d.kind for d in self.monitor.diagnoses], "generator_steps": self.monitor.generator_steps}
        (self.folder / f"rank{trainer.global_rank}.json").write_text(json.dumps(record))


def test_ddp_ranks_agree_on_the_diagnosis_and_stop_together(tmp_path):
    module = ToyGAN(ConstantGenerator(), MLPDiscriminator(data_dim=2, hidden_dim=16, num_layers=2), lr_d=1e-4)
    monitor = fast_monitor(stop_on_diagnosis=True)
    trainer = pl.Trainer(
        accelerator="cpu",
        devices=2,
        strategy="ddp_fork_find_unused_parameters_true",
        max_steps=80,
        callbacks=[monitor, RecordPerRank(monitor, tmp_path)],
        logger=False,
        enable_checkpointing=False,
        enable_progress_bar=False,
        enable_model_summary=False,
    )
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", GANHealthWarning)
        trainer.fit(module, DataLoader(TensorDataset(ring_data()), batch_size=32))
    records = [json.loads((tmp_path / f"rank{r}.json").read_text()) for r in (0, 1)]
    assert records[0] == records[1] == {"kinds": ["mode_collapse"], "generator_steps": 20}


def test_monitor_rejects_a_module_without_the_protocol():
    class NoGAN(pl.LightningModule):
        def __init__(self):
            super().__init__()
            self.layer = nn.Linear(1, 1)

    with pytest.raises(TypeError, match="`generator`"):
        fast_monitor().on_fit_start(None, NoGAN())


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"check_every_n_steps": 0}, "check_every_n_steps must be an int >= 1, got 0"),
        ({"warmup_steps": -1}, "warmup_steps must be an int >= 0, got -1"),
        (
            {"grad_window": 8, "check_every_n_steps": 4},
            r"grad_window must be an int in \[1, check_every_n_steps=4\].*got 8",
        ),
    ],
)
def test_invalid_settings_are_rejected_by_name(kwargs, message):
    with pytest.raises(ValueError, match=message):
        GANHealthMonitor(**kwargs)


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"patience": 0}, "patience must be an int >= 1, got 0"),
        ({"diversity_threshold": 1.2}, r"diversity_threshold must be a number in \(0.0, 1.0\), got 1.2"),
        ({"within_class_diversity_threshold": 0.0}, r"within_class_diversity_threshold must be a number in \(0.0,"),
        ({"saturation_prob": 0.7}, r"saturation_prob must be a number in \(0.0, 0.5\), got 0.7"),
        ({"d_loss_eps": -1.0}, "d_loss_eps must be a finite number > 0.0, got -1.0"),
    ],
)
def test_invalid_thresholds_are_rejected_by_name(kwargs, message):
    with pytest.raises(ValueError, match=message):
        HealthThresholds(**kwargs)


def test_thresholds_must_be_a_thresholds_object():
    with pytest.raises(TypeError, match="thresholds must be a HealthThresholds, got dict"):
        GANHealthMonitor(thresholds={"patience": 2})


def test_invalid_classifier_type_is_rejected():
    with pytest.raises(TypeError, match=r"classifier must be an nn.Module \(or a method of one\) or None, got str"):
        GANHealthMonitor(classifier="resnet")


# ---------------------------------------------------------------------------------------------- with our engine
def test_engine_run_with_a_collapsed_generator_reads_its_losses_and_settings():
    torch.manual_seed(0)
    model = GAN(
        generator=ConstantGenerator(),
        discriminator=MLPDiscriminator(2, hidden_dim=16, num_layers=2, pack=2),
        latent_dim=2,
        optimization=Optimization(lr_d=1e-4),
        noise_seed=0,
    )
    monitor = fast_monitor()
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        fit(model, monitor, data=ToyDataModule("ring", batch_size=64, num_batches_per_epoch=50))
    assert len(health_warnings(caught)) == 1 and [d.kind for d in monitor.diagnoses] == ["mode_collapse"]
    assert monitor.generator_steps == model.generator_steps == 40
    evidence, remedies = monitor.diagnoses[0].evidence, monitor.diagnoses[0].remedies
    assert {"loss_d", "loss_g", "g_grad_norm", "d_grad_norm", "d_auc"} <= set(evidence)  # engine's loss/d, loss/g read
    assert not any("callback_metrics by generator step" in str(w.message) for w in caught)  # keys found: no warning
    assert not any("pack=" in r for r in remedies)  # the model already packs: not offered again


def test_engine_run_ending_off_the_data_is_offered_the_measured_ingredients_it_lacks():
    torch.manual_seed(0)
    model = VanillaGAN(
        data_dim=2, latent_dim=2, networks=NetworkOptions(hidden_dim=16, num_layers=2, pack=2), noise_seed=0
    )
    monitor = fast_monitor(warmup_steps=35)  # one check (step 40) before the end: too few to confirm anything else
    with warnings.catch_warnings(record=True):
        warnings.simplefilter("always")
        fit(model, monitor, data=ToyDataModule("grid", batch_size=64, num_batches_per_epoch=50))
    assert [d.kind for d in monitor.diagnoses] == ["samples_off_data"]  # 40 steps: between the grid's modes
    remedies = monitor.diagnoses[0].remedies
    assert remedies[0].startswith("Optimization(lr_decay='linear'") and remedies[1].startswith("ema_decay=0.999")
    assert any(r.startswith("pack=1") and "now pack=2" in r for r in remedies)
    assert any("hidden_dim=256) (now 16)" in r for r in remedies)


def test_engine_wgangp_counts_generator_steps_and_measures_both_networks():
    model = WGANGP(
        data_dim=2, networks=NetworkOptions(d_norm="layer", hidden_dim=16, num_layers=2), noise_seed=0
    )  # n_critic = 5: 6 optimizer steps per G step
    monitor = fast_monitor(warmup_steps=100)
    trainer = fit(model, monitor, generator_steps=15, data=ToyDataModule("ring", batch_size=64), n_critic=5)
    assert monitor.generator_steps == model.generator_steps == 15
    assert monitor.rules.saturation_route is False  # a critic's logits are not probabilities
    metrics = trainer.callback_metrics
    assert float(metrics["health/g_grad_norm"]) > 0 and float(metrics["health/d_grad_norm"]) > 0
    assert "health/d_auc" in metrics and monitor.diagnoses == []


def test_engine_conditional_model_is_probed_with_labels():
    x = ring_data(256)
    labels = torch.atan2(x[:, 1], x[:, 0]).div(math.pi / 4).round().remainder(8).long()  # the mode of each point
    model = ConditionalGAN(
        data_dim=2, num_classes=8, latent_dim=4, networks=NetworkOptions(hidden_dim=16, num_layers=2), noise_seed=0
    )
    monitor = fast_monitor(warmup_steps=100)
    trainer = fit(model, monitor, generator_steps=10, data=DataLoader(TensorDataset(x, labels), batch_size=64))
    assert torch.equal(monitor.probe.real_labels, labels[: len(monitor.probe.real_labels)])
    assert {"health/d_auc", "health/d_real_prob", "health/diversity_ratio"} <= set(trainer.callback_metrics)
    assert float(trainer.callback_metrics["health/classes_measured"]) == 8  # within-class diversity, per mode
    assert float(trainer.callback_metrics["health/within_class_diversity_ratio"]) > 0
