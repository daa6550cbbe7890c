"""Default generator / discriminator pairs built from data shapes alone."""

from __future__ import annotations

from torch import nn

from lightning_gans.checks import check_bool, check_choice, check_int
from lightning_gans.nets.conditional import ConditionalDCGANDiscriminator, ConditionalDCGANGenerator
from lightning_gans.nets.dcgan import DCGANDiscriminator, DCGANGenerator
from lightning_gans.nets.mlp import MLPDiscriminator, MLPGenerator
from lightning_gans.nets.resnet import ResNetDiscriminator, ResNetGenerator
from lightning_gans.option_group import option_group

ARCHITECTURES = ("auto", "mlp", "dcgan", "resnet")
D_NORMS = ("batch", "layer", "instance", "none")


def build_networks(
    architecture: str,
    latent_dim: int,
    data_dim: int | None,
    image_size: int | None,
    channels: int,
    num_classes: int | None,
    base_width: int,
    hidden_dim: int,
    num_layers: int,
    d_norm: str,
    pack: int,
    minibatch_stddev: bool,
    spectral_norm: bool,
) -> tuple[nn.Module, nn.Module]:
    """Build ``(generator, discriminator)``: MLPs for vector data (``data_dim``), DCGAN or ResNet nets for images.

    ``architecture="auto"`` picks the MLP when ``data_dim`` is given and DCGAN when ``image_size`` is. Conditional
    DCGAN nets (``num_classes`` set) are :class:`ConditionalDCGANGenerator` (class-conditional BatchNorm) and
    :class:`ConditionalDCGANDiscriminator` (class planes at the input).

    >>> g, d = build_networks("auto", 8, 2, None, 1, None, 64, 32, 2, "batch", 1, False, False)
    >>> type(g).__name__, type(d).__name__
    ('MLPGenerator', 'MLPDiscriminator')
    """
    if architecture not in ARCHITECTURES:
        raise ValueError(f"architecture must be one of {ARCHITECTURES}, got {architecture!r}")
    if (data_dim is None) == (image_size is None):
        raise ValueError(
            "give either data_dim (vector data, e.g. data_dim=2 for the 2-D mixtures) or image_size (images), "
            f"or pass your own generator and discriminator; got data_dim={data_dim!r}, image_size={image_size!r}"
        )
    if architecture == "auto":
        architecture = "mlp" if data_dim is not None else "dcgan"
    if architecture == "mlp":
        if data_dim is None:
            raise ValueError(f"architecture='mlp' needs data_dim, got image_size={image_size!r}")
        generator = MLPGenerator(latent_dim, data_dim, hidden_dim, num_layers, num_classes)
        discriminator = MLPDiscriminator(
            data_dim, hidden_dim, num_layers, pack, minibatch_stddev, spectral_norm, num_classes
        )
        return generator, discriminator
    if image_size is None:
        raise ValueError(f"architecture={architecture!r} needs image_size, got data_dim={data_dim!r}")
    if architecture == "resnet":
        if minibatch_stddev:  # d_norm does not apply either: the ResNet critic has no normalisation layers
            raise ValueError(
                "minibatch_stddev is an option of the 'dcgan' and 'mlp' discriminators, not of architecture='resnet'"
            )
        generator = ResNetGenerator(
            latent_dim=latent_dim,
            channels=channels,
            base_width=base_width,
            image_size=image_size,
            num_classes=num_classes,
        )
        discriminator = ResNetDiscriminator(
            channels=channels,
            base_width=base_width,
            image_size=image_size,
            spectral_norm=spectral_norm,
            num_classes=num_classes,
            pack=pack,
        )
        return generator, discriminator
    if num_classes is not None:
        generator = ConditionalDCGANGenerator(latent_dim, image_size, channels, base_width, num_classes)
        discriminator = ConditionalDCGANDiscriminator(
            image_size, channels, base_width, num_classes, d_norm, pack, minibatch_stddev, spectral_norm
        )
        return generator, discriminator
    generator = DCGANGenerator(latent_dim, image_size, channels, base_width, num_classes)
    discriminator = DCGANDiscriminator(
        image_size, channels, base_width, d_norm, pack, minibatch_stddev, spectral_norm, num_classes
    )
    return generator, discriminator


@option_group
class NetworkOptions:
    """How the built-in networks are shaped (the engine itself takes ready networks).

    Args:
        architecture: ``"auto"`` (MLP for vectors, DCGAN for images), ``"mlp"``, ``"dcgan"`` or ``"resnet"``.
        base_width: width of the conv nets; hidden_dim / num_layers: width and depth of the MLPs.
        d_norm: normalisation in the DCGAN discriminator (``"batch"``, ``"layer"``, ``"instance"``, ``"none"``).
        minibatch_stddev / spectral_norm / pack: anti-collapse options of the discriminator (PacGAN: ``pack`` > 1).

    >>> g, d = NetworkOptions(hidden_dim=32, pack=2).build(latent_dim=8, data_dim=2)
    >>> type(g).__name__, d.pack
    ('MLPGenerator', 2)
    """

    architecture: str = "auto"
    base_width: int = 64
    hidden_dim: int = 128
    num_layers: int = 3
    d_norm: str = "batch"
    minibatch_stddev: bool = False
    spectral_norm: bool = False
    pack: int = 1

    def __post_init__(self) -> None:
        check_choice("architecture", self.architecture, ARCHITECTURES)
        check_choice("d_norm", self.d_norm, D_NORMS)
        for name in ("base_width", "hidden_dim", "num_layers", "pack"):
            check_int(name, getattr(self, name), minimum=1)
        check_bool("minibatch_stddev", self.minibatch_stddev)
        check_bool("spectral_norm", self.spectral_norm)

    def build(
        self,
        latent_dim: int,
        data_dim: int | None = None,
        image_size: int | None = None,
        channels: int = 1,
        num_classes: int | None = None,
    ) -> tuple[nn.Module, nn.Module]:
        """``(generator, discriminator)`` for vectors of ``data_dim`` or ``channels x image_size x image_size`` images."""
        return build_networks(
            self.architecture,
            latent_dim,
            data_dim,
            image_size,
            channels,
            num_classes,
            self.base_width,
            self.hidden_dim,
            self.num_layers,
            self.d_norm,
            self.pack,
            self.minibatch_stddev,
            self.spectral_norm,
        )
