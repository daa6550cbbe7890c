"""One way to train for a budget: fit a model with a CPU ``Trainer`` until it has made N generator steps."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from lightning import Callback, LightningModule, Trainer


class StopAfterGeneratorSteps(Callback):
    """Stop training once ``pl_module.generator_steps`` reaches ``steps``.

    The budget counts generator updates, whatever the update schedule (``n_critic`` discriminator steps per
    generator step, two generator steps per discriminator step, simultaneous updates): ``trainer.global_step`` counts
    every optimizer step and so means something different for each.

    >>> StopAfterGeneratorSteps(100).steps
    100
    """

    def __init__(self, steps: int) -> None:
        if isinstance(steps, bool) or not isinstance(steps, int) or steps < 1:
            raise ValueError(f"steps must be an int >= 1, got {steps!r}")
        self.steps = steps

    def on_train_batch_end(self, trainer: Trainer, pl_module: LightningModule, *args: Any) -> None:
        if pl_module.generator_steps >= self.steps:
            trainer.should_stop = True


def fit_generator_steps(
    model: LightningModule, datamodule: Any, steps: int, callbacks: Sequence[Callback] = (), accelerator: str = "cpu"
) -> Trainer:
    """Fit ``model`` on ``datamodule`` for ``steps`` generator steps, with no logger, checkpoint or progress bar.

    Epochs are unlimited (the data may hold fewer batches than the budget); validation is off. Returns the Trainer.

    >>> from lightning_gans import NetworkOptions, VanillaGAN
    >>> from lightning_gans.data.toy import ToyDataModule
    >>> model = VanillaGAN(data_dim=2, latent_dim=2, networks=NetworkOptions(hidden_dim=8), noise_seed=0)
    >>> _ = fit_generator_steps(model, ToyDataModule("ring", batch_size=16, num_batches_per_epoch=2), steps=3)
    >>> model.generator_steps
    3
    """
    trainer = Trainer(
        accelerator=accelerator,
        devices=1,
        max_epochs=-1,
        max_steps=-1,
        logger=False,
        enable_checkpointing=False,
        enable_progress_bar=False,
        enable_model_summary=False,
        num_sanity_val_steps=0,
        limit_val_batches=0,
        callbacks=[*callbacks, StopAfterGeneratorSteps(steps)],
    )
    trainer.fit(model, datamodule)
    return trainer
