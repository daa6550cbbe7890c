"""The GAN health monitor: measure a training GAN, diagnose mode collapse (also within classes) and vanishing
gradients, judge at the end whether the samples lie on the data, and name the remedies.

Layout, one concept per module:

- :mod:`~lightning_gans.callbacks.health.monitor` - :class:`GANHealthMonitor`, the Lightning callback (when to
  measure, logging, warnings, checkpointed state);
- :mod:`~lightning_gans.callbacks.health.probe` - :class:`~lightning_gans.callbacks.health.probe.HealthProbe`,
  the measurements on real and fixed-noise fake samples;
- :mod:`~lightning_gans.callbacks.health.signals` - the signals as pure tensor functions and the gradient tracker;
- :mod:`~lightning_gans.callbacks.health.thresholds` - :class:`HealthThresholds`, each default with its measurement;
- :mod:`~lightning_gans.callbacks.health.rules` - :class:`~lightning_gans.callbacks.health.rules.HealthRules`,
  signals -> diagnoses;
- :mod:`~lightning_gans.callbacks.health.diagnosis` - :class:`Diagnosis` (the one record type), its kinds,
  :class:`GANHealthWarning` and the warning text;
- :mod:`~lightning_gans.callbacks.health.remedies` - the remedies, worded for our GAN or for a foreign module;
- ``watched`` - the monitor's view of any module: every question asked of it (which network an optimizer updates, its loss).
"""

from lightning_gans.callbacks.health.diagnosis import Diagnosis, GANHealthWarning
from lightning_gans.callbacks.health.monitor import GANHealthMonitor
from lightning_gans.callbacks.health.thresholds import HealthThresholds

__all__ = ["Diagnosis", "GANHealthMonitor", "GANHealthWarning", "HealthThresholds"]
