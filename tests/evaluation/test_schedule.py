"""One schedule object for the callbacks: fixed steps / epochs, or a share of the training time, and the end of fit."""

from __future__ import annotations

import json
import time

import lightning as L
import pytest
import torch
from torch import nn
from torch.utils.data import DataLoader, TensorDataset

from lightning_gans.callbacks import EvaluationCallback
from lightning_gans.evaluation import Schedule


class SlowStep(L.LightningModule):
    """Not ours; each training step takes ~20 ms (a sleep), so the time budget is predictable."""

    def __init__(self) -> None:
        super().__init__()
        self.latent_dim = 4
        self.generator = nn.Sequential(nn.Linear(4, 64), nn.Tanh(), nn.Unflatten(1, (1, 8, 8)))

    def training_step(self, batch, batch_idx):
        time.sleep(0.02)
        return self.generator(torch.randn(len(batch[0]), 4)).mean() ** 2

    def configure_optimizers(self):
        return torch.optim.SGD(self.parameters(), lr=0.01)


class SlowFeatures(nn.Module):
    """Features cost ~1 ms per sample (a sleep): an evaluation of 32 generated samples costs ~40 ms."""

    num_features = 4

    def forward(self, x):
        time.sleep(0.001 * len(x))
        return x.flatten(1)[:, :4]


def test_budgeted_schedule_keeps_evaluation_within_its_share_and_evaluates_at_the_end(tmp_path) -> None:
    callback = EvaluationCallback(
        metrics=("fid",), num_samples=32, batch_size=16, max_overhead=0.1, feature_extractor=SlowFeatures()
    )
    assert callback.schedule.at_end  # the budgeted schedule ends with a final evaluation by default
    trainer = L.Trainer(
        accelerator="cpu",
        max_steps=100,
        logger=False,
        enable_checkpointing=False,
        enable_progress_bar=False,
        enable_model_summary=False,
        default_root_dir=tmp_path,
        callbacks=[callback],
    )
    data = DataLoader(TensorDataset(torch.rand(100 * 4, 1, 8, 8) * 2 - 1), batch_size=4)
    trainer.fit(SlowStep(), data)
    steps = [entry["step"] for entry in callback.history]
    assert steps[-1] == 100  # the final evaluation
    assert 2 <= len(steps) < 30  # more than the final one, far fewer than every step
    schedule = callback.schedule
    spent = sum(entry["seconds"] for entry in callback.history)
    assert schedule.action_seconds == pytest.approx(spent, abs=0.01)
    # Within budget, the final evaluation included (its cost is reserved; the tolerance covers the prediction error).
    assert spent <= 0.1 * schedule.training_seconds() + callback.history[-1]["seconds"] / 2


def test_schedule_arguments_and_words() -> None:
    assert Schedule().describe() == "every 1 epochs"
    assert Schedule(every_n_epochs=2, at_end=True).describe() == "every 2 epochs, and at the end of fit"
    with pytest.raises(ValueError, match="max_overhead must be a number in"):
        Schedule(max_overhead=0.0)
    with pytest.raises(TypeError, match="every_n_steps must be an int"):
        Schedule(every_n_steps=1.5)
    with pytest.raises(ValueError, match="give one of"):
        Schedule(every_n_steps=5, max_overhead=0.1)


def test_budgeted_schedule_under_ddp_acts_on_every_rank_at_once(tmp_path) -> None:
    # Rank 0's time-based decision is broadcast: ranks that disagreed would hang in the metrics' collectives.
    callback = EvaluationCallback(
        metrics=("fid",), num_samples=32, batch_size=16, max_overhead=0.5, feature_extractor=SlowFeatures()
    )
    trainer = L.Trainer(
        accelerator="cpu",
        devices=2,
        strategy="ddp_fork",
        max_steps=30,
        logger=False,
        enable_checkpointing=False,
        enable_progress_bar=False,
        enable_model_summary=False,
        default_root_dir=tmp_path,
        callbacks=[callback],
    )
    trainer.fit(SlowStep(), DataLoader(TensorDataset(torch.rand(30 * 8, 1, 8, 8) * 2 - 1), batch_size=4))
    assert "val/fid_32" in trainer.callback_metrics  # the final evaluation, synchronised over both ranks
    record = json.loads((tmp_path / "evaluation.json").read_text())  # written by rank 0
    assert record["evaluations"][-1]["step"] == 30 and record["provenance"]["world_size"] == 2
