"""Resuming a fit with settings that differ from the checkpoint's: apply what may change mid-run, refuse the rest.

Lightning restores the optimizers' state, learning rates and betas included, after the module is built: a module
built with new rates would record them in its hyperparameters and train at the checkpoint's.
:func:`check_resume_settings` (called by the engine's ``on_load_checkpoint`` when a fit resumes) writes the new rates
and betas into the checkpoint's optimizer and scheduler states before Lightning restores them, and says so in one
line; any difference in a setting that defines the run (the loss, the networks, ``n_critic``, the penalties, ...)
raises a :class:`ResumeSettingsError` naming each one and the way out.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import asdict, is_dataclass
from typing import Any

__all__ = [
    "RESUME_CHANGEABLE",
    "ResumeSettingsError",
    "check_resume_settings",
    "describe_changes",
    "refusal_message",
    "resume_changes",
]


class ResumeSettingsError(ValueError):
    """A fit resumed with settings that differ from the checkpoint's and cannot change in the middle of a run."""


#: Settings that may differ on resume: applied (the optimizers' rates and betas are written into the restored
#: optimizer state) and announced. Any other difference is refused; ``noise_seed`` is the checkpoint's (the run's
#: noise continues).
RESUME_CHANGEABLE = (
    "optimization.lr_g",
    "optimization.lr_d",
    "optimization.betas_g",
    "optimization.betas_d",
    "optimization.grad_clip_norm",
    "ema_decay",
    "on_nonfinite",
    "compile",
    "channels_last",
)
_RESUME_KEPT = ("noise_seed",)
_OPTIMIZER_SETTINGS = {  # setting -> (index in configure_optimizers' [G's, D's], param-group key)
    "optimization.lr_g": (0, "lr"),
    "optimization.lr_d": (1, "lr"),
    "optimization.betas_g": (0, "betas"),
    "optimization.betas_d": (1, "betas"),
}


def _plain(value: Any) -> Any:
    if is_dataclass(value) and not isinstance(value, type):
        return _plain(asdict(value))
    if isinstance(value, Mapping):
        return {str(k): _plain(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return tuple(_plain(v) for v in value)  # YAML gives lists where Python gave tuples
    if isinstance(value, bool) or value is None or isinstance(value, (int, float, str)):
        return value
    return getattr(value, "name", None) or type(value).__qualname__  # e.g. an AdversarialLoss: by its name


def _flat(tree: Mapping[str, Any], prefix: str = "") -> dict[str, Any]:
    out: dict[str, Any] = {}
    for key, value in tree.items():
        if str(key).startswith("_"):  # LightningCLI's bookkeeping (_class_path, _instantiator)
            continue
        value = _plain(value)
        if isinstance(value, dict):
            out.update(_flat(value, f"{prefix}{key}."))
        else:
            out[f"{prefix}{key}"] = value
    return out


def _show(value: Any) -> str:
    if isinstance(value, float):
        return f"{value:g}"
    if isinstance(value, tuple):
        return "(" + ", ".join(_show(v) for v in value) + ")"
    return repr(value)


def resume_changes(
    saved: Mapping[str, Any], current: Mapping[str, Any]
) -> tuple[list[tuple[str, Any, Any]], list[tuple[str, Any, Any]]]:
    """The settings of ``current`` (a module's hyperparameters) that differ from ``saved`` (a checkpoint's
    ``hyper_parameters``), as ``(applied, refused)`` lists of ``(setting, saved value, current value)``; option
    groups are compared field by field (``"optimization.lr_d"``). Settings only one side has are not compared.

    >>> saved = {"latent_dim": 64, "optimization": {"lr_d": 2e-4, "n_critic": 1}, "noise_seed": 3}
    >>> resume_changes(saved, {"latent_dim": 64, "optimization": {"lr_d": 1e-5, "n_critic": 5}, "noise_seed": 7})
    ([('optimization.lr_d', 0.0002, 1e-05)], [('optimization.n_critic', 1, 5)])
    """
    before, after = _flat(saved), _flat(current)
    applied, refused = [], []
    for key in sorted(before.keys() & after.keys()):
        if key in _RESUME_KEPT or before[key] == after[key]:
            continue
        # An EMA switched on or off changes what the checkpoint holds; a new decay is just used from here on.
        switched = key == "ema_decay" and None in (before[key], after[key])
        (applied if key in RESUME_CHANGEABLE and not switched else refused).append((key, before[key], after[key]))
    return applied, refused


def describe_changes(changes: list[tuple[str, Any, Any]]) -> str:
    """``"optimization.lr_d 0.0002 -> 1e-05, ..."``: each setting, the checkpoint's value and this run's."""
    return ", ".join(f"{key} {_show(old)} -> {_show(new)}" for key, old, new in changes)


def refusal_message(refused: list[tuple[str, Any, Any]], way_out: str) -> str:
    """The one line of a :class:`ResumeSettingsError` for ``refused`` changes."""
    allowed = ", ".join(key.removeprefix("optimization.") for key in RESUME_CHANGEABLE)
    return (
        f"cannot resume with settings that differ from the checkpoint's: {describe_changes(refused)}. They define "
        f"the run and cannot change in its middle (only {allowed} can): {way_out}"
    )


def check_resume_settings(checkpoint: dict[str, Any], hparams: Mapping[str, Any]) -> str | None:
    """Before a fit resumes from ``checkpoint`` with a module of hyperparameters ``hparams``: raise a
    :class:`ResumeSettingsError` naming every setting that differs and cannot change mid-run; write the new rates and
    betas into the checkpoint's optimizer (and scheduler) states, so that restoring them does not bring back the
    old ones. Returns the line to tell the user about the applied changes, or ``None`` when nothing differs.

    >>> checkpoint = {"hyper_parameters": {"optimization": {"lr_d": 2e-4}},
    ...               "optimizer_states": [{"param_groups": [{"lr": 2e-4}]}, {"param_groups": [{"lr": 1e-4}]}]}
    >>> check_resume_settings(checkpoint, {"optimization": {"lr_d": 1e-5}})
    "resuming with this run's optimization.lr_d 0.0002 -> 1e-05 (in place of the checkpoint's)"
    >>> checkpoint["optimizer_states"][1]["param_groups"][0]["lr"]  # a decayed rate keeps its place in the decay
    5e-06
    """
    applied, refused = resume_changes(checkpoint.get("hyper_parameters") or {}, hparams)
    if refused:
        way_out = (
            "resume with the checkpoint's settings, or start a new run (no ckpt_path; to start from its weights, "
            "model.load_state_dict(torch.load(path)['state_dict']))"
        )
        raise ResumeSettingsError(refusal_message(refused, way_out))
    if not applied:
        return None
    optimizers = checkpoint.get("optimizer_states") or []
    schedulers = checkpoint.get("lr_schedulers") or []
    for key, old, new in applied:
        if key not in _OPTIMIZER_SETTINGS:
            continue  # read from the module at every step: nothing restored overrides it
        index, name = _OPTIMIZER_SETTINGS[key]
        if index >= len(optimizers):
            continue
        ratio = new / old if name == "lr" and old else None
        for group in optimizers[index].get("param_groups", []):
            if name not in group:
                continue  # e.g. betas of RMSprop
            # A rate under lr_decay is scaled: the run stays at the same point of its schedule, from the new rate.
            group[name] = group[name] * ratio if ratio is not None else new
            if name == "lr" and "initial_lr" in group:
                group["initial_lr"] = new
        if name == "lr" and index < len(schedulers):
            state = schedulers[index]
            if "base_lrs" in state:
                state["base_lrs"] = [new for _ in state["base_lrs"]]
            if "_last_lr" in state and ratio is not None:
                state["_last_lr"] = [lr * ratio for lr in state["_last_lr"]]
    return f"resuming with this run's {describe_changes(applied)} (in place of the checkpoint's)"
