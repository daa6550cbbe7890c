"""torchmetrics ``Metric``s for mode coverage, improved precision/recall, the MNIST domain classifier and per-class
diversity. Feature extractors and FID/KID/IS live in :mod:`lightning_gans.evaluation`."""

from lightning_gans.metrics.classifier import MNISTClassifier, load_mnist_classifier, train_mnist_classifier
from lightning_gans.metrics.conditional import class_accuracy, intra_fid, within_class_std
from lightning_gans.metrics.mode_coverage import MixtureModeCoverage, kl_to_uniform
from lightning_gans.metrics.precision_recall import knn_precision_recall
from lightning_gans.metrics.stacked_mnist import StackedMNISTModes

__all__ = [
    "class_accuracy",
    "intra_fid",
    "MNISTClassifier",
    "MixtureModeCoverage",
    "StackedMNISTModes",
    "kl_to_uniform",
    "knn_precision_recall",
    "load_mnist_classifier",
    "train_mnist_classifier",
    "within_class_std",
]
