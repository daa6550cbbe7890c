"""torchmetrics ``Metric``s for mode coverage and precision/recall, the MNIST domain classifier, and the feature
extractors used by the evaluation callbacks."""

from lightning_gans.metrics.classifier import MNISTClassifier, load_mnist_classifier, train_mnist_classifier
from lightning_gans.metrics.conditional import within_class_std
from lightning_gans.metrics.features import (
    ClassifierFeatures,
    FeatureExtractor,
    InceptionV3Features,
    ModuleFeatures,
    available_feature_extractors,
    get_feature_extractor,
    register_feature_extractor,
)
from lightning_gans.metrics.mode_coverage import MixtureModeCoverage, kl_to_uniform
from lightning_gans.metrics.precision_recall import KnnPrecisionRecall
from lightning_gans.metrics.stacked_mnist import StackedMNISTModes

__all__ = [
    "ClassifierFeatures",
    "FeatureExtractor",
    "InceptionV3Features",
    "KnnPrecisionRecall",
    "MNISTClassifier",
    "MixtureModeCoverage",
    "ModuleFeatures",
    "StackedMNISTModes",
    "available_feature_extractors",
    "get_feature_extractor",
    "kl_to_uniform",
    "load_mnist_classifier",
    "register_feature_extractor",
    "train_mnist_classifier",
    "within_class_std",
]
