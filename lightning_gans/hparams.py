"""Resolve a GAN's arguments against its class defaults, and validate every one with a clear message."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import torch

from lightning_gans.losses import SMOOTHABLE_LOSSES, get_loss

OPTIMIZERS = ("adam", "rmsprop")
LR_DECAYS = (None, "linear", "cosine")
NONFINITE_POLICIES = ("raise", "skip")


def resolve_hparams(cls: type, given: Mapping[str, Any], custom_networks: bool) -> dict[str, Any]:
    """Fill the arguments left at ``None`` from ``cls.DEFAULTS`` (the variant's paper defaults), then validate.

    Returns only the values that changed or were checked, to be written back into the hyperparameters.
    """
    hp = {key: (given.get(key) if given.get(key) is not None else default) for key, default in cls.DEFAULTS.items()}
    hp["betas_g"], hp["betas_d"] = tuple(hp["betas_g"]), tuple(hp["betas_d"])
    if given.get("noise_seed") is None:
        # Drawn from the global RNG, so `seed_everything` makes it reproducible; saved, so a resume reuses it.
        hp["noise_seed"] = int(torch.randint(0, 2**31 - 1, ()).item())
    full = {**given, **hp}
    _validate(full, custom_networks)
    return hp


def _positive_int(hp: Mapping[str, Any], name: str) -> None:
    value = hp[name]
    if isinstance(value, bool) or not isinstance(value, int) or value < 1:
        raise ValueError(f"{name} must be an integer >= 1, got {value!r}")


def _non_negative(hp: Mapping[str, Any], name: str) -> None:
    value = hp[name]
    if isinstance(value, bool) or not isinstance(value, (int, float)) or not value >= 0:
        raise ValueError(f"{name} must be a number >= 0, got {value!r}")


def _validate(hp: Mapping[str, Any], custom_networks: bool) -> None:
    for name in ("n_critic", "r1_interval", "pack", "latent_dim"):
        _positive_int(hp, name)
    for name in ("gp_weight", "r1_weight", "instance_noise", "instance_noise_steps"):
        _non_negative(hp, name)
    for name in ("lr_g", "lr_d"):
        if isinstance(hp[name], bool) or not isinstance(hp[name], (int, float)) or not hp[name] > 0:
            raise ValueError(f"{name} must be a learning rate > 0, got {hp[name]!r}")
    for name in ("betas_g", "betas_d"):
        betas = hp[name]
        if len(betas) != 2 or not all(0.0 <= b < 1.0 for b in betas):
            raise ValueError(f"{name} must be two numbers in [0, 1), got {betas!r}")
    get_loss(hp["loss"])  # raises with the list of known losses
    if hp["optimizer"] not in OPTIMIZERS:
        raise ValueError(f"optimizer must be one of {OPTIMIZERS}, got {hp['optimizer']!r}")
    if not 0.0 <= hp["label_smoothing"] < 1.0:
        raise ValueError(f"label_smoothing must be in [0, 1), got {hp['label_smoothing']!r}")
    if hp["label_smoothing"] and not (isinstance(hp["loss"], str) and hp["loss"] in SMOOTHABLE_LOSSES):
        raise ValueError(
            f"label_smoothing applies to the losses {sorted(SMOOTHABLE_LOSSES)}, not to loss={hp['loss']!r}"
        )
    if hp["ema_decay"] is not None and not 0.0 < hp["ema_decay"] < 1.0:
        raise ValueError(f"ema_decay must be in (0, 1) or None, got {hp['ema_decay']!r}")
    for name in ("weight_clip", "grad_clip_norm"):
        if hp[name] is not None and not hp[name] > 0:
            raise ValueError(f"{name} must be > 0 or None, got {hp[name]!r}")
    if hp["lr_decay"] not in LR_DECAYS:
        raise ValueError(f"lr_decay must be one of {LR_DECAYS}, got {hp['lr_decay']!r}")
    if hp["lr_decay"] is not None:
        if (
            isinstance(hp["lr_decay_steps"], bool)
            or not isinstance(hp["lr_decay_steps"], int)
            or hp["lr_decay_steps"] < 1
        ):
            raise ValueError(
                f"lr_decay={hp['lr_decay']!r} needs lr_decay_steps (generator steps, >= 1), got {hp['lr_decay_steps']!r}"
            )
    if hp["on_nonfinite"] not in NONFINITE_POLICIES:
        raise ValueError(f"on_nonfinite must be one of {NONFINITE_POLICIES}, got {hp['on_nonfinite']!r}")
    if hp["num_classes"] is not None:
        _positive_int(hp, "num_classes")
    if (
        hp["gp_weight"]
        and hp["d_norm"] == "batch"
        and not custom_networks
        and hp["image_size"] is not None
        and hp["architecture"] in ("auto", "dcgan")
    ):
        raise ValueError(
            "gp_weight > 0 with d_norm='batch': BatchNorm couples the samples the gradient penalty treats one by one "
            "(and has no double backward under SyncBatchNorm); use d_norm='layer', 'instance' or 'none'"
        )
