"""The step's cost: no host-device synchronisation on non-logging steps, and the opt-in speed options."""

import lightning as L
import pytest
import torch
from torch.utils.data import DataLoader, TensorDataset

from lightning_gans import WGANGP, NetworkOptions, Optimization, Regularization, VanillaGAN

SYNCS = ("item", "cpu", "tolist", "__bool__", "__float__", "__int__")


class CountSyncs(L.Callback):
    """Counts the calls that make the host wait for the device, from the second batch on, outside logging steps."""

    def __init__(self, monkeypatch):
        self.calls, self.active = [], False
        for name in SYNCS:
            original = getattr(torch.Tensor, name)

            def counted(tensor, *args, _original=original, _name=name, **kwargs):
                caller = __import__("sys")._getframe(1).f_code.co_filename
                # torch.optim reads Adam's step counter, a CPU scalar by design (also on a GPU): not a device sync.
                if self.active and "torch/optim" not in caller:
                    self.calls.append((_name, caller))
                return _original(tensor, *args, **kwargs)

            monkeypatch.setattr(torch.Tensor, name, counted)

    def on_train_batch_start(self, trainer, pl_module, batch, batch_idx):
        self.active = batch_idx >= 1  # the first batch is looked at once (dtype and range of the data)

    def on_train_batch_end(self, trainer, pl_module, outputs, batch, batch_idx):
        self.active = False


def fit(model, data, callbacks, max_steps, **trainer_args):
    trainer = L.Trainer(
        accelerator="cpu",
        max_steps=max_steps,
        logger=False,
        enable_checkpointing=False,
        enable_progress_bar=False,
        enable_model_summary=False,
        callbacks=callbacks,
        **trainer_args,
    )
    trainer.fit(model, data)
    return trainer


@pytest.mark.parametrize(
    "make_model",
    [
        lambda: VanillaGAN(data_dim=2, networks=NetworkOptions(hidden_dim=16), ema_decay=0.99),
        lambda: WGANGP(data_dim=2, networks=NetworkOptions(hidden_dim=16), regularization=Regularization(r1_weight=1)),
        lambda: VanillaGAN(
            data_dim=2,
            networks=NetworkOptions(hidden_dim=16),
            optimization=Optimization(update="simultaneous"),
            ema_decay=0.99,
            latent_distribution="uniform",
        ),
        lambda: VanillaGAN(data_dim=2, networks=NetworkOptions(hidden_dim=16), optimization=Optimization(g_steps=2)),
    ],
    ids=["vanilla_ema", "wgangp_gp_r1", "simultaneous_uniform", "g_steps_2"],
)
def test_a_step_that_is_not_a_logging_step_never_waits_for_the_device(monkeypatch, make_model):
    counter = CountSyncs(monkeypatch)
    model = make_model()
    data = DataLoader(TensorDataset(torch.randn(512, 2)), batch_size=16)
    fit(model, data, [counter], max_steps=24, log_every_n_steps=1000)
    assert model.generator_steps >= 4
    assert counter.calls == []


def test_logging_steps_do_look(monkeypatch):
    # The counter is not blind: a logging step looks at the guard's values (and the logger at the metrics).
    counter = CountSyncs(monkeypatch)
    model = VanillaGAN(data_dim=2, networks=NetworkOptions(hidden_dim=16))
    data = DataLoader(TensorDataset(torch.randn(256, 2)), batch_size=16)
    fit(model, data, [counter], max_steps=8, log_every_n_steps=2)
    assert any(name == "tolist" for name, _ in counter.calls)


def test_logging_happens_on_logging_steps_only():
    model = VanillaGAN(data_dim=2, networks=NetworkOptions(hidden_dim=16))
    data = DataLoader(TensorDataset(torch.randn(256, 2)), batch_size=16)
    logged = []
    original = model.log_dict
    model.log_dict = lambda metrics, **kwargs: (logged.append(dict(metrics)), original(metrics, **kwargs))
    trainer = fit(model, data, [], max_steps=20, log_every_n_steps=5)  # 10 batches: logging batches 5 and 10
    assert len(logged) == 2 and {"loss/d", "loss/g", "d/real_logit", "grad/d_norm", "grad/g_norm"} <= set(logged[0])
    assert {"loss/d", "loss/g"} <= set(trainer.callback_metrics)
    assert {"loss/d", "loss/g"} <= set(model.step_stats)  # the last step's values, for callbacks, on every step


def test_compile_trains_with_ema_and_gradient_penalty():
    L.seed_everything(0)
    model = WGANGP(data_dim=2, networks=NetworkOptions(hidden_dim=16), ema_decay=0.9, compile=True)
    data = DataLoader(TensorDataset(torch.randn(256, 2)), batch_size=16)
    trainer = fit(model, data, [], max_steps=12, log_every_n_steps=1)
    assert model._train_nets["discriminator"] is not model.discriminator  # the training forwards ran compiled
    assert model.generator_steps == 2 and torch.isfinite(trainer.callback_metrics["reg/gp"])
    assert set(model.state_dict()) == set(
        WGANGP(data_dim=2, networks=NetworkOptions(hidden_dim=16), ema_decay=0.9).state_dict()
    )


def test_channels_last_keeps_image_networks_in_that_format():
    model = VanillaGAN(image_size=28, networks=NetworkOptions(base_width=4), channels_last=True)
    data = DataLoader(TensorDataset(torch.rand(32, 1, 28, 28) * 2 - 1), batch_size=8)
    fit(model, data, [], max_steps=4)
    conv = next(m for m in model.discriminator.modules() if isinstance(m, torch.nn.Conv2d))
    assert conv.weight.is_contiguous(memory_format=torch.channels_last)
    assert model.generator_steps == 2
