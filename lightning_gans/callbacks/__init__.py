"""Lightning callbacks: health monitoring, evaluation, sample grids and mode coverage. They work with any
LightningModule that follows the sampling protocol of :mod:`lightning_gans.sampling`."""

from lightning_gans.callbacks.evaluation import EvaluationCallback
from lightning_gans.callbacks.health import Diagnosis, GANHealthMonitor, GANHealthWarning, HealthThresholds
from lightning_gans.callbacks.mode_coverage import ModeCoverageCallback
from lightning_gans.callbacks.samples import SampleGridCallback

__all__ = [
    "Diagnosis",
    "EvaluationCallback",
    "GANHealthMonitor",
    "GANHealthWarning",
    "HealthThresholds",
    "ModeCoverageCallback",
    "SampleGridCallback",
]
