"""The engine and every variant under a real Lightning Trainer on CPU."""

import copy
import inspect
from dataclasses import replace

import lightning as L
import pytest
import torch
from torch.utils.data import DataLoader, TensorDataset

from lightning_gans import (
    DCGAN,
    GAN,
    SNGAN,
    WGANGP,
    ConditionalGAN,
    NetworkOptions,
    Optimization,
    PacGAN,
    Regularization,
    VanillaGAN,
)
from lightning_gans.losses import LOSSES
from lightning_gans.nets.factory import ARCHITECTURES
from lightning_gans.variants import VARIANTS


def fit(model, data, max_steps, tmp_path=None, **trainer_args):
    trainer = L.Trainer(
        accelerator="cpu",
        max_steps=max_steps,
        logger=False,
        enable_checkpointing=False,
        enable_progress_bar=False,
        enable_model_summary=False,
        default_root_dir=tmp_path,
        log_every_n_steps=1,
        **trainer_args,
    )
    trainer.fit(model, data)
    return trainer


def points(n=128, batch_size=16, labels=False):
    tensors = (torch.randn(n, 2), torch.randint(0, 10, (n,))) if labels else (torch.randn(n, 2),)
    return DataLoader(TensorDataset(*tensors), batch_size=batch_size, drop_last=True)


def images(n=64, batch_size=16, size=28, channels=1, labels=False):
    x = torch.rand(n, channels, size, size) * 2 - 1
    tensors = (x, torch.randint(0, 10, (n,))) if labels else (x,)
    return DataLoader(TensorDataset(*tensors), batch_size=batch_size, drop_last=True)


H16 = NetworkOptions(hidden_dim=16)
W8 = NetworkOptions(base_width=8)


def snapshot(module):
    return [p.detach().clone() for p in module.parameters()]


def changed(before, module):
    # Every weight tensor moved (biases may legitimately stay: a Wasserstein critic's output bias cancels out).
    pairs = [(a, b) for a, b in zip(before, module.parameters()) if a.dim() > 1]
    return bool(pairs) and all(not torch.equal(a, b) for a, b in pairs)


def small(variant):
    """A small instance of any registered variant: its paper's networks and options, at toy width."""
    defaults = inspect.signature(variant).parameters
    networks = replace(defaults["networks"].default, hidden_dim=16, base_width=8)
    if networks.architecture in ("auto", "mlp"):
        shape, data = dict(data_dim=2), points
    else:
        shape, data = dict(image_size=32, channels=3), lambda: images(size=32, channels=3)
    if variant.REQUIRES_NUM_CLASSES:
        shape["num_classes"] = 10
        data = (lambda make: lambda: make(labels=True))(data)
    return variant(networks=networks, **shape), data


@pytest.mark.parametrize("variant", VARIANTS, ids=lambda v: v.__name__)
def test_every_variant_trains_both_networks_and_counts_steps(variant):
    L.seed_everything(0)
    model, make_data = small(variant)
    n_critic = model.optimization.n_critic
    g_before, d_before = snapshot(model.generator), snapshot(model.discriminator)
    max_steps = 2 * (n_critic + 1)  # two full G updates
    trainer = fit(model, make_data(), max_steps)
    assert changed(g_before, model.generator) and changed(d_before, model.discriminator)
    # global_step counts every optimizer step: n_critic D steps + 1 G step per round.
    assert trainer.global_step == max_steps
    assert model.generator_steps == 2 and model.discriminator_steps == 2 * n_critic
    assert model.images_seen == 16 * model.discriminator_steps
    metrics = trainer.callback_metrics
    assert {"loss/d", "loss/g", "d/real_logit", "d/fake_logit", "grad/g_norm", "grad/d_norm"} <= set(metrics)
    assert all(torch.isfinite(v) for v in metrics.values())


@pytest.mark.parametrize("loss", sorted(LOSSES))
def test_every_registered_loss_trains(loss):
    L.seed_everything(0)
    model = VanillaGAN(data_dim=2, networks=NetworkOptions(hidden_dim=16), loss=loss)
    trainer = fit(model, points(), max_steps=4)
    assert model.loss is LOSSES[loss] and model.hparams.loss == loss
    assert torch.isfinite(trainer.callback_metrics["loss/d"]) and torch.isfinite(trainer.callback_metrics["loss/g"])


@pytest.mark.parametrize("architecture", ARCHITECTURES)
def test_every_registered_architecture_trains(architecture):
    L.seed_everything(0)
    vectors = architecture in ("auto", "mlp")
    shape = dict(data_dim=2) if vectors else dict(image_size=32, channels=3)
    networks = NetworkOptions(architecture, base_width=8, hidden_dim=16, d_norm="layer")
    model = VanillaGAN(networks=networks, **shape)
    fit(model, points() if vectors else images(size=32, channels=3), max_steps=4)
    assert model.generator_steps == 2 and model.sample(2).shape[1:] == ((2,) if vectors else (3, 32, 32))


def test_variant_signatures_show_their_papers_values():
    wgangp = inspect.signature(WGANGP).parameters
    assert wgangp["loss"].default == "wasserstein"
    assert wgangp["optimization"].default == Optimization(
        lr_g=1e-4, lr_d=1e-4, betas_g=(0, 0.9), betas_d=(0, 0.9), n_critic=5
    )
    assert wgangp["regularization"].default.gp_weight == 10.0
    assert inspect.signature(PacGAN).parameters["networks"].default.pack == 4
    for variant in VARIANTS:  # no setting hides behind None when it has a value
        for name in ("loss", "optimization", "regularization", "networks", "latent_dim"):
            assert inspect.signature(variant).parameters[name].default is not None, (variant, name)


def test_n_critic_is_honoured_by_the_optimizers_themselves():
    model = VanillaGAN(data_dim=2, networks=NetworkOptions(hidden_dim=16), optimization=Optimization(n_critic=3))
    fit(model, points(n=256), max_steps=16)  # 4 rounds of 3 D + 1 G
    opt_g, opt_d = (o.optimizer for o in model.optimizers())
    adam_steps = lambda opt: int(next(iter(opt.state.values()))["step"])  # noqa: E731
    assert adam_steps(opt_d) == 12 and adam_steps(opt_g) == 4
    assert (model.discriminator_steps, model.generator_steps) == (12, 4)


def test_gradient_penalty_and_r1_are_logged():
    fit(
        model := VanillaGAN(
            data_dim=2, networks=H16, regularization=Regularization(gp_weight=10.0, r1_weight=1.0, r1_interval=2)
        ),
        points(),
        max_steps=6,
    )
    assert model.trainer.callback_metrics["reg/gp"] > 0
    assert model.trainer.callback_metrics["reg/r1"] > 0  # lazy: computed on D steps 0 and 2 of 0..2


def test_ema_differs_from_generator_and_is_used_for_sampling():
    L.seed_everything(0)
    model = VanillaGAN(data_dim=2, networks=H16, ema_decay=0.9)
    fit(model, points(), max_steps=12)
    ema = model.ema_generator.module
    assert any(not torch.equal(a, b) for a, b in zip(ema.parameters(), model.generator.parameters()))
    z = torch.randn(4, model.latent_dim)
    torch.manual_seed(1)
    sampled = model.sample(4)
    torch.manual_seed(1)
    assert torch.allclose(sampled, ema(torch.randn(4, model.latent_dim)))
    assert torch.allclose(model(z), ema(z))
    assert not torch.allclose(model(z), model.generator(z))


def test_checkpoint_round_trip_gives_a_working_model(tmp_path):
    L.seed_everything(0)
    model = DCGAN(image_size=28, channels=1, networks=NetworkOptions("dcgan", base_width=8), ema_decay=0.99)
    trainer = fit(model, images(), max_steps=4, tmp_path=tmp_path)
    path = tmp_path / "model.ckpt"
    trainer.save_checkpoint(path)
    loaded = DCGAN.load_from_checkpoint(path)
    assert loaded.generator_steps == 2 and loaded.optimization.lr_g == 2e-4 and loaded.hparams.latent_dim == 100
    z = torch.randn(3, 100)
    assert torch.allclose(loaded(z), model(z), atol=1e-6)
    assert loaded.sample(3).shape == (3, 1, 28, 28)


def test_custom_networks_round_trip(tmp_path):
    g, d = torch.nn.Linear(3, 2), torch.nn.Sequential(torch.nn.Linear(2, 1), torch.nn.Flatten(0))
    model = GAN(generator=g, discriminator=d, latent_dim=3)
    trainer = fit(model, points(), max_steps=2, tmp_path=tmp_path)
    trainer.save_checkpoint(tmp_path / "c.ckpt")
    loaded = GAN.load_from_checkpoint(tmp_path / "c.ckpt", generator=copy.deepcopy(g), discriminator=copy.deepcopy(d))
    assert torch.equal(loaded.generator.weight, model.generator.weight)


def test_bf16_mixed_keeps_the_gradient_penalty_finite():
    L.seed_everything(0)
    model = WGANGP(image_size=28, channels=1, networks=NetworkOptions(d_norm="layer", base_width=4))
    trainer = fit(model, images(), max_steps=6, precision="bf16-mixed")
    gp = trainer.callback_metrics["reg/gp"]
    assert torch.isfinite(gp) and gp > 0
    assert all(torch.isfinite(p).all() for p in model.parameters())


def test_conditional_gan_generates_requested_classes_and_rejects_bad_labels():
    model = ConditionalGAN(num_classes=10, image_size=28, networks=W8)
    fit(model, images(labels=True), max_steps=2)
    assert model.sample(5, labels=torch.tensor([0, 1, 2, 3, 9])).shape == (5, 1, 28, 28)
    with pytest.raises(ValueError, match=r"labels must lie in \[0, 9\] \(num_classes=10\), got values in \[0, 10\]"):
        model.sample(2, labels=torch.tensor([0, 10]))
    with pytest.raises(ValueError, match="ConditionalGAN needs num_classes"):
        ConditionalGAN(image_size=28)


def test_conditional_model_without_labels_in_the_data_is_a_clear_error():
    with pytest.raises(ValueError, match=r"conditional \(num_classes=10\): batches must be \(samples, labels\)"):
        fit(ConditionalGAN(num_classes=10, image_size=28, networks=W8), images(), max_steps=2)


def test_data_that_does_not_match_the_generator_is_a_clear_error():
    with pytest.raises(ValueError, match=r"sample shape \(1, 32, 32\) but the generator produces \(1, 28, 28\)"):
        fit(DCGAN(image_size=28, networks=NetworkOptions("dcgan", base_width=8)), images(size=32), max_steps=2)


@pytest.mark.parametrize(
    "make, error, message",
    [
        (lambda: VanillaGAN(data_dim=2, loss="wgan"), ValueError, "loss must be one of"),
        (lambda: Optimization(n_critic=0), ValueError, "n_critic must be an int >= 1, got 0"),
        (lambda: Optimization(lr_d=-1.0), ValueError, "lr_d must be a finite number > 0.0, got -1.0"),
        (lambda: Optimization(lr_d="fast"), TypeError, "lr_d must be a number"),
        (lambda: VanillaGAN(data_dim=2, ema_decay=1.5), ValueError, r"ema_decay must be a number in \(0.0, 1.0\)"),
        (
            lambda: VanillaGAN(data_dim=2, loss="hinge", regularization=Regularization(label_smoothing=0.1)),
            ValueError,
            "label_smoothing applies to smoothable losses",
        ),
        (lambda: Optimization(lr_decay="linear"), TypeError, "needs|lr_decay_steps"),
        (lambda: VanillaGAN(data_dim=2, on_nonfinite="ignore"), ValueError, "on_nonfinite must be one of"),
        (lambda: NetworkOptions(architecture="vit"), ValueError, "architecture must be one of"),
    ],
)
def test_bad_arguments_name_the_argument(make, error, message):
    with pytest.raises(error, match=message):
        make()


def test_missing_or_ambiguous_data_shape_is_explained():
    with pytest.raises(ValueError, match="give either data_dim"):
        VanillaGAN()
    with pytest.raises(ValueError, match="d_norm='batch'"):
        VanillaGAN(image_size=32, regularization=Regularization(gp_weight=10.0))


def test_learning_rate_decay_is_stepped_per_generator_step():
    model = VanillaGAN(data_dim=2, networks=H16, optimization=Optimization(lr_decay="linear", lr_decay_steps=4))
    fit(model, points(), max_steps=4)  # 2 G steps of 4
    opt_g, opt_d = (o.optimizer for o in model.optimizers())
    assert opt_g.param_groups[0]["lr"] == pytest.approx(2e-4 * 0.5)
    assert opt_d.param_groups[0]["lr"] == pytest.approx(2e-4 * 0.5)


def test_gradient_clipping_bounds_the_update():
    model = VanillaGAN(
        data_dim=2, networks=H16, optimization=Optimization(grad_clip_norm=1e-3, lr_d=1.0, optimizer="rmsprop")
    )
    seen = []
    original = model.on_before_optimizer_step

    def spy(optimizer):
        original(optimizer)
        grads = [p.grad for p in optimizer.param_groups[0]["params"] if p.grad is not None]
        seen.append(float(torch.nn.utils.get_total_norm(grads)))

    model.on_before_optimizer_step = spy
    fit(model, points(), max_steps=4)
    assert seen and max(seen) <= 1e-3 + 1e-9


def test_sngan_trains_resnet_nets_with_spectral_norm():
    L.seed_everything(0)
    model = SNGAN(
        image_size=8, channels=1, networks=NetworkOptions("resnet", base_width=8, spectral_norm=True), latent_dim=16
    )
    assert hasattr(model.discriminator, "parametrizations") or any(
        hasattr(m, "parametrizations") for m in model.discriminator.modules()
    )
    trainer = fit(model, images(size=8, n=32, batch_size=8), max_steps=6)
    assert model.generator_steps == 1 and torch.isfinite(trainer.callback_metrics["loss/d"])
