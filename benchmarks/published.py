"""Published mode-collapse numbers the benchmark is compared against, with their sources.

2-D mixtures: Lin et al., "PacGAN: The power of two samples in generative adversarial networks", NeurIPS 2018,
Table 1 (mean over 10 trials). Stacked MNIST: DCGAN from Srivastava et al., "VEEGAN: Reducing Mode Collapse in GANs
using Implicit Variational Learning", NeurIPS 2017; PacDCGAN2 from PacGAN Table 2; the harder setting (discriminator
1/4 of the generator's size) from PacGAN.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass


@dataclass(frozen=True)
class Published:
    """One published result: which of our recipes it corresponds to, its metrics and where it comes from.

    >>> PUBLISHED[0].source
    'PacGAN Table 1, 10 trials'
    """

    dataset: str
    recipe: str  # our recipe that matches the published model
    model: str  # the model's name in the paper
    metrics: Mapping[str, float]  # same keys as our metrics; high_quality as a fraction
    source: str


PUBLISHED: tuple[Published, ...] = (
    Published(
        "ring", "gan", "GAN", {"modes": 6.3, "high_quality": 0.982, "reverse_kl": 0.45}, "PacGAN Table 1, 10 trials"
    ),
    Published(
        "ring",
        "pacgan4",
        "PacGAN4",
        {"modes": 7.8, "high_quality": 0.959, "reverse_kl": 0.07},
        "PacGAN Table 1, 10 trials",
    ),
    Published(
        "grid", "gan", "GAN", {"modes": 17.3, "high_quality": 0.948, "reverse_kl": 0.70}, "PacGAN Table 1, 10 trials"
    ),
    Published(
        "grid",
        "pacgan4",
        "PacGAN4",
        {"modes": 24.8, "high_quality": 0.936, "reverse_kl": 0.04},
        "PacGAN Table 1, 10 trials",
    ),
    Published("stacked_mnist", "gan", "DCGAN", {"modes": 99.0, "kl": 3.40}, "VEEGAN"),
    Published("stacked_mnist", "pacgan2", "PacDCGAN2", {"modes": 1000.0, "kl": 0.06}, "PacGAN Table 2"),
    Published("stacked_mnist", "gan_small_d", "DCGAN", {"modes": 78.5, "kl": 5.21}, "PacGAN, D 1/4 of G's size"),
    Published(
        "stacked_mnist", "pacgan4_small_d", "PacDCGAN4", {"modes": 667.4, "kl": 1.81}, "PacGAN, D 1/4 of G's size"
    ),
)


def published_for(dataset: str, recipe: str) -> Published | None:
    """The published result matching ``recipe`` on ``dataset``, if there is one.

    >>> published_for("grid", "pacgan4").metrics["modes"]
    24.8
    >>> published_for("grid", "lsgan") is None
    True
    """
    return next((p for p in PUBLISHED if p.dataset == dataset and p.recipe == recipe), None)
