"""The networks of PacGAN's published protocols: the 2-D maxout / BatchNorm MLPs and the 28-px stacked-MNIST convnets."""

from __future__ import annotations

import lightning as L
import pytest
import torch
from torch import nn

from lightning_gans import GAN, Optimization
from lightning_gans.data.toy import ToyDataModule
from lightning_gans.nets import (
    BatchNormMLPGenerator,
    DCGAN28Discriminator,
    DCGAN28Generator,
    Maxout,
    MaxoutMLPDiscriminator,
    UnrolledGANDiscriminator,
    UnrolledGANGenerator,
)


def test_maxout_is_the_max_over_each_units_own_pieces() -> None:
    torch.manual_seed(0)
    layer = Maxout(3, 4, pieces=5)
    x = torch.randn(6, 3)
    affine = x @ layer.linear.weight.T + layer.linear.bias  # (6, 20): unit j owns pieces 5j .. 5j + 4
    expected = torch.stack([affine[:, 5 * j : 5 * j + 5].max(dim=1).values for j in range(4)], dim=1)
    assert torch.allclose(layer(x), expected)
    with pytest.raises(TypeError, match="pieces"):
        Maxout(3, 4, pieces=2.0)


def test_maxout_discriminator_is_pacgans_and_judges_packs_of_concatenated_samples() -> None:
    d = MaxoutMLPDiscriminator(data_dim=2, pack=3)
    maxouts = [m for m in d.modules() if isinstance(m, Maxout)]
    assert [(m.in_features, m.out_features, m.pieces) for m in maxouts] == [(6, 200, 5), (200, 200, 5), (200, 200, 5)]
    assert not any(isinstance(m, (nn.ReLU, nn.LeakyReLU, nn.BatchNorm1d)) for m in d.modules())  # linear output
    x = torch.randn(6, 2)
    logits = d(x)
    assert logits.shape == (2,)
    # Pack k is samples 3k, 3k+1, 3k+2 concatenated: the same as a pack-1 net applied to the (2, 6) rows.
    assert torch.allclose(logits, d.head(d.body(x.reshape(2, 6))).squeeze(1))
    swapped = x[[1, 0, 2, 3, 4, 5]]  # order inside a pack matters to a packed D (it sees a concatenation)
    assert not torch.allclose(d(swapped)[0], logits[0]) and torch.allclose(d(swapped)[1], logits[1])
    weights = torch.cat([m.linear.weight.flatten() for m in maxouts])
    assert abs(weights.std().item() - 0.02) < 0.002 and all(m.linear.bias.abs().max() == 0 for m in maxouts)


def test_batchnorm_generator_has_no_hidden_bias_and_samples_with_running_statistics() -> None:
    g = BatchNormMLPGenerator(latent_dim=2, data_dim=2)
    linears = [m for m in g.modules() if isinstance(m, nn.Linear)]
    norms = [m for m in g.modules() if isinstance(m, nn.BatchNorm1d)]
    assert [(m.in_features, m.out_features, m.bias is not None) for m in linears] == [
        (2, 400, False),
        (400, 400, False),
        (400, 400, False),
        (400, 400, False),
        (400, 2, True),
    ]
    assert len(norms) == 4 and all(m.momentum == 0.05 for m in norms)
    z = torch.randn(64, 2)
    g(z)  # one training-mode batch moves the running mean 5% of the way to the batch mean
    assert torch.allclose(norms[0].running_mean, 0.05 * (z @ linears[0].weight.T).mean(dim=0), atol=1e-6)
    g.eval()  # evaluation: each sample's output no longer depends on the rest of its batch
    assert torch.allclose(g(z)[:3], g(z[:3]), atol=1e-6)
    with pytest.raises(ValueError, match="bn_momentum"):
        BatchNormMLPGenerator(2, 2, bn_momentum=0.0)


def test_pacgan_2d_networks_train_in_the_engine() -> None:
    torch.manual_seed(0)
    model = GAN(
        generator=BatchNormMLPGenerator(latent_dim=2, data_dim=2, hidden_dim=16, num_layers=2),
        discriminator=MaxoutMLPDiscriminator(data_dim=2, hidden_dim=8, num_layers=2, pieces=3, pack=2),
        latent_dim=2,
        optimization=Optimization(lr_g=1e-4, lr_d=1e-4, betas_g=(0.8, 0.999), betas_d=(0.8, 0.999)),
        noise_seed=0,
    )
    before = [p.detach().clone() for p in model.discriminator.parameters()]
    trainer = L.Trainer(max_steps=4, logger=False, enable_checkpointing=False, enable_progress_bar=False)
    trainer.fit(model, ToyDataModule("grid", batch_size=20, num_batches_per_epoch=4, seed=0))
    assert model.generator_steps == 2
    assert any(not torch.equal(a, b) for a, b in zip(before, model.discriminator.parameters()))
    assert model.sample(10).shape == (10, 2)


def _stages(module: nn.Module, x: torch.Tensor, kinds: tuple[type, ...]) -> list[tuple[int, ...]]:
    shapes = []
    for layer in module:
        x = layer(x)
        if isinstance(layer, kinds):
            shapes.append(tuple(x.shape[1:]))
    return shapes


def test_dcgan28_is_the_veegan_setting_dcgan() -> None:
    g, d = DCGAN28Generator(latent_dim=100, channels=3, base_width=8), DCGAN28Discriminator(3, 8, pack=2)
    z = torch.rand(4, 100) * 2 - 1
    h = g.project(z).view(4, -1, 2, 2)
    assert tuple(h.shape[1:]) == (64, 2, 2)  # linear z -> 2 x 2 x 8w
    assert _stages(g.net, h, (nn.ConvTranspose2d,)) == [(32, 4, 4), (16, 7, 7), (8, 14, 14), (3, 28, 28)]
    images = g(z)
    assert images.shape == (4, 3, 28, 28) and images.abs().max() <= 1
    x = torch.randn(4, 3, 28, 28)
    assert _stages(d.body, d.body[0].weight.new_zeros(2, 6, 28, 28), (nn.Conv2d,)) == [
        (8, 14, 14),
        (16, 7, 7),
        (32, 4, 4),
        (64, 2, 2),
    ]
    kinds = [type(m).__name__ for m in d.body]
    assert kinds[:3] == ["Conv2d", "LeakyReLU", "Conv2d"]  # no BatchNorm after the first convolution
    assert kinds.count("BatchNorm2d") == 3 and all(
        m.negative_slope == 0.2 for m in d.body if "ReLU" in type(m).__name__
    )
    assert d(x).shape == (2,) and d.body[0].in_channels == 6  # two stacked images per pack


@pytest.mark.parametrize(("width", "channels"), [(2, (2, 4, 8)), (4, (4, 8, 16))])
def test_unrolled_gan_small_discriminators(width: int, channels: tuple[int, int, int]) -> None:
    g, d = UnrolledGANGenerator(), UnrolledGANDiscriminator(base_width=width, pack=4)
    z = torch.randn(8, 256)
    h = g.project(z).view(8, 64, 4, 4)
    assert _stages(g.net, h, (nn.ConvTranspose2d, nn.Conv2d)) == [(32, 7, 7), (16, 14, 14), (8, 28, 28), (3, 28, 28)]
    assert d.body[0].in_channels == 12 and d(g(z)).shape == (2,)
    assert _stages(d.body, torch.zeros(2, 12, 28, 28), (nn.Conv2d,)) == [
        (channels[0], 14, 14),
        (channels[1], 7, 7),
        (channels[2], 4, 4),
    ]
    assert sum(isinstance(m, nn.BatchNorm2d) for m in d.body) == 3  # BatchNorm after every convolution
    assert all(m.negative_slope == 0.3 for m in d.body if isinstance(m, nn.LeakyReLU))
    assert d.head.in_features == channels[2] * 16
