"""The runs of the health-monitor benchmark (:mod:`benchmarks.health`): models, roles, monitor settings, budgets."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from types import MappingProxyType
from typing import Any

from lightning_gans import DCGAN, GAN, WGANGP, VanillaGAN


@dataclass(frozen=True)
class Case:
    """One row of the benchmark: a model (variant + engine options) on a data set, and what the monitor should do.

    ``role`` is ``"failure"`` (must be diagnosed), ``"remedy"`` or ``"healthy"`` (must raise nothing during training), or
    ``"ablation"`` (no expectation: a partial remedy, shown for what the monitor says about it).

    >>> CASES["grid_minimax"].role, CASES["grid_minimax"].options["loss"]
    ('failure', 'minimax')
    """

    name: str
    label: str
    loss: str
    role: str
    data: str
    variant: type[GAN]
    options: Mapping[str, Any] = field(default_factory=dict)


# The 2-D models share the engine's MLPs (3 hidden layers of 128) and Adam(0.5, 0.999); the too-strong
# discriminator learns 20x faster than the generator (lr_d=2e-3, lr_g=1e-4; the engine's default is 2e-4 for both).
# At 10x (lr_d=1e-3) the minimax GAN collapsed with seed 0 but not with seed 1. The digit models are DCGAN at 28 px
# with base width 16 and a 10x faster discriminator (lr_d=1e-3, lr_g=1e-4), enough to saturate it within 100 steps.
_GRID = MappingProxyType(dict(data_dim=2, lr_d=2e-3, lr_g=1e-4))
_DIGITS = MappingProxyType(dict(image_size=28, channels=1, base_width=16, lr_d=1e-3, lr_g=1e-4))
CASES: Mapping[str, Case] = MappingProxyType(
    {
        c.name: c
        for c in (
            Case(
                "grid_minimax", "GAN, strong D", "minimax", "failure", "grid", VanillaGAN, dict(_GRID, loss="minimax")
            ),
            Case(
                "grid_remedy",
                "GAN, strong D",
                "remedy: non-saturating + pack=4",
                "remedy",
                "grid",
                VanillaGAN,
                dict(_GRID, loss="non_saturating", pack=4),
            ),
            Case(
                "grid_pack_only",
                "GAN, strong D",
                "ablation: minimax + pack=4",
                "ablation",
                "grid",
                VanillaGAN,
                dict(_GRID, loss="minimax", pack=4),
            ),
            Case(
                "grid_wgangp",
                "WGAN-GP",
                "Wasserstein + GP (paper defaults)",
                "healthy",
                "grid",
                WGANGP,
                dict(data_dim=2),
            ),
            Case(
                "digits_minimax",
                "DCGAN, strong D",
                "minimax",
                "failure",
                "digits",
                DCGAN,
                dict(_DIGITS, loss="minimax"),
            ),
            Case(
                "digits_remedy",
                "DCGAN, strong D",
                "remedy: non-saturating",
                "remedy",
                "digits",
                DCGAN,
                dict(_DIGITS, loss="non_saturating"),
            ),
        )
    }
)

# Monitor settings: the defaults on the grid; the digit runs are shorter, so they are checked every 50 generator
# steps after a 200-step warm-up (patience 3 as by default).
MONITOR = MappingProxyType({"grid": {}, "digits": dict(check_every_n_steps=50, warmup_steps=200)})
MONITOR_TEXT = MappingProxyType(
    {
        "grid": "GANHealthMonitor defaults (check every 100 G steps, warm-up 500, patience 3)",
        "digits": "check every 50 G steps, warm-up 200, patience 3 (other settings default)",
    }
)
BATCH_SIZE = MappingProxyType({"grid": 256, "digits": 64})
# Budgets in generator steps. On the grid a diagnosis needs at least 800 (warm-up 500, then 3 checks); the healthy
# WGAN-GP run costs ~10x a vanilla step (5 critic steps with a double-backward penalty each).
FULL_STEPS = MappingProxyType(
    {
        "grid_minimax": 1200,
        "grid_remedy": 1200,
        "grid_pack_only": 1200,
        "grid_wgangp": 1200,
        "digits_minimax": 600,
        "digits_remedy": 600,
    }
)
QUICK_STEPS = MappingProxyType(
    {"grid_minimax": 900, "grid_remedy": 900, "grid_wgangp": 800, "digits_minimax": 400, "digits_remedy": 400}
)
FULL_SEEDS, QUICK_SEEDS = (0, 1), (0,)
