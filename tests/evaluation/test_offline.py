"""Offline evaluation: closed forms, generator / dataset / folder inputs, Inception through torch-fidelity."""

from __future__ import annotations

import hashlib

import pytest
import torch
from torch import nn
from torch.utils.data import TensorDataset
from torchvision.utils import save_image

from lightning_gans.convert import to_uint8, to_unit_range
from lightning_gans.evaluation import evaluate_generator


def _images(n: int, seed: int, channels: int = 1) -> torch.Tensor:
    return torch.rand(n, channels, 8, 8, generator=torch.Generator().manual_seed(seed)) * 1.6 - 0.8


class Pixels(nn.Module):
    num_features = 4

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return x.flatten(1)[:, :4]


class ConditionalNet(nn.Module):
    def __init__(self, num_classes: int) -> None:
        super().__init__()
        self.embed = nn.Embedding(num_classes, 4)
        self.body = nn.Sequential(nn.Linear(4, 64), nn.Tanh(), nn.Unflatten(1, (1, 8, 8)))
        self.labels_seen: list[torch.Tensor] = []

    def forward(self, z: torch.Tensor, labels: torch.Tensor) -> torch.Tensor:
        self.labels_seen.append(labels)
        return self.body(z + self.embed(labels))


class PlainConditional(nn.Module):
    """Not ours: a ``generator`` G(z, labels), a ``latent_dim`` and ``num_classes``."""

    def __init__(self) -> None:
        super().__init__()
        torch.manual_seed(0)
        self.latent_dim, self.num_classes = 4, 3
        self.generator = ConditionalNet(self.num_classes)


def test_fid_matches_the_closed_form_and_is_zero_against_itself() -> None:
    real = _images(200, seed=0)
    same = evaluate_generator(real, real, num_samples=200, metrics=("fid",), feature_extractor=Pixels())
    assert same["fid"] == pytest.approx(0.0, abs=1e-3)
    # every pixel + 20 grey levels -> features + 20/127.5 -> FID = D * (20/127.5)^2 (covariances unchanged)
    shifted = to_uint8(real).float().add(20).div(127.5).sub(1)
    moved = evaluate_generator(shifted, real, num_samples=200, metrics=("fid",), feature_extractor=Pixels())
    assert moved["fid"] == pytest.approx(4 * (20.0 / 127.5) ** 2, rel=1e-3)
    assert moved["provenance"]["num_fake"] == moved["provenance"]["num_real"] == 200


def test_conditional_generator_module_gets_class_balanced_labels(tiny_features) -> None:
    module = PlainConditional().train()
    real = TensorDataset(_images(64, seed=1), torch.zeros(64, dtype=torch.long))  # (image, label) items
    result = evaluate_generator(module, real, num_samples=64, feature_extractor=tiny_features, kid_subset_size=32)
    assert set(result) == {"fid", "kid", "kid_std", "is", "is_std", "precision", "recall", "intra_fid", "provenance"}
    assert result["fid"] > 0 and result["is"] >= 1.0 and 0 <= result["precision"] <= 1 and 0 <= result["recall"] <= 1
    assert result["provenance"]["kid_subset_size"] == 32
    labels = torch.cat(module.generator.labels_seen)
    assert torch.equal(labels, torch.arange(64) % 3)  # class-balanced, as in the callback
    assert module.training and module.generator.training  # modes restored after sampling in eval mode


def test_folder_of_pngs_gives_the_same_numbers_as_the_tensor(tmp_path, tiny_features) -> None:
    real, fake = _images(32, seed=2), _images(32, seed=3)
    for i, image in enumerate(real):
        save_image(to_unit_range(image), tmp_path / f"{i:03d}.png")  # read back as RGB by torch-fidelity
    options = dict(num_samples=32, metrics=("fid", "pr"), feature_extractor=tiny_features)
    from_folder = evaluate_generator(fake, tmp_path, **options)
    from_tensor = evaluate_generator(fake, real, **options)
    assert from_folder["fid"] == pytest.approx(from_tensor["fid"], rel=1e-4)
    assert (from_folder["precision"], from_folder["recall"]) == (from_tensor["precision"], from_tensor["recall"])


def test_inception_path_uses_torch_fidelitys_own_network(inception_weights) -> None:
    images = _images(4, seed=5)  # grey: repeated to RGB for Inception; 4 images, the k-NN minimum for k=3
    result = evaluate_generator(
        images,
        images,
        num_samples=4,
        metrics=("pr",),
        feature_extractor="inception",
        extractor_weights=inception_weights,
    )
    assert result["precision"] == result["recall"] == 1.0  # identical sets: every point is inside the other's balls
    provenance = result["provenance"]
    assert provenance["extractor"] == "inception-v3-compat"
    assert provenance["extractor_sha256"] == hashlib.sha256(inception_weights.read_bytes()).hexdigest()
    assert "no-antialias" in provenance["resize"]


def test_bad_arguments_are_named(tiny_features, tmp_path) -> None:
    images = _images(8, seed=6)
    with pytest.raises(ValueError, match="metrics"):
        evaluate_generator(images, images, num_samples=8, metrics=("fid", "lpips"), feature_extractor=tiny_features)
    with pytest.raises(ValueError, match="num_samples=16"):  # only 8 samples given
        evaluate_generator(images, images, num_samples=16, feature_extractor=tiny_features)
    with pytest.raises(ValueError, match="real"):
        evaluate_generator(images, None, num_samples=8, metrics=("fid",), feature_extractor=tiny_features)
    with pytest.raises(ValueError, match="folder"):
        evaluate_generator(
            images, tmp_path / "missing", num_samples=8, metrics=("fid",), feature_extractor=tiny_features
        )
    with pytest.raises(TypeError, match="cannot draw samples"):
        evaluate_generator(nn.Linear(2, 2), images, num_samples=8, metrics=("fid",), feature_extractor=tiny_features)


def test_module_with_only_a_sample_method_is_reproducible(tiny_features) -> None:
    class SampleOnly(nn.Module):
        def __init__(self) -> None:
            super().__init__()
            self.scale = nn.Parameter(torch.tensor(0.5))

        def sample(self, n, labels=None):
            return (torch.rand(n, 1, 8, 8) * 2 - 1) * self.scale

    options = dict(num_samples=32, metrics=("fid",), feature_extractor=tiny_features, batch_size=16)
    first = evaluate_generator(SampleOnly(), _images(32, seed=7), **options)
    again = evaluate_generator(SampleOnly(), _images(32, seed=7), **options)
    assert first["fid"] == again["fid"] > 0
