"""Session-wide test fixtures: small feature networks, built offline."""

from __future__ import annotations

from pathlib import Path
from unittest import mock

import pytest
import torch
from torch import nn


class TinyFeatures(nn.Module):
    """A fixed random feature network for metric tests: images ``(N, C, H, W)`` in [-1, 1] -> 8 features, 5 logits.

    Channels are averaged first, so grey images and the same images stored as RGB give the same features.
    """

    num_features = 8

    def __init__(self) -> None:
        super().__init__()
        torch.manual_seed(0)
        self.conv = nn.Conv2d(1, 8, 3, padding=1)
        self.head = nn.Linear(8, 5)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        x = x.mean(dim=1, keepdim=True)
        return torch.tanh(self.conv(x)).mean(dim=(2, 3))  # (N, 8)

    def logits(self, x: torch.Tensor) -> torch.Tensor:
        return self.head(self.forward(x))  # (N, 5)


@pytest.fixture
def tiny_features() -> TinyFeatures:
    return TinyFeatures()


@pytest.fixture(scope="session")
def inception_weights(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A randomly initialised Inception-v3 state dict for torch-fidelity's extractor, made once, offline.

    Default init gives near-zero features; Kaiming re-initialisation gives them a usable spread.
    """
    from torch_fidelity.feature_extractor_inceptionv3 import FeatureExtractorInceptionV3

    with (
        mock.patch.object(FeatureExtractorInceptionV3, "load_state_dict"),
        mock.patch("torch_fidelity.feature_extractor_inceptionv3.load_state_dict_from_url", return_value={}),
    ):
        net = FeatureExtractorInceptionV3("inception-v3-compat", ["2048"])
    generator = torch.Generator().manual_seed(0)
    with torch.no_grad():
        for module in net.modules():
            if isinstance(module, (nn.Conv2d, nn.Linear)):
                fan_in = module.weight[0].numel()
                module.weight.copy_(torch.randn(module.weight.shape, generator=generator) * (2.0 / fan_in) ** 0.5)
    path = tmp_path_factory.mktemp("inception") / "inception-random.pth"
    torch.save(net.state_dict(), path)
    return path
