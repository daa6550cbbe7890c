"""Tests for DiffAugment: shapes, differentiability, what each operation does, reproducibility, validation."""

import copy

import pytest
import torch

from lightning_gans.augment import ALLOWED_POLICIES, DiffAugment, parse_policy


def _images(n=8, c=3, s=16, seed=0):
    g = torch.Generator().manual_seed(seed)
    return torch.rand(n, c, s, s, generator=g) * 2 - 1


@pytest.mark.parametrize("policy", ["color", "translation", "cutout", "color,translation,cutout"])
def test_shapes_and_gradients(policy):
    x = _images().requires_grad_(True)
    out = DiffAugment(policy)(x)
    assert out.shape == x.shape and out.dtype == x.dtype
    assert not torch.equal(out, x)
    out.square().sum().backward()
    assert x.grad is not None and x.grad.abs().sum() > 0


def test_empty_policy_is_identity():
    x = _images()
    assert DiffAugment("")(x) is x
    assert DiffAugment(" , ")(x) is x


def test_translation_moves_content_within_ratio():
    torch.manual_seed(0)
    n, s = 64, 16
    x = torch.zeros(n, 1, s, s)
    x[:, :, 8, 8] = 1.0  # one bright pixel in the middle
    out = DiffAugment("translation", translation_ratio=0.125)(x)  # shifts in [-2, 2]
    assert torch.equal(out.sum(dim=(1, 2, 3)), torch.ones(n))  # the pixel survives (shift < distance to border)
    pos = out.flatten(1).argmax(dim=1)
    rows, cols = pos // s, pos % s
    assert ((rows - 8).abs() <= 2).all() and ((cols - 8).abs() <= 2).all()
    assert ((rows != 8) | (cols != 8)).any()  # at least one sample actually moved
    assert len(set(zip(rows.tolist(), cols.tolist()))) > 5  # shifts differ per sample


def test_translation_zero_pads():
    torch.manual_seed(1)
    x = torch.ones(32, 1, 8, 8)
    out = DiffAugment("translation", translation_ratio=0.25)(x)  # shifts in [-2, 2]
    assert set(out.unique().tolist()) <= {0.0, 1.0}
    assert (out == 0).any()  # some sample shifted: zeros came in from the border
    # content is a shifted block: per sample the ones form a rectangle of at least 6x6
    assert ((out == 1).sum(dim=(1, 2, 3)) >= 36).all()


def test_cutout_zeroes_a_square():
    torch.manual_seed(2)
    x = torch.ones(32, 2, 16, 16)
    out = DiffAugment("cutout", cutout_ratio=0.25)(x)  # square of side 4
    assert set(out.unique().tolist()) == {0.0, 1.0}
    zeros = out[:, 0] == 0
    assert torch.equal(zeros, out[:, 1] == 0)  # same hole in every channel
    counts = zeros.sum(dim=(1, 2))
    assert (counts > 0).all() and (counts <= 16).all()
    assert (counts == 16).any()  # an unclipped square somewhere
    for mask in zeros:  # the hole is a rectangle (a square clipped by the border)
        rows, cols = mask.any(dim=1).nonzero(), mask.any(dim=0).nonzero()
        assert mask.sum() == len(rows) * len(cols) and len(rows) <= 4 and len(cols) <= 4


def test_color_changes_per_sample_and_keeps_content_structure():
    torch.manual_seed(3)
    x = torch.zeros(16, 3, 4, 4)
    out = DiffAugment("color")(x)
    # a constant image stays constant under brightness/saturation/contrast; the level differs per sample
    assert torch.allclose(out, out[:, :1, :1, :1].expand_as(out))
    assert out[:, 0, 0, 0].unique().numel() == 16
    assert out.abs().max() <= 0.5 + 1e-6  # brightness shift in [-0.5, 0.5]


def test_global_rng_and_generator_reproducibility():
    x = _images()
    aug = DiffAugment()
    torch.manual_seed(5)
    a = aug(x)
    torch.manual_seed(5)
    b = aug(x)
    assert torch.equal(a, b)
    g1, g2 = torch.Generator().manual_seed(7), torch.Generator().manual_seed(7)
    state = torch.get_rng_state()
    c, d = DiffAugment(generator=g1)(x), DiffAugment(generator=g2)(x)
    assert torch.equal(c, d) and not torch.equal(a, c)
    assert torch.equal(torch.get_rng_state(), state)  # a private generator leaves the global RNG alone
    copy.deepcopy(DiffAugment(generator=g1))  # modules holding a generator can still be copied


def test_policy_validation():
    assert parse_policy("translation,color") == ("color", "translation")
    with pytest.raises(ValueError, match="allowed") as err:
        DiffAugment("color,flip")
    assert "flip" in str(err.value) and all(p in str(err.value) for p in ALLOWED_POLICIES)
    with pytest.raises(TypeError, match="policy"):
        DiffAugment(["color"])
    with pytest.raises(ValueError, match="translation_ratio"):
        DiffAugment(translation_ratio=1.5)
    with pytest.raises(ValueError, match="cutout_ratio"):
        DiffAugment(cutout_ratio=-0.1)
    with pytest.raises(ValueError, match=r"\(N, C, H, W\)"):
        DiffAugment()(torch.zeros(4, 16))
