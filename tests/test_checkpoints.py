"""Checkpoints of another variant are refused; broken checkpoint files are named, on load and on resume."""

from __future__ import annotations

import lightning as L
import pytest
import torch
from torch.utils.data import DataLoader, TensorDataset

from lightning_gans import DCGAN, LSGAN, WGANGP, NetworkOptions
from lightning_gans.engine.checkpoints import CheckpointClassError, CheckpointReadError

SHAPE = dict(image_size=28, channels=1, latent_dim=4)
TINY = {
    DCGAN: NetworkOptions(base_width=4),
    LSGAN: NetworkOptions(base_width=4),
    WGANGP: NetworkOptions(base_width=4, d_norm="layer"),
}


def tiny(cls):
    return cls(**SHAPE, networks=TINY[cls])


def loader():
    images = torch.rand(32, 1, 28, 28, generator=torch.Generator().manual_seed(0)) * 2 - 1
    return DataLoader(TensorDataset(images), batch_size=16)


def trainer(tmp_path, max_steps=2):
    return L.Trainer(
        accelerator="cpu",
        max_steps=max_steps,
        logger=False,
        enable_checkpointing=False,
        enable_progress_bar=False,
        enable_model_summary=False,
        default_root_dir=tmp_path,
    )


@pytest.fixture(scope="module")
def saved(tmp_path_factory):
    """A DCGAN and a WGANGP checkpoint, each written by a real Trainer after two optimizer steps."""
    folder = tmp_path_factory.mktemp("checkpoints")
    paths = {}
    for cls in (DCGAN, WGANGP):
        run = trainer(folder)
        run.fit(tiny(cls), loader())
        paths[cls.__name__] = folder / f"{cls.__name__}.ckpt"
        run.save_checkpoint(paths[cls.__name__])
    return paths


def test_loading_another_variants_checkpoint_is_refused(saved):
    with pytest.raises(CheckpointClassError, match=r"saved by lightning_gans\.variants\.WGANGP, not by .*DCGAN"):
        DCGAN.load_from_checkpoint(saved["WGANGP"])
    # The saved class and its ancestors load it, with the saved settings.
    loaded = WGANGP.load_from_checkpoint(saved["WGANGP"])
    assert loaded.optimization.n_critic == 5 and loaded.loss.name == "wasserstein"
    assert type(DCGAN.load_from_checkpoint(saved["DCGAN"])) is DCGAN


def test_resuming_a_fit_from_another_variants_checkpoint_is_refused(saved, tmp_path):
    with pytest.raises(CheckpointClassError, match="WGANGP.load_from_checkpoint"):
        trainer(tmp_path, max_steps=4).fit(tiny(DCGAN), loader(), ckpt_path=saved["WGANGP"])


def test_checkpoint_written_through_the_cli_names_the_class_mismatch(tmp_path, monkeypatch):
    # LightningCLI stores the class path in the hyperparameters; Lightning then blocks building a class that is not
    # a subclass of the loading one, with a message about code execution. Ours says what is wrong.
    from lightning_gans.cli import main

    monkeypatch.chdir(tmp_path)
    args = ["fit", "--config", "grid_fast", "--model=WGANGP", "--trainer.max_steps=6", "--trainer.logger=false"]
    assert main([*args, "--trainer.enable_progress_bar=false", "--trainer.default_root_dir=run"]) == 0
    (path,) = (tmp_path / "run" / "checkpoints").glob("*.ckpt")
    with pytest.raises(CheckpointClassError, match="saved by lightning_gans.variants.WGANGP"):
        LSGAN.load_from_checkpoint(path)


def broken_files(saved, folder):
    garbage = folder / "garbage.ckpt"
    garbage.write_bytes(b"this is not a checkpoint\n")  # torch: IndexError: pop from empty list
    truncated = folder / "truncated.ckpt"
    data = saved["DCGAN"].read_bytes()
    truncated.write_bytes(data[: len(data) // 10])  # torch: OSError: [Errno 22] Invalid argument
    return [garbage, truncated]


def test_broken_file_is_named_by_load_from_checkpoint(saved, tmp_path):
    for path in broken_files(saved, tmp_path):
        with pytest.raises(CheckpointReadError, match=f"'{path}' is not a readable checkpoint"):
            DCGAN.load_from_checkpoint(path)


def test_broken_file_is_named_by_fit_ckpt_path(saved, tmp_path):
    for path in broken_files(saved, tmp_path):
        with pytest.raises(CheckpointReadError, match=f"'{path}' is not a readable checkpoint: it is not a zip"):
            trainer(tmp_path, max_steps=4).fit(tiny(DCGAN), loader(), ckpt_path=path)


def test_other_load_errors_pass_through_unchanged(tmp_path):
    with pytest.raises(FileNotFoundError):
        DCGAN.load_from_checkpoint(tmp_path / "missing.ckpt")
