"""The published GAN variants: each builds its paper's networks and passes its paper's options to the engine.

Every variant takes the same arguments, and its signature shows its own defaults (``help(WGANGP)``,
``lightning-gans fit --print_config``): the data shape (``data_dim`` for vectors, ``image_size`` + ``channels`` for
images), ``num_classes`` for conditional data, ``latent_dim``, the :class:`~lightning_gans.nets.NetworkOptions` of the
built networks, and the engine's training options (:class:`~lightning_gans.options.Optimization`,
:class:`~lightning_gans.options.Regularization`, ...). Change one field with ``dataclasses.replace``. To train your own
networks, give them to :class:`~lightning_gans.gan.GAN` directly.

The file is over 300 lines because every variant spells out its whole signature with its paper's values (the
point of a variant): one screen per paper, no hidden defaults.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from torch import nn

from lightning_gans.gan import GAN
from lightning_gans.losses import AdversarialLoss
from lightning_gans.nets.factory import NetworkOptions
from lightning_gans.options import Optimization, Regularization, as_options

__all__ = [
    "VanillaGAN",
    "DCGAN",
    "LSGAN",
    "WGANGP",
    "WGAN",
    "ConditionalGAN",
    "PacGAN",
    "SNGAN",
    "build_variant_networks",
]


def build_variant_networks(
    networks: NetworkOptions | Mapping[str, Any],
    regularization: Regularization | Mapping[str, Any],
    latent_dim: int,
    data_dim: int | None,
    image_size: int | None,
    channels: int,
    num_classes: int | None,
) -> tuple[nn.Module, nn.Module]:
    """The networks a variant trains, refusing the combinations that cannot work."""
    networks = as_options(NetworkOptions, networks)
    penalised = as_options(Regularization, regularization).gp_weight > 0
    if (
        penalised
        and networks.d_norm == "batch"
        and image_size is not None
        and networks.architecture in ("auto", "dcgan")
    ):
        raise ValueError(
            "gp_weight > 0 with d_norm='batch': BatchNorm couples the samples the gradient penalty treats one by one "
            "(and has no double backward under SyncBatchNorm); use NetworkOptions(d_norm='layer', 'instance' or 'none')"
        )
    return networks.build(latent_dim, data_dim, image_size, channels, num_classes)


class VanillaGAN(GAN):
    """The GAN of Goodfellow et al. (2014) with the non-saturating generator loss and Adam(lr 2e-4, β1 0.5) (the
    DCGAN paper's optimizer): MLPs for vectors (``data_dim``), DCGAN nets for images (``image_size``). The plain
    starting point for toy data.

    >>> model = VanillaGAN(data_dim=2, latent_dim=8)
    >>> model.sample(5).shape, model.loss.name
    (torch.Size([5, 2]), 'non_saturating')
    """

    def __init__(
        self,
        data_dim: int | None = None,
        image_size: int | None = None,
        channels: int = 1,
        num_classes: int | None = None,
        latent_dim: int = 64,
        networks: NetworkOptions = NetworkOptions(),
        loss: str | AdversarialLoss = "non_saturating",
        optimization: Optimization = Optimization(),
        regularization: Regularization = Regularization(),
        ema_decay: float | None = None,
        on_nonfinite: str = "raise",
        noise_seed: int | None = None,
        compile: bool = False,
        channels_last: bool = False,
        latent_distribution: str = "normal",
    ) -> None:
        nets = build_variant_networks(networks, regularization, latent_dim, data_dim, image_size, channels, num_classes)
        super().__init__(
            *nets,
            latent_dim,
            num_classes,
            loss,
            optimization,
            regularization,
            ema_decay,
            on_nonfinite,
            noise_seed,
            compile,
            channels_last,
            latent_distribution,
        )


class DCGAN(GAN):
    """DCGAN (Radford et al. 2016): convolutional G/D with BatchNorm, Adam(lr 2e-4, β1 0.5), non-saturating loss,
    a 100-d latent.

    >>> model = DCGAN(image_size=32, channels=1, networks=NetworkOptions(architecture="dcgan", base_width=8))
    >>> model.sample(2).shape
    torch.Size([2, 1, 32, 32])
    """

    def __init__(
        self,
        data_dim: int | None = None,
        image_size: int | None = None,
        channels: int = 1,
        num_classes: int | None = None,
        latent_dim: int = 100,
        networks: NetworkOptions = NetworkOptions(architecture="dcgan"),
        loss: str | AdversarialLoss = "non_saturating",
        optimization: Optimization = Optimization(),
        regularization: Regularization = Regularization(),
        ema_decay: float | None = None,
        on_nonfinite: str = "raise",
        noise_seed: int | None = None,
        compile: bool = False,
        channels_last: bool = False,
        latent_distribution: str = "normal",
    ) -> None:
        nets = build_variant_networks(networks, regularization, latent_dim, data_dim, image_size, channels, num_classes)
        super().__init__(
            *nets,
            latent_dim,
            num_classes,
            loss,
            optimization,
            regularization,
            ema_decay,
            on_nonfinite,
            noise_seed,
            compile,
            channels_last,
            latent_distribution,
        )


class LSGAN(GAN):
    """LSGAN (Mao et al. 2017): least-squares loss (a=0, b=c=1), Adam(lr 2e-4, β1 0.5) as in the paper's experiments.

    >>> LSGAN(data_dim=2).loss.name
    'least_squares'
    """

    def __init__(
        self,
        data_dim: int | None = None,
        image_size: int | None = None,
        channels: int = 1,
        num_classes: int | None = None,
        latent_dim: int = 64,
        networks: NetworkOptions = NetworkOptions(),
        loss: str | AdversarialLoss = "least_squares",
        optimization: Optimization = Optimization(),
        regularization: Regularization = Regularization(),
        ema_decay: float | None = None,
        on_nonfinite: str = "raise",
        noise_seed: int | None = None,
        compile: bool = False,
        channels_last: bool = False,
        latent_distribution: str = "normal",
    ) -> None:
        nets = build_variant_networks(networks, regularization, latent_dim, data_dim, image_size, channels, num_classes)
        super().__init__(
            *nets,
            latent_dim,
            num_classes,
            loss,
            optimization,
            regularization,
            ema_decay,
            on_nonfinite,
            noise_seed,
            compile,
            channels_last,
            latent_distribution,
        )


class WGANGP(GAN):
    """WGAN-GP (Gulrajani et al. 2017): Wasserstein loss, gradient penalty λ=10, n_critic=5, Adam(1e-4, β=(0, 0.9)).

    β=(0, 0.9) is the paper's Algorithm 1 (β1=0 keeps no momentum in a critic whose target moves every step); the
    (0.5, 0.9) seen in some code is a later choice for its CIFAR ResNet. The conv critic uses layer norm: BatchNorm
    breaks the per-sample gradient penalty (paper, section 4).

    >>> model = WGANGP(data_dim=2)
    >>> model.optimization.n_critic, model.regularization.gp_weight, model.optimization.betas_d
    (5, 10.0, (0.0, 0.9))
    """

    def __init__(
        self,
        data_dim: int | None = None,
        image_size: int | None = None,
        channels: int = 1,
        num_classes: int | None = None,
        latent_dim: int = 64,
        networks: NetworkOptions = NetworkOptions(d_norm="layer"),
        loss: str | AdversarialLoss = "wasserstein",
        optimization: Optimization = Optimization(
            lr_g=1e-4, lr_d=1e-4, betas_g=(0.0, 0.9), betas_d=(0.0, 0.9), n_critic=5
        ),
        regularization: Regularization = Regularization(gp_weight=10.0),
        ema_decay: float | None = None,
        on_nonfinite: str = "raise",
        noise_seed: int | None = None,
        compile: bool = False,
        channels_last: bool = False,
        latent_distribution: str = "normal",
    ) -> None:
        nets = build_variant_networks(networks, regularization, latent_dim, data_dim, image_size, channels, num_classes)
        super().__init__(
            *nets,
            latent_dim,
            num_classes,
            loss,
            optimization,
            regularization,
            ema_decay,
            on_nonfinite,
            noise_seed,
            compile,
            channels_last,
            latent_distribution,
        )


class WGAN(GAN):
    """The original WGAN (Arjovsky et al. 2017): weight clipping c=0.01, n_critic=5, RMSprop(lr 5e-5).

    >>> WGAN(data_dim=2).regularization.weight_clip
    0.01
    """

    def __init__(
        self,
        data_dim: int | None = None,
        image_size: int | None = None,
        channels: int = 1,
        num_classes: int | None = None,
        latent_dim: int = 64,
        networks: NetworkOptions = NetworkOptions(),
        loss: str | AdversarialLoss = "wasserstein",
        optimization: Optimization = Optimization(optimizer="rmsprop", lr_g=5e-5, lr_d=5e-5, n_critic=5),
        regularization: Regularization = Regularization(weight_clip=0.01),
        ema_decay: float | None = None,
        on_nonfinite: str = "raise",
        noise_seed: int | None = None,
        compile: bool = False,
        channels_last: bool = False,
        latent_distribution: str = "normal",
    ) -> None:
        nets = build_variant_networks(networks, regularization, latent_dim, data_dim, image_size, channels, num_classes)
        super().__init__(
            *nets,
            latent_dim,
            num_classes,
            loss,
            optimization,
            regularization,
            ema_decay,
            on_nonfinite,
            noise_seed,
            compile,
            channels_last,
            latent_distribution,
        )


class ConditionalGAN(GAN):
    """Conditional GAN (Mirza & Osindero 2014): ``G(z, y)`` and ``D(x, y)``.

    On images the default nets are the DCGAN ones made conditional: the generator uses class-conditional BatchNorm
    (:class:`~lightning_gans.nets.ConditionalDCGANGenerator`, as the generators of Miyato & Koyama 2018 and BigGAN)
    and the discriminator reads the class as extra input planes
    (:class:`~lightning_gans.nets.ConditionalDCGANDiscriminator`). Batches are ``(samples, labels)``;
    ``sample(n, labels=...)`` generates the requested classes.

    >>> import torch
    >>> model = ConditionalGAN(num_classes=10, image_size=28, networks=NetworkOptions(base_width=8))
    >>> model.sample(3, labels=torch.tensor([0, 4, 9])).shape
    torch.Size([3, 1, 28, 28])
    """

    REQUIRES_NUM_CLASSES = True

    def __init__(
        self,
        data_dim: int | None = None,
        image_size: int | None = None,
        channels: int = 1,
        num_classes: int | None = None,
        latent_dim: int = 100,
        networks: NetworkOptions = NetworkOptions(),
        loss: str | AdversarialLoss = "non_saturating",
        optimization: Optimization = Optimization(),
        regularization: Regularization = Regularization(),
        ema_decay: float | None = None,
        on_nonfinite: str = "raise",
        noise_seed: int | None = None,
        compile: bool = False,
        channels_last: bool = False,
        latent_distribution: str = "normal",
    ) -> None:
        nets = build_variant_networks(networks, regularization, latent_dim, data_dim, image_size, channels, num_classes)
        super().__init__(
            *nets,
            latent_dim,
            num_classes,
            loss,
            optimization,
            regularization,
            ema_decay,
            on_nonfinite,
            noise_seed,
            compile,
            channels_last,
            latent_distribution,
        )


class PacGAN(GAN):
    """PacGAN (Lin et al. 2018): the discriminator judges ``pack`` samples at once (default 4), which penalises a
    generator that repeats itself. Loss and optimizer as the vanilla GAN.

    >>> import torch
    >>> PacGAN(data_dim=2).discriminator(torch.randn(8, 2)).shape
    torch.Size([2])
    """

    def __init__(
        self,
        data_dim: int | None = None,
        image_size: int | None = None,
        channels: int = 1,
        num_classes: int | None = None,
        latent_dim: int = 64,
        networks: NetworkOptions = NetworkOptions(pack=4),
        loss: str | AdversarialLoss = "non_saturating",
        optimization: Optimization = Optimization(),
        regularization: Regularization = Regularization(),
        ema_decay: float | None = None,
        on_nonfinite: str = "raise",
        noise_seed: int | None = None,
        compile: bool = False,
        channels_last: bool = False,
        latent_distribution: str = "normal",
    ) -> None:
        nets = build_variant_networks(networks, regularization, latent_dim, data_dim, image_size, channels, num_classes)
        super().__init__(
            *nets,
            latent_dim,
            num_classes,
            loss,
            optimization,
            regularization,
            ema_decay,
            on_nonfinite,
            noise_seed,
            compile,
            channels_last,
            latent_distribution,
        )


class SNGAN(GAN):
    """SNGAN (Miyato et al. 2018): ResNet nets, spectral normalisation in D, hinge loss, n_critic=5,
    Adam(lr 2e-4, β=(0, 0.9)) — the paper's CIFAR-10 ResNet setting. Needs ``image_size`` (a power of two >= 8).

    >>> model = SNGAN(image_size=32, channels=3, networks=NetworkOptions("resnet", base_width=16, spectral_norm=True))
    >>> model.loss.name, model.sample(2).shape
    ('hinge', torch.Size([2, 3, 32, 32]))
    """

    def __init__(
        self,
        data_dim: int | None = None,
        image_size: int | None = None,
        channels: int = 1,
        num_classes: int | None = None,
        latent_dim: int = 128,
        networks: NetworkOptions = NetworkOptions(architecture="resnet", base_width=128, spectral_norm=True),
        loss: str | AdversarialLoss = "hinge",
        optimization: Optimization = Optimization(betas_g=(0.0, 0.9), betas_d=(0.0, 0.9), n_critic=5),
        regularization: Regularization = Regularization(),
        ema_decay: float | None = None,
        on_nonfinite: str = "raise",
        noise_seed: int | None = None,
        compile: bool = False,
        channels_last: bool = False,
        latent_distribution: str = "normal",
    ) -> None:
        nets = build_variant_networks(networks, regularization, latent_dim, data_dim, image_size, channels, num_classes)
        super().__init__(
            *nets,
            latent_dim,
            num_classes,
            loss,
            optimization,
            regularization,
            ema_decay,
            on_nonfinite,
            noise_seed,
            compile,
            channels_last,
            latent_distribution,
        )


# Every variant the library ships: the tests train each one, so a new variant is tested by being listed here.
VARIANTS = (VanillaGAN, DCGAN, LSGAN, WGANGP, WGAN, ConditionalGAN, PacGAN, SNGAN)
