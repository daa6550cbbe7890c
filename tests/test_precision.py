"""Mixed precision: the gradient penalty under the fp16 GradScaler and under bf16 equals its fp32 value."""

import lightning as L
import pytest
import torch
from lightning.pytorch.plugins import MixedPrecision
from torch.utils.data import DataLoader, TensorDataset

from lightning_gans import WGANGP, NetworkOptions, Optimization, Regularization, VanillaGAN


class RecordPenalty(L.Callback):
    def __init__(self):
        self.first_gp, self.scales = None, []

    def on_train_batch_end(self, trainer, pl_module, outputs, batch, batch_idx):
        if self.first_gp is None:
            self.first_gp = float(pl_module.step_stats["reg/gp"])
        self.scales.append(pl_module._grad_scale())


def first_penalty(plugin=None, precision="32-true", steps=1):
    L.seed_everything(0)
    model = WGANGP(data_dim=8, networks=NetworkOptions(hidden_dim=64), noise_seed=0)
    record = RecordPenalty()
    trainer = L.Trainer(
        accelerator="cpu",
        max_steps=steps,
        logger=False,
        enable_checkpointing=False,
        enable_progress_bar=False,
        enable_model_summary=False,
        callbacks=[record],
        plugins=[plugin] if plugin else None,
        precision=None if plugin else precision,
    )
    trainer.fit(model, DataLoader(TensorDataset(torch.randn(64, 8)), batch_size=32))
    return record, model


def fp16_scaler_plugin(init_scale=2.0**10):
    # On CPU, precision="16-mixed" silently becomes bf16; a plugin with a CPU GradScaler exercises the fp16 path.
    return MixedPrecision("16-mixed", "cpu", scaler=torch.amp.GradScaler("cpu", init_scale=init_scale))


def test_fp16_gradscaler_penalty_equals_fp32():
    reference, _ = first_penalty()
    scaled, model = first_penalty(fp16_scaler_plugin(), steps=12)
    assert scaled.scales[0] == 2.0**10  # the scaler was active (no overflow: the scale did not move)
    assert scaled.first_gp == pytest.approx(reference.first_gp, rel=1e-2)
    assert all(torch.isfinite(p).all() for p in model.parameters())


def test_fp16_penalty_overflow_is_skipped_by_the_scaler_not_the_guard():
    # At 2^16 the scaled gradient seed itself overflows fp16: the scaler skips that update and halves its scale.
    record, model = first_penalty(fp16_scaler_plugin(init_scale=2.0**16), steps=12)
    assert record.scales[0] == 2.0**15  # seen after the first update: skipped, scale halved
    assert all(torch.isfinite(p).all() for p in model.parameters())
    assert model.guard.skipped_steps == 0


def test_bf16_penalty_equals_fp32():
    reference, _ = first_penalty()
    bf16, model = first_penalty(precision="bf16-mixed", steps=12)
    assert bf16.scales[0] is None  # bf16 needs no scaler
    assert bf16.first_gp == pytest.approx(reference.first_gp, rel=3e-2)
    assert all(torch.isfinite(p).all() for p in model.parameters())


def test_r1_and_clipping_under_the_fp16_scaler_see_unscaled_gradients():
    L.seed_everything(0)
    model = VanillaGAN(
        data_dim=4,
        networks=NetworkOptions(hidden_dim=32),
        optimization=Optimization(grad_clip_norm=0.5),
        regularization=Regularization(r1_weight=1.0),
        noise_seed=0,
    )
    norms = []
    original = model.on_before_optimizer_step

    def spy(optimizer):
        original(optimizer)  # clips after unscaling; a scaled gradient (x 65536) would be clipped to nonsense
        grads = [p.grad for p in optimizer.param_groups[0]["params"] if p.grad is not None]
        norms.append(float(torch.nn.utils.get_total_norm(grads)))

    model.on_before_optimizer_step = spy
    trainer = L.Trainer(
        accelerator="cpu",
        max_steps=6,
        logger=False,
        enable_checkpointing=False,
        enable_progress_bar=False,
        enable_model_summary=False,
        plugins=[fp16_scaler_plugin()],
    )
    trainer.fit(model, DataLoader(TensorDataset(torch.randn(64, 4)), batch_size=16))
    assert norms and max(norms) <= 0.5 + 1e-4
    assert torch.isfinite(model.step_stats["reg/r1"])
    assert all(torch.isfinite(p).all() for p in model.parameters())
