"""Conditional metrics in EvaluationCallback: within-class diversity, intra-FID and class accuracy, on planted
generators whose answers are known."""

from __future__ import annotations

import lightning as L
import pytest
import torch
from torch import nn
from torch.utils.data import DataLoader, TensorDataset

from lightning_gans.callbacks import EvaluationCallback

K, SIDE, N = 4, 4, 512
TEMPLATES = torch.rand(K, 1, SIDE, SIDE, generator=torch.Generator().manual_seed(0)) * 1.2 - 0.6  # one per class


def _real(n: int = N) -> TensorDataset:
    labels = torch.arange(n) % K
    noise = torch.randn(n, 1, SIDE, SIDE, generator=torch.Generator().manual_seed(1)) * 0.15
    return TensorDataset(TEMPLATES[labels] + noise, labels)


class Planted(L.LightningModule):
    """A conditional module whose samples are chosen by hand: the class template plus ``spread`` x noise, for the
    class ``(label + shift) % K``."""

    def __init__(self, spread: float, shift: int = 0) -> None:
        super().__init__()
        self.num_classes, self.spread, self.shift = K, spread, shift
        self.layer = nn.Linear(1, 1)  # something to train

    def sample(self, n, labels=None):
        return TEMPLATES[(labels + self.shift) % K] + self.spread * torch.randn(n, 1, SIDE, SIDE)

    def training_step(self, batch, batch_idx):
        return self.layer(batch[0].mean().view(1, 1)).sum() * 0

    def configure_optimizers(self):
        return torch.optim.SGD(self.parameters(), lr=0.0)


class NearestTemplate(nn.Module):
    """A classifier over the K classes: features are the pixels, logits the negative distances to the templates."""

    num_features, num_classes = SIDE * SIDE, K

    def forward(self, x):
        return x.flatten(1)

    def logits(self, x):
        return -torch.cdist(x.flatten(1), TEMPLATES.flatten(1))


def _evaluate(module: Planted, tmp_path) -> dict[str, float]:
    callback = EvaluationCallback(metrics=("fid",), num_samples=N, feature_extractor=NearestTemplate(), batch_size=128)
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
    trainer.fit(module, DataLoader(_real(), batch_size=128))
    return {key.split("/")[1].rsplit("_", 1)[0]: value for key, value in callback.evaluate(trainer, module).items()}


def test_a_generator_emitting_one_image_per_class_is_seen(tmp_path) -> None:
    collapsed, healthy = _evaluate(Planted(spread=0.0), tmp_path), _evaluate(Planted(spread=0.15), tmp_path)
    assert set(collapsed) == {"fid", "intra_fid", "within_class_std_ratio", "class_accuracy"}
    assert collapsed["within_class_std_ratio"] == pytest.approx(0.0, abs=1e-6)  # one image per class
    assert healthy["within_class_std_ratio"] == pytest.approx(1.0, abs=0.1)  # the real spread
    assert collapsed["intra_fid"] > 3 * healthy["intra_fid"]  # the healthy value is the estimator's small-sample bias
    assert collapsed["class_accuracy"] == healthy["class_accuracy"] == 1.0  # the conditioning itself works


def test_a_generator_ignoring_its_labels_has_zero_class_accuracy(tmp_path) -> None:
    wrong = _evaluate(Planted(spread=0.15, shift=1), tmp_path)  # every sample is the next class
    assert wrong["class_accuracy"] == 0.0
    assert wrong["intra_fid"] > 3 * _evaluate(Planted(spread=0.15), tmp_path)["intra_fid"]
