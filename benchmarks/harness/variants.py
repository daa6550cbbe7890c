"""Build a library variant from the flat option names the benchmark recipes are written with.

The recipes name options flatly (``lr_d``, ``pack``, ``gp_weight``, ...); the engine groups them into
:class:`~lightning_gans.NetworkOptions`, :class:`~lightning_gans.Optimization` and
:class:`~lightning_gans.Regularization`. Each option lands in its group, on top of the variant's own defaults.

>>> from lightning_gans import PacGAN
>>> model = build_variant(PacGAN, {"data_dim": 2, "lr_d": 1e-3})
>>> model.pack, model.optimization.lr_d, model.optimization.lr_g
(4, 0.001, 0.0002)
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import fields, replace
from typing import Any

from torch import nn

from lightning_gans import GAN, NetworkOptions, Optimization, Regularization

GROUPS = {"networks": NetworkOptions, "optimization": Optimization, "regularization": Regularization}


def build_variant(
    variant: type[GAN],
    options: Mapping[str, Any],
    generator: nn.Module | None = None,
    discriminator: nn.Module | None = None,
) -> GAN:
    """``variant`` with ``options`` sorted into its groups; with networks given, the engine with the variant's options."""
    flat = dict(options)
    defaults = variant.defaults()
    args: dict[str, Any] = {}
    for group, kind in GROUPS.items():
        names = {f.name for f in fields(kind)}
        args[group] = replace(defaults[group], **{k: flat.pop(k) for k in list(flat) if k in names})
    if generator is None:
        return variant(**args, **flat)
    del args["networks"]
    for shape in ("data_dim", "image_size", "channels"):
        flat.pop(shape, None)
    flat.setdefault("loss", defaults["loss"])
    flat.setdefault("latent_dim", defaults["latent_dim"])
    return GAN(generator, discriminator, **args, **flat)
