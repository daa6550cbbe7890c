"""Default generator / discriminator pairs built from data shapes alone."""

from __future__ import annotations

from torch import nn

from lightning_gans.nets.conditional import ConditionalDCGANDiscriminator, ConditionalDCGANGenerator
from lightning_gans.nets.dcgan import DCGANDiscriminator, DCGANGenerator
from lightning_gans.nets.mlp import MLPDiscriminator, MLPGenerator
from lightning_gans.nets.resnet import ResNetDiscriminator, ResNetGenerator

ARCHITECTURES = ("auto", "mlp", "dcgan", "resnet")


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
