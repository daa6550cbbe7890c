"""Each loss against its formula and the sign of its gradient."""

import math

import pytest
import torch
import torch.nn.functional as F

from lightning_gans import losses

R = torch.tensor([1.5, -0.5, 2.0])
FK = torch.tensor([-1.0, 0.3, -2.5])


def _grad(fn, x):
    x = x.clone().requires_grad_(True)
    fn(x).backward()
    return x.grad


def test_cross_entropy_discriminator_matches_log_formula():
    d_real, d_fake = torch.sigmoid(R), torch.sigmoid(FK)
    expected = -(torch.log(d_real).mean() + torch.log(1 - d_fake).mean())
    assert torch.allclose(losses.cross_entropy_d_loss(R, FK), expected, atol=1e-6)


def test_one_sided_label_smoothing_only_softens_real_targets():
    t = 0.9
    d_real, d_fake = torch.sigmoid(R), torch.sigmoid(FK)
    expected = -(t * torch.log(d_real) + (1 - t) * torch.log(1 - d_real)).mean() - torch.log(1 - d_fake).mean()
    assert torch.allclose(losses.cross_entropy_d_loss(R, FK, real_target=t), expected, atol=1e-6)


def test_minimax_generator_saturates_when_d_rejects_fakes():
    assert torch.allclose(losses.minimax_g_loss(FK), torch.log(1 - torch.sigmoid(FK)).mean(), atol=1e-6)
    # d/df log(1 - sigmoid(f)) = -sigmoid(f): almost zero for a confidently rejected fake (f = -10).
    confident = _grad(losses.minimax_g_loss, torch.tensor([-10.0]))
    assert abs(float(confident)) < 1e-4
    # Descending the loss raises the fake logit: the gradient is negative.
    assert (_grad(losses.minimax_g_loss, FK) < 0).all()


def test_non_saturating_generator_keeps_gradient_when_d_rejects_fakes():
    assert torch.allclose(losses.non_saturating_g_loss(FK), -torch.log(torch.sigmoid(FK)).mean(), atol=1e-6)
    grad = _grad(losses.non_saturating_g_loss, torch.tensor([-10.0]))
    assert float(grad) == pytest.approx(-(1 - torch.sigmoid(torch.tensor(-10.0))).item(), rel=1e-5)
    assert float(grad) < -0.99


def test_least_squares_losses_match_mao_et_al():
    expected_d = 0.5 * ((R - 1) ** 2).mean() + 0.5 * (FK**2).mean()
    assert torch.allclose(losses.least_squares_d_loss(R, FK), expected_d)
    assert torch.allclose(losses.least_squares_g_loss(FK), 0.5 * ((FK - 1) ** 2).mean())
    assert (_grad(losses.least_squares_g_loss, FK) < 0).all()  # fakes below the target 1 are pushed up
    d_grad_real = _grad(lambda r: losses.least_squares_d_loss(r, FK), R)
    assert torch.allclose(d_grad_real, (R - 1) / 3)


def test_wasserstein_and_hinge_losses():
    assert torch.allclose(losses.wasserstein_d_loss(R, FK), FK.mean() - R.mean())
    assert torch.allclose(losses.wasserstein_g_loss(FK), -FK.mean())
    expected_hinge = F.relu(1 - R).mean() + F.relu(1 + FK).mean()
    assert torch.allclose(losses.hinge_d_loss(R, FK), expected_hinge)
    assert torch.allclose(losses.hinge_g_loss(FK), -FK.mean())
    # D pushes real scores up: descending the loss increases real logits (negative gradient) for each loss.
    for d_loss in (losses.cross_entropy_d_loss, losses.least_squares_d_loss, losses.wasserstein_d_loss):
        g = _grad(lambda r, d_loss=d_loss: d_loss(r, FK), torch.tensor([0.0, 0.2, -0.3]))
        assert (g < 0).all(), d_loss.__name__
    assert (_grad(losses.wasserstein_g_loss, FK) < 0).all()


def test_smoothing_is_rejected_where_it_has_no_meaning():
    with pytest.raises(ValueError, match="label smoothing is not defined for the hinge loss"):
        losses.hinge_d_loss(R, FK, real_target=0.9)


def test_unknown_loss_name_lists_the_known_ones():
    with pytest.raises(
        ValueError, match=r"loss must be one of \['hinge', 'least_squares', 'minimax'.*got 'wasserstien'"
    ):
        losses.get_loss("wasserstien")


def test_cross_entropy_is_stable_for_huge_logits():
    value = losses.cross_entropy_d_loss(torch.tensor([200.0]), torch.tensor([-200.0]))
    assert math.isfinite(float(value)) and float(value) < 1e-6
