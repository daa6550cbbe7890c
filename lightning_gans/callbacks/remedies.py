"""The remedies this library offers for a diagnosed failure, tailored to what a module already does.

:func:`module_settings` reads a module's anti-failure settings, :func:`remedies_for` lists the fixes that are not
in use yet (most relevant first) and :func:`format_message` writes the warning a
:class:`~lightning_gans.callbacks.GANHealthMonitor` emits.
"""

from __future__ import annotations

from collections.abc import Mapping

from torch import nn

from lightning_gans.callbacks.diagnosis import KINDS, TITLES, VANISHING_GRADIENTS, Finding


def module_settings(pl_module: nn.Module) -> dict:
    """What a module already does against the two failures, read from its hyperparameters and networks.

    Keys: the hyperparameters ``loss``, ``pack``, ``augment``, ``ema_decay``, ``gp_weight``, ``r1_weight``,
    ``instance_noise``, ``label_smoothing``, ``lr_g``, ``lr_d``, ``architecture`` (``None`` when not readable), plus
    ``spectral_norm`` and ``minibatch_layer`` (found in the discriminator) and ``pack`` from it when set there.

    >>> module_settings(nn.Module())["loss"] is None
    True
    """
    hparams = getattr(pl_module, "hparams", None)
    items = list(hparams.items()) if hasattr(hparams, "items") else []
    # The engine groups its options (optimization=..., regularization=..., networks=...): read them flat.
    flat = {k: v for _, group in items if isinstance(group, Mapping) for k, v in group.items()}
    flat.update((k, v) for k, v in items if not isinstance(v, Mapping))
    get = flat.get
    keys = (
        "loss",
        "pack",
        "augment",
        "ema_decay",
        "gp_weight",
        "r1_weight",
        "instance_noise",
        "label_smoothing",
        "lr_g",
        "lr_d",
        "architecture",
    )
    settings = {key: get(key) for key in keys}
    if not isinstance(settings["loss"], str):
        settings["loss"] = None  # a custom loss callable: nothing to tailor to
    d = getattr(pl_module, "discriminator", None)
    modules = list(d.modules()) if isinstance(d, nn.Module) else []
    settings["spectral_norm"] = any(
        "weight" in getattr(m, "parametrizations", {}) or hasattr(m, "weight_orig") for m in modules
    )
    minibatch_layers = ("MinibatchStdDev", "MinibatchDiscrimination")
    settings["minibatch_layer"] = any(type(m).__name__ in minibatch_layers for m in modules)
    if settings["pack"] is None and d is not None:
        settings["pack"] = getattr(d, "pack", None)
    return settings


def remedies_for(kind: str, settings: dict, images: bool = False) -> list[str]:
    """Remedies from this library for ``kind``, most relevant first, skipping what ``settings`` already use.

    >>> remedies_for("vanishing_gradients", {"loss": "minimax"})[0].startswith("you train with loss='minimax'")
    True
    >>> any("pack=" in r for r in remedies_for("mode_collapse", {"pack": 4}))
    False
    >>> remedies_for("mode_collapse", {"loss": "minimax", "pack": 1})[0][:70]
    "switch loss='minimax' to loss='non_saturating' together with pack=2..4"
    """
    if kind not in KINDS:
        raise ValueError(f"kind must be one of {KINDS}, got {kind!r}")
    s, out = settings, []
    loss, wgan_gp = s.get("loss"), s.get("loss") == "wasserstein" and bool(s.get("gp_weight"))
    if kind == VANISHING_GRADIENTS:
        if loss == "minimax":
            out.append(
                "you train with loss='minimax', whose generator gradient -sigmoid(D(G(z))) vanishes once D rejects "
                "the fakes: switch to loss='non_saturating' (or 'hinge' / 'least_squares')"
            )
        if not wgan_gp:
            out.append(
                "the WGANGP variant (loss='wasserstein', gp_weight=10, n_critic=5): "
                "a Wasserstein critic does not saturate"
            )
        if not s.get("r1_weight") and not s.get("gp_weight"):
            out.append("add the R1 penalty on real data (r1_weight=10; r1_interval=16 for lazy R1)")
        lrs = f" (now lr_d={s['lr_d']:g}, lr_g={s['lr_g']:g})" if s.get("lr_d") and s.get("lr_g") else ""
        out.append(f"slow the discriminator down: lower lr_d relative to lr_g{lrs}")
        if not s.get("spectral_norm"):
            out.append("spectral_norm=True: spectral normalisation bounds the discriminator's Lipschitz constant")
        if not s.get("instance_noise"):
            out.append(
                "instance_noise=0.1 with instance_noise_steps=<about half the run> (annealed noise on D's inputs)"
            )
        if not s.get("label_smoothing"):
            out.append("one-sided label smoothing: label_smoothing=0.1")
        if images and s.get("architecture") != "resnet":
            out.append("architecture='resnet': the residual nets of WGAN-GP/SNGAN keep gradients alive in deep nets")
        return out
    packed = s.get("pack") not in (None, 1)
    if loss == "minimax":
        # On the 25-mode grid with a strong D, packing alone kept the minimax generator stalled (diagnosed as
        # vanishing gradients, 2 of 2 seeds); the loss switch alone still collapsed; both together covered the grid.
        out.append(
            "switch loss='minimax' to loss='non_saturating'"
            + ("" if packed else " together with pack=2..4 (PacGAN)")
            + ": a packed discriminator sees the missing variety, but the minimax generator's gradient vanishes "
            "once the discriminator wins"
        )
    elif not packed:
        out.append("pack=2..4 (PacGAN): the discriminator judges several samples jointly and sees missing variety")
    if not s.get("minibatch_layer"):
        out.append(
            "a minibatch layer in the discriminator: minibatch_stddev=True (MinibatchStdDev, Karras et al.) or "
            "lightning_gans.nets.layers.MinibatchDiscrimination (Salimans et al.)"
        )
    if images and not s.get("augment"):
        out.append("augment='color,translation,cutout' (DiffAugment on real and fake alike)")
    if not wgan_gp:
        out.append("the WGANGP variant (loss='wasserstein', gp_weight=10, n_critic=5)")
    if not s.get("ema_decay"):
        out.append("ema_decay=0.999: sample from a moving average of the generator, which damps mode hopping")
    return out


def format_message(finding: Finding, remedies: list[str], global_step: int | None = None) -> str:
    """The warning text: failure, evidence with figures and steps, numbered remedies.

    >>> f = Finding("mode_collapse", 900, 700, {"diversity_ratio": 0.01}, ["diversity ratio 0.01 < 0.2"])
    >>> print(format_message(f, ["pack=2..4 (PacGAN)"]).splitlines()[0])
    GANHealthMonitor: mode collapse (the generator covers few modes of the data) at generator step 900.
    """
    where = f"generator step {finding.step}" + (f" (global step {global_step})" if global_step is not None else "")
    lines = [f"GANHealthMonitor: {TITLES[finding.kind]} at {where}."]
    lines.append(f"Evidence, sustained since generator step {finding.first_step}:")
    lines += [f"  - {reason}" for reason in finding.reasons]
    lines.append("Remedies in lightning_gans:")
    lines += [f"  {i}. {remedy}" for i, remedy in enumerate(remedies, 1)]
    return "\n".join(lines)
