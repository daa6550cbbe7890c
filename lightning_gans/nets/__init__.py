"""Plain ``nn.Module`` networks and layers; discriminators return logits (higher = more real)."""

from lightning_gans.nets.conditional import ConditionalDCGANDiscriminator, ConditionalDCGANGenerator
from lightning_gans.nets.dcgan import DCGANDiscriminator, DCGANGenerator
from lightning_gans.nets.factory import build_networks
from lightning_gans.nets.layers import (
    ConditionalBatchNorm2d,
    MinibatchDiscrimination,
    MinibatchStdDev,
    pack_samples,
    spectral_norm_if,
)
from lightning_gans.nets.mlp import MLPDiscriminator, MLPGenerator
from lightning_gans.nets.resnet import ResNetDiscriminator, ResNetGenerator

__all__ = [
    "ConditionalBatchNorm2d",
    "ConditionalDCGANDiscriminator",
    "ConditionalDCGANGenerator",
    "DCGANDiscriminator",
    "DCGANGenerator",
    "MLPDiscriminator",
    "MLPGenerator",
    "MinibatchDiscrimination",
    "MinibatchStdDev",
    "ResNetDiscriminator",
    "ResNetGenerator",
    "build_networks",
    "pack_samples",
    "spectral_norm_if",
]
