"""The DDP strategy a GAN needs, in one obvious place."""

from __future__ import annotations

from datetime import timedelta

from lightning.pytorch.strategies import DDPStrategy


def gan_ddp_strategy(start_method: str = "popen", process_group_backend: str | None = None, timeout_minutes: float = 30.0) -> DDPStrategy:
    """DDP for a module holding both G and D.

    Each phase of a GAN step leaves the other network's parameters without gradients, so DDP must be told to
    expect unused parameters (``find_unused_parameters=True``); without it DDP raises on the first step. The
    string ``"ddp_find_unused_parameters_true"`` is the same thing for the default launcher.

    ``start_method``: ``"popen"`` (the standard launcher: re-runs your script per process), ``"spawn"`` or
    ``"fork"`` (for notebooks and tests). ``process_group_backend``: ``None`` picks NCCL on GPUs and gloo on CPU.

    >>> strategy = gan_ddp_strategy("fork")
    >>> strategy._ddp_kwargs["find_unused_parameters"]
    True
    """
    if start_method not in ("popen", "spawn", "fork", "forkserver"):
        raise ValueError(f"start_method must be 'popen', 'spawn', 'fork' or 'forkserver', got {start_method!r}")
    return DDPStrategy(
        find_unused_parameters=True,
        start_method=start_method,
        process_group_backend=process_group_backend,
        timeout=timedelta(minutes=timeout_minutes),
    )
