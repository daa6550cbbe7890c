"""Feature extractors: the one thing that ``feature_extractor=`` means, in every callback and in offline evaluation.

A *feature extractor spec* is one of

- a registered name: ``"inception"`` (torch-fidelity's FID Inception-v3, weights found by
  :func:`~lightning_gans.evaluation.inception.inception_weights`), ``"mnist_classifier"`` (the digit classifier of
  :mod:`lightning_gans.metrics.classifier`; its weights file is required), or a name added with
  :func:`register_feature_extractor`;
- a :class:`FeatureExtractor`;
- any ``nn.Module``, or a bound method of one, mapping samples in the library's convention (float, images
  ``(N, C, H, W)`` in ``[-1, 1]`` or vectors ``(N, D)``) to features ``(N, F)``; a ``logits(samples)`` method on
  the module enables the Inception Score.

:func:`get_feature_extractor` turns a spec into a :class:`FeatureExtractor`, whose :meth:`~FeatureExtractor.extract`
returns features and class logits (or ``None``) from one pass; :func:`extract_features` runs it over many samples in
batches, with images first put on the 8-bit grid an image file would hold (as the papers' code sees them).
"""

from __future__ import annotations

import os
from collections.abc import Callable

import torch
from torch import Tensor, nn

from lightning_gans.convert import to_uint8
from lightning_gans.evaluation.extractor import FeatureExtractor
from lightning_gans.metrics.classifier import weights_sha256

__all__ = [
    "FeatureExtractor",
    "ClassifierFeatures",
    "ModuleFeatures",
    "get_feature_extractor",
    "register_feature_extractor",
    "available_feature_extractors",
    "check_feature_extractor",
    "extract_features",
    "quantize",
]

MNIST_CLASSIFIER_ENV = "LIGHTNING_GANS_MNIST_CLASSIFIER"


def quantize(samples: Tensor) -> Tensor:
    """Images ``(N, C, H, W)`` put on the 8-bit grid (what a PNG holds), still as floats in ``[-1, 1]``.

    Other samples (vectors) pass unchanged.

    >>> quantize(torch.tensor([[[[0.001, 1.2]]]]))
    tensor([[[[0.0039, 1.0000]]]])
    """
    return to_uint8(samples).float() / 127.5 - 1.0 if samples.dim() == 4 else samples.float()


@torch.no_grad()
def extract_features(
    extractor: FeatureExtractor, samples: Tensor, batch_size: int = 128, device: torch.device | None = None
) -> tuple[Tensor, Tensor | None]:
    """Features and logits of ``samples`` (quantized first, see :func:`quantize`) in batches, on ``device``.

    >>> class Flat(FeatureExtractor):
    ...     name, num_features = "flat", 4
    ...     def extract(self, samples):
    ...         return samples.flatten(1), None
    >>> features, logits = extract_features(Flat(), torch.zeros(5, 1, 2, 2), batch_size=2)
    >>> features.shape, logits
    (torch.Size([5, 4]), None)
    """
    device = device or samples.device
    features, logits = [], []
    with torch.autocast(device.type, enabled=False):
        for chunk in samples.split(batch_size):
            f, lg = extractor.extract(quantize(chunk.to(device)))
            features.append(f.float())
            logits.append(None if lg is None else lg.float())
    return torch.cat(features), None if logits[0] is None else torch.cat(logits)


class ClassifierFeatures(FeatureExtractor):
    """A domain classifier (``features(x)`` -> ``(N, D)``, ``forward(x)`` -> logits) on images in ``[-1, 1]``.

    RGB inputs are averaged to one channel when the classifier reads grey images (exact for grey images stored as
    RGB). A ``head`` submodule, when the classifier has one, must map features to logits (``forward(x) ==
    head(features(x))``, as in :class:`~lightning_gans.metrics.classifier.MNISTClassifier`): the logits then come
    from the same pass.

    >>> class Tiny(nn.Module):
    ...     def features(self, x):
    ...         return x.flatten(1)[:, :3]
    ...     def forward(self, x):
    ...         return self.features(x)
    >>> extractor = ClassifierFeatures(Tiny(), name="tiny", num_features=3, num_classes=3)
    >>> extractor.extract(torch.ones(2, 1, 4, 4))[0]
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
    def extract(self, samples: Tensor) -> tuple[Tensor, Tensor | None]:
        x = samples.float()
        if self.channels == 1 and x.dim() == 4 and x.shape[1] == 3:
            x = x.mean(dim=1, keepdim=True)
        with torch.autocast(x.device.type, enabled=False):
            features = self.classifier.features(x)
            head = getattr(self.classifier, "head", None)
            logits = head(features) if isinstance(head, nn.Module) else self.classifier(x)
        return features.float(), logits.float()


class ModuleFeatures(FeatureExtractor):
    """Any ``nn.Module`` (or bound method of one) mapping samples in ``[-1, 1]`` to features ``(N, F)``.

    The module's optional ``logits(samples)`` enables IS. ``num_features`` is read from the module (torchmetrics'
    convention) or from its first output.

    >>> class Mean(nn.Module):
    ...     num_features = 1
    ...     def forward(self, x):
    ...         return x.mean(dim=(1, 2, 3)).unsqueeze(1)
    >>> extractor = ModuleFeatures(Mean())
    >>> extractor(torch.full((2, 3, 4, 4), 0.25)).tolist(), extractor.name
    ([[0.25], [0.25]], 'Mean')
    """

    def __init__(self, module: nn.Module | Callable[[Tensor], Tensor], name: str | None = None) -> None:
        super().__init__()
        owner = getattr(module, "__self__", module)  # a bound method: its module holds the weights
        if not isinstance(owner, nn.Module):
            raise TypeError(
                "`feature_extractor` must be a registered name, an nn.Module or a method of one mapping samples to "
                f"features, got {type(module).__name__}"
            )
        self.owner = owner  # left as the caller has it: put in eval mode only for the duration of each pass
        self.function = module
        self.name = name or (type(owner).__name__ + ("" if owner is module else f".{module.__name__}"))
        num = getattr(owner, "num_features", None)
        self.num_features = int(num.item() if isinstance(num, Tensor) else num) if num is not None else None
        self._logits = getattr(owner, "logits", None)
        self.num_classes = getattr(owner, "num_classes", None) if callable(self._logits) else None
        self.weights_sha256 = weights_sha256(owner.state_dict())

    @property
    def provides_logits(self) -> bool:
        return callable(self._logits)

    @torch.no_grad()
    def extract(self, samples: Tensor) -> tuple[Tensor, Tensor | None]:
        was_training = self.owner.training
        self.owner.eval()  # fixed BatchNorm statistics and no dropout while measuring
        try:
            features = self.function(samples)
            logits = self._logits(samples) if callable(self._logits) else None
        finally:
            self.owner.train(was_training)
        if features.dim() != 2 or features.shape[0] != samples.shape[0]:
            raise ValueError(f"{self.name} must return features (N, D) for N samples, got {tuple(features.shape)}")
        self.num_features = self.num_features or features.shape[1]
        if logits is not None and self.num_classes is None:
            self.num_classes = logits.shape[1]
        return features.float(), None if logits is None else logits.float()


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
    return ClassifierFeatures(classifier, name="mnist_classifier", num_features=classifier.feature_dim, num_classes=10)


def _inception(weights: str | os.PathLike | None) -> FeatureExtractor:
    # Imported here: the Inception module builds on this one's FeatureExtractor.
    from lightning_gans.evaluation.inception import InceptionV3Features

    return InceptionV3Features(weights)


_REGISTRY: dict[str, Callable[[str | os.PathLike | None], FeatureExtractor]] = {
    "inception": _inception,
    "mnist_classifier": _mnist_classifier,
}


def register_feature_extractor(name: str, factory: Callable[[str | os.PathLike | None], FeatureExtractor]) -> None:
    """Add ``name`` to the registry; ``factory(weights)`` must return a :class:`FeatureExtractor`.

    >>> register_feature_extractor("flat", lambda weights: ModuleFeatures(nn.Flatten()))
    >>> "flat" in available_feature_extractors()
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


def check_feature_extractor(spec: object) -> None:
    """Validate a ``feature_extractor`` spec without building (or downloading) anything.

    >>> check_feature_extractor("vgg")  # doctest: +ELLIPSIS
    Traceback (most recent call last):
    ...
    ValueError: feature_extractor must be one of ['inception', 'mnist_classifier'...], an nn.Module or a method of one; got 'vgg'
    """
    if isinstance(spec, str):
        if spec not in _REGISTRY:
            raise ValueError(
                f"feature_extractor must be one of {list(_REGISTRY)}, an nn.Module or a method of one; got {spec!r}"
            )
        return
    if not isinstance(getattr(spec, "__self__", spec), nn.Module):
        raise TypeError(
            "feature_extractor must be a registered name, an nn.Module or a method of one; got "
            f"{spec!r} ({type(spec).__name__})"
        )


def get_feature_extractor(
    spec: str | nn.Module | Callable[[Tensor], Tensor], weights: str | os.PathLike | None = None
) -> FeatureExtractor:
    """Build a registered extractor by name (``weights``: its file), or wrap a module / method of one.

    >>> class Pixels(nn.Module):
    ...     def forward(self, x):
    ...         return x.flatten(1)
    >>> extractor = get_feature_extractor(Pixels())
    >>> extractor(torch.zeros(5, 1, 4, 4)).shape, extractor.num_features
    (torch.Size([5, 16]), 16)
    """
    check_feature_extractor(spec)
    if isinstance(spec, FeatureExtractor):
        return spec
    if isinstance(spec, str):
        return _REGISTRY[spec](weights)
    extractor = ModuleFeatures(spec)
    return extractor
