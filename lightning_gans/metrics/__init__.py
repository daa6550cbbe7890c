"""torchmetrics ``Metric``s for mode coverage, the MNIST domain classifier, and feature extractors."""

from lightning_gans.metrics.classifier import MNISTClassifier, load_mnist_classifier, train_mnist_classifier
from lightning_gans.metrics.mode_coverage import MixtureModeCoverage, kl_to_uniform
from lightning_gans.metrics.stacked_mnist import StackedMNISTModes, stacked_mode_ids

__all__ = [
    "MNISTClassifier",
    "MixtureModeCoverage",
    "StackedMNISTModes",
    "kl_to_uniform",
    "load_mnist_classifier",
    "stacked_mode_ids",
    "train_mnist_classifier",
]
