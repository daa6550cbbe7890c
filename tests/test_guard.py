"""Divergence guard: a planted NaN stops training with the documented message; checkpoints stay intact."""

import lightning as L
import pytest
import torch
from lightning.pytorch.callbacks import ModelCheckpoint
from torch.utils.data import DataLoader, TensorDataset

from lightning_gans import GAN, GANDivergenceError, NetworkOptions, VanillaGAN
from lightning_gans.nets import MLPGenerator


class PlantNaN(L.Callback):
    """Poison one discriminator weight right before the given batch."""

    def __init__(self, at_batch):
        self.at_batch = at_batch

    def on_train_batch_start(self, trainer, pl_module, batch, batch_idx):
        if batch_idx == self.at_batch:
            with torch.no_grad():
                pl_module.discriminator.head.weight[0, 0] = float("nan")


def trainer(tmp_path, callbacks):
    return L.Trainer(
        accelerator="cpu",
        max_steps=40,
        logger=False,
        enable_progress_bar=False,
        enable_model_summary=False,
        default_root_dir=tmp_path,
        callbacks=callbacks,
    )


def test_planted_nan_stops_training_and_names_network_and_step(tmp_path):
    checkpoint = ModelCheckpoint(dirpath=tmp_path, every_n_train_steps=4, save_last=True)
    model = VanillaGAN(data_dim=2, networks=NetworkOptions(hidden_dim=16))
    data = DataLoader(TensorDataset(torch.randn(256, 2)), batch_size=16)
    with pytest.raises(GANDivergenceError) as error:
        trainer(tmp_path, [checkpoint, PlantNaN(at_batch=5)]).fit(model, data)
    message = str(error.value)
    assert "the discriminator diverged at generator step 5, discriminator step 5 (trainer.global_step 10)" in message
    assert "Non-finite weights: discriminator" in message and "checkpoints already written are intact" in message
    saved = torch.load(checkpoint.last_model_path, weights_only=True)
    assert saved["global_step"] == 8
    assert all(torch.isfinite(v).all() for v in saved["state_dict"].values() if v.is_floating_point())


def test_skip_policy_drops_the_bad_update_and_goes_on(tmp_path):
    data = torch.randn(512, 2)  # 32 batches: the run ends within the first epoch
    data[16 * 3] = float("nan")  # one poisoned real sample in batch 3
    model = VanillaGAN(data_dim=2, networks=NetworkOptions(hidden_dim=16), on_nonfinite="skip")
    fit = trainer(tmp_path, [])
    fit.fit(model, DataLoader(TensorDataset(data), batch_size=16))
    assert model.guard.skipped_steps == 1
    # 21 batches: 21 G updates, 20 D updates (the skipped one never reached the optimizer).
    opt_g, opt_d = (o.optimizer for o in model.optimizers())
    adam_steps = lambda opt: int(next(iter(opt.state.values()))["step"])  # noqa: E731
    assert (adam_steps(opt_g), adam_steps(opt_d), fit.global_step) == (21, 20, 41)
    assert all(torch.isfinite(p).all() for p in model.parameters())


def test_skip_policy_gives_up_after_patience(tmp_path):
    model = VanillaGAN(data_dim=2, networks=NetworkOptions(hidden_dim=16), on_nonfinite="skip")
    data = torch.full((256, 2), float("nan"))
    with pytest.raises(GANDivergenceError, match=r"11 consecutive discriminator updates skipped \(patience=10\)"):
        trainer(tmp_path, []).fit(model, DataLoader(TensorDataset(data), batch_size=16))


class InfGradientDiscriminator(torch.nn.Module):
    """Finite logits, non-finite gradient: d sqrt(w) / dw is inf at w = 0, and sqrt(0) adds nothing to the logits."""

    def __init__(self):
        super().__init__()
        self.net = torch.nn.Linear(2, 1)
        self.w = torch.nn.Parameter(torch.zeros(()))

    def forward(self, x):
        return self.net(x).squeeze(-1) + torch.sqrt(self.w)


def test_skip_policy_gives_up_when_the_loss_is_finite_but_the_gradient_is_not(tmp_path):
    # Each update is looked at twice (loss, then gradient): a finite loss must not reset the count of skips.
    model = GAN(MLPGenerator(latent_dim=4, data_dim=2), InfGradientDiscriminator(), latent_dim=4, on_nonfinite="skip")
    data = DataLoader(TensorDataset(torch.randn(512, 2)), batch_size=8)
    with pytest.raises(GANDivergenceError, match=r"11 consecutive discriminator updates skipped \(patience=10\)"):
        trainer(tmp_path, []).fit(model, data)
    assert model.guard.skipped_steps == 11 and model.discriminator_steps == 10
