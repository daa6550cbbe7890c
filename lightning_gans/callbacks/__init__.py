"""Lightning callbacks: health monitoring, evaluation, sample grids and mode coverage. They work with any
LightningModule that follows the sampling protocol of :mod:`lightning_gans.sampling`."""

from lightning_gans.callbacks.mode_coverage import ModeCoverageCallback

__all__ = ["ModeCoverageCallback"]
