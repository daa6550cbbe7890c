"""The published GAN variants: each builds its paper's networks and passes its paper's options to the engine.

Every variant takes the same keyword arguments (:class:`Variant`), and its signature shows its own defaults
(``help(WGANGP)``, ``lightning-gans fit --print_config``): the data shape (``data_dim`` for vectors, ``image_size`` +
``channels`` for images), ``num_classes`` for conditional data, ``latent_dim``, the
:class:`~lightning_gans.nets.NetworkOptions` of the built networks, and the engine's training options
(:class:`~lightning_gans.options.Optimization`, :class:`~lightning_gans.options.Regularization`, ...). A variant
states only what its paper changes (``DEFAULTS``) and what makes it itself (``DEFINED_BY``).

A variant stays itself when one field changes: an option group given by the user sets only the fields written in
it, the others keep the variant's values (``WGANGP(optimization=Optimization(lr_g=3e-4))`` keeps ``n_critic=5``),
and a setting that would turn it into another model (WGAN-GP without its penalty) is refused. To train your own
networks, give them to :class:`~lightning_gans.gan.GAN` directly.
"""

from __future__ import annotations

import inspect
import types
from collections.abc import Callable, Mapping
from typing import Any, ClassVar, NamedTuple

from torch import nn

from lightning_gans.gan import GAN
from lightning_gans.losses import AdversarialLoss
from lightning_gans.nets.factory import NetworkOptions
from lightning_gans.option_group import as_options, merged
from lightning_gans.options import Optimization, Regularization

__all__ = [
    "Variant",
    "Defining",
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


class Defining(NamedTuple):
    """A property that makes a variant what it is; a model without it is refused with ``instead`` as the way out."""

    setting: str  # what must hold, as the user writes it, e.g. "regularization.gp_weight > 0"
    holds: Callable[[GAN], bool]
    actual: Callable[[GAN], Any]  # the value the user gave, for the message
    instead: str


class Variant(GAN):
    """The arguments every variant takes; a subclass writes only its paper's ``DEFAULTS`` and ``DEFINED_BY``.

    A subclass gets this ``__init__`` with its own defaults in the signature (merged over its parent's: an option
    group in ``DEFAULTS`` sets only the fields written in it), so ``help()``, ``defaults()`` and the command line
    show what it trains. All arguments are keyword-only.

    >>> class HingeGAN(VanillaGAN):
    ...     \"\"\"Hinge loss and Adam with beta1 = 0.\"\"\"
    ...     DEFAULTS = dict(loss="hinge", optimization=Optimization(betas_g=(0.0, 0.9), betas_d=(0.0, 0.9)))
    >>> HingeGAN.defaults()["optimization"].betas_d, HingeGAN.defaults()["optimization"].lr_d
    ((0.0, 0.9), 0.0002)
    >>> model = HingeGAN(data_dim=2, optimization=Optimization(lr_d=1e-3))
    >>> model.loss.name, model.optimization.lr_d, model.optimization.betas_d
    ('hinge', 0.001, (0.0, 0.9))
    """

    DEFAULTS: ClassVar[Mapping[str, Any]] = {}
    DEFINED_BY: ClassVar[tuple[Defining, ...]] = ()

    def __init_subclass__(cls, **kwargs: Any) -> None:
        super().__init_subclass__(**kwargs)
        if "__init__" not in cls.__dict__:  # a subclass that writes its own __init__ keeps it
            cls.__init__ = _init_with_defaults(cls, cls.__dict__.get("DEFAULTS", {}))  # type: ignore[method-assign]

    def __init__(
        self,
        *,
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
        own = type(self).defaults()
        # What the user wrote, over this variant's values (recorded as such in the hyperparameters).
        networks = merged(own["networks"], networks)
        optimization = merged(own["optimization"], optimization)
        regularization = merged(own["regularization"], regularization)
        generator, discriminator = build_variant_networks(
            networks, regularization, latent_dim, data_dim, image_size, channels, num_classes
        )
        super().__init__(
            generator,
            discriminator,
            latent_dim=latent_dim,
            num_classes=num_classes,
            loss=loss,
            optimization=optimization,
            regularization=regularization,
            ema_decay=ema_decay,
            on_nonfinite=on_nonfinite,
            noise_seed=noise_seed,
            compile=compile,
            channels_last=channels_last,
            latent_distribution=latent_distribution,
        )
        self.networks = networks
        for defining in self.DEFINED_BY:
            if not defining.holds(self):
                raise ValueError(
                    f"{type(self).__name__} is defined by {defining.setting}, got {defining.actual(self)!r}; "
                    f"{defining.instead}"
                )


def _init_with_defaults(cls: type[Variant], changes: Mapping[str, Any]) -> Callable[..., None]:
    """:meth:`Variant.__init__` with ``cls``'s defaults: its parent's, with ``changes`` written over them."""
    template = Variant.__init__
    parent = {name: p.default for name, p in inspect.signature(cls.__mro__[1].__init__).parameters.items()}
    unknown = sorted(set(changes) - set(template.__kwdefaults__))
    if unknown:
        raise TypeError(f"{cls.__name__}.DEFAULTS names no argument of Variant: {unknown}")
    defaults = {**parent}
    defaults.pop("self", None)
    for name, value in changes.items():
        is_group = isinstance(value, (NetworkOptions, Optimization, Regularization))
        defaults[name] = merged(parent[name], value) if is_group else value
    init = types.FunctionType(template.__code__, template.__globals__, "__init__", None, template.__closure__)
    init.__kwdefaults__ = defaults
    init.__annotations__ = dict(template.__annotations__)
    init.__qualname__, init.__module__ = f"{cls.__qualname__}.__init__", cls.__module__
    init.__doc__ = template.__doc__
    return init


def _loss_is(name: str, instead: str) -> Defining:
    return Defining(f"loss={name!r}", lambda m: m.loss.name == name, lambda m: m.loss.name, instead)


class VanillaGAN(Variant):
    """The GAN of Goodfellow et al. (2014) with the non-saturating generator loss and Adam(lr 2e-4, β1 0.5) (the
    DCGAN paper's optimizer): MLPs for vectors (``data_dim``), DCGAN nets for images (``image_size``). The plain
    starting point for toy data.

    >>> model = VanillaGAN(data_dim=2, latent_dim=8)
    >>> model.sample(5).shape, model.loss.name
    (torch.Size([5, 2]), 'non_saturating')
    """


class DCGAN(Variant):
    """DCGAN (Radford et al. 2016): convolutional G/D with BatchNorm, Adam(lr 2e-4, β1 0.5), non-saturating loss,
    a 100-d latent.

    >>> model = DCGAN(image_size=32, channels=1, networks=NetworkOptions(architecture="dcgan", base_width=8))
    >>> model.sample(2).shape
    torch.Size([2, 1, 32, 32])
    """

    DEFAULTS = dict(latent_dim=100, networks=NetworkOptions(architecture="dcgan"))


class LSGAN(Variant):
    """LSGAN (Mao et al. 2017): least-squares loss (a=0, b=c=1), Adam(lr 2e-4, β1 0.5) as in the paper's experiments.

    >>> LSGAN(data_dim=2).loss.name
    'least_squares'
    """

    DEFAULTS = dict(loss="least_squares")
    DEFINED_BY = (_loss_is("least_squares", "for another loss use VanillaGAN(loss=...) or DCGAN(loss=...)"),)


class WGANGP(Variant):
    """WGAN-GP (Gulrajani et al. 2017): Wasserstein loss, gradient penalty λ=10, n_critic=5, Adam(1e-4, β=(0, 0.9)).

    β=(0, 0.9) is the paper's Algorithm 1 (β1=0 keeps no momentum in a critic whose target moves every step); the
    (0.5, 0.9) seen in some code is a later choice for its CIFAR ResNet. The conv critic uses layer norm: BatchNorm
    breaks the per-sample gradient penalty (paper, section 4).

    >>> model = WGANGP(data_dim=2)
    >>> model.optimization.n_critic, model.regularization.gp_weight, model.optimization.betas_d
    (5, 10.0, (0.0, 0.9))
    """

    DEFAULTS = dict(
        networks=NetworkOptions(d_norm="layer"),  # no BatchNorm in the critic: the penalty is per sample
        loss="wasserstein",
        optimization=Optimization(lr_g=1e-4, lr_d=1e-4, betas_g=(0.0, 0.9), betas_d=(0.0, 0.9), n_critic=5),
        regularization=Regularization(gp_weight=10.0),
    )
    DEFINED_BY = (
        _loss_is(
            "wasserstein", "for another loss with a gradient penalty use VanillaGAN(loss=..., regularization=...)"
        ),
        Defining(
            "regularization.gp_weight > 0 (the gradient penalty)",
            lambda m: m.regularization.gp_weight > 0,
            lambda m: m.regularization.gp_weight,
            "for a Wasserstein critic without the penalty use WGAN (weight clipping)",
        ),
    )


class WGAN(Variant):
    """The original WGAN (Arjovsky et al. 2017): weight clipping c=0.01, n_critic=5, RMSprop(lr 5e-5).

    >>> WGAN(data_dim=2).regularization.weight_clip
    0.01
    """

    DEFAULTS = dict(
        loss="wasserstein",
        optimization=Optimization(optimizer="rmsprop", lr_g=5e-5, lr_d=5e-5, n_critic=5),
        regularization=Regularization(weight_clip=0.01),
    )
    DEFINED_BY = (
        _loss_is("wasserstein", "for another loss use VanillaGAN(loss=...)"),
        Defining(
            "regularization.weight_clip (the critic's weight clipping)",
            lambda m: m.regularization.weight_clip is not None,
            lambda m: m.regularization.weight_clip,
            "for a Wasserstein critic with a gradient penalty instead use WGANGP",
        ),
        Defining(
            "optimization.optimizer='rmsprop' (momentum destabilises a clipped critic, Arjovsky et al.)",
            lambda m: m.optimization.optimizer == "rmsprop",
            lambda m: m.optimization.optimizer,
            "for Adam use WGANGP, or the GAN engine with loss='wasserstein' and Regularization(weight_clip=...)",
        ),
    )


class ConditionalGAN(Variant):
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
    DEFAULTS = dict(latent_dim=100)


class PacGAN(Variant):
    """PacGAN (Lin et al. 2018): the discriminator judges ``pack`` samples at once (default 4), which penalises a
    generator that repeats itself. Loss and optimizer as the vanilla GAN.

    >>> import torch
    >>> PacGAN(data_dim=2).discriminator(torch.randn(8, 2)).shape
    torch.Size([2])
    """

    DEFAULTS = dict(networks=NetworkOptions(pack=4))
    DEFINED_BY = (
        Defining(
            "networks.pack > 1 (the discriminator judges packed samples)",
            lambda m: m.pack > 1,
            lambda m: m.pack,
            "without packing use VanillaGAN or DCGAN",
        ),
    )


class SNGAN(Variant):
    """SNGAN (Miyato et al. 2018): ResNet nets, spectral normalisation in D, hinge loss, n_critic=5,
    Adam(lr 2e-4, β=(0, 0.9)) — the paper's CIFAR-10 ResNet setting. Needs ``image_size`` (a power of two >= 8).

    >>> model = SNGAN(image_size=32, channels=3, networks=NetworkOptions("resnet", base_width=16, spectral_norm=True))
    >>> model.loss.name, model.sample(2).shape
    ('hinge', torch.Size([2, 3, 32, 32]))
    """

    DEFAULTS = dict(
        latent_dim=128,
        networks=NetworkOptions(architecture="resnet", base_width=128, spectral_norm=True),
        loss="hinge",
        optimization=Optimization(betas_g=(0.0, 0.9), betas_d=(0.0, 0.9), n_critic=5),
    )
    DEFINED_BY = (
        Defining(
            "networks.spectral_norm=True (spectral normalisation in D)",
            lambda m: m.networks.spectral_norm,
            lambda m: m.networks.spectral_norm,
            "without it use VanillaGAN(loss='hinge', networks=NetworkOptions(architecture='resnet'))",
        ),
    )


# Every variant the library ships: the tests train each one, so a new variant is tested by being listed here.
VARIANTS = (VanillaGAN, DCGAN, LSGAN, WGANGP, WGAN, ConditionalGAN, PacGAN, SNGAN)
