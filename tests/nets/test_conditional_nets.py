"""Class-conditional BatchNorm and the conditional DCGAN generator built on it."""

from __future__ import annotations

import pytest
import torch
from torch import nn

from lightning_gans.nets.conditional import ConditionalDCGANDiscriminator, ConditionalDCGANGenerator
from lightning_gans.nets.layers import ConditionalBatchNorm2d


def test_conditional_batchnorm_starts_as_batchnorm_and_learns_a_per_condition_affine():
    torch.manual_seed(0)
    layer = ConditionalBatchNorm2d(num_features=4, condition_dim=2)
    x = torch.randn(6, 4, 5, 5)
    condition = nn.functional.one_hot(torch.tensor([0, 0, 0, 1, 1, 1]), 2).float()  # two classes, one-hot
    assert torch.allclose(layer(x, condition), nn.BatchNorm2d(4)(x), atol=1e-5)
    optimizer = torch.optim.SGD(layer.parameters(), lr=0.5)
    target = torch.zeros(6, 4, 5, 5)
    target[:3] += 2.0  # class 0 must shift its outputs by 2, class 1 not at all
    for _ in range(200):
        optimizer.zero_grad()
        nn.functional.mse_loss(layer(x, condition), layer.norm(x).detach() + target).backward()
        optimizer.step()
    shift = (layer(x, condition) - layer.norm(x)).detach().mean(dim=(1, 2, 3))
    assert torch.allclose(shift, target.mean(dim=(1, 2, 3)), atol=0.1)
    # Eval mode normalises with the running statistics, like BatchNorm2d.
    assert layer.norm.num_batches_tracked > 0
    layer.eval()
    assert layer(x[:1], condition[:1]).shape == (1, 4, 5, 5)


@pytest.mark.parametrize(
    "kwargs, error, message",
    [
        ({"num_features": 0, "condition_dim": 2}, ValueError, "num_features must be an int >= 1, got 0"),
        ({"num_features": 2, "condition_dim": 1.5}, TypeError, r"condition_dim must be an int >= 1, got 1.5 \(float\)"),
    ],
)
def test_conditional_batchnorm_rejects_bad_sizes(kwargs, error, message):
    with pytest.raises(error, match=message):
        ConditionalBatchNorm2d(**kwargs)


def test_conditional_batchnorm_rejects_a_condition_of_the_wrong_shape():
    with pytest.raises(ValueError, match=r"condition \(N, 3\), got x \(2, 4, 1, 1\) and condition \(2, 2\)"):
        ConditionalBatchNorm2d(4, 3)(torch.randn(2, 4, 1, 1), torch.randn(2, 2))


@pytest.mark.parametrize("image_size", [28, 32, 64])
def test_generator_output_depends_on_noise_and_on_class(image_size):
    torch.manual_seed(0)
    g = ConditionalDCGANGenerator(latent_dim=8, image_size=image_size, channels=3, base_width=4, num_classes=5)
    for norm in g.norms:  # a trained generator: class-dependent scales and shifts
        nn.init.normal_(norm.gain.weight, 0.0, 0.5)
        nn.init.normal_(norm.bias.weight, 0.0, 0.5)
    g.eval()
    z = torch.randn(4, 8)
    same_class = g(z, torch.zeros(4, dtype=torch.long))
    assert same_class.shape == (4, 3, image_size, image_size)
    assert same_class.min() >= -1 and same_class.max() <= 1
    assert same_class.std(dim=0).mean() > 1e-3  # different z, same class: different images
    other_class = g(z, torch.full((4,), 3))
    assert (other_class - same_class).abs().mean() > 1e-3  # same z, other class: other images


def test_generator_needs_labels_and_valid_sizes():
    g = ConditionalDCGANGenerator(latent_dim=4, image_size=28, channels=1, base_width=4, num_classes=3)
    with pytest.raises(ValueError, match=r"conditional \(num_classes=3\): pass labels"):
        g(torch.randn(2, 4))
    with pytest.raises(ValueError, match="image_size must be one of"):
        ConditionalDCGANGenerator(image_size=30)
    with pytest.raises(ValueError, match="embedding_dim"):
        ConditionalDCGANGenerator(embedding_dim=0)


def test_conditional_gan_builds_the_conditional_pair_and_trains_its_class_parameters():
    import lightning as L
    from torch.utils.data import DataLoader, TensorDataset

    from lightning_gans import ConditionalGAN, NetworkOptions

    L.seed_everything(0)
    model = ConditionalGAN(
        num_classes=3, image_size=28, channels=1, networks=NetworkOptions(base_width=4), latent_dim=8
    )
    assert isinstance(model.generator, ConditionalDCGANGenerator)
    assert isinstance(model.discriminator, ConditionalDCGANDiscriminator)
    data = TensorDataset(torch.rand(32, 1, 28, 28) * 2 - 1, torch.arange(32) % 3)
    trainer = L.Trainer(
        max_steps=6,
        accelerator="cpu",
        logger=False,
        enable_checkpointing=False,
        enable_progress_bar=False,
        enable_model_summary=False,
    )
    trainer.fit(model, DataLoader(data, batch_size=8))
    assert model.generator.norms[0].gain.weight.abs().sum() > 0  # the class scales left their zero start
    samples = model.sample(6, labels=torch.tensor([0, 0, 1, 1, 2, 2]))
    assert samples.shape == (6, 1, 28, 28) and torch.isfinite(samples).all()


def test_discriminator_reads_the_class_and_checks_its_inputs():
    torch.manual_seed(0)
    d = ConditionalDCGANDiscriminator(image_size=32, channels=3, base_width=4, num_classes=4, pack=2).eval()
    x = torch.randn(4, 3, 32, 32)
    assert d(x, torch.tensor([0, 1, 2, 3])).shape == (2,)
    assert not torch.allclose(d(x, torch.tensor([0, 1, 2, 3])), d(x, torch.tensor([3, 2, 1, 0])))
    with pytest.raises(ValueError, match=r"conditional \(num_classes=4\): pass labels"):
        d(x)
    with pytest.raises(ValueError, match=r"x must be \(N, 3, H, W\) with labels \(N,\)"):
        d(torch.randn(4, 1, 32, 32), torch.zeros(4, dtype=torch.long))
