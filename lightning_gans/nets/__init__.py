"""Plain ``nn.Module`` networks and layers; discriminators return logits (higher = more real)."""

from lightning_gans.nets.dcgan import DCGANDiscriminator, DCGANGenerator
from lightning_gans.nets.factory import NetworkOptions, build_networks
from lightning_gans.nets.layers import MinibatchDiscrimination, MinibatchStdDev, pack_samples, spectral_norm_if
from lightning_gans.nets.mlp import MLPDiscriminator, MLPGenerator
from lightning_gans.nets.resnet import ResNetDiscriminator, ResNetGenerator

__all__ = [
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
