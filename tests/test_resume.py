"""Exact resume: stop at an epoch boundary, resume in a "new process" (other global seed), same weights."""

import lightning as L
import pytest
import torch
from lightning.pytorch.callbacks import ModelCheckpoint
from torch.utils.data import DataLoader, TensorDataset

from lightning_gans import NetworkOptions, Optimization, Regularization, VanillaGAN

DATA = torch.randn(96, 2)


SCHEDULES = {  # each update schedule, with every piece of state: EMA, optimizers, schedulers, penalty / input noise
    "n_critic": dict(n_critic=2),
    "g_steps": dict(g_steps=2),
    "simultaneous": dict(update="simultaneous"),
}


def make_model(schedule):
    return VanillaGAN(
        data_dim=2,
        networks=NetworkOptions(hidden_dim=16),
        optimization=Optimization(**SCHEDULES[schedule], lr_decay="cosine", lr_decay_steps=100),
        regularization=Regularization(gp_weight=1.0, instance_noise=0.1, instance_noise_steps=50),
        ema_decay=0.9,
        latent_distribution="uniform" if schedule == "g_steps" else "normal",
    )


def make_trainer(tmp_path, epochs, callbacks=()):
    return L.Trainer(
        accelerator="cpu",
        max_epochs=epochs,
        logger=False,
        enable_progress_bar=False,
        enable_model_summary=False,
        default_root_dir=tmp_path,
        callbacks=list(callbacks),
        enable_checkpointing=bool(callbacks),
        deterministic=True,
    )


def loader():
    return DataLoader(TensorDataset(DATA), batch_size=16, shuffle=True)  # shuffled: data order must resume too


@pytest.mark.parametrize("schedule", sorted(SCHEDULES))
def test_resume_at_epoch_boundary_is_bit_exact(tmp_path, schedule):
    L.seed_everything(7)
    straight = make_model(schedule)
    make_trainer(tmp_path / "a", epochs=4).fit(straight, loader())

    L.seed_everything(7)
    first = make_model(schedule)
    checkpoint = ModelCheckpoint(dirpath=tmp_path / "ckpt", save_last=True)
    make_trainer(tmp_path / "b", epochs=2, callbacks=[checkpoint]).fit(first, loader())

    L.seed_everything(12345)  # the resuming process has another global seed: the result must not depend on it
    resumed = make_model(schedule)
    trainer = make_trainer(tmp_path / "c", epochs=4)
    trainer.fit(resumed, loader(), ckpt_path=checkpoint.last_model_path)

    assert (resumed.generator_steps, resumed.discriminator_steps, resumed.images_seen) == (
        straight.generator_steps,
        straight.discriminator_steps,
        straight.images_seen,
    )
    for (name, a), b in zip(straight.state_dict().items(), resumed.state_dict().values()):
        assert torch.equal(a, b), name  # G, D and the EMA generator
    for opt_a, opt_b in zip(straight.optimizers(), resumed.optimizers()):
        for state_a, state_b in zip(opt_a.optimizer.state.values(), opt_b.optimizer.state.values()):
            assert all(torch.equal(state_a[k], state_b[k]) for k in state_a)
    for sched_a, sched_b in zip(straight.lr_schedulers(), resumed.lr_schedulers()):
        assert sched_a.state_dict() == sched_b.state_dict()
