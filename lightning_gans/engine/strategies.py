"""The DDP strategy a GAN needs, in one obvious place."""

from __future__ import annotations

import warnings
from datetime import timedelta

from lightning import LightningModule, Trainer
from lightning.pytorch.strategies import DDPStrategy
from torch import nn
from torch.nn.modules.batchnorm import _BatchNorm


def gan_ddp_strategy(
    start_method: str = "popen", process_group_backend: str | None = None, timeout_minutes: float = 30.0
) -> DDPStrategy:
    """DDP for a module holding both G and D.

    Each phase of a GAN step leaves the other network's parameters without gradients, so DDP must be told to
    expect unused parameters (``find_unused_parameters=True``); without it DDP raises on the first step. The
    string ``"ddp_find_unused_parameters_true"`` is the same thing for the default launcher. (The engine also sets
    it on any DDP strategy it is given, see :func:`prepare_strategy`: this function is for the other options.)

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


def prepare_strategy(trainer: Trainer) -> None:
    """Make the trainer's DDP strategy right for a GAN before it wraps the module (called by the engine's ``setup``).

    ``Trainer(devices=N)`` and ``--trainer.devices=N`` pick Lightning's plain DDP, which raises on the first step of
    a GAN (each phase leaves one network without gradients): unused parameters are expected from here on, so those
    just work. Other strategies are left as they are.

    >>> import lightning as L
    >>> trainer = L.Trainer(accelerator="cpu", devices=2, strategy="ddp_fork", logger=False)
    >>> prepare_strategy(trainer)
    >>> trainer.strategy._ddp_kwargs["find_unused_parameters"]
    True
    """
    strategy = trainer.strategy
    if isinstance(strategy, DDPStrategy) and trainer.world_size > 1:
        strategy._ddp_kwargs["find_unused_parameters"] = True  # read when DDP wraps the module, after setup


def check_strategy(gan: LightningModule) -> None:
    """Fail early, with the fix, on set-ups that break a GAN later (called by the engine at fit start).

    - DDP without ``find_unused_parameters=True``: each phase leaves one network without gradients (the engine's
      ``setup`` sets it, see :func:`prepare_strategy`: this catches a subclass whose ``setup`` skipped the engine's).
    - SyncBatchNorm in a discriminator with a gradient penalty / R1: SyncBatchNorm has no double backward.
    - BatchNorm in such a discriminator: allowed, but the penalty is then not per-sample (a warning).
    """
    strategy = gan.trainer.strategy
    if (
        isinstance(strategy, DDPStrategy)
        and gan.trainer.world_size > 1
        and not strategy._ddp_kwargs.get("find_unused_parameters")
    ):
        raise ValueError(
            "DDP needs find_unused_parameters=True for a GAN (each update leaves the other network without "
            "gradients): use Trainer(strategy=lightning_gans.gan_ddp_strategy()) or strategy='ddp_find_unused_parameters_true'"
        )
    penalised = bool(gan.hparams.get("gp_weight") or gan.hparams.get("r1_weight"))
    norms = [m for m in gan.discriminator.modules() if isinstance(m, _BatchNorm)]
    if penalised and any(isinstance(m, nn.SyncBatchNorm) for m in norms):
        raise ValueError(
            "the discriminator has SyncBatchNorm (Trainer(sync_batchnorm=True)?) and a gradient penalty / R1 is on: "
            "SyncBatchNorm has no double backward. Use d_norm='layer' or 'none', or drop sync_batchnorm"
        )
    if penalised and norms:
        warnings.warn(
            "the discriminator uses BatchNorm together with a gradient penalty / R1: BatchNorm mixes the samples "
            "whose gradients the penalty treats one by one (Gulrajani et al. 2017, sec. 4); prefer layer norm",
            UserWarning,
            stacklevel=2,
        )
