"""Bad evaluation settings and unsuitable modules fail when the callback is built or at fit start, not an epoch later;
one rule and one message for the number of samples."""

from __future__ import annotations

import lightning as L
import pytest
import torch
from torch import nn
from torch.utils.data import DataLoader, TensorDataset

from lightning_gans import NetworkOptions, VanillaGAN
from lightning_gans.callbacks import EvaluationCallback, ModeCoverageCallback
from lightning_gans.sampling import sample_from


class Counted(L.LightningModule):
    """Not ours: a generator (images or points), a latent size unless told otherwise; counts its training steps."""

    def __init__(self, output: tuple[int, ...] = (1, 8, 8), latent_dim: int | None = 4) -> None:
        super().__init__()
        self.generator = nn.Sequential(
            nn.Linear(4, int(torch.tensor(output).prod())), nn.Tanh(), nn.Unflatten(1, output)
        )
        if latent_dim is not None:
            self.latent_dim = latent_dim
        self.steps = 0

    def training_step(self, batch, batch_idx):
        self.steps += 1
        return self.generator(torch.randn(len(batch[0]), 4)).mean() ** 2

    def configure_optimizers(self):
        return torch.optim.SGD(self.parameters(), lr=0.01)


def _fit(module: L.LightningModule, callback: L.Callback, tmp_path, shape=(1, 8, 8)) -> None:
    data = DataLoader(TensorDataset(torch.rand(32, *shape) * 2 - 1), batch_size=8)
    trainer = L.Trainer(
        accelerator="cpu",
        max_epochs=1,
        logger=False,
        enable_checkpointing=False,
        enable_progress_bar=False,
        enable_model_summary=False,
        default_root_dir=tmp_path,
        callbacks=[callback],
    )
    trainer.fit(module, data)


class Flat(nn.Module):
    num_features = 64

    def forward(self, x):
        return x.flatten(1)


def test_precision_recall_needs_more_than_k_samples_at_construction() -> None:
    with pytest.raises(ValueError, match=r"num_samples must be an int >= 4 for precision/recall"):
        EvaluationCallback(metrics=("pr",), num_samples=3)


def test_inception_score_needs_one_sample_per_split_at_construction() -> None:
    with pytest.raises(ValueError, match=r"num_samples must be an int >= 10 for the Inception Score"):
        EvaluationCallback(metrics=("is",), num_samples=5)


def test_fid_from_fewer_samples_than_feature_dimensions_warns_at_fit_start(tmp_path) -> None:
    callback = EvaluationCallback(metrics=("fid",), num_samples=10, feature_extractor=Flat())
    with pytest.warns(UserWarning, match="FID from 10 samples of 64-d features"):
        _fit(Counted(), callback, tmp_path)


def test_generator_without_latent_dim_fails_at_setup(tmp_path) -> None:
    module = Counted(latent_dim=None)
    with pytest.raises(TypeError, match="cannot draw samples from Counted: it has a `generator` but no `latent_dim`"):
        _fit(module, EvaluationCallback(metrics=("fid",), num_samples=16, feature_extractor=Flat()), tmp_path)
    assert module.steps == 0


def test_two_dimensional_model_given_to_evaluation_fails_at_fit_start(tmp_path) -> None:
    module = Counted(output=(2,))
    with pytest.raises(ValueError, match=r"needs image samples \(N, C, H, W\); Counted gives \(2,\)"):
        _fit(module, EvaluationCallback(metrics=("fid",), num_samples=16, feature_extractor=Flat()), tmp_path, (2,))
    assert module.steps == 0


def test_image_model_given_to_mixture_coverage_fails_at_fit_start(tmp_path) -> None:
    module = Counted()
    callback = ModeCoverageCallback("mixture", centers=torch.zeros(1, 2), std=0.1)
    with pytest.raises(ValueError, match=r"2-D points \(N, 2\); Counted gives samples of shape \(1, 8, 8\)"):
        _fit(module, callback, tmp_path)
    assert module.steps == 0


@pytest.mark.parametrize(("n", "error"), [(-1, ValueError), (0, ValueError), (2.0, TypeError), (True, TypeError)])
def test_sample_counts_follow_one_rule_with_one_message(n, error) -> None:
    ours, foreign = VanillaGAN(data_dim=2, networks=NetworkOptions(hidden_dim=8)), Counted()
    with pytest.raises(error) as from_gan:
        ours.sample(n)
    with pytest.raises(error) as from_protocol:
        sample_from(foreign, n)
    assert (
        str(from_gan.value)
        == str(from_protocol.value)
        == f"n must be an int >= 1, got {n!r}" + (f" ({type(n).__name__})" if error is TypeError else "")
    )
