"""A quality number for generators of scikit-learn's digits: a Fréchet distance in a digit classifier's features.

The main recipe (``dcgan_digits``) trains on scikit-learn's 1,797 digits, so the Inception FID of papers is neither
available offline nor meaningful for 8x8 digits. What the data support is a Fréchet distance in the feature space
of a classifier trained on those digits: :class:`~lightning_gans.metrics.classifier.MNISTClassifier` (the library's
small digit CNN), trained once on the digits and cached. A number alone says little, so it is reported next to the
same distance between two disjoint halves of the real digits, with the same sample counts: a generator that matches
the data scores about that value.
"""

from __future__ import annotations

import gzip
import json
import os
import tempfile
from pathlib import Path

import torch
from lightning import Callback, LightningModule, Trainer
from lightning.pytorch.utilities import rank_zero_info

from lightning_gans.checks import check_int
from lightning_gans.convert import to_uint8
from lightning_gans.evaluation.features import ClassifierFeatures, extract_features
from lightning_gans.evaluation.metrics import FeatureMetrics
from lightning_gans.metrics.classifier import load_mnist_classifier, train_mnist_classifier
from lightning_gans.sampling import sample_from

__all__ = ["DigitsQualityCallback", "digits_classifier"]

_METRIC_NAME = "Fréchet distance in digit-classifier features"
_CLASSIFIER_SIZE = 28  # MNISTClassifier reads 28x28 digits
DIGITS_COUNT = 1797  # scikit-learn's digits: two disjoint halves of 898


def _write_idx(path: Path, array: torch.Tensor) -> None:
    # IDX: two zero bytes, type 0x08 (ubyte), the number of dimensions, one big-endian int32 per dimension, the bytes.
    header = bytes([0, 0, 8, array.dim()]) + b"".join(int(n).to_bytes(4, "big") for n in array.shape)
    with gzip.open(path, "wb") as handle:
        handle.write(header + array.contiguous().numpy().tobytes())


def digits_classifier(path: str | os.PathLike, epochs: int = 6, holdout: int = 297) -> Path:
    """The weights file of a digit classifier trained on scikit-learn's digits at 28 px, trained on first use.

    The training is :func:`~lightning_gans.metrics.classifier.train_mnist_classifier`'s, run on the 1,797 digits
    (shuffled with a fixed seed and written in MNIST's file format): all but the last ``holdout`` are trained on,
    the accuracy stored with the weights is measured on those ``holdout``. An existing file is reused as is.

    >>> digits_classifier("/nonexistent/classifier.pt", epochs=0)
    Traceback (most recent call last):
    ...
    ValueError: epochs must be an int >= 1, got 0
    """
    check_int("epochs", epochs, 1)
    check_int("holdout", holdout, 1)
    path = Path(path).expanduser()
    if path.is_file():
        return path
    from lightning_gans.data.digits import load_digits_tensors

    images, labels = load_digits_tensors(_CLASSIFIER_SIZE)
    order = torch.randperm(len(images), generator=torch.Generator().manual_seed(0))  # writers spread over the holdout
    with tempfile.TemporaryDirectory(prefix="sklearn-digits-28px-") as folder:
        # MNIST's test-split file names: the classifier's trainer reads this format.
        _write_idx(Path(folder) / "t10k-images-idx3-ubyte.gz", to_uint8(images[order, 0]))
        _write_idx(Path(folder) / "t10k-labels-idx1-ubyte.gz", labels[order].to(torch.uint8))
        metadata = train_mnist_classifier(folder, path, epochs=epochs, holdout=holdout, seed=0)
    rank_zero_info(
        f"Trained a digit classifier on scikit-learn's digits for the quality number: held-out accuracy "
        f"{metadata['accuracy']:.3f} on {holdout} digits, {metadata['train_seconds']} s; saved {path}"
    )
    return path


class DigitsQualityCallback(Callback):
    """At the end of fit, the Fréchet distance between generated and real digits in a digit classifier's features.

    The real digits (scikit-learn's, at the generator's image size) are split into two disjoint halves A and B with a
    fixed seed. Reported: generated (``len(A)`` samples) vs A, and, for scale, B vs A. Lower is better; a generator
    that matches the data scores about the real-vs-real value. The result is ``self.result`` (a dict), is written to
    ``quality.json`` in the log folder and printed. Computed on global rank zero only, without collectives (the other
    ranks are done by then).

    Args:
        classifier_path: the classifier's weights file; trained there on first use (see :func:`digits_classifier`).
            Default: ``<trainer.default_root_dir>/digits_classifier.pt``.
        classifier_epochs: training epochs when the file has to be made.
        seed: seed of the real split and of the generated samples.

    >>> DigitsQualityCallback(classifier_epochs=2).classifier_epochs
    2
    """

    def __init__(
        self, classifier_path: str | os.PathLike | None = None, classifier_epochs: int = 6, seed: int = 0
    ) -> None:
        self.classifier_path = None if classifier_path is None else Path(classifier_path)
        self.classifier_epochs = check_int("classifier_epochs", classifier_epochs, 1)
        self.seed = check_int("seed", seed, 0)
        self.result: dict[str, object] | None = None

    def on_fit_end(self, trainer: Trainer, pl_module: LightningModule) -> None:
        if trainer.sanity_checking:
            return
        log_dir = trainer.log_dir  # a collective under DDP: every rank asks, before rank zero goes on alone
        if not trainer.is_global_zero:
            return
        path = self.classifier_path or Path(trainer.default_root_dir) / "digits_classifier.pt"
        self.result = self.measure(pl_module, digits_classifier(path, epochs=self.classifier_epochs))
        if log_dir is not None:
            out = Path(log_dir) / "quality.json"
            out.parent.mkdir(parents=True, exist_ok=True)
            out.write_text(json.dumps(self.result, indent=2) + "\n", encoding="utf-8")
            self.result["file"] = str(out)
        rank_zero_info(self.summary())

    def measure(self, pl_module: LightningModule, classifier_path: str | os.PathLike) -> dict[str, object]:
        """Generated-vs-real and real-vs-real distances for ``pl_module``'s current sampling network."""
        from lightning_gans.data.digits import load_digits_tensors

        half = DIGITS_COUNT // 2  # the size of each real half: the generated set matches it
        fake = sample_from(pl_module, half, seed=self.seed).float().cpu()
        if fake.dim() != 4 or fake.shape[1] != 1:
            raise ValueError(
                f"DigitsQualityCallback needs a generator of grey digits (N, 1, H, W), got samples of shape "
                f"{tuple(fake.shape)}"
            )
        real, _ = load_digits_tensors(int(fake.shape[-1]))
        order = torch.randperm(len(real), generator=torch.Generator().manual_seed(self.seed))
        real_a, real_b = real[order[:half]], real[order[half : 2 * half]]
        classifier = load_mnist_classifier(classifier_path)
        extractor = ClassifierFeatures(
            classifier, name="digits_classifier", num_features=classifier.feature_dim, num_classes=10
        )
        metric = FeatureMetrics(("fid",), sync_on_compute=False)  # rank zero alone: no collective to join
        metric.update(extract_features(extractor, real_a)[0], real=True)  # once: real features survive reset()

        def distance(images: torch.Tensor) -> float:
            metric.reset()
            metric.update(extract_features(extractor, images)[0], real=False)
            return float(metric.compute()["fid"])  # torch-fidelity's Fréchet distance, in the classifier's features

        return {
            "metric": _METRIC_NAME,
            "generated_vs_real": distance(fake),
            "real_vs_real": distance(real_b),
            "num_samples": half,
            "classifier": str(classifier_path),
            "classifier_accuracy": classifier.metadata.get("accuracy"),
        }

    def summary(self) -> str:
        """One line with both numbers, e.g. for the end of a run."""
        if self.result is None:
            return f"{_METRIC_NAME}: not measured"
        r = self.result
        return (
            f"{r['metric']} (lower is better): generated vs real {r['generated_vs_real']:.2f}; "
            f"real vs real {r['real_vs_real']:.2f} (two disjoint halves of the data, {r['num_samples']} digits each)"
        )
