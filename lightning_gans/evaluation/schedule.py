"""When a callback acts: every N steps, every N epochs, or within a share of the training time; and at the end.

One schedule object serves :class:`~lightning_gans.callbacks.EvaluationCallback` and
:class:`~lightning_gans.callbacks.SampleGridCallback`. Steps are the module's ``generator_steps`` when it has them
(our GAN), else ``trainer.global_step`` (every optimizer step: 2 per batch for a foreign G+D module).

The budgeted form (``max_overhead=0.1``) measures, while training, the wall time spent training and the time spent
in the callback's action, and acts after a batch only when the action's predicted cost (its last measured cost; before
the first, the caller's estimate) keeps the action's total within ``max_overhead`` of the training time, leaving room
for the final action when ``at_end`` is set. Under DDP
rank 0 decides and broadcasts, so every rank acts at the same step (the metrics are collective).
"""

from __future__ import annotations

import time

from lightning import LightningModule, Trainer

from lightning_gans.checks import check_int, check_number

__all__ = ["Schedule", "step_count"]


def step_count(trainer: Trainer, pl_module: LightningModule) -> int:
    """Our GAN's generator steps; else ``trainer.global_step`` (which counts every optimizer step)."""
    return int(getattr(pl_module, "generator_steps", trainer.global_step))


class Schedule:
    """Every ``every_n_steps`` steps, or every ``every_n_epochs`` epochs, or under a ``max_overhead`` time budget.

    Give at most one of the three (default: every epoch); ``at_end`` adds an action at the end of fit (skipped when
    the last step was just handled).

    >>> Schedule(every_n_steps=100).describe()
    'every 100 steps'
    >>> Schedule(max_overhead=0.1, at_end=True).describe()
    'within 10% of training time, and at the end of fit'
    >>> Schedule(every_n_steps=10, every_n_epochs=1)
    Traceback (most recent call last):
    ...
    ValueError: give one of every_n_steps, every_n_epochs, max_overhead; got every_n_steps=10, every_n_epochs=1
    """

    def __init__(
        self,
        every_n_steps: int | None = None,
        every_n_epochs: int | None = None,
        max_overhead: float | None = None,
        at_end: bool = False,
    ) -> None:
        given = {
            k: v
            for k, v in dict(
                every_n_steps=every_n_steps, every_n_epochs=every_n_epochs, max_overhead=max_overhead
            ).items()
            if v is not None
        }
        if len(given) > 1:
            raise ValueError(
                "give one of every_n_steps, every_n_epochs, max_overhead; got "
                + ", ".join(f"{k}={v}" for k, v in given.items())
            )
        self.every_n_steps = None if every_n_steps is None else check_int("every_n_steps", every_n_steps, minimum=1)
        self.every_n_epochs = None if every_n_epochs is None else check_int("every_n_epochs", every_n_epochs, minimum=1)
        self.max_overhead = (
            None if max_overhead is None else check_number("max_overhead", max_overhead, 0.0, 1.0, False, True)
        )
        if not given:
            self.every_n_epochs = 1
        if not isinstance(at_end, bool):
            raise TypeError(f"at_end must be a bool, got {at_end!r} ({type(at_end).__name__})")
        self.at_end = at_end
        self.last_step = -1
        self.action_seconds = 0.0  # time spent acting, measured
        self.predicted_seconds: float | None = None  # the next action's expected cost
        self._fit_start: float | None = None

    def describe(self) -> str:
        """The schedule in words, for logs and provenance."""
        if self.max_overhead is not None:
            text = f"within {self.max_overhead:.0%} of training time"
        elif self.every_n_steps is not None:
            text = f"every {self.every_n_steps} steps"
        else:
            text = f"every {self.every_n_epochs} epochs"
        return text + (", and at the end of fit" if self.at_end else "")

    def start(self) -> None:
        """Call at fit start: the training clock starts."""
        self._fit_start = time.perf_counter()
        self.action_seconds = 0.0

    def record(self, seconds: float, step: int) -> None:
        """Call after acting: ``seconds`` it took, at ``step``."""
        self.action_seconds += seconds
        self.predicted_seconds = seconds
        self.last_step = step

    def training_seconds(self) -> float:
        """Wall time since :meth:`start`, minus the time spent acting."""
        if self._fit_start is None:
            return 0.0
        return max(0.0, time.perf_counter() - self._fit_start - self.action_seconds)

    def due_after_batch(self, trainer: Trainer, pl_module: LightningModule) -> bool:
        """Whether to act after this training batch."""
        step = step_count(trainer, pl_module)
        if step <= 0 or step == self.last_step:
            return False
        if self.every_n_steps is not None:
            return step % self.every_n_steps == 0
        if self.max_overhead is None:
            return False
        due = False
        if trainer.is_global_zero and self.predicted_seconds is not None:
            budget = self.max_overhead * self.training_seconds()
            reserved = self.predicted_seconds if self.at_end else 0.0  # room for the final action, also predicted
            due = self.action_seconds + self.predicted_seconds + reserved <= budget
        if trainer.world_size > 1:  # a time-based decision differs by rank: rank 0's holds
            due = bool(trainer.strategy.broadcast(due, src=0))
        return due

    def due_after_epoch(self, trainer: Trainer, pl_module: LightningModule) -> bool:
        """Whether to act at the end of this training epoch."""
        if self.every_n_epochs is None or step_count(trainer, pl_module) == self.last_step:
            return False
        return (trainer.current_epoch + 1) % self.every_n_epochs == 0

    def due_at_end(self, trainer: Trainer, pl_module: LightningModule) -> bool:
        """Whether to act at the end of fit."""
        return self.at_end and step_count(trainer, pl_module) != self.last_step
