"""Plain ``nn.Module`` networks and layers; discriminators return logits (higher = more real)."""

from lightning_gans.nets.conditional import ConditionalDCGANDiscriminator, ConditionalDCGANGenerator
from lightning_gans.nets.dcgan import DCGANDiscriminator, DCGANGenerator
from lightning_gans.nets.factory import NetworkOptions, build_networks
from lightning_gans.nets.layers import (
    ConditionalBatchNorm2d,
    MinibatchDiscrimination,
    MinibatchStdDev,
    pack_samples,
    spectral_norm_if,
)
from lightning_gans.nets.mlp import MLPDiscriminator, MLPGenerator
from lightning_gans.nets.pacgan_2d import BatchNormMLPGenerator, Maxout, MaxoutMLPDiscriminator
from lightning_gans.nets.resnet import ResNetDiscriminator, ResNetGenerator
from lightning_gans.nets.stacked_mnist import (
    DCGAN28Discriminator,
    DCGAN28Generator,
    UnrolledGANDiscriminator,
    UnrolledGANGenerator,
)

__all__ = [
    "BatchNormMLPGenerator",
    "DCGAN28Discriminator",
    "DCGAN28Generator",
    "Maxout",
    "MaxoutMLPDiscriminator",
    "UnrolledGANDiscriminator",
    "UnrolledGANGenerator",
    "ConditionalBatchNorm2d",
    "ConditionalDCGANDiscriminator",
    "ConditionalDCGANGenerator",
    "DCGANDiscriminator",
    "DCGANGenerator",
    "MLPDiscriminator",
    "MLPGenerator",
    "MinibatchDiscrimination",
    "MinibatchStdDev",
    "NetworkOptions",
    "ResNetDiscriminator",
    "ResNetGenerator",
    "build_networks",
    "pack_samples",
    "spectral_norm_if",
]
