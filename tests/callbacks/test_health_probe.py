"""HealthProbe: what it keeps of the training batches and what it measures on known generators."""

from __future__ import annotations

import pytest
import torch
from torch import nn

from lightning_gans import NetworkOptions, VanillaGAN
from lightning_gans.callbacks.health.probe import HealthProbe
from lightning_gans.evaluation.features import get_feature_extractor
from lightning_gans.gan import GAN
from lightning_gans.nets.mlp import MLPDiscriminator


class PointGenerator(nn.Module):
    """Maps every z to the same point: the fully collapsed generator."""

    def __init__(self) -> None:
        super().__init__()
        self.point = nn.Parameter(torch.tensor([0.5, -0.5]))

    def forward(self, z: torch.Tensor) -> torch.Tensor:
        return self.point.expand(z.shape[0], 2)


def test_collect_keeps_the_first_probe_size_samples_and_their_integer_labels():
    probe = HealthProbe(probe_size=10)
    x, labels = torch.randn(6, 2), torch.arange(6)
    probe.collect((x, labels))
    probe.collect((x + 1, labels + 6))
    probe.collect((x + 2, labels + 12))  # already full: ignored
    assert torch.equal(probe.real, torch.cat([x, x[:4] + 1])) and probe.real_labels.tolist() == list(range(10))
    floats = HealthProbe(probe_size=4)
    floats.collect((x, torch.rand(6)))  # float targets are not class labels
    assert floats.real_labels is None and floats.real.shape == (4, 2)


def test_an_unreadable_batch_warns_once_and_turns_the_real_probe_off():
    probe = HealthProbe(probe_size=4)
    with pytest.warns(UserWarning, match="cannot read samples from a dict batch"):
        probe.collect({"x": torch.randn(4, 2)})
    probe.collect(torch.randn(4, 2))  # probes stay off after the warning
    assert probe.real is None
    assert probe.measure(VanillaGAN(data_dim=2, latent_dim=2, networks=NetworkOptions(hidden_dim=8))) == {}


def test_a_collapsed_generator_has_zero_diversity_and_a_packed_discriminator_is_probed_in_groups():
    model = GAN(PointGenerator(), MLPDiscriminator(2, hidden_dim=8, num_layers=2, pack=4), latent_dim=3)
    probe = HealthProbe(probe_size=10, seed=1)
    probe.collect(torch.randn(10, 2))
    signals = probe.measure(model, pack=4)
    assert signals["diversity_ratio"] == pytest.approx(0.0, abs=1e-6)
    assert 0.0 <= signals["d_auc"] <= 1.0 and 0.0 <= signals["d_saturation"] <= 1.0
    assert probe.measure(model, pack=4) == signals  # fixed noise, no trace left: the same figures again


def test_probe_arguments_are_checked_by_name():
    with pytest.raises(ValueError, match=r"probe_size must be an int in \[2, 4096\], got 1"):
        HealthProbe(probe_size=1)
    with pytest.raises(TypeError, match=r"seed must be an int, got .0. \(str\)"):
        HealthProbe(seed="0")
    with pytest.raises(TypeError, match="classifier must be an nn.Module"):
        HealthProbe(classifier=3)


def test_feature_extractor_takes_the_evaluation_callbacks_spec(monkeypatch):
    from lightning_gans.callbacks import EvaluationCallback
    from lightning_gans.evaluation import features
    from lightning_gans.evaluation.features import FeatureExtractor

    class Pixels(nn.Module):
        def forward(self, x):
            return x.flatten(1)

    monkeypatch.setitem(features._REGISTRY, "pixels_for_health_test", lambda weights: get_feature_extractor(Pixels()))
    by_name = HealthProbe(feature_extractor="pixels_for_health_test")
    by_module = HealthProbe(feature_extractor=Pixels())
    assert isinstance(by_name.feature_extractor, FeatureExtractor) and isinstance(
        by_module.feature_extractor, FeatureExtractor
    )
    assert by_name.feature_extractor(torch.ones(3, 1, 2, 2)).shape == (3, 4)
    with pytest.raises(ValueError) as from_probe:
        HealthProbe(feature_extractor="vgg")
    with pytest.raises(ValueError) as from_callback:
        EvaluationCallback(feature_extractor="vgg")
    assert str(from_probe.value) == str(from_callback.value)
