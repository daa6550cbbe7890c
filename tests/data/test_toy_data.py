"""The 2-D ring / grid mixtures: geometry, sample statistics, seeding, and reproducible resumes under a Trainer."""

from __future__ import annotations

import math
import types

import lightning as L
import pytest
import torch

from lightning_gans.data import MIXTURE_STD, ToyDataModule, mixture_centers, sample_mixture


def test_ring_centers():
    centers = mixture_centers("ring")
    assert centers.shape == (8, 2) and centers.dtype == torch.float32
    assert torch.allclose(centers.norm(dim=1), torch.ones(8))
    angles = torch.atan2(centers[:, 1], centers[:, 0]).remainder(2 * math.pi)
    assert torch.allclose(angles, torch.arange(8) * (math.pi / 4), atol=1e-6)
    assert torch.allclose(mixture_centers("ring", num_modes=5, radius=2.0).norm(dim=1), torch.full((5,), 2.0))


def test_grid_centers():
    centers = mixture_centers("grid")
    expected = {(float(x), float(y)) for x in (-4, -2, 0, 2, 4) for y in (-4, -2, 0, 2, 4)}
    assert centers.shape == (25, 2) and {tuple(c.tolist()) for c in centers} == expected
    small = mixture_centers("grid", num_modes=4, spacing=1.0)
    assert {tuple(c.tolist()) for c in small} == {(-0.5, -0.5), (0.5, -0.5), (-0.5, 0.5), (0.5, 0.5)}
    with pytest.raises(ValueError, match="perfect square"):
        mixture_centers("grid", num_modes=24)


@pytest.mark.parametrize("dataset", ["ring", "grid"])
def test_samples_sit_on_the_modes(dataset):
    dm = ToyDataModule(dataset, batch_size=500, num_batches_per_epoch=10, seed=3)
    assert dm.std == MIXTURE_STD[dataset] == (0.01 if dataset == "ring" else 0.05)
    points = torch.cat(list(dm.train_dataloader()))  # (5000, 2)
    assert points.shape == (5000, 2) and points.dtype == torch.float32
    distances = torch.cdist(points, dm.mode_centers)  # (5000, K)
    nearest, mode = distances.min(dim=1)
    assert nearest.max() < 5 * dm.std  # every point is within a few std of its mode
    counts = torch.bincount(mode, minlength=dm.num_modes).float()
    assert counts.min() > 0  # all modes drawn
    expected = len(points) / dm.num_modes
    assert (counts - expected).abs().max() < 5 * math.sqrt(expected)  # uniform mode weights
    residual = points - dm.mode_centers[mode]
    assert torch.allclose(residual.std(dim=0), torch.full((2,), dm.std), rtol=0.05)
    assert residual.mean(dim=0).abs().max() < 4 * dm.std / math.sqrt(len(points))


def test_sample_mixture_reports_modes_and_custom_std():
    centers = mixture_centers("ring", num_modes=3, radius=10.0)
    x, mode = sample_mixture(centers, 0.5, 3000, generator=torch.Generator().manual_seed(0))
    assert mode.dtype == torch.int64 and set(mode.tolist()) == {0, 1, 2}
    assert torch.allclose((x - centers[mode]).std(), torch.tensor(0.5), rtol=0.05)
    custom = ToyDataModule("ring", num_modes=3, radius=10.0, std=0.5)
    assert torch.equal(custom.mode_centers, centers) and custom.std == 0.5


def test_batches_depend_only_on_seed_epoch_and_rank():
    def epoch_batches(seed=0, epoch=0, rank=0, world_size=1):
        dm = ToyDataModule("ring", batch_size=16, num_batches_per_epoch=3, seed=seed)
        dm.trainer = types.SimpleNamespace(global_rank=rank, world_size=world_size, current_epoch=epoch)
        return torch.stack(list(dm.train_dataloader()))  # (3, 16, 2)

    assert torch.equal(epoch_batches(epoch=2), epoch_batches(epoch=2))
    assert not torch.equal(epoch_batches(epoch=1), epoch_batches(epoch=2))  # fresh points every epoch
    assert not torch.equal(epoch_batches(seed=0), epoch_batches(seed=1))
    rank0, rank1 = epoch_batches(rank=0, world_size=2), epoch_batches(rank=1, world_size=2)
    assert rank0.shape == rank1.shape == (3, 16, 2) and not torch.equal(rank0, rank1)
    all_batches = torch.cat([rank0, rank1]).view(6, -1)
    assert len(torch.unique(all_batches, dim=0)) == 6  # no batch repeated within an epoch or across ranks


class Recorder(L.LightningModule):
    """Records every batch it is given; one trivial optimizer step so checkpoints are ordinary."""

    def __init__(self):
        super().__init__()
        self.weight = torch.nn.Parameter(torch.zeros(2))
        self.seen = []

    def training_step(self, batch, batch_idx):
        self.seen.append((self.current_epoch, batch.clone()))
        return (batch * self.weight).sum()

    def configure_optimizers(self):
        return torch.optim.SGD(self.parameters(), lr=0.0)


def fit(max_epochs, num_workers, ckpt_path=None, save_to=None):
    dm = ToyDataModule("grid", batch_size=4, num_batches_per_epoch=3, seed=7, num_workers=num_workers)
    model = Recorder()
    trainer = L.Trainer(
        max_epochs=max_epochs,
        accelerator="cpu",
        logger=False,
        enable_checkpointing=False,
        enable_progress_bar=False,
        enable_model_summary=False,
    )
    trainer.fit(model, dm, ckpt_path=ckpt_path)
    if save_to is not None:
        trainer.save_checkpoint(save_to)
    return model.seen


@pytest.mark.parametrize("num_workers", [0, 2])
def test_resume_at_epoch_boundary_sees_the_same_batches(tmp_path, num_workers):
    uninterrupted = fit(3, num_workers)
    assert [epoch for epoch, _ in uninterrupted] == [0, 0, 0, 1, 1, 1, 2, 2, 2]
    assert len(torch.unique(torch.stack([b for _, b in uninterrupted]).view(9, -1), dim=0)) == 9  # all fresh
    first = fit(2, num_workers, save_to=tmp_path / "epoch2.ckpt")
    resumed = fit(3, num_workers, ckpt_path=tmp_path / "epoch2.ckpt")
    assert [epoch for epoch, _ in resumed] == [2, 2, 2]
    for (_, a), (_, b) in zip(first + resumed, uninterrupted, strict=True):
        assert torch.equal(a, b)


def test_arguments_are_validated():
    with pytest.raises(ValueError, match="dataset must be one of 'ring', 'grid'; got 'spiral'"):
        ToyDataModule("spiral")
    with pytest.raises(ValueError, match="batch_size must be an int >= 1, got 0"):
        ToyDataModule(batch_size=0)
    with pytest.raises(ValueError, match=r"std must be a finite number > 0.0, got -0\.1"):
        ToyDataModule(std=-0.1)
    with pytest.raises(TypeError, match="num_batches_per_epoch must be"):
        ToyDataModule(num_batches_per_epoch=2.5)
    with pytest.raises(ValueError, match="seed must be"):
        ToyDataModule(seed=-1)
