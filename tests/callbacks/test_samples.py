"""SampleGridCallback: PNG files, TensorBoard / CSV loggers, per-class rows, 2-D scatter plots."""

from __future__ import annotations

import logging

import lightning as L
import numpy as np
import pytest
import torch
from lightning.pytorch.loggers import CSVLogger, TensorBoardLogger
from PIL import Image
from torch import nn
from torch.utils.data import DataLoader, TensorDataset

from lightning_gans.callbacks.samples import SampleGridCallback, scatter_figure


class PlainImages(L.LightningModule):
    """Not ours: ``generator`` + ``latent_dim`` producing 1x8x8 images."""

    def __init__(self) -> None:
        super().__init__()
        self.latent_dim = 4
        self.generator = nn.Sequential(nn.Linear(4, 64), nn.Tanh(), nn.Unflatten(1, (1, 8, 8)))

    def training_step(self, batch, batch_idx):
        return self.generator(torch.randn(4, 4)).pow(2).mean()

    def configure_optimizers(self):
        return torch.optim.SGD(self.parameters(), lr=0.1)


class ClassShades(PlainImages):
    """Conditional through ``sample(n, labels)``: class k is a flat image of grey level k / (K - 1)."""

    num_classes = 3

    def sample(self, n, labels=None):
        shade = labels.float() / (self.num_classes - 1) * 2 - 1  # [-1, 1]
        return shade.view(n, 1, 1, 1).expand(n, 1, 8, 8).clone()


class Points(PlainImages):
    """2-D data: samples near the centres (+-1, 0)."""

    def sample(self, n, labels=None):
        centers = torch.tensor([[1.0, 0.0], [-1.0, 0.0]])
        return centers[torch.arange(n) % 2] + 0.05 * torch.randn(n, 2)


def _fit(tmp_path, module, callback, logger=False, max_steps=4) -> L.Trainer:
    trainer = L.Trainer(
        accelerator="cpu",
        max_steps=max_steps,
        logger=logger,
        default_root_dir=tmp_path,
        callbacks=[callback],
        enable_checkpointing=False,
        enable_progress_bar=False,
        enable_model_summary=False,
    )
    trainer.fit(module, DataLoader(TensorDataset(torch.zeros(8, 1)), batch_size=4))
    return trainer


def test_grid_saved_as_png_and_logged_to_tensorboard(tmp_path) -> None:
    from tensorboard.backend.event_processing.event_accumulator import EventAccumulator

    callback = SampleGridCallback(num_samples=16, every_n_steps=2)
    logger = TensorBoardLogger(tmp_path)
    _fit(tmp_path, PlainImages(), callback, logger=logger)
    assert [p.parent for p in callback.saved] == [tmp_path / "lightning_logs" / "version_0" / "samples"] * 2
    assert Image.open(callback.saved[0]).size == (42 * 18, 42 * 18)  # 4 x 4 cells of 8 px + 2 px padding, x18
    logger.experiment.flush()
    events = EventAccumulator(logger.log_dir).Reload()
    assert len(events.Images("samples")) == 2


def test_fixed_noise_gives_the_same_picture_and_leaves_the_rng_alone() -> None:
    callback, module = SampleGridCallback(num_samples=9, seed=3), PlainImages()
    state = torch.get_rng_state()
    first, second = callback.render(module), callback.render(module)
    assert torch.equal(first, second) and first.shape == (3, 32, 32)  # 3 x 3 cells, grey -> RGB
    assert torch.equal(torch.get_rng_state(), state)


def test_csv_logger_gets_png_files_and_a_note(tmp_path, caplog) -> None:
    callback = SampleGridCallback(num_samples=4)  # every epoch
    with caplog.at_level(logging.INFO):
        _fit(tmp_path, PlainImages(), callback, logger=CSVLogger(tmp_path))
    assert callback.saved and all(p.is_file() for p in callback.saved)
    assert callback.saved[0].parent == tmp_path / "lightning_logs" / "version_0" / "samples"
    assert "CSVLogger has no image support" in caplog.text


def test_conditional_module_gets_one_row_per_class(tmp_path) -> None:
    callback = SampleGridCallback(num_samples=12, output_dir=tmp_path / "grids")
    _fit(tmp_path, ClassShades(), callback)
    image = np.asarray(Image.open(callback.saved[-1]).convert("L"))
    assert image.shape == (18 * (3 * 10 + 2), 18 * (4 * 10 + 2))  # 3 rows (classes) of 4 cells, enlarged x18
    image = image[::18, ::18]  # one pixel per generated pixel again (nearest-neighbour enlargement)
    for row, shade in enumerate((0, 128, 255)):
        cells = image[2 + 10 * row : 10 * (row + 1), 2:-2:10]  # the first pixel column of each cell
        assert np.abs(cells.astype(int) - shade).max() <= 1


def test_two_dimensional_samples_become_a_scatter_plot_over_the_mode_centres(tmp_path) -> None:
    centers = torch.tensor([[1.0, 0.0], [-1.0, 0.0]])
    callback = SampleGridCallback(num_samples=200, mode_centers=centers)
    logger = TensorBoardLogger(tmp_path)
    _fit(tmp_path, Points(), callback, logger=logger)
    assert Image.open(callback.saved[-1]).size == (400, 400)
    figure = scatter_figure(Points().sample(200), centers)
    samples, drawn_centers = figure.axes[0].collections
    assert samples.get_offsets().shape == (200, 2)
    np.testing.assert_allclose(drawn_centers.get_offsets(), centers.numpy())


def test_mode_centres_default_to_the_datamodules(tmp_path, monkeypatch) -> None:
    import lightning_gans.callbacks.samples as samples_module

    drawn = []
    original = samples_module.scatter_figure
    monkeypatch.setattr(samples_module, "scatter_figure", lambda s, c, t: drawn.append(c) or original(s, c, t))

    class Mixture(L.LightningDataModule):
        mode_centers = torch.tensor([[1.0, 0.0], [-1.0, 0.0]])

        def train_dataloader(self):
            return DataLoader(TensorDataset(torch.zeros(8, 2)), batch_size=4)

    callback = SampleGridCallback(num_samples=50)
    trainer = L.Trainer(
        accelerator="cpu",
        max_epochs=1,
        logger=False,
        default_root_dir=tmp_path,
        callbacks=[callback],
        enable_checkpointing=False,
        enable_progress_bar=False,
        enable_model_summary=False,
    )
    trainer.fit(Points(), datamodule=Mixture())
    assert len(drawn) == 1 and torch.equal(drawn[0], Mixture.mode_centers)


def test_bad_arguments_are_named() -> None:
    with pytest.raises(ValueError, match="give one of"):
        SampleGridCallback(every_n_steps=10, every_n_epochs=1)
    with pytest.raises(ValueError, match="num_samples"):
        SampleGridCallback(num_samples=0)
    with pytest.raises(ValueError, match=r"mode_centers.*\(K, 2\)"):
        SampleGridCallback(mode_centers=torch.zeros(3))

    class ThreeD(PlainImages):
        def sample(self, n, labels=None):
            return torch.zeros(n, 3)

    with pytest.raises(ValueError, match="2-D points"):
        SampleGridCallback().render(ThreeD())


def test_a_run_shorter_than_the_schedule_still_ends_with_a_picture(tmp_path) -> None:
    callback = SampleGridCallback(num_samples=4, every_n_epochs=5, output_dir=tmp_path)
    _fit(tmp_path, PlainImages(), callback, max_steps=3)  # 2 batches per epoch: ends in epoch 1, before epoch 5
    assert [p.name for p in callback.saved] == ["samples_epoch001_step0000003.png"]


def test_the_final_picture_is_not_drawn_twice(tmp_path) -> None:
    callback = SampleGridCallback(num_samples=4, every_n_steps=2, output_dir=tmp_path)
    _fit(tmp_path, PlainImages(), callback, max_steps=4)  # the scheduled picture of step 4 is the final one
    assert [p.name for p in callback.saved] == ["samples_epoch000_step0000001.png", "samples_epoch001_step0000003.png"]
