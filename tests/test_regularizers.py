"""Gradient penalty and R1 in closed form, with packing, and with a scaled output (the fp16 scaler path)."""

import pytest
import torch

from lightning_gans.regularizers import gradient_penalty, input_gradient_norms, r1_penalty


def _linear_critic(w):
    return lambda x: x.flatten(1) @ w  # D(x) = w . x, gradient w everywhere


@pytest.mark.parametrize("w_norm", [0.25, 1.0, 3.0])
def test_gradient_penalty_of_linear_critic_is_closed_form(w_norm):
    torch.manual_seed(0)
    w = torch.randn(12)
    w = w / w.norm() * w_norm
    real, fake = torch.randn(16, 3, 2, 2), torch.randn(16, 3, 2, 2)
    gp = gradient_penalty(_linear_critic(w), real, fake)
    assert float(gp) == pytest.approx((w_norm - 1.0) ** 2, abs=1e-5)


def test_r1_of_linear_critic_is_squared_weight_norm():
    w = torch.tensor([3.0, 4.0])
    assert float(r1_penalty(_linear_critic(w), torch.randn(10, 2))) == pytest.approx(25.0)


def test_penalty_is_differentiable_in_the_critic_weights():
    w = torch.tensor([3.0, 4.0], requires_grad=True)
    gp = gradient_penalty(_linear_critic(w), torch.randn(8, 2), torch.randn(8, 2))
    gp.backward()
    # d/dw (|w| - 1)^2 = 2 (|w| - 1) w / |w| = 2 * 4 * w / 5
    assert torch.allclose(w.grad, 8 * torch.tensor([3.0, 4.0]) / 5, atol=1e-5)


def test_grad_scale_gives_the_same_penalty():
    w = torch.tensor([0.5, -2.0])
    real, fake = torch.randn(8, 2), torch.randn(8, 2)
    gen = torch.Generator().manual_seed(3)
    plain = gradient_penalty(_linear_critic(w), real, fake, noise=gen)
    gen.manual_seed(3)
    scaled = gradient_penalty(_linear_critic(w), real, fake, grad_scale=65536.0, noise=gen)
    assert torch.allclose(plain, scaled)


def test_packed_critic_takes_the_norm_over_each_group():
    w = torch.tensor([1.0, 0.0, 0.0, 2.0])  # a packed critic sees 2 samples of 2 features
    critic = lambda x: x.reshape(-1, 4) @ w  # noqa: E731
    norms = input_gradient_norms(critic, torch.randn(6, 2, requires_grad=True))
    assert norms.shape == (3,)
    assert torch.allclose(norms, torch.full((3,), 5.0**0.5))


def test_shape_mismatch_is_rejected():
    with pytest.raises(ValueError, match="same shape"):
        gradient_penalty(_linear_critic(torch.ones(2)), torch.randn(4, 2), torch.randn(3, 2))
