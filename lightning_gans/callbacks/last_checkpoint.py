"""Keep a run's ``last.ckpt`` at most one epoch or a few minutes old, so that a killed run loses little.

Lightning's ``ModelCheckpoint(save_last=True)`` writes ``last.ckpt`` only together with a top-k checkpoint: with
``save_top_k=0`` (GAN losses rank nothing), only when training ends, so a run killed by SIGKILL, the OOM killer or a
lost machine leaves nothing to resume from. Its ``train_time_interval`` is not looked at under manual optimization
(every GAN here). :class:`KeepLastCheckpoint` writes the trainer's ``last.ckpt`` itself. ``lightning-gans fit``
adds one to every run that has checkpointing on.
"""

from __future__ import annotations

import time
from typing import Any

from lightning import Callback, LightningModule, Trainer

from lightning_gans.checks import check_int, check_number

__all__ = ["KeepLastCheckpoint"]

_DDP_CHECK_EVERY = 16  # batches between the ranks' agreements on the clock (a collective each time)


class KeepLastCheckpoint(Callback):
    """Write ``last.ckpt`` in the folder of the trainer's ``ModelCheckpoint`` at the end of every
    ``every_n_epochs``-th epoch and, within long epochs, every ``every_minutes`` of training.

    Writes go through the strategy (under DDP rank zero writes and the ranks decide together when); with the engine
    they are atomic: a write cut short leaves the previous ``last.ckpt`` whole. Resume with
    ``trainer.fit(..., ckpt_path=<folder>/last.ckpt)`` or ``lightning-gans fit ... --ckpt_path last``: at most the
    epoch (or the minutes) since the write are lost; a write inside an epoch resumes at the start of that epoch's
    batches with the engine's counters where they were. A trainer without checkpointing writes nothing.

    Args:
        every_minutes: the longest training time between two writes; ``None``: at epoch ends only.
        every_n_epochs: epochs between two epoch-end writes.

    >>> KeepLastCheckpoint(every_minutes=0).every_minutes
    Traceback (most recent call last):
    ...
    ValueError: every_minutes must be a finite number > 0.0, got 0
    """

    def __init__(self, every_minutes: float | None = 5.0, every_n_epochs: int = 1) -> None:
        if every_minutes is not None:
            check_number("every_minutes", every_minutes, low=0.0, low_inclusive=False)
        self.every_minutes = every_minutes
        self.every_n_epochs = check_int("every_n_epochs", every_n_epochs, minimum=1)
        self._written_at = time.monotonic()
        self._written_step = -1

    def on_train_start(self, trainer: Trainer, pl_module: LightningModule) -> None:
        self._written_at = time.monotonic()
        self._written_step = trainer.global_step  # a resumed run's checkpoint already holds this step

    def on_train_batch_end(
        self, trainer: Trainer, pl_module: LightningModule, outputs: Any, batch: Any, batch_idx: int
    ) -> None:
        if self.every_minutes is None:
            return
        due = time.monotonic() - self._written_at >= 60.0 * self.every_minutes
        if trainer.world_size > 1:  # every rank takes part in a write: one decision for all, every 16th batch
            if batch_idx % _DDP_CHECK_EVERY:
                return
            due = trainer.strategy.reduce_boolean_decision(due, all=False)
        if due:
            self._write(trainer)

    def on_train_epoch_end(self, trainer: Trainer, pl_module: LightningModule) -> None:
        if (trainer.current_epoch + 1) % self.every_n_epochs == 0:
            self._write(trainer)

    def on_train_end(self, trainer: Trainer, pl_module: LightningModule) -> None:
        checkpoint = trainer.checkpoint_callback
        if checkpoint is not None and not checkpoint.save_last:  # with save_last it writes the final one itself
            self._write(trainer)

    def _write(self, trainer: Trainer) -> None:
        checkpoint = trainer.checkpoint_callback
        if checkpoint is None or trainer.sanity_checking or trainer.fast_dev_run:
            return
        if trainer.global_step == self._written_step:
            return  # nothing new since the last write
        path = checkpoint.format_checkpoint_name({}, checkpoint.CHECKPOINT_NAME_LAST)
        trainer.save_checkpoint(path, weights_only=False)  # the full state: a resume needs the optimizers too
        # The ModelCheckpoint's own last save (save_last, at the end) then rewrites this file instead of a
        # last-v1.ckpt, and the run's summary names it.
        checkpoint.last_model_path = path
        self._written_step = trainer.global_step
        self._written_at = time.monotonic()
