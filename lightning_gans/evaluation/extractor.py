"""The base class of every feature extractor (its own module: the registry in ``features.py`` builds extractors that
live in modules importing this one, such as ``inception.py``)."""

from __future__ import annotations

import torch  # noqa: F401  (the doctest below uses it)
from torch import Tensor, nn


class FeatureExtractor(nn.Module):
    """Base class: samples in ``[-1, 1]`` in, ``(features, logits or None)`` out, plus provenance for the logs.

    Subclasses set ``name``, ``num_features``, ``weights_sha256`` and ``resize`` and implement :meth:`extract`.

    >>> class MeanGrey(FeatureExtractor):
    ...     name, num_features = "mean-grey", 1
    ...     def extract(self, samples):
    ...         return samples.mean(dim=(1, 2, 3)).unsqueeze(1), None
    >>> MeanGrey()(torch.full((2, 1, 4, 4), 0.5)).tolist(), MeanGrey().provides_logits
    ([[0.5], [0.5]], False)
    """

    name: str = "custom"
    num_features: int | None = None
    num_classes: int | None = None
    weights_sha256: str | None = None
    resize: str = "none"

    def extract(self, samples: Tensor) -> tuple[Tensor, Tensor | None]:
        """Features ``(N, num_features)`` and logits ``(N, K)`` (or ``None``) for samples in ``[-1, 1]``."""
        raise NotImplementedError

    def forward(self, samples: Tensor) -> Tensor:
        """Features only (what the health monitor's diversity measure and torchmetrics' ``feature=`` expect)."""
        return self.extract(samples)[0]

    def train(self, mode: bool = True) -> FeatureExtractor:
        # A frozen metric network never leaves eval mode (dropout / batch-norm statistics stay fixed).
        return super().train(False)

    @property
    def provides_logits(self) -> bool:
        """Whether :meth:`extract` returns logits (needed for the Inception Score)."""
        return self.num_classes is not None

    def why_no_logits(self) -> str:
        """The error message for asking this extractor for the Inception Score without logits."""
        return f"the feature extractor {self.name!r} gives no logits: the Inception Score ('is') needs them"

    def provenance(self) -> dict[str, object]:
        """What a logged number was measured with."""
        return {
            "extractor": self.name,
            "extractor_sha256": self.weights_sha256,
            "resize": self.resize,
            "feature_dim": self.num_features,
        }
