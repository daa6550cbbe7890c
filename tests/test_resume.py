"""Exact resume: stop at an epoch boundary, resume in a "new process" (other global seed), same weights; resuming
with other settings applies the learning rates and betas and refuses the settings that define the run."""

import lightning as L
import pytest
import torch
from lightning.pytorch.callbacks import ModelCheckpoint
from torch.utils.data import DataLoader, TensorDataset

from lightning_gans import NetworkOptions, Optimization, Regularization, VanillaGAN
from lightning_gans.engine.resume import ResumeSettingsError

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


# ------------------------------------------------------------------ resuming with other settings (nothing ignored)
class RecordRates(L.Callback):
    """The learning rates and betas the optimizers hold when each batch starts: what training really uses."""

    def __init__(self):
        self.seen = []

    def on_train_batch_start(self, trainer, pl_module, batch, batch_idx):
        self.seen.append([(o.param_groups[0]["lr"], o.param_groups[0].get("betas")) for o in trainer.optimizers])


def _first_run(tmp_path, **kwargs):
    L.seed_everything(0)
    model = VanillaGAN(data_dim=2, networks=NetworkOptions(hidden_dim=16), noise_seed=0, **kwargs)
    checkpoint = ModelCheckpoint(dirpath=tmp_path / "ckpt", save_last=True)
    make_trainer(tmp_path / "a", epochs=1, callbacks=[checkpoint]).fit(model, loader())
    return checkpoint.last_model_path


def test_resume_with_new_learning_rates_trains_at_them_and_says_so(tmp_path, caplog):
    path = _first_run(tmp_path)  # Optimization's defaults: 2e-4 for both
    resumed = VanillaGAN(
        data_dim=2,
        networks=NetworkOptions(hidden_dim=16),
        noise_seed=0,
        optimization=Optimization(lr_g=1e-5, lr_d=3e-5, betas_d=(0.0, 0.9)),
    )
    rates = RecordRates()
    with caplog.at_level("INFO", logger="lightning.pytorch.utilities.rank_zero"):  # (benchmark tests quiet Lightning)
        make_trainer(tmp_path / "b", epochs=2, callbacks=[rates]).fit(resumed, loader(), ckpt_path=path)
    # Lightning restores the optimizers' state after the module is built: without care, 2e-4 would come back.
    assert rates.seen and all(seen == [(1e-5, (0.5, 0.999)), (3e-5, (0.0, 0.9))] for seen in rates.seen)
    assert resumed.hparams.optimization["lr_g"] == 1e-5  # recorded = trained
    said = [r.getMessage() for r in caplog.records if "resuming with this run's" in r.getMessage()]
    assert said == [
        "resuming with this run's optimization.betas_d (0.5, 0.999) -> (0, 0.9), optimization.lr_d 0.0002 -> 3e-05, "
        "optimization.lr_g 0.0002 -> 1e-05 (in place of the checkpoint's)"
    ]


def test_resume_with_a_new_rate_under_lr_decay_keeps_its_place_in_the_schedule(tmp_path):
    decay = dict(lr_decay="linear", lr_decay_steps=24)
    path = _first_run(tmp_path, optimization=Optimization(**decay))  # 6 G steps: the rate is at 1 - 6/24 of 2e-4
    resumed = VanillaGAN(
        data_dim=2, networks=NetworkOptions(hidden_dim=16), noise_seed=0, optimization=Optimization(lr_g=1e-4, **decay)
    )
    rates = RecordRates()
    make_trainer(tmp_path / "b", epochs=2, callbacks=[rates]).fit(resumed, loader(), ckpt_path=path)
    assert rates.seen[0][0][0] == pytest.approx(1e-4 * (1 - 6 / 24))  # the new rate, 6 steps into its decay
    assert rates.seen[0][1][0] == pytest.approx(2e-4 * (1 - 6 / 24))  # D's rate did not change
    generator_schedule = resumed.lr_schedulers()[0]
    assert generator_schedule.base_lrs == [1e-4]


@pytest.mark.parametrize(
    "change, named",
    [
        (dict(optimization=Optimization(n_critic=2)), "optimization.n_critic 1 -> 2"),
        (dict(networks=NetworkOptions(hidden_dim=32)), "networks.hidden_dim 16 -> 32"),
        (dict(loss="hinge"), "loss 'non_saturating' -> 'hinge'"),
        (dict(ema_decay=0.99), "ema_decay None -> 0.99"),
    ],
)
def test_resume_with_a_setting_that_defines_the_run_is_refused_naming_it(tmp_path, change, named):
    path = _first_run(tmp_path)
    settings = dict(data_dim=2, networks=NetworkOptions(hidden_dim=16), noise_seed=0) | change
    trainer = make_trainer(tmp_path / "b", epochs=2)
    with pytest.raises(ResumeSettingsError, match="differ from the checkpoint's") as refused:
        trainer.fit(VanillaGAN(**settings), loader(), ckpt_path=path)
    message = str(refused.value)
    assert "\n" not in message and named in message and "start a new run" in message


def test_resume_with_an_explicit_other_noise_seed_is_refused_and_without_one_continues_the_runs(tmp_path):
    path = _first_run(tmp_path)  # noise_seed=0
    trainer = make_trainer(tmp_path / "b", epochs=2)
    other = VanillaGAN(data_dim=2, networks=NetworkOptions(hidden_dim=16), noise_seed=5)
    with pytest.raises(ResumeSettingsError, match=r"noise_seed=5 differs from the checkpoint's noise_seed=0"):
        trainer.fit(other, loader(), ckpt_path=path)
    unset = VanillaGAN(data_dim=2, networks=NetworkOptions(hidden_dim=16))  # a drawn seed: the checkpoint's wins
    make_trainer(tmp_path / "c", epochs=2).fit(unset, loader(), ckpt_path=path)
    assert unset.hparams.noise_seed == 0
