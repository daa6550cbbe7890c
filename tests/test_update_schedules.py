"""The update schedules (alternating / simultaneous, g_steps) and the latent distribution, under a real Trainer."""

import copy

import lightning as L
import pytest
import torch
from torch import nn
from torch.utils.data import DataLoader, TensorDataset

from lightning_gans import GAN, Optimization
from lightning_gans.engine.rng import step_seed
from lightning_gans.nets import MLPDiscriminator, MLPGenerator

REAL = torch.randn(16, 2, generator=torch.Generator().manual_seed(3))


def fit(model, data, max_steps):
    trainer = L.Trainer(
        accelerator="cpu",
        max_steps=max_steps,
        logger=False,
        enable_checkpointing=False,
        enable_progress_bar=False,
        enable_model_summary=False,
    )
    trainer.fit(model, data)
    return trainer


def one_batch():
    return DataLoader(TensorDataset(REAL), batch_size=16)


def tiny_gan(update, seed=0):
    torch.manual_seed(seed)
    return GAN(
        MLPGenerator(latent_dim=2, data_dim=2, hidden_dim=8, num_layers=2),
        MLPDiscriminator(data_dim=2, hidden_dim=8, num_layers=2),
        latent_dim=2,
        optimization=Optimization(lr_g=1e-2, lr_d=1e-2, update=update),
        noise_seed=5,
    )


def reference_step(model, update):
    """One iteration by hand: PacGAN's simultaneous update (both gradients from one forward pass, then both steps)
    or the alternating one (G's gradient against the updated D)."""
    g, d = copy.deepcopy(model.generator), copy.deepcopy(model.discriminator)
    opt = model.optimization
    opt_g, opt_d = opt.optimizers(g, d)
    z = torch.randn(16, 2, generator=torch.Generator().manual_seed(step_seed(5, 0, 0)))
    fake = g(z)
    fake_logits = d(fake).reshape(-1)
    d_loss = model.loss.d_loss(d(REAL).reshape(-1), fake_logits, 1.0)
    d_grads = torch.autograd.grad(d_loss, list(d.parameters()), retain_graph=True)
    if update == "simultaneous":
        g_grads = torch.autograd.grad(model.loss.g_loss(fake_logits), list(g.parameters()))
    for p, grad in zip(d.parameters(), d_grads):
        p.grad = grad
    opt_d.step()
    if update == "alternating":
        g_grads = torch.autograd.grad(model.loss.g_loss(d(fake).reshape(-1)), list(g.parameters()))
    for p, grad in zip(g.parameters(), g_grads):
        p.grad = grad
    opt_g.step()
    return g, d


@pytest.mark.parametrize("update", ["simultaneous", "alternating"])
def test_one_iteration_matches_the_update_written_out_by_hand(update):
    model = tiny_gan(update)
    expected_g, expected_d = reference_step(model, update)
    trainer = fit(model, one_batch(), max_steps=2)
    assert trainer.global_step == 2 and (model.discriminator_steps, model.generator_steps) == (1, 1)
    for got, want in ((model.generator, expected_g), (model.discriminator, expected_d)):
        for a, b in zip(got.parameters(), want.parameters()):
            torch.testing.assert_close(a, b, rtol=1e-5, atol=1e-6)


def test_simultaneous_and_alternating_generators_differ():
    # Same start, same noise: only the D weights G's gradient is taken against differ (before / after D's step).
    simultaneous, alternating = tiny_gan("simultaneous"), tiny_gan("alternating")
    fit(simultaneous, one_batch(), max_steps=2)
    fit(alternating, one_batch(), max_steps=2)
    assert all(
        torch.equal(a, b)
        for a, b in zip(simultaneous.discriminator.parameters(), alternating.discriminator.parameters())
    )
    assert not all(
        torch.equal(a, b) for a, b in zip(simultaneous.generator.parameters(), alternating.generator.parameters())
    )


def test_g_steps_updates_the_generator_k_times_per_discriminator_step():
    torch.manual_seed(0)
    model = GAN(
        MLPGenerator(latent_dim=2, data_dim=2, hidden_dim=8),
        MLPDiscriminator(data_dim=2, hidden_dim=8),
        latent_dim=2,
        optimization=Optimization(g_steps=2),
        ema_decay=0.9,
    )
    trainer = fit(model, DataLoader(TensorDataset(torch.randn(64, 2)), batch_size=16), max_steps=9)
    opt_g, opt_d = (o.optimizer for o in model.optimizers())
    adam_steps = lambda opt: int(next(iter(opt.state.values()))["step"])  # noqa: E731
    assert (adam_steps(opt_d), adam_steps(opt_g)) == (3, 6)
    assert (model.discriminator_steps, model.generator_steps, trainer.global_step) == (3, 6, 9)
    assert int(model.ema_generator.n_averaged) == 6  # the EMA follows every G step


class RecordingGenerator(nn.Module):
    """A linear generator that keeps every latent batch it was given."""

    def __init__(self):
        super().__init__()
        self.linear, self.seen = nn.Linear(4, 2), []

    def forward(self, z):
        self.seen.append(z.detach().clone())
        return self.linear(z)


@pytest.mark.parametrize("distribution", ["uniform", "normal"])
def test_latent_distribution_is_what_training_and_sampling_draw(distribution):
    generator = RecordingGenerator()
    model = GAN(generator, MLPDiscriminator(data_dim=2, hidden_dim=8), latent_dim=4, latent_distribution=distribution)
    fit(model, DataLoader(TensorDataset(torch.randn(256, 2)), batch_size=64), max_steps=8)
    model.sample(2000)
    z = torch.cat(generator.seen)
    assert z.shape[0] >= 2000 + 4 * 64
    inside = bool((z.abs() <= 1).all())
    assert inside == (distribution == "uniform")
    if distribution == "uniform":  # U(-1, 1): mean |z| = 1/2, both signs
        assert abs(float(z.abs().mean()) - 0.5) < 0.02 and float(z.min()) < -0.99 and float(z.max()) > 0.99


def test_latent_distribution_survives_a_checkpoint(tmp_path):
    model = GAN(
        RecordingGenerator(), MLPDiscriminator(data_dim=2, hidden_dim=8), latent_dim=4, latent_distribution="uniform"
    )
    trainer = L.Trainer(
        accelerator="cpu", max_steps=2, logger=False, enable_progress_bar=False, default_root_dir=tmp_path
    )
    trainer.fit(model, DataLoader(TensorDataset(torch.randn(32, 2)), batch_size=16))
    trainer.save_checkpoint(tmp_path / "m.ckpt")
    loaded = GAN.load_from_checkpoint(
        tmp_path / "m.ckpt", generator=RecordingGenerator(), discriminator=MLPDiscriminator(data_dim=2, hidden_dim=8)
    )
    assert loaded.latent_distribution == "uniform"


@pytest.mark.parametrize(
    "make, message",
    [
        (lambda: Optimization(update="both"), "update must be one of 'alternating', 'simultaneous'; got 'both'"),
        (lambda: Optimization(g_steps=0), "g_steps must be an int >= 1, got 0"),
        (lambda: Optimization(n_critic=2, g_steps=2), "n_critic and g_steps cannot both exceed 1"),
        (lambda: Optimization(update="simultaneous", n_critic=5), "needs n_critic=1 and g_steps=1, got n_critic=5"),
        (
            lambda: GAN(nn.Linear(2, 2), nn.Linear(2, 1), latent_dim=2, latent_distribution="gaussian"),
            "latent_distribution must be one of 'normal', 'uniform'; got 'gaussian'",
        ),
    ],
)
def test_bad_schedule_options_name_the_argument(make, message):
    with pytest.raises(ValueError, match=message.replace("(", r"\(").replace(")", r"\)")):
        make()
