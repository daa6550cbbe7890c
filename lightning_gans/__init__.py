"""lightning_gans: GANs for PyTorch Lightning that tell you when they collapse, and how to fix it."""

from lightning_gans.engine.guard import GANDivergenceError
from lightning_gans.engine.strategies import gan_ddp_strategy
from lightning_gans.gan import GAN
from lightning_gans.nets.factory import NetworkOptions
from lightning_gans.options import Optimization, Regularization
from lightning_gans.variants import DCGAN, LSGAN, SNGAN, WGAN, WGANGP, ConditionalGAN, PacGAN, VanillaGAN

__all__ = [
    "GAN",
    "VanillaGAN",
    "DCGAN",
    "LSGAN",
    "WGAN",
    "WGANGP",
    "ConditionalGAN",
    "PacGAN",
    "SNGAN",
    "GANDivergenceError",
    "NetworkOptions",
    "Optimization",
    "Regularization",
    "gan_ddp_strategy",
]
__version__ = "0.1.0"
