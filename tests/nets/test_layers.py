"""Tests for the discriminator-side layers: packing, spectral norm switch, minibatch stddev / discrimination."""

import pytest
import torch
from torch import nn

from lightning_gans.nets.layers import MinibatchDiscrimination, MinibatchStdDev, pack_samples, spectral_norm_if


# --- pack_samples ---------------------------------------------------------------------------------------------------
def test_pack_images_groups_consecutive_samples():
    x = torch.arange(6.0)[:, None, None, None].expand(6, 2, 3, 3)  # sample i is filled with i
    packed = pack_samples(x, 3)
    assert packed.shape == (2, 6, 3, 3)
    # packed sample k, channel block j == original sample k * pack + j
    for k in range(2):
        for j in range(3):
            assert torch.equal(packed[k, 2 * j : 2 * j + 2], x[3 * k + j])


def test_pack_vectors_and_pack_one_is_identity():
    x = torch.randn(8, 5)
    packed = pack_samples(x, 4)
    assert packed.shape == (2, 20)
    assert torch.equal(packed[1, 5:10], x[5])
    assert pack_samples(x, 1) is x


def test_pack_noncontiguous_input():
    x = torch.randn(5, 4).t()  # (4, 5), not contiguous
    assert torch.equal(pack_samples(x, 2), torch.cat([x[0::2], x[1::2]], dim=1))


@pytest.mark.parametrize("pack", [0, -1, 2.0, True])
def test_pack_rejects_bad_pack(pack):
    with pytest.raises(ValueError, match="pack"):
        pack_samples(torch.zeros(4, 3), pack)


def test_pack_rejects_indivisible_batch():
    with pytest.raises(ValueError, match="pack=4"):
        pack_samples(torch.zeros(6, 3), 4)


# --- spectral_norm_if -----------------------------------------------------------------------------------------------
def test_spectral_norm_if_wraps_linear_and_conv_only_when_enabled():
    net = nn.Sequential(nn.Conv2d(3, 4, 3), nn.ReLU(), nn.Flatten(), nn.Linear(4, 1), nn.BatchNorm1d(1))
    assert spectral_norm_if(net, False) is net
    assert not any(hasattr(m, "parametrizations") for m in net.modules())
    assert spectral_norm_if(net, True) is net
    wrapped = [type(m).__name__ for m in net.modules() if hasattr(m, "parametrizations")]
    assert wrapped == ["ParametrizedConv2d", "ParametrizedLinear"]
    spectral_norm_if(net, True)  # idempotent: no second parametrization
    assert len(net[0].parametrizations.weight) == 1


def test_spectral_norm_if_bounds_singular_value():
    torch.manual_seed(0)
    layer = spectral_norm_if(nn.Linear(20, 10), True)
    with torch.no_grad():
        layer.parametrizations.weight.original.mul_(50.0)
    layer.train()
    for _ in range(5):
        layer(torch.randn(2, 20))
    assert torch.linalg.matrix_norm(layer.weight, ord=2).item() == pytest.approx(1.0, abs=0.02)


def test_spectral_norm_if_rejects_non_bool():
    with pytest.raises(TypeError, match="enabled"):
        spectral_norm_if(nn.Linear(2, 2), 1)


# --- MinibatchStdDev ------------------------------------------------------------------------------------------------
def test_stddev_closed_form_images():
    # Two groups of two. Group 0: samples differ by 2 everywhere -> std 1. Group 1: identical -> std ~0.
    x = torch.zeros(4, 2, 3, 3)
    x[1] = 2.0
    x[2] = x[3] = 5.0
    out = MinibatchStdDev(group_size=2)(x)
    assert out.shape == (4, 3, 3, 3)
    assert torch.equal(out[:, :2], x)
    expected = torch.tensor([1.0, 1.0, 1e-4, 1e-4])  # sqrt(0 + 1e-8) = 1e-4 for the identical group
    assert torch.allclose(out[:, 2].mean(dim=(1, 2)), expected, atol=1e-6)
    assert torch.equal(out[:, 2], out[:, 2, :1, :1].expand(4, 3, 3))  # constant feature map


def test_stddev_closed_form_vectors_and_channel_split():
    x = torch.tensor([[0.0, 0.0, 1.0, 1.0], [2.0, 2.0, 1.0, 3.0], [1.0, 1.0, 4.0, 4.0], [1.0, 3.0, 0.0, 0.0]])
    one = MinibatchStdDev(group_size=4)(x)
    # population std per feature over all 4 samples, then mean over features
    expected = x.std(dim=0, unbiased=False).mean()
    assert torch.allclose(one[:, 4], expected.expand(4), atol=1e-6)
    two = MinibatchStdDev(group_size=2, num_channels=2)(x)
    assert two.shape == (4, 6)
    # group {0,1}: features (0,1) std (1,1) -> 1; features (2,3) std (0,1) -> 0.5
    assert torch.allclose(two[0, 4:], torch.tensor([1.0, 0.5]), atol=1e-3)
    # group {2,3}: features (0,1) std (0,1) -> 0.5; features (2,3) std (2,2) -> 2
    assert torch.allclose(two[3, 4:], torch.tensor([0.5, 2.0]), atol=1e-3)


def test_stddev_group_size_clipped_to_batch_and_divisor():
    x = torch.randn(3, 4)
    out = MinibatchStdDev(group_size=8)(x)  # clipped to 3: one group
    assert torch.allclose(out[:, 4], x.std(dim=0, unbiased=False).mean().expand(3), atol=1e-5)
    y = torch.randn(6, 4)
    out = MinibatchStdDev(group_size=4)(y)  # 6 % 4 != 0 -> groups of 3
    assert torch.allclose(out[0, 4], y[:3].std(dim=0, unbiased=False).mean(), atol=1e-5)
    assert torch.allclose(out[5, 4], y[3:].std(dim=0, unbiased=False).mean(), atol=1e-5)


def test_stddev_gradients_and_validation():
    x = torch.randn(4, 3, 2, 2, requires_grad=True)
    MinibatchStdDev()(x)[:, 3].sum().backward()
    assert x.grad.abs().sum() > 0
    with pytest.raises(ValueError, match="group_size"):
        MinibatchStdDev(group_size=0)
    with pytest.raises(ValueError, match="num_channels"):
        MinibatchStdDev(num_channels=2)(torch.randn(4, 3, 2, 2))
    with pytest.raises(ValueError, match="shape"):
        MinibatchStdDev()(torch.randn(4, 3, 2))


# --- MinibatchDiscrimination ----------------------------------------------------------------------------------------
def test_minibatch_discrimination_shapes_and_input_passthrough():
    layer = MinibatchDiscrimination(in_features=6, num_kernels=5, kernel_dim=3)
    x = torch.randn(7, 6)
    out = layer(x)
    assert out.shape == (7, 11)
    assert torch.equal(out[:, :6], x)


def test_minibatch_discrimination_closed_form():
    layer = MinibatchDiscrimination(in_features=2, num_kernels=2, kernel_dim=1)
    with torch.no_grad():
        layer.T.copy_(torch.eye(2))  # kernel b reads feature b
    x = torch.tensor([[0.0, 0.0], [1.0, 0.0], [3.0, 2.0]])
    o = layer(x)[:, 2:]
    e = torch.exp
    expected = torch.tensor(
        [
            # kernel 0 distances: |0-1|, |0-3|, |1-3|; kernel 1 distances: 0, 2, 2 (self excluded)
            [e(torch.tensor(-1.0)) + e(torch.tensor(-3.0)), 1 + e(torch.tensor(-2.0))],
            [e(torch.tensor(-1.0)) + e(torch.tensor(-2.0)), 1 + e(torch.tensor(-2.0))],
            [e(torch.tensor(-3.0)) + e(torch.tensor(-2.0)), 2 * e(torch.tensor(-2.0))],
        ]
    )
    assert torch.allclose(o, expected, atol=1e-6)


def test_minibatch_discrimination_sees_collapse_and_supports_double_backward():
    torch.manual_seed(0)
    layer = MinibatchDiscrimination(in_features=8, num_kernels=4, kernel_dim=3)
    diverse = layer(torch.randn(16, 8) * 3)[:, 8:].mean()
    collapsed = layer(torch.randn(1, 8).expand(16, 8))[:, 8:].mean()
    assert collapsed.item() == pytest.approx(15.0)  # every sample has 15 identical neighbours
    assert diverse < collapsed
    x = torch.randn(5, 8, requires_grad=True)
    (g,) = torch.autograd.grad(layer(x).sum(), x, create_graph=True)
    g.square().sum().backward()  # gradient-penalty style double backward
    assert layer.T.grad is not None and layer.T.grad.abs().sum() > 0


def test_minibatch_discrimination_validation():
    with pytest.raises(ValueError, match="num_kernels"):
        MinibatchDiscrimination(4, 0, 2)
    with pytest.raises(ValueError, match=r"\(N, 4\)"):
        MinibatchDiscrimination(4, 2, 2)(torch.randn(3, 5))
