"""Evaluate a trained generator (or a tensor of samples) against real images, outside training.

The same computation as :class:`~lightning_gans.callbacks.EvaluationCallback`: samples drawn with
:func:`~lightning_gans.sampling.sample_from`, features from :func:`~lightning_gans.evaluation.get_feature_extractor`,
metrics from :class:`~lightning_gans.evaluation.FeatureMetrics` (torch-fidelity's functions), so a number logged
during training and one computed afterwards with the same settings are the same number.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Sequence

import torch
from torch import Tensor, nn
from torch.utils.data import DataLoader, Dataset

from lightning_gans.checks import check_int
from lightning_gans.evaluation.features import check_feature_extractor, extract_features, get_feature_extractor
from lightning_gans.evaluation.metrics import METRICS, FeatureMetrics, check_metrics, check_sample_counts
from lightning_gans.evaluation.real import real_batches, summarize_real
from lightning_gans.sampling import check_can_sample, sample_from

__all__ = ["evaluate_generator"]


def evaluate_generator(
    generator: nn.Module | Tensor,
    real: Dataset | DataLoader | Tensor | str | os.PathLike | None,
    num_samples: int = 50_000,
    metrics: Sequence[str] = METRICS,
    feature_extractor: str | nn.Module | Callable[[Tensor], Tensor] = "inception",
    extractor_weights: str | os.PathLike | None = None,
    batch_size: int = 64,
    seed: int = 0,
    kid_subset_size: int = 1000,
) -> dict[str, object]:
    """FID / KID / IS / precision-recall of ``generator`` against ``real``.

    Args:
        generator: a module following the sampling protocol of :mod:`lightning_gans.sampling` (our GAN samples with
            its EMA weights when it has them), or a tensor of samples ``(N, C, H, W)`` in ``[-1, 1]``.
        real: real images in ``[-1, 1]``: a ``Dataset`` (items ``image`` or ``(image, ...)``), a ``DataLoader``, a
            tensor, or a folder of PNG/JPEG files; the first ``num_samples`` are used. ``None`` only for
            ``metrics=("is",)``.
        num_samples: generated samples, and real images used at most (50k is the usual paper setting).
        metrics: any of ``"fid"``, ``"kid"``, ``"is"``, ``"pr"``.
        feature_extractor: a feature extractor spec (see :mod:`lightning_gans.evaluation.features`);
            extractor_weights: the weights file of a named extractor.
        batch_size: samples per generator / feature pass.
        seed: the sampling seed, KID subsets and IS shuffle (torch-fidelity's ``rng_seed``).
        kid_subset_size: KID subset size, capped at the sample counts.

    Conditional modules (``num_classes`` set) are sampled class-balanced and also get ``intra_fid`` (when ``real``
    has labels) and ``class_accuracy`` (when the extractor classifies the same classes).

    Returns:
        ``{"fid", "kid", "kid_std", "is", "is_std", "precision", "recall"}`` (those computed) as floats, and
        ``"provenance"``: extractor, weights sha256, resize, sample counts, seed.

    >>> class Mean(nn.Module):
    ...     def forward(self, x):
    ...         return x.mean(dim=(2, 3))
    >>> real = torch.rand(64, 2, 4, 4, generator=torch.Generator().manual_seed(0)) * 2 - 1
    >>> result = evaluate_generator(real, real, num_samples=64, metrics=("fid",), feature_extractor=Mean())
    >>> round(result["fid"], 6) + 0.0, result["provenance"]["num_real"]
    (0.0, 64)
    """
    chosen = check_metrics(metrics)
    check_feature_extractor(feature_extractor)
    check_int("batch_size", batch_size, minimum=1)
    check_sample_counts(chosen, num_samples, kid_subset_size)
    if real is None and chosen != ("is",):
        raise ValueError(f"real is needed for {[m for m in chosen if m != 'is']}; got None")
    extractor = get_feature_extractor(feature_extractor, extractor_weights)
    if "is" in chosen and not extractor.provides_logits:
        raise ValueError(extractor.why_no_logits())
    num_classes, labels = None, None
    if isinstance(generator, Tensor):
        if generator.dim() < 2 or len(generator) < num_samples:
            raise ValueError(
                f"generator as a tensor must hold >= num_samples={num_samples} samples, got shape "
                f"{tuple(generator.shape)}"
            )
        fake, device = generator[:num_samples], generator.device
    elif isinstance(generator, nn.Module):
        check_can_sample(generator, "evaluate_generator")
        num_classes = getattr(generator, "num_classes", None) or None
        labels = torch.arange(num_samples) % num_classes if num_classes else None  # class-balanced, as in training
        fake = sample_from(generator, num_samples, seed=seed, labels=labels, batch_size=batch_size)
        device = fake.device
    else:
        raise TypeError(
            f"generator must be a tensor of samples or a module that can be sampled, got {type(generator).__name__}"
        )
    extractor = extractor.to(device)
    fake_features, fake_logits = extract_features(extractor, fake, batch_size, device)
    check_sample_counts(chosen, num_samples, kid_subset_size, fake_features.shape[1])
    accuracy = bool(num_classes) and extractor.num_classes == num_classes
    # Every sample is in this process: no gathering from other ranks (a rank-zero-only caller under DDP would hang).
    metric = FeatureMetrics(
        chosen, kid_subset_size, seed, num_classes=num_classes, class_accuracy=accuracy, sync_on_compute=False
    )
    metric.update(fake_features, real=False, logits=fake_logits, labels=labels)
    num_real = None
    if real is not None:
        summary = summarize_real(extractor, real_batches(real, num_samples, batch_size), batch_size, device)
        metric.update(summary["features"], real=True, labels=summary.get("labels"))
        num_real = len(summary["features"])
    values: dict[str, object] = dict(metric.compute())
    values["provenance"] = {
        **extractor.provenance(),
        "num_fake": num_samples,
        "num_real": num_real,
        "seed": seed,
        "kid_subset_size": min(kid_subset_size, num_samples, num_real or num_samples) if "kid" in chosen else None,
        "implementation": "lightning_gans.evaluation (torch-fidelity's FID/IS/PR functions, batched KID)",
    }
    return values
