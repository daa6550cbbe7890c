"""What docs/getting-started.md says loads a variant's checkpoint: the saved class, or the engine given the networks."""

import lightning as L
import pytest
import torch
from torch.utils.data import DataLoader, TensorDataset

from lightning_gans import GAN, LSGAN, NetworkOptions


@pytest.fixture
def lsgan_checkpoint(tmp_path):
    model = LSGAN(data_dim=2, networks=NetworkOptions(hidden_dim=8))
    trainer = L.Trainer(
        accelerator="cpu", max_steps=2, logger=False, enable_checkpointing=False, enable_progress_bar=False
    )
    trainer.fit(model, DataLoader(TensorDataset(torch.randn(32, 2)), batch_size=8))
    trainer.save_checkpoint(tmp_path / "lsgan.ckpt")
    return tmp_path / "lsgan.ckpt", model


def test_the_engine_loads_a_variants_checkpoint_given_the_networks(lsgan_checkpoint):
    path, trained = lsgan_checkpoint
    nets = LSGAN(data_dim=2, networks=NetworkOptions(hidden_dim=8))
    loaded = GAN.load_from_checkpoint(path, generator=nets.generator, discriminator=nets.discriminator)
    assert type(loaded) is GAN and loaded.loss.name == trained.loss.name == "least_squares"
    saved = trained.generator.state_dict()
    assert all(torch.equal(value, saved[key]) for key, value in loaded.generator.state_dict().items())
    assert type(LSGAN.load_from_checkpoint(path)) is LSGAN
