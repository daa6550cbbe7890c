"""Tests for annealed instance noise."""

import pytest
import torch

from lightning_gans.noise import add_instance_noise, instance_noise_std


@pytest.mark.parametrize(
    ("step", "expected"), [(0, 0.2), (25, 0.15), (50, 0.1), (99, 0.002), (100, 0.0), (10_000, 0.0)]
)
def test_linear_annealing_closed_form(step, expected):
    assert instance_noise_std(step, 0.2, 100) == pytest.approx(expected)


def test_no_annealing_and_zero_std():
    assert instance_noise_std(123, 0.3, 0) == pytest.approx(0.3)
    assert instance_noise_std(5, 0.0, 10) == 0.0


@pytest.mark.parametrize(
    ("kwargs", "name"),
    [
        ({"step": -1, "initial_std": 0.1, "anneal_steps": 10}, "step"),
        ({"step": 0, "initial_std": -0.1, "anneal_steps": 10}, "initial_std"),
        ({"step": 0, "initial_std": float("nan"), "anneal_steps": 10}, "initial_std"),
        ({"step": 0, "initial_std": 0.1, "anneal_steps": -5}, "anneal_steps"),
        ({"step": 0, "initial_std": 0.1, "anneal_steps": 2.5}, "anneal_steps"),
    ],
)
def test_std_validation(kwargs, name):
    with pytest.raises(ValueError, match=name):
        instance_noise_std(**kwargs)


def test_add_noise_statistics_and_gradient():
    x = torch.full((200_000,), 3.0, requires_grad=True)
    out = add_instance_noise(x, 0.25, torch.Generator().manual_seed(0))
    assert out.mean().item() == pytest.approx(3.0, abs=0.01)
    assert out.std().item() == pytest.approx(0.25, rel=0.02)
    out.sum().backward()
    assert torch.equal(x.grad, torch.ones_like(x))  # additive noise: identity gradient


def test_add_noise_zero_is_identity_and_uses_global_rng():
    x = torch.randn(4, 3)
    state = torch.get_rng_state()
    assert add_instance_noise(x, 0.0) is x
    assert torch.equal(torch.get_rng_state(), state)  # no random numbers drawn
    torch.manual_seed(1)
    a = add_instance_noise(x, 0.1)
    torch.manual_seed(1)
    assert torch.equal(a, add_instance_noise(x, 0.1))
    with pytest.raises(ValueError, match="std"):
        add_instance_noise(x, -1.0)
