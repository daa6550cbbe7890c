"""The published GAN variants: the :class:`~lightning_gans.gan.GAN` engine with each paper's defaults.

A variant sets defaults only; every argument of :class:`GAN` stays available and overrides them. Arguments left at
``None`` take the values in the variant's ``DEFAULTS``.
"""

from __future__ import annotations

from typing import Any, ClassVar

from lightning_gans.gan import GAN


class DCGAN(GAN):
    """DCGAN (Radford et al. 2016): convolutional G/D with BatchNorm, Adam(lr 2e-4, β1 0.5), non-saturating loss.

    >>> model = DCGAN(image_size=32, channels=1, base_width=8)
    >>> model.sample(2).shape
    torch.Size([2, 1, 32, 32])
    """

    DEFAULTS: ClassVar[dict[str, Any]] = {**GAN.DEFAULTS, "latent_dim": 100, "architecture": "dcgan"}


class LSGAN(GAN):
    """LSGAN (Mao et al. 2017): least-squares loss (a=0, b=c=1), Adam(lr 2e-4, β1 0.5) as in the paper's experiments.

    >>> LSGAN(data_dim=2).hparams.loss
    'least_squares'
    """

    DEFAULTS: ClassVar[dict[str, Any]] = {**GAN.DEFAULTS, "loss": "least_squares"}


class WGANGP(GAN):
    """WGAN-GP (Gulrajani et al. 2017): Wasserstein loss, gradient penalty λ=10, n_critic=5, Adam(1e-4, β=(0, 0.9)).

    β=(0, 0.9) is the paper's Algorithm 1 (β1=0 keeps no momentum in a critic whose target moves every step); the
    (0.5, 0.9) seen in some code is a later choice for its CIFAR ResNet. The default conv critic uses layer norm:
    BatchNorm breaks the per-sample gradient penalty (paper, section 4).

    >>> model = WGANGP(data_dim=2)
    >>> model.hparams.n_critic, model.hparams.gp_weight, model.hparams.betas_d
    (5, 10.0, (0.0, 0.9))
    """

    DEFAULTS: ClassVar[dict[str, Any]] = {
        **GAN.DEFAULTS,
        "loss": "wasserstein",
        "gp_weight": 10.0,
        "n_critic": 5,
        "lr_g": 1e-4,
        "lr_d": 1e-4,
        "betas_g": (0.0, 0.9),
        "betas_d": (0.0, 0.9),
        "d_norm": "layer",
    }


class WGAN(GAN):
    """The original WGAN (Arjovsky et al. 2017): weight clipping c=0.01, n_critic=5, RMSprop(lr 5e-5).

    >>> WGAN(data_dim=2).hparams.weight_clip
    0.01
    """

    DEFAULTS: ClassVar[dict[str, Any]] = {
        **GAN.DEFAULTS,
        "loss": "wasserstein",
        "weight_clip": 0.01,
        "n_critic": 5,
        "optimizer": "rmsprop",
        "lr_g": 5e-5,
        "lr_d": 5e-5,
    }


class ConditionalGAN(GAN):
    """Conditional GAN (Mirza & Osindero 2014): ``G(z, y)`` and ``D(x, y)``.

    On images the default nets are the DCGAN ones made conditional: the generator uses class-conditional BatchNorm
    (:class:`~lightning_gans.nets.ConditionalDCGANGenerator`, as the generators of Miyato & Koyama 2018 and BigGAN)
    and the discriminator reads the class as extra input planes
    (:class:`~lightning_gans.nets.ConditionalDCGANDiscriminator`). Batches are ``(samples, labels)``;
    ``sample(n, labels=...)`` generates the requested classes.

    >>> import torch
    >>> model = ConditionalGAN(num_classes=10, image_size=28, channels=1, base_width=8)
    >>> model.sample(3, labels=torch.tensor([0, 4, 9])).shape
    torch.Size([3, 1, 28, 28])
    """

    DEFAULTS: ClassVar[dict[str, Any]] = {**GAN.DEFAULTS, "latent_dim": 100}
    REQUIRES_NUM_CLASSES: ClassVar[bool] = True


class PacGAN(GAN):
    """PacGAN (Lin et al. 2018): the discriminator judges ``pack`` samples at once (default 4), which penalises a
    generator that repeats itself. Loss and optimizer as the vanilla GAN.

    >>> import torch
    >>> PacGAN(data_dim=2).discriminator(torch.randn(8, 2)).shape
    torch.Size([2])
    """

    DEFAULTS: ClassVar[dict[str, Any]] = {**GAN.DEFAULTS, "pack": 4}


class SNGAN(GAN):
    """SNGAN (Miyato et al. 2018): ResNet nets, spectral normalisation in D, hinge loss, n_critic=5,
    Adam(lr 2e-4, β=(0, 0.9)) — the paper's CIFAR-10 ResNet setting. Needs ``image_size`` (a power of two >= 8).

    >>> import torch
    >>> model = SNGAN(image_size=32, channels=3, base_width=16)
    >>> model.hparams.loss, model.hparams.spectral_norm, model.sample(2).shape
    ('hinge', True, torch.Size([2, 3, 32, 32]))
    """

    DEFAULTS: ClassVar[dict[str, Any]] = {
        **GAN.DEFAULTS,
        "architecture": "resnet",
        "spectral_norm": True,
        "loss": "hinge",
        "n_critic": 5,
        "lr_g": 2e-4,
        "lr_d": 2e-4,
        "betas_g": (0.0, 0.9),
        "betas_d": (0.0, 0.9),
        "latent_dim": 128,
        "base_width": 128,
    }
