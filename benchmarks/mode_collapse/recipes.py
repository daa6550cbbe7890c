"""The recipes of the mode-collapse benchmark: what each variant is, and the settings every variant shares.

A :class:`Recipe` is a GAN variant plus the engine options that make it that variant (a loss, a packed
discriminator, a regularizer, ...). Everything else -- data, network sizes, batch size, learning rates, budget -- comes
from the dataset's :class:`Setup` and is the *same for every recipe*, so the table compares the variants and not their
tuning. The only per-variant departures are the algorithmic choices of the variant's paper (WGAN-GP's 5 critic steps
per generator step and Adam betas (0, 0.9)), listed in the recipe's ``options``.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from types import MappingProxyType
from typing import Any

from lightning_gans import GAN, LSGAN, WGANGP, PacGAN, VanillaGAN

DATASETS_2D = ("ring", "grid")
IMAGE_DATASETS = ("stacked_mnist",)
DATASETS = DATASETS_2D + IMAGE_DATASETS


@dataclass(frozen=True)
class Setup:
    """What every recipe shares on one dataset: the engine options, the batch size and the default budget.

    ``steps`` is the budget in *generator* steps; ``quick_steps`` the budget of ``--quick``.

    >>> SETUPS["grid"].options["hidden_dim"], SETUPS["grid"].batch_size > 0
    (128, True)
    """

    options: Mapping[str, Any]
    batch_size: int
    steps: int
    quick_steps: int


@dataclass(frozen=True)
class Recipe:
    """One row of the benchmark: a variant class and the engine options that define it.

    Args:
        name: the key used on the command line (``--variants gan,pacgan4``).
        label: the name in the tables; ``image_label`` replaces it on image data (e.g. DCGAN for GAN).
        variant: the :mod:`lightning_gans` class that is trained.
        options: engine arguments on top of the dataset's :class:`Setup` (all datasets).
        image_options: extra engine arguments on image data only.
        datasets: where the recipe runs.
        small_discriminator: the "hard" stacked-MNIST setting: the discriminator has half the generator's width
            in every layer (about a quarter of its weights).

    >>> RECIPES["pacgan4"].engine_options("grid")["pack"]
    4
    >>> RECIPES["gan"].display_name("stacked_mnist"), RECIPES["gan"].display_name("grid")
    ('DCGAN', 'GAN')
    """

    name: str
    label: str
    variant: type[GAN]
    description: str
    options: Mapping[str, Any] = field(default_factory=dict)
    image_options: Mapping[str, Any] = field(default_factory=dict)
    datasets: tuple[str, ...] = DATASETS
    small_discriminator: bool = False
    image_label: str | None = None

    def engine_options(self, dataset: str) -> dict[str, Any]:
        """All engine arguments for ``dataset``: the shared setup, then this recipe's options."""
        if dataset not in self.datasets:
            raise ValueError(f"recipe {self.name!r} runs on {self.datasets}, got dataset={dataset!r}")
        options = {**SETUPS[dataset].options, **self.options}
        if dataset in IMAGE_DATASETS:
            options.update(self.image_options)
        return options

    def display_name(self, dataset: str) -> str:
        """The row label on ``dataset``."""
        return self.image_label if dataset in IMAGE_DATASETS and self.image_label else self.label


# Shared settings. Why these values:
# - 2-D: the MLPs of the engine (3 hidden layers of 128, LeakyReLU in D), a 2-D latent as in PacGAN's code,
#   Adam(betas 0.5/0.999) with TTUR (lr_d = 4 x lr_g: a D that resolves the 0.05-wide modes sooner gave 2-4x the
#   high-quality share at the same budget in our trials), a linear decay of both learning rates to 0 over the budget
#   (the end of training refines the modes instead of jittering around them), batch 512 (a step costs about the
#   same on CPU for 256 or 512 points, and the larger batch makes the mode histogram D sees less noisy).
# - stacked MNIST: DCGAN nets at 28 px (2 stride-2 stages, base width 32), latent 100, batch 64, Adam(betas
#   0.5/0.999) at 1e-3 rather than the DCGAN paper's 2e-4: within a CPU budget of a few thousand steps, 2e-4 had
#   only blobs after 1,500 steps (547 modes, KL 2.1) where 1e-3 had digits (901 modes, KL 1.0) in our trials.
_MIXTURE_2D = Setup(  # the ring and the grid share one setup
    options=MappingProxyType(
        dict(data_dim=2, latent_dim=2, hidden_dim=128, num_layers=3, lr_g=1e-3, lr_d=4e-3, lr_decay="linear")
    ),
    batch_size=512,
    steps=1500,
    quick_steps=200,
)
SETUPS: Mapping[str, Setup] = MappingProxyType(
    {
        "ring": _MIXTURE_2D,
        "grid": _MIXTURE_2D,
        "stacked_mnist": Setup(
            options=MappingProxyType(
                dict(
                    image_size=28,
                    channels=3,
                    latent_dim=100,
                    base_width=32,
                    lr_g=1e-3,
                    lr_d=1e-3,
                )
            ),
            batch_size=64,
            steps=2000,
            quick_steps=60,
        ),
    }
)

_RECIPES = (
    Recipe("gan", "GAN", VanillaGAN, "vanilla GAN, non-saturating generator loss", image_label="DCGAN"),
    Recipe(
        "gan_minimax",
        "GAN (minimax loss)",
        VanillaGAN,
        "the original saturating minimax loss: the collapsing baseline",
        options={"loss": "minimax"},
        image_label="DCGAN (minimax loss)",
    ),
    Recipe("lsgan", "LSGAN", LSGAN, "least-squares loss (Mao et al. 2017)"),
    Recipe(
        "wgan_gp",
        "WGAN-GP",
        WGANGP,
        "Wasserstein loss + gradient penalty 10, 5 critic steps, Adam betas (0, 0.9)",
        options={"n_critic": 5, "gp_weight": 10.0, "betas_g": (0.0, 0.9), "betas_d": (0.0, 0.9)},
        image_options={"d_norm": "layer"},
    ),
    Recipe(
        "pacgan2", "PacGAN2", PacGAN, "D sees 2 samples at once (Lin et al. 2018)", {"pack": 2}, image_label="PacDCGAN2"
    ),
    Recipe(
        "pacgan4", "PacGAN4", PacGAN, "D sees 4 samples at once (Lin et al. 2018)", {"pack": 4}, image_label="PacDCGAN4"
    ),
    Recipe(
        "minibatch_stddev",
        "GAN + minibatch stddev",
        VanillaGAN,
        "minibatch standard deviation feature in D (Karras et al. 2018)",
        {"minibatch_stddev": True},
        image_label="DCGAN + minibatch stddev",
    ),
    Recipe(
        "spectral_norm",
        "GAN + spectral norm",
        VanillaGAN,
        "spectral normalisation of D (Miyato et al. 2018)",
        {"spectral_norm": True},
        image_options={"d_norm": "none"},
        image_label="DCGAN + spectral norm",
    ),
    Recipe(
        "r1",
        "GAN + R1",
        VanillaGAN,
        "R1 penalty on real data, gamma 1 (2-D) / 10 (images) (Mescheder et al. 2018)",
        {"r1_weight": 1.0},
        image_options={"r1_weight": 10.0, "d_norm": "layer"},
        image_label="DCGAN + R1",
    ),
    Recipe(
        "diffaugment",
        "DCGAN + DiffAugment",
        VanillaGAN,
        "DiffAugment translation + cutout on real and fake (Zhao et al. 2020)",
        image_options={"augment": "translation,cutout"},
        datasets=IMAGE_DATASETS,
    ),
    Recipe(
        "ema",
        "GAN + EMA",
        VanillaGAN,
        "samples from an exponential moving average of G (decay 0.999, at most 1 - 10/steps)",
        {"ema_decay": 0.999},
        image_label="DCGAN + EMA",
    ),
    Recipe(
        "instance_noise",
        "GAN + instance noise",
        VanillaGAN,
        "Gaussian noise on D's inputs, annealed to 0 over half the budget",
        {"instance_noise": 0.1},
        image_label="DCGAN + instance noise",
    ),
    Recipe(
        "gan_small_d",
        "DCGAN, D 1/4 size",
        VanillaGAN,
        "hard setting: D has half G's width per layer (~1/4 of the weights)",
        datasets=IMAGE_DATASETS,
        small_discriminator=True,
    ),
    Recipe(
        "pacgan4_small_d",
        "PacDCGAN4, D 1/4 size",
        PacGAN,
        "hard setting with a packed D (pack 4)",
        {"pack": 4},
        datasets=IMAGE_DATASETS,
        small_discriminator=True,
    ),
)
RECIPES: Mapping[str, Recipe] = MappingProxyType({recipe.name: recipe for recipe in _RECIPES})


def recipes_for(dataset: str, names: tuple[str, ...] | None = None) -> list[Recipe]:
    """The recipes that run on ``dataset``, in table order, optionally restricted to ``names``.

    >>> [r.name for r in recipes_for("grid", ("pacgan4", "gan", "diffaugment"))]
    ['gan', 'pacgan4']
    """
    if dataset not in DATASETS:
        raise ValueError(f"dataset must be one of {DATASETS}, got {dataset!r}")
    unknown = sorted(set(names or ()) - set(RECIPES))
    if unknown:
        raise ValueError(f"unknown variants {unknown}; choose from {sorted(RECIPES)}")
    return [r for r in _RECIPES if dataset in r.datasets and (names is None or r.name in names)]
