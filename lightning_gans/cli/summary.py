"""What a finished run printed last: where its pictures, metrics and checkpoint are, and its quality number."""

from __future__ import annotations

import os
from pathlib import Path

from lightning import Trainer
from lightning.pytorch.callbacks import ModelCheckpoint
from lightning.pytorch.loggers import CSVLogger, TensorBoardLogger

from lightning_gans.callbacks.samples import SampleGridCallback

__all__ = ["run_summary"]


def _shown(path: str | os.PathLike) -> str:
    """A path relative to the working directory when it is below it (shorter to read and to copy)."""
    path = Path(path)
    try:
        return str(path.resolve().relative_to(Path.cwd().resolve()))
    except ValueError:
        return str(path)


def _duration(seconds: float) -> str:
    minutes, seconds = divmod(round(seconds), 60)
    return f"{minutes} min {seconds:02d} s" if minutes else f"{seconds} s"


def run_summary(trainer: Trainer, seconds: float | None = None, resume_hint: str | None = None) -> str:
    """A few lines on a finished fit: length, the last sample picture, the metrics file, the last checkpoint, and
    the line of every callback that reports a quality number (a ``result`` dict and a one-line ``summary()``, as
    :class:`~lightning_gans.callbacks.digits_quality.DigitsQualityCallback` has).

    ``seconds`` is the wall time to report; ``resume_hint`` a line on how to continue the run.

    >>> print(run_summary(Trainer(logger=False, enable_checkpointing=False, max_epochs=0)))
    Finished: 0 epochs, 0 optimizer steps.
    """
    module = trainer.lightning_module  # None when fit never ran
    steps = f"{trainer.global_step} optimizer steps"
    if module is not None and hasattr(module, "generator_steps"):
        steps = f"{module.generator_steps} generator steps"
    took = f" in {_duration(seconds)}" if seconds is not None else ""
    lines = [f"Finished: {trainer.current_epoch} epochs, {steps}{took}."]
    rows: list[tuple[str, str]] = []
    for callback in trainer.callbacks:
        if isinstance(callback, SampleGridCallback) and callback.saved:
            last = callback.saved[-1]
            earlier = len(callback.saved) - 1
            more = f" ({earlier} earlier in the same folder)" if earlier else ""
            rows.append(("pictures", f"{_shown(last)}{more}"))
    for logger in trainer.loggers:
        if isinstance(logger, CSVLogger):
            rows.append(("metrics", _shown(Path(logger.log_dir) / "metrics.csv")))
        elif isinstance(logger, TensorBoardLogger):
            rows.append(("metrics", f"{_shown(logger.log_dir)} (tensorboard --logdir {_shown(logger.log_dir)})"))
    for callback in trainer.callbacks:
        if isinstance(callback, ModelCheckpoint) and (callback.last_model_path or callback.best_model_path):
            rows.append(("checkpoint", _shown(callback.last_model_path or callback.best_model_path)))
    for callback in trainer.callbacks:
        result = getattr(callback, "result", None)
        if isinstance(result, dict) and callable(getattr(callback, "summary", None)):
            rows.append(("quality", callback.summary()))
            if "file" in result:
                rows.append(("", f"(details in {_shown(result['file'])})"))
    if resume_hint:
        rows.append(("resume", resume_hint))
    width = max((len(name) for name, _ in rows), default=0)
    lines += [f"  {name + ':' if name else '':<{width + 1}}  {text}" for name, text in rows]
    return "\n".join(lines)
