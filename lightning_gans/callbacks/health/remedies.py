"""The remedies this library offers for a diagnosed failure: a table of entries, tailored to what a module already
does and worded for what the module is.

Each :class:`Remedy` says when it applies (the failure, and a condition on the module's settings), what to do with
this library's :class:`~lightning_gans.gan.GAN` (the argument to set: ``networks=NetworkOptions(pack=2..4)``), what
to do in any other LightningModule (the technique and where it lives in ``lightning_gans``), and whether it helps
from the current weights or needs a restart (:data:`TIMING`). :func:`module_settings` reads a module's
anti-failure settings and :func:`remedies_for` lists the entries that apply, in table order (most relevant first).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from torch import nn

from lightning_gans.callbacks.health import watched
from lightning_gans.callbacks.health.diagnosis import KINDS, MODE_COLLAPSE, OFF_DATA, VANISHING_GRADIENTS
from lightning_gans.callbacks.health.diagnosis import WITHIN_CLASS_COLLAPSE as WITHIN

HYPERPARAMETERS = (
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
    "lr_decay",
    "hidden_dim",
    "architecture",
)

#: When a remedy can act. ``now``: it changes training from here on, so continuing the run (the same weights) with
#: it can help. ``restart``: it changes the networks (their weights no longer fit), or the failure is a state that
#: the change was measured not to leave: start again, or from a checkpoint taken before the failure.
TIMING = {
    "now": "helps from the current weights",
    "restart": "needs a restart, or a checkpoint from before the failure",
}

Text = str | Callable[[dict], str]


@dataclass(frozen=True)
class Remedy:
    """One remedy: for which failures, when (``applies``: the module's settings, and whether the data are images),
    the text for our GAN (``ours``) and for any other module (``foreign``; ``None``: only ours), and its timing."""

    kinds: tuple[str, ...]
    applies: Callable[[dict, bool], bool]
    ours: Text | None
    foreign: Text | None
    timing: str

    def text(self, settings: dict) -> str | None:
        wording = self.ours if settings.get("ours", True) else self.foreign
        if wording is None:
            return None
        return f"{wording(settings) if callable(wording) else wording} [{TIMING[self.timing]}]"


def _wgan_gp(s: dict) -> bool:
    return s.get("loss") == "wasserstein" and bool(s.get("gp_weight"))


def _packed(s: dict) -> bool:
    return s.get("pack") not in (None, 1)


def _slow_d(s: dict) -> str:
    now = f" (now lr_d={s['lr_d']:g}, lr_g={s['lr_g']:g})" if s.get("lr_d") and s.get("lr_g") else ""
    return f"slow the discriminator down: Optimization(lr_d=...) lower than lr_g{now}"


def _minimax_collapse(s: dict) -> str:
    # On the 25-mode grid with a strong D, packing alone kept the minimax generator stalled (diagnosed as
    # vanishing gradients, 2 of 2 seeds); the loss switch alone still collapsed; both together covered the grid.
    return (
        "switch loss='minimax' to loss='non_saturating'"
        + ("" if _packed(s) else " together with networks=NetworkOptions(pack=2..4) (PacGAN)")
        + ": a packed discriminator sees the missing variety, but the minimax generator's gradient vanishes once "
        "the discriminator wins; switched after a collapse, the generator stays collapsed (docs/guide.md)"
    )


def _unpack(s: dict) -> str:
    packed = (
        f"pack=1, or a wider discriminator (now pack={s['pack']})"
        if s.get("ours", True)
        else f"no packing, or a wider discriminator (now {s['pack']} samples per lightning_gans.nets.layers."
        "pack_samples group)"
    )
    return (
        f"{packed}: at equal width a packed discriminator resolved the grid's modes more coarsely (PacGAN2: 28 % "
        "HQ over 5 seeds against 95.5 % unpacked, grid_fast's settings)"
    )


def _lighter_gp(s: dict) -> str:
    lighter = (
        f"Regularization(gp_weight=1) on low-dimensional data (now gp_weight={s['gp_weight']:g})"
        if s.get("ours", True)
        else "a penalty weight of 1 on low-dimensional data (lightning_gans.regularizers.gradient_penalty)"
    )
    return f"{lighter}: weight 1 reached 78 % HQ on the grid where 10 left 2 % (the recipe wgangp_grid)"


VANISHING, COLLAPSE = (VANISHING_GRADIENTS,), (MODE_COLLAPSE, WITHIN)
CONDITIONAL_NETS = (  # the same words for any module: they name the nets to use
    "class-conditional BatchNorm in the generator (each class sets the scale and shift of every BatchNorm, as in the "
    "projection cGAN of Miyato & Koyama and in BigGAN; lightning_gans.nets.ConditionalDCGANGenerator, the "
    "ConditionalGAN variant's default image generator) rather than only a class embedding at the input, and a "
    "discriminator that reads the class at its input (lightning_gans.nets.ConditionalDCGANDiscriminator): with a "
    "projection discriminator the class term can dominate and the generator drops its noise"
)

#: Every remedy, in the order they are offered. Off-data remedies are ingredients whose effect was measured on the
#: 25-mode grid (HQ: share of samples within 3 standard deviations of a mode; benchmarks/RESULTS.md).
REMEDIES = (
    # ---------------------------------------------------------------- vanishing gradients
    Remedy(
        VANISHING,
        lambda s, images: s.get("loss") == "minimax",
        "you train with loss='minimax', whose generator gradient -sigmoid(D(G(z))) vanishes once D rejects the "
        "fakes: switch to loss='non_saturating' (or 'hinge' / 'least_squares')",
        None,
        "now",
    ),
    Remedy(
        VANISHING,
        lambda s, images: True,
        None,
        "if the generator minimises log(1 - D(G(z))) (minimax), use the non-saturating loss -log D(G(z)) "
        "(lightning_gans.losses.non_saturating_g_loss): its gradient stays strong when D rejects the fakes",
        "now",
    ),
    Remedy(
        VANISHING,
        lambda s, images: not _wgan_gp(s),
        "the WGANGP variant (loss='wasserstein', gp_weight=10, n_critic=5): a Wasserstein critic does not saturate",
        "a Wasserstein critic with a gradient penalty (lightning_gans.losses.wasserstein_d_loss and "
        "lightning_gans.regularizers.gradient_penalty, weight 10, 5 critic steps per generator step; or train "
        "lightning_gans.WGANGP): a Wasserstein critic does not saturate",
        "restart",
    ),
    Remedy(
        VANISHING,
        lambda s, images: not s.get("r1_weight") and not s.get("gp_weight"),
        "add the R1 penalty on real data: regularization=Regularization(r1_weight=10, r1_interval=16) (lazy R1)",
        "the R1 penalty on real data (lightning_gans.regularizers.r1_penalty, weight 10; every 16 steps for lazy R1)",
        "now",
    ),
    Remedy(
        VANISHING,
        lambda s, images: True,
        _slow_d,
        "slow the discriminator down: give its optimizer a lower learning rate than the generator's (two "
        "time-scale update rule; lightning_gans.GAN sets them apart as lr_d / lr_g)",
        "now",
    ),
    Remedy(
        VANISHING,
        lambda s, images: not s.get("spectral_norm"),
        "networks=NetworkOptions(spectral_norm=True): spectral normalisation bounds the discriminator's Lipschitz "
        "constant",
        "spectral normalisation of the discriminator's layers (torch.nn.utils.parametrizations.spectral_norm, as "
        "lightning_gans.nets.layers.spectral_norm_if applies it): it bounds D's Lipschitz constant",
        "restart",
    ),
    Remedy(
        VANISHING,
        lambda s, images: not s.get("instance_noise"),
        "Regularization(instance_noise=0.1, instance_noise_steps=<about half the run>) (annealed noise on D's inputs)",
        "annealed instance noise on the discriminator's inputs, real and fake (lightning_gans.noise."
        "add_instance_noise with lightning_gans.noise.instance_noise_std: 0.1 falling to 0 over half the run)",
        "now",
    ),
    Remedy(
        VANISHING,
        lambda s, images: not s.get("label_smoothing"),
        "one-sided label smoothing: Regularization(label_smoothing=0.1)",
        "one-sided label smoothing: real target 0.9 in the discriminator loss (real_target=0.9 of "
        "lightning_gans.losses.cross_entropy_d_loss)",
        "now",
    ),
    Remedy(
        VANISHING,
        lambda s, images: images and s.get("architecture") != "resnet",
        "NetworkOptions(architecture='resnet'): the residual nets of WGAN-GP/SNGAN keep gradients alive in deep nets",
        "residual networks (lightning_gans.nets.resnet.ResNetGenerator / ResNetDiscriminator, as in WGAN-GP/SNGAN) "
        "keep gradients alive in deep nets",
        "restart",
    ),
    # ---------------------------------------------------------------- mode collapse (overall, within classes)
    Remedy((WITHIN,), lambda s, images: True, CONDITIONAL_NETS, CONDITIONAL_NETS, "restart"),
    Remedy(COLLAPSE, lambda s, images: s.get("loss") == "minimax", _minimax_collapse, None, "restart"),
    Remedy(
        COLLAPSE,
        lambda s, images: s.get("loss") != "minimax" and not _packed(s),
        "networks=NetworkOptions(pack=2..4) (PacGAN): the discriminator judges several samples jointly and sees "
        "missing variety",
        "PacGAN packing: let the discriminator judge 2-4 samples jointly (lightning_gans.nets.layers.pack_samples "
        "before its first layer, or train lightning_gans.PacGAN): it sees missing variety",
        "restart",
    ),
    Remedy(
        COLLAPSE,
        lambda s, images: not s.get("minibatch_layer"),
        "a minibatch layer in the discriminator: NetworkOptions(minibatch_stddev=True) (MinibatchStdDev, Karras et "
        "al.) or lightning_gans.nets.layers.MinibatchDiscrimination (Salimans et al.)",
        "a minibatch layer in the discriminator: lightning_gans.nets.layers.MinibatchStdDev (Karras et al.) or "
        "lightning_gans.nets.layers.MinibatchDiscrimination (Salimans et al.)",
        "restart",
    ),
    Remedy(
        COLLAPSE,
        lambda s, images: images and not s.get("augment"),
        "Regularization(augment='color,translation,cutout') (DiffAugment on real and fake alike)",
        "DiffAugment on real and fake images alike before the discriminator (lightning_gans.augment.DiffAugment with "
        "'color,translation,cutout')",
        "now",
    ),
    Remedy(
        COLLAPSE,
        lambda s, images: not _wgan_gp(s),
        "the WGANGP variant (loss='wasserstein', gp_weight=10, n_critic=5)",
        "a Wasserstein critic with a gradient penalty (lightning_gans.regularizers.gradient_penalty, weight 10, 5 "
        "critic steps per generator step; or train lightning_gans.WGANGP)",
        "restart",
    ),
    Remedy(
        COLLAPSE,
        lambda s, images: not s.get("ema_decay"),
        "ema_decay=0.999: sample from a moving average of the generator, which damps mode hopping",
        "sample from a moving average of the generator (torch.optim.swa_utils.AveragedModel, decay 0.999, as "
        "lightning_gans.GAN's ema_decay does), which damps mode hopping",
        "now",
    ),
    # ---------------------------------------------------------------- samples off the data (end of training)
    Remedy(
        (OFF_DATA,),
        lambda s, images: not s.get("lr_decay"),
        "Optimization(lr_decay='linear', lr_decay_steps=<the run's generator steps>): with both rates falling to 0 "
        "the last steps refine the modes instead of jittering around them (the recipe grid_fast)",
        "decay both learning rates linearly to 0 over the run (torch.optim.lr_scheduler.LinearLR, as "
        "lightning_gans.GAN's lr_decay='linear' does): the last steps then refine the modes",
        "now",
    ),
    Remedy(
        (OFF_DATA,),
        lambda s, images: not s.get("ema_decay"),
        "ema_decay=0.999: samples from an average of the generator's last ~1,000 steps sit on the modes",
        "sample from a moving average of the generator (torch.optim.swa_utils.AveragedModel, decay 0.999)",
        "now",
    ),
    Remedy((OFF_DATA,), lambda s, images: _packed(s), _unpack, _unpack, "restart"),
    Remedy(
        (OFF_DATA,),
        lambda s, images: s.get("loss") == "wasserstein" and (s.get("gp_weight") or 0) > 1,
        _lighter_gp,
        _lighter_gp,
        "now",
    ),
    Remedy(
        (OFF_DATA,),
        lambda s, images: s.get("hidden_dim") is not None and s["hidden_dim"] < 256,
        lambda s: (
            f"NetworkOptions(hidden_dim=256) (now {s['hidden_dim']}): wider MLPs bend the latent into tight modes "
            "(grid, same budget: 128 units 88 % HQ, 256 units 95.5 %)"
        ),
        None,  # a foreign module's width is not known
        "restart",
    ),
    Remedy(
        (OFF_DATA,),
        lambda s, images: True,
        "more generator steps: with a decaying learning rate the samples sharpen late (the recipe wgangp_grid, one "
        "of lightning_gans.cli.recipes.list_configs(): precision 0.29 at half its run, 0.75 at the end)",
        "more generator steps: with a decaying learning rate the samples sharpen late (the recipe wgangp_grid, one "
        "of lightning_gans.cli.recipes.list_configs(): precision 0.29 at half its run, 0.75 at the end)",
        "now",
    ),
)


def module_settings(pl_module: nn.Module) -> dict:
    """What a module already does against the failures, read from its hyperparameters and networks.

    Keys: ``ours`` (a :class:`~lightning_gans.gan.GAN`, whose arguments remedies may name); the hyperparameters
    ``loss``, ``pack``, ``augment``, ``ema_decay``, ``gp_weight``, ``r1_weight``, ``instance_noise``,
    ``label_smoothing``, ``lr_g``, ``lr_d``, ``lr_decay``, ``hidden_dim``, ``architecture`` (read from our GAN only,
    ``None`` otherwise: a foreign module's hyperparameter of the same name may mean something else);
    ``spectral_norm`` and ``minibatch_layer`` (found in the discriminator) and ``pack`` from the discriminator when
    it has one.

    >>> settings = module_settings(nn.Module())
    >>> settings["ours"], settings["loss"]
    (False, None)
    """
    settings = {key: watched.hyperparameter(pl_module, key) for key in HYPERPARAMETERS}
    settings["ours"] = watched.is_library_gan(pl_module)
    settings["loss"] = watched.loss_name(pl_module)  # None for a custom loss callable: nothing to tailor to
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
    """The remedies of :data:`REMEDIES` for ``kind`` that apply to a module with ``settings``, most relevant first,
    each ending with its timing (:data:`TIMING`).

    ``settings`` as :func:`module_settings` returns them; without ``ours=False`` the remedies name our GAN's
    arguments.

    >>> remedies_for("vanishing_gradients", {"loss": "minimax"})[0].startswith("you train with loss='minimax'")
    True
    >>> any("pack=" in r for r in remedies_for("mode_collapse", {"pack": 4}))
    False
    >>> remedies_for("mode_collapse", {"loss": "minimax", "pack": 1})[0][:95]
    "switch loss='minimax' to loss='non_saturating' together with networks=NetworkOptions(pack=2..4)"
    >>> remedies_for("mode_collapse", {"ours": False})[0][:64]
    'PacGAN packing: let the discriminator judge 2-4 samples jointly '
    >>> remedies_for("mode_collapse", {"ours": False})[0].endswith("[needs a restart, or a checkpoint from before the failure]")
    True
    """
    if kind not in KINDS:
        raise ValueError(f"kind must be one of {KINDS}, got {kind!r}")
    texts = (remedy.text(settings) for remedy in REMEDIES if kind in remedy.kinds and remedy.applies(settings, images))
    return [text for text in texts if text is not None]
