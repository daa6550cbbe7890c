"""Tests for the residual (WGAN-GP / SNGAN) generator and discriminator."""

import pytest
import torch
from torch import nn

from lightning_gans.nets.resnet import ResNetDiscriminator, ResNetGenerator


def _n_params(module):
    return sum(p.numel() for p in module.parameters())


@pytest.mark.parametrize("image_size", [8, 16, 32])
def test_generator_shapes_and_range(image_size):
    g = ResNetGenerator(latent_dim=8, channels=3, base_width=8, image_size=image_size)
    out = g(torch.randn(4, 8))
    assert out.shape == (4, 3, image_size, image_size)
    assert out.abs().max() <= 1.0


def test_conditional_generator_uses_labels():
    torch.manual_seed(0)
    g = ResNetGenerator(latent_dim=8, channels=1, base_width=8, image_size=16, num_classes=5).eval()
    z = torch.randn(1, 8).expand(3, 8)
    out = g(z, torch.tensor([0, 1, 1]))
    assert out.shape == (3, 1, 16, 16)
    assert not torch.allclose(out[0], out[1]) and torch.allclose(out[1], out[2])
    with pytest.raises(ValueError, match="labels"):
        g(z)
    with pytest.raises(ValueError, match="labels"):
        ResNetGenerator(8, base_width=8, image_size=16)(z, torch.tensor([0, 1, 1]))


@pytest.mark.parametrize("activation", ["relu", "leaky_relu"])
def test_discriminator_shapes(activation):
    d = ResNetDiscriminator(channels=1, base_width=8, image_size=32, activation=activation)
    assert d(torch.randn(5, 1, 32, 32)).shape == (5,)
    act = nn.LeakyReLU if activation == "leaky_relu" else nn.ReLU
    assert any(isinstance(m, act) for m in d.modules())
    assert not any(isinstance(m, nn.modules.batchnorm._BatchNorm) for m in d.modules())


def test_discriminator_packing_sees_groups():
    torch.manual_seed(0)
    d = ResNetDiscriminator(channels=3, base_width=8, image_size=16, pack=2, spectral_norm=False).eval()
    x = torch.randn(6, 3, 16, 16)
    logits = d(x)
    assert logits.shape == (3,)
    # the logit of pack k depends on samples 2k and 2k+1 only
    y = x.clone()
    y[3] += 1.0
    changed = d(y) != logits
    assert changed.tolist() == [False, True, False]
    with pytest.raises(ValueError, match="pack"):
        d(torch.randn(5, 3, 16, 16))


def test_projection_discriminator_term():
    torch.manual_seed(0)
    d = ResNetDiscriminator(channels=1, base_width=8, image_size=16, num_classes=4, spectral_norm=False).eval()
    x = torch.randn(1, 1, 16, 16).expand(4, 1, 16, 16)
    logits = d(x, torch.arange(4))
    assert logits.shape == (4,)
    assert logits.unique().numel() == 4  # same image, different labels -> different logits
    # logits = linear(h) + <embed(y), h>: zero the embedding row of class 2 -> the unconditional logit
    with torch.no_grad():
        d.embed.weight[2] = 0.0
    h = d.act(d.blocks(x[:1])).sum(dim=(2, 3))
    assert torch.allclose(d(x[:1], torch.tensor([2])), d.linear(h).squeeze(1), atol=1e-5)
    with pytest.raises(ValueError, match="labels"):
        d(x)


def test_packed_projection_uses_each_samples_label():
    torch.manual_seed(0)
    d = ResNetDiscriminator(channels=1, base_width=8, image_size=16, num_classes=3, pack=2).eval()
    x = torch.randn(4, 1, 16, 16)
    base = d(x, torch.tensor([0, 1, 2, 0]))
    assert base.shape == (2,)
    other = d(x, torch.tensor([0, 2, 2, 0]))  # only the second sample of pack 0 changed label
    assert other[0] != base[0] and other[1] == base[1]


def test_spectral_norm_bounds_every_weight():
    torch.manual_seed(0)
    d = ResNetDiscriminator(channels=3, base_width=16, image_size=16, num_classes=5, spectral_norm=True).train()
    for _ in range(5):  # a few power iterations (one per training forward pass)
        d(torch.randn(2, 3, 16, 16), torch.tensor([0, 1]))
    normalised = [m for m in d.modules() if hasattr(m, "parametrizations")]
    # 16 px: optimized block (2 convs + shortcut), two blocks without downsampling (2 convs each), linear, embedding
    assert len(normalised) == 3 + 2 * 2 + 1 + 1
    for m in normalised:
        w = m.weight.flatten(1)  # (out, in * k * k), the matrix spectral_norm normalises
        assert torch.linalg.matrix_norm(w, ord=2).item() == pytest.approx(1.0, abs=0.05)
    plain = ResNetDiscriminator(channels=3, base_width=16, image_size=16, spectral_norm=False)
    assert not any(hasattr(m, "parametrizations") for m in plain.modules())
    assert (
        max(torch.linalg.matrix_norm(m.weight.flatten(1), ord=2) for m in plain.modules() if isinstance(m, nn.Conv2d))
        > 1.5
    )


@pytest.mark.parametrize("spectral_norm", [True, False])
def test_gradient_penalty_double_backward(spectral_norm):
    torch.manual_seed(0)
    d = ResNetDiscriminator(channels=3, base_width=8, image_size=16, spectral_norm=spectral_norm, pack=2).train()
    x = torch.randn(4, 3, 16, 16, requires_grad=True)
    (grad,) = torch.autograd.grad(d(x).sum(), x, create_graph=True)
    penalty = ((grad.flatten(1).norm(dim=1) - 1.0) ** 2).mean()
    penalty.backward()
    # every conv weight gets a penalty gradient (biases of the last layer do not affect d logits / dx)
    convs = [m for m in d.modules() if isinstance(m, nn.Conv2d)]
    weights = [m.parametrizations.weight.original if spectral_norm else m.weight for m in convs]
    assert all(w.grad is not None and w.grad.abs().sum() > 0 for w in weights)


def test_gan_step_gradients_reach_generator():
    torch.manual_seed(0)
    g = ResNetGenerator(latent_dim=8, channels=3, base_width=8, image_size=16, num_classes=3)
    d = ResNetDiscriminator(channels=3, base_width=8, image_size=16, num_classes=3)
    labels = torch.tensor([0, 1, 2, 0])
    d(g(torch.randn(4, 8), labels), labels).mean().backward()
    assert all(p.grad is not None and p.grad.abs().sum() > 0 for p in g.parameters())


def test_parameter_counts_match_the_paper_scale():
    # WGAN-GP / SNGAN CIFAR-10 ResNets with 128 channels have about 1.2M (G) and 1.05M (D) parameters.
    g, d = ResNetGenerator(128), ResNetDiscriminator()
    assert 1.1e6 < _n_params(g) < 1.3e6
    assert 1.0e6 < _n_params(d) < 1.1e6
    assert _n_params(ResNetDiscriminator(pack=4)) - _n_params(d) == 9 * 9 * 128 + 9 * 128  # wider first convs


@pytest.mark.parametrize(
    ("factory", "name"),
    [
        (lambda: ResNetGenerator(8, image_size=24), "image_size"),
        (lambda: ResNetGenerator(0), "latent_dim"),
        (lambda: ResNetGenerator(8, num_classes=1), "num_classes"),
        (lambda: ResNetDiscriminator(image_size=4), "image_size"),
        (lambda: ResNetDiscriminator(pack=0), "pack"),
        (lambda: ResNetDiscriminator(activation="gelu"), "activation"),
    ],
)
def test_validation(factory, name):
    with pytest.raises(ValueError, match=name):
        factory()


def test_discriminator_input_shape_check():
    d = ResNetDiscriminator(channels=1, base_width=8, image_size=16)
    with pytest.raises(ValueError, match=r"\(N, 1, 16, 16\)"):
        d(torch.randn(2, 3, 16, 16))
    with pytest.raises(TypeError, match="spectral_norm"):
        ResNetDiscriminator(spectral_norm="yes")
