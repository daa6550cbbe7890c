"""Feature extractors for FID / KID / IS / precision-recall, behind one small registry.

Every extractor follows torchmetrics' convention for custom feature networks: an ``nn.Module`` with an integer
``num_features`` whose ``forward`` maps ``uint8`` images ``(N, C, H, W)`` to features ``(N, num_features)``, so it
can be passed as ``feature=`` to ``FrechetInceptionDistance`` or ``KernelInceptionDistance`` (``normalize=False``).
:meth:`FeatureExtractor.extract` returns features and class logits (for IS) from one pass.

Registered names:

- ``"inception"``: torch-fidelity's ``FeatureExtractorInceptionV3`` (the network and TF1-style bilinear resize to
  299x299 without antialiasing used by the FID/IS papers' code): ``"2048"`` features, ``"logits_unbiased"`` logits.
- ``"mnist_classifier"``: the digit classifier of :mod:`lightning_gans.metrics.classifier` (penultimate features,
  10 logits); its weights file is required.

Any ``nn.Module`` is accepted as well: it receives ``uint8`` images and returns features; an optional ``logits``
method enables IS.
"""

from __future__ import annotations

import hashlib
import os
from collections.abc import Callable
from pathlib import Path
from urllib.parse import urlparse

import torch
from torch import Tensor, nn
from torch_fidelity.feature_extractor_inceptionv3 import URL_INCEPTION_V3 as INCEPTION_URL  # the papers' TF weights
from torch_fidelity.feature_extractor_inceptionv3 import FeatureExtractorInceptionV3

from lightning_gans.metrics.classifier import weights_sha256

__all__ = [
    "FeatureExtractor",
    "InceptionV3Features",
    "ClassifierFeatures",
    "ModuleFeatures",
    "get_feature_extractor",
    "register_feature_extractor",
    "available_feature_extractors",
    "check_feature_extractor_name",
    "inception_weights_path",
    "INCEPTION_URL",
    "INCEPTION_WEIGHTS_ENV",
]

INCEPTION_WEIGHTS_ENV = "LIGHTNING_GANS_INCEPTION_WEIGHTS"
MNIST_CLASSIFIER_ENV = "LIGHTNING_GANS_MNIST_CLASSIFIER"


class FeatureExtractor(nn.Module):
    """Base class: ``uint8`` images in, ``(features, logits or None)`` out, plus provenance for the logs.

    Subclasses set ``name``, ``num_features``, ``weights_sha256`` and ``resize`` and implement :meth:`extract`.

    >>> class MeanGrey(FeatureExtractor):
    ...     name, num_features = "mean-grey", 1
    ...     def extract(self, images):
    ...         return images.float().mean(dim=(1, 2, 3)).unsqueeze(1), None
    >>> MeanGrey()(torch.full((2, 1, 4, 4), 3, dtype=torch.uint8)).tolist(), MeanGrey().provides_logits
    ([[3.0], [3.0]], False)
    """

    name: str = "custom"
    num_features: int | None = None
    num_classes: int | None = None
    weights_sha256: str | None = None
    resize: str = "none"

    def extract(self, images: Tensor) -> tuple[Tensor, Tensor | None]:
        """Features ``(N, num_features)`` and logits ``(N, K)`` (or ``None``) for ``uint8`` images."""
        raise NotImplementedError

    def forward(self, images: Tensor) -> Tensor:
        """Features only, as torchmetrics expects from a custom ``feature`` module."""
        return self.extract(images)[0]

    def train(self, mode: bool = True) -> FeatureExtractor:
        # A frozen metric network never leaves eval mode (dropout / batch-norm statistics stay fixed).
        return super().train(False)

    @property
    def provides_logits(self) -> bool:
        """Whether :meth:`extract` returns logits (needed for the Inception Score)."""
        return self.num_classes is not None

    def provenance(self) -> dict[str, object]:
        """What a logged number was measured with."""
        return {
            "extractor": self.name,
            "extractor_sha256": self.weights_sha256,
            "resize": self.resize,
            "feature_dim": self.num_features,
        }


def _check_uint8(images: Tensor) -> None:
    if not isinstance(images, Tensor) or images.dtype != torch.uint8 or images.dim() != 4:
        got = f"{images.dtype} {tuple(images.shape)}" if isinstance(images, Tensor) else type(images).__name__
        raise TypeError(f"`images` must be a uint8 tensor (N, C, H, W) (see convert.to_uint8), got {got}")


class InceptionV3Features(FeatureExtractor):
    """torch-fidelity's Inception-v3: features ``"2048"`` (FID/KID/PR) and ``"logits_unbiased"`` (IS).

    Grey images are repeated to three channels. Resize to 299x299 is torch-fidelity's TF1-compatible bilinear
    interpolation without antialiasing, so values agree with torch-fidelity and the papers' TensorFlow code.

    Args:
        weights: weights file, or a directory holding ``weights-inception-2015-12-05-6726825d.pth``; ``None``
            uses ``$LIGHTNING_GANS_INCEPTION_WEIGHTS``, then torch.hub's cache, then downloads (see
            :func:`inception_weights_path`).

    >>> InceptionV3Features("/nonexistent/weights.pth")  # doctest: +ELLIPSIS
    Traceback (most recent call last):
    ...
    FileNotFoundError: Inception-v3 weights file not found: /nonexistent/weights.pth. Download https://...
    """

    num_features = 2048
    num_classes = 1008
    resize = "bilinear-299-tf1-compatible-no-antialias (torch-fidelity)"

    def __init__(self, weights: str | os.PathLike | None = None) -> None:
        super().__init__()
        path = inception_weights_path(weights)
        self.name = "inception-v3-compat"
        self.weights_path = str(path)
        self.weights_sha256 = _file_sha256(path)
        self.network = FeatureExtractorInceptionV3(
            self.name, ["2048", "logits_unbiased"], feature_extractor_weights_path=str(path)
        )

    @torch.no_grad()
    def extract(self, images: Tensor) -> tuple[Tensor, Tensor | None]:
        _check_uint8(images)
        if images.shape[1] == 1:  # grey -> RGB, as Inception expects 3 channels
            images = images.expand(-1, 3, -1, -1)
        if images.shape[1] != 3:
            raise ValueError(f"Inception needs 1 or 3 channels, got images of shape {tuple(images.shape)}")
        with torch.autocast(images.device.type, enabled=False):
            features, logits = self.network(images.contiguous())
        return features, logits


class ClassifierFeatures(FeatureExtractor):
    """A domain classifier (``features(x)`` -> ``(N, D)``, ``forward(x)`` -> logits) on images in ``[-1, 1]``.

    RGB inputs are averaged to one channel when the classifier reads grey images (exact for grey images stored as
    RGB, e.g. PNG folders). A ``head`` submodule, when the classifier has one, must map features to logits
    (``forward(x) == head(features(x))``, as in :class:`~lightning_gans.metrics.classifier.MNISTClassifier`): the
    logits then come from the same pass.

    >>> class Tiny(nn.Module):
    ...     def features(self, x):
    ...         return x.flatten(1)[:, :3]
    ...     def forward(self, x):
    ...         return self.features(x)
    >>> extractor = ClassifierFeatures(Tiny(), name="tiny", num_features=3, num_classes=3)
    >>> feats, logits = extractor.extract(torch.full((2, 1, 4, 4), 255, dtype=torch.uint8))
    >>> feats
    tensor([[1., 1., 1.],
            [1., 1., 1.]])
    """

    resize = "classifier's own (bilinear to 28x28, no antialias, for the MNIST classifier)"

    def __init__(
        self, classifier: nn.Module, name: str, num_features: int, num_classes: int, channels: int = 1
    ) -> None:
        super().__init__()
        self.classifier = classifier.eval().requires_grad_(False)
        self.name, self.num_features, self.num_classes, self.channels = name, num_features, num_classes, channels
        self.weights_sha256 = weights_sha256(classifier.state_dict())

    @torch.no_grad()
    def extract(self, images: Tensor) -> tuple[Tensor, Tensor | None]:
        _check_uint8(images)
        x = images.float() / 127.5 - 1.0  # uint8 -> [-1, 1], the library's image range
        if self.channels == 1 and x.shape[1] == 3:
            x = x.mean(dim=1, keepdim=True)
        with torch.autocast(x.device.type, enabled=False):
            features = self.classifier.features(x)
            head = getattr(self.classifier, "head", None)
            logits = head(features) if isinstance(head, nn.Module) else self.classifier(x)
        return features.float(), logits.float()


class ModuleFeatures(FeatureExtractor):
    """Any ``nn.Module`` mapping ``uint8`` images to features; its optional ``logits(images)`` enables IS.

    ``num_features`` is read from the module (torchmetrics' convention) or from its first output.

    >>> class Mean(nn.Module):
    ...     num_features = 1
    ...     def forward(self, x):
    ...         return x.float().mean(dim=(1, 2, 3)).unsqueeze(1)
    >>> extractor = ModuleFeatures(Mean())
    >>> extractor(torch.full((2, 3, 4, 4), 10, dtype=torch.uint8)).tolist(), extractor.name
    ([[10.0], [10.0]], 'Mean')
    """

    def __init__(self, module: nn.Module, name: str | None = None) -> None:
        super().__init__()
        if not isinstance(module, nn.Module):
            raise TypeError(f"`module` must be an nn.Module returning features, got {type(module).__name__}")
        self.module = module.eval().requires_grad_(False)
        self.name = name or type(module).__name__
        num = getattr(module, "num_features", None)
        self.num_features = int(num.item() if isinstance(num, Tensor) else num) if num is not None else None
        self.num_classes = getattr(module, "num_classes", None) if callable(getattr(module, "logits", None)) else None
        self.weights_sha256 = weights_sha256(module.state_dict())

    @property
    def provides_logits(self) -> bool:
        return callable(getattr(self.module, "logits", None))

    @torch.no_grad()
    def extract(self, images: Tensor) -> tuple[Tensor, Tensor | None]:
        _check_uint8(images)
        features = self.module(images)
        if features.dim() != 2 or features.shape[0] != images.shape[0]:
            raise ValueError(f"{self.name} must return features (N, D) for N images, got {tuple(features.shape)}")
        self.num_features = self.num_features or features.shape[1]
        logits = self.module.logits(images) if callable(getattr(self.module, "logits", None)) else None
        if logits is not None and self.num_classes is None:
            self.num_classes = logits.shape[1]
        return features.float(), None if logits is None else logits.float()


def inception_weights_path(weights: str | os.PathLike | None = None) -> Path:
    """The Inception-v3 weights file to use, downloading it into torch.hub's cache only when nothing local exists.

    Looked up in order: ``weights`` (a file, or a directory holding the file), ``$LIGHTNING_GANS_INCEPTION_WEIGHTS``,
    ``<torch.hub.get_dir()>/checkpoints/``, then a download from :data:`INCEPTION_URL`. Offline, the error says
    where to put the file.

    >>> inception_weights_path("/nonexistent/inception.pth")
    Traceback (most recent call last):
    ...
    FileNotFoundError: Inception-v3 weights file not found: /nonexistent/inception.pth. ...
    """
    filename = os.path.basename(urlparse(INCEPTION_URL).path)
    cached = Path(torch.hub.get_dir()) / "checkpoints" / filename
    given = weights if weights is not None else os.environ.get(INCEPTION_WEIGHTS_ENV) or None
    if given is not None:
        path = Path(given).expanduser()
        if path.is_dir():
            path = path / filename
        if not path.is_file():
            raise FileNotFoundError(
                f"Inception-v3 weights file not found: {path}. Download {INCEPTION_URL} and pass its path as "
                f"`extractor_weights=` (or set ${INCEPTION_WEIGHTS_ENV})."
            )
        return path
    if cached.is_file():
        return cached
    cached.parent.mkdir(parents=True, exist_ok=True)
    try:
        torch.hub.download_url_to_file(INCEPTION_URL, str(cached), progress=False)
    except OSError as err:  # URLError, HTTPError, socket errors are all OSErrors
        raise RuntimeError(
            f"Inception-v3 weights are not available offline: downloading {INCEPTION_URL} failed ({err}). "
            f"Fetch that file on a machine with network access, then either pass its path as "
            f"`extractor_weights=/path/to/{filename}` (EvaluationCallback, evaluate_generator, get_feature_extractor), "
            f"set the environment variable {INCEPTION_WEIGHTS_ENV}=/path/to/{filename}, "
            f"or copy it to {cached} (torch.hub's cache, used by torch-fidelity)."
        ) from err
    return cached


def _mnist_classifier(weights: str | os.PathLike | None) -> FeatureExtractor:
    from lightning_gans.metrics.classifier import load_mnist_classifier

    path = weights if weights is not None else os.environ.get(MNIST_CLASSIFIER_ENV) or None
    if path is None:
        raise ValueError(
            "the 'mnist_classifier' extractor needs its weights file: pass `extractor_weights=PATH` (or set "
            f"${MNIST_CLASSIFIER_ENV}); train one with `python -m lightning_gans.metrics.classifier "
            "--data-dir DIR --out PATH`"
        )
    classifier = load_mnist_classifier(path)
    num_features = getattr(classifier, "feature_dim", None)
    if num_features is None:  # read the width off one forward pass
        num_features = classifier.features(torch.zeros(1, 1, 28, 28)).shape[1]
    return ClassifierFeatures(classifier, name="mnist_classifier", num_features=int(num_features), num_classes=10)


_REGISTRY: dict[str, Callable[[str | os.PathLike | None], FeatureExtractor]] = {
    "inception": InceptionV3Features,
    "mnist_classifier": _mnist_classifier,
}


def register_feature_extractor(name: str, factory: Callable[[str | os.PathLike | None], FeatureExtractor]) -> None:
    """Add ``name`` to the registry; ``factory(weights)`` must return a :class:`FeatureExtractor`.

    >>> register_feature_extractor("mean", lambda weights: ModuleFeatures(nn.Flatten()))
    >>> "mean" in available_feature_extractors()
    True
    """
    if not isinstance(name, str) or not name:
        raise ValueError(f"`name` must be a non-empty string, got {name!r}")
    if not callable(factory):
        raise TypeError(f"`factory` must be callable(weights) -> FeatureExtractor, got {type(factory).__name__}")
    _REGISTRY[name] = factory


def available_feature_extractors() -> list[str]:
    """Registered extractor names.

    >>> available_feature_extractors()[:2]
    ['inception', 'mnist_classifier']
    """
    return list(_REGISTRY)


def get_feature_extractor(
    name_or_module: str | nn.Module, weights: str | os.PathLike | None = None
) -> FeatureExtractor:
    """Build a registered extractor by name (``weights``: its file), or wrap any ``nn.Module``.

    >>> class Pixels(nn.Module):  # receives uint8 images, like torchmetrics' custom feature modules
    ...     def forward(self, x):
    ...         return x.float().flatten(1)
    >>> extractor = get_feature_extractor(Pixels())
    >>> extractor(torch.zeros(5, 1, 4, 4, dtype=torch.uint8)).shape, extractor.num_features
    (torch.Size([5, 16]), 16)
    """
    check_feature_extractor_name(name_or_module)
    if isinstance(name_or_module, FeatureExtractor):
        return name_or_module
    if isinstance(name_or_module, nn.Module):
        return ModuleFeatures(name_or_module)
    return _REGISTRY[name_or_module](weights)


def check_feature_extractor_name(name_or_module: object) -> None:
    """Validate a ``feature_extractor`` argument without building (or downloading) anything.

    >>> check_feature_extractor_name("vgg")  # doctest: +ELLIPSIS
    Traceback (most recent call last):
    ...
    ValueError: `feature_extractor` must be one of ['inception', 'mnist_classifier'...] or an nn.Module, got 'vgg'
    """
    if isinstance(name_or_module, nn.Module) or (isinstance(name_or_module, str) and name_or_module in _REGISTRY):
        return
    raise ValueError(f"`feature_extractor` must be one of {list(_REGISTRY)} or an nn.Module, got {name_or_module!r}")


_FILE_HASHES: dict[tuple[str, int, float], str] = {}


def _file_sha256(path: Path) -> str:
    stat = path.stat()
    key = (str(path.resolve()), stat.st_size, stat.st_mtime)
    if key not in _FILE_HASHES:  # hashing 96 MB costs ~0.3 s: once per file version
        digest = hashlib.sha256()
        with open(path, "rb") as handle:
            for block in iter(lambda: handle.read(1 << 20), b""):
                digest.update(block)
        _FILE_HASHES[key] = digest.hexdigest()
    return _FILE_HASHES[key]
