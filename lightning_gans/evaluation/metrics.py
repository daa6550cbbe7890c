"""FID, KID, IS and k-NN precision/recall from features: one computation for the callback and offline evaluation.

:class:`FeatureMetrics` is a torchmetrics ``Metric`` (so it gathers features across DDP ranks) that keeps real
features across :meth:`~FeatureMetrics.reset` and computes every metric with torch-fidelity's own functions, except
KID: torch-fidelity draws its random subsets the same way here, but the polynomial kernel is evaluated once for all
subsets (a subset's kernel sum is ``u^T K v`` with ``u``, ``v`` its 0/1 membership vectors), in float64 and in row
blocks, instead of 100 separate kernel matrices. The values equal torch-fidelity's (tests).
"""

from __future__ import annotations

import warnings
from collections.abc import Sequence
from typing import Any

import numpy as np
import torch
from torch import Tensor
from torchmetrics import Metric
from torchmetrics.utilities import dim_zero_cat

from lightning_gans.checks import check_int
from lightning_gans.metrics.conditional import class_accuracy, intra_fid
from lightning_gans.metrics.precision_recall import NEIGHBORHOOD, knn_precision_recall

__all__ = ["METRICS", "FeatureMetrics", "check_metrics", "check_sample_counts", "kernel_inception_distance"]

METRICS = ("fid", "kid", "is", "pr")
KID_SUBSETS, IS_SPLITS = 100, 10  # torch-fidelity's defaults
PR_NEIGHBORHOOD = NEIGHBORHOOD  # (a name for the callers of this module)


def check_metrics(metrics: Sequence[str]) -> tuple[str, ...]:
    """Validate a ``metrics`` argument: distinct names from :data:`METRICS`.

    >>> check_metrics(["fid", "pr"])
    ('fid', 'pr')
    """
    chosen = (metrics,) if isinstance(metrics, str) else tuple(metrics)
    if not chosen or any(m not in METRICS for m in chosen) or len(set(chosen)) != len(chosen):
        raise ValueError(f"metrics must be distinct names from {METRICS}; got {metrics!r}")
    return chosen


def check_sample_counts(
    metrics: Sequence[str], num_samples: int, kid_subset_size: int, num_features: int | None = None
) -> None:
    """Refuse sample counts a metric cannot use, and warn when FID's covariance cannot be estimated well.

    The minimum per metric: FID and KID 2 (a covariance / an unbiased kernel mean), IS one sample per split
    (:data:`IS_SPLITS`), precision/recall ``k + 1`` (:data:`PR_NEIGHBORHOOD` neighbours besides the point itself).
    FID from fewer samples than feature dimensions uses a singular covariance: the value is strongly biased and
    comparable only with the same count.

    >>> check_sample_counts(("pr",), num_samples=3, kid_subset_size=2)
    Traceback (most recent call last):
    ...
    ValueError: num_samples must be an int >= 4 for precision/recall (k=3 nearest neighbours besides the sample itself), got 3
    """
    check_int("num_samples", num_samples, minimum=2)
    check_int("kid_subset_size", kid_subset_size, minimum=2)
    needs = {
        "is": (IS_SPLITS, f"the Inception Score ({IS_SPLITS} splits of at least one sample)"),
        "pr": (
            PR_NEIGHBORHOOD + 1,
            f"precision/recall (k={PR_NEIGHBORHOOD} nearest neighbours besides the sample itself)",
        ),
    }
    for metric in metrics:
        if metric in needs and num_samples < needs[metric][0]:
            minimum, why = needs[metric]
            raise ValueError(f"num_samples must be an int >= {minimum} for {why}, got {num_samples}")
    if "fid" in metrics and num_features is not None and num_samples <= num_features:
        warnings.warn(
            f"FID from {num_samples} samples of {num_features}-d features: the covariance has rank < the dimension, "
            f"so the value is strongly biased; compare it only with FIDs from the same count (papers use >= 10,000)",
            stacklevel=3,
        )


def _membership(n: int, rows: list[np.ndarray], dtype: torch.dtype) -> Tensor:
    u = torch.zeros(len(rows), n, dtype=dtype)
    u[torch.arange(len(rows)).unsqueeze(1), torch.as_tensor(np.stack(rows))] = 1.0
    return u


def _kernel_sums(a: Tensor, b: Tensor, ua: Tensor, ub: Tensor, block: int = 2048) -> Tensor:
    """``(S,)``: for each subset s, the sum of k(a_i, b_j) over i in ``ua[s]``, j in ``ub[s]``; k = (a.b/d + 1)^3."""
    gamma = 1.0 / a.shape[1]
    sums = torch.zeros(ua.shape[0], dtype=a.dtype)
    for start in range(0, a.shape[0], block):
        kernel = (a[start : start + block] @ b.T * gamma + 1.0) ** 3  # (block, Nb)
        sums += ((ua[:, start : start + block] @ kernel) * ub).sum(dim=1)
    return sums


def kernel_inception_distance(
    fake: Tensor, real: Tensor, subsets: int = KID_SUBSETS, subset_size: int = 1000, seed: int = 0
) -> tuple[float, float]:
    """KID (mean, std over subsets) as torch-fidelity computes it, with all subsets in one batched kernel.

    Subsets are drawn exactly as torch-fidelity draws them (``np.random.RandomState(seed).choice`` without
    replacement, fake then real per subset); the unbiased MMD^2 of the cubic polynomial kernel is averaged.

    >>> x = torch.randn(200, 8, generator=torch.Generator().manual_seed(0))
    >>> mean, std = kernel_inception_distance(x, x + 1.0, subsets=10, subset_size=50)
    >>> round(mean, 2) > 0.1
    True
    """
    n_fake, n_real = len(fake), len(real)
    if subset_size > min(n_fake, n_real):
        raise ValueError(
            f"kid_subset_size must be <= the sample counts ({n_fake} fake, {n_real} real), got {subset_size}"
        )
    rng = np.random.RandomState(seed)
    rows_fake, rows_real = [], []
    for _ in range(subsets):  # the same draws, in the same order, as torch-fidelity's loop
        rows_fake.append(rng.choice(n_fake, subset_size, replace=False))
        rows_real.append(rng.choice(n_real, subset_size, replace=False))
    x, y = fake.detach().cpu().double(), real.detach().cpu().double()
    ux, uy = _membership(n_fake, rows_fake, x.dtype), _membership(n_real, rows_real, y.dtype)
    gamma, m = 1.0 / x.shape[1], subset_size
    diag_x = ux @ ((x * x).sum(1) * gamma + 1.0) ** 3  # k(x_i, x_i) summed over each subset
    diag_y = uy @ ((y * y).sum(1) * gamma + 1.0) ** 3
    xx = _kernel_sums(x, x, ux, ux) - diag_x
    yy = _kernel_sums(y, y, uy, uy) - diag_y
    xy = _kernel_sums(x, y, ux, uy)
    mmd2 = (xx + yy) / (m * (m - 1)) - 2.0 * xy / (m * m)
    return float(mmd2.mean()), float(mmd2.std(unbiased=False))


def _cat(state: list[Tensor] | Tensor) -> Tensor | None:
    """A list state (or, after a DDP sync, its concatenation) as one CPU tensor; ``None`` when empty."""
    if isinstance(state, Tensor):
        return state.cpu()
    return dim_zero_cat(state).cpu() if len(state) else None


class FeatureMetrics(Metric):
    """FID / KID / IS / precision-recall from features fed with :meth:`update`; real features survive :meth:`reset`.

    Args:
        metrics: any of :data:`METRICS`.
        kid_subset_size: KID subset size (capped at the sample counts when computing).
        seed: torch-fidelity's ``rng_seed`` for KID subsets and the IS shuffle.

        num_classes: for a conditional generator: with labels given to :meth:`update`, adds ``intra_fid`` (FID
            within each class, averaged over classes).
        class_accuracy: also ``class_accuracy``: the share of generated samples whose logits (from a classifier
            over the same classes, e.g. the MNIST classifier) pick the requested class.

    :meth:`compute` returns floats: ``fid``, ``kid`` and ``kid_std``, ``is`` and ``is_std``, ``precision`` and
    ``recall`` (those asked for), and the conditional ones above.

    >>> metric = FeatureMetrics(("fid", "pr"))
    >>> features = torch.randn(64, 4, generator=torch.Generator().manual_seed(0))
    >>> metric.update(features, real=True)
    >>> metric.update(features, real=False)
    >>> values = metric.compute()
    >>> round(values["fid"], 6) + 0.0, values["precision"], values["recall"]
    (0.0, 1.0, 1.0)
    """

    full_state_update = False

    def __init__(
        self,
        metrics: Sequence[str] = METRICS,
        kid_subset_size: int = 1000,
        seed: int = 0,
        num_classes: int | None = None,
        class_accuracy: bool = False,
        **kwargs: Any,
    ) -> None:
        super().__init__(**kwargs)  # torchmetrics' options, e.g. sync_on_compute
        self.metrics = check_metrics(metrics)
        self.kid_subset_size = check_int("kid_subset_size", kid_subset_size, minimum=2)
        self.seed = seed
        self.num_classes = None if num_classes is None else check_int("num_classes", num_classes, minimum=1)
        self.class_accuracy = class_accuracy
        for name in ("real_features", "fake_features", "fake_logits", "real_labels", "fake_labels"):
            self.add_state(name, [], dist_reduce_fx="cat")

    def update(self, features: Tensor, real: bool, logits: Tensor | None = None, labels: Tensor | None = None) -> None:
        """Add features ``(N, D)`` of real or generated samples (the generated samples' logits, for IS and class
        accuracy; class labels ``(N,)`` for the conditional metrics)."""
        (self.real_features if real else self.fake_features).append(features.detach().float())
        if not real and logits is not None:
            self.fake_logits.append(logits.detach().float())
        if labels is not None:
            (self.real_labels if real else self.fake_labels).append(labels.detach().long().to(features.device))

    def compute(self) -> dict[str, float]:
        from torch_fidelity.metric_fid import fid_features_to_statistics, fid_statistics_to_metric
        from torch_fidelity.metric_isc import isc_features_to_metric

        fake, real = _cat(self.fake_features), _cat(self.real_features)
        values: dict[str, float] = {}
        if "fid" in self.metrics:
            stats = fid_features_to_statistics(fake), fid_features_to_statistics(real)
            values["fid"] = fid_statistics_to_metric(*stats, verbose=False)["frechet_inception_distance"]
        if "kid" in self.metrics:
            size = min(self.kid_subset_size, len(fake), len(real))
            values["kid"], values["kid_std"] = kernel_inception_distance(fake, real, KID_SUBSETS, size, self.seed)
        if "is" in self.metrics:
            logits = _cat(self.fake_logits)
            score = isc_features_to_metric(logits, IS_SPLITS, True, self.seed)
            values["is"], values["is_std"] = score["inception_score_mean"], score["inception_score_std"]
        if "pr" in self.metrics:
            values["precision"], values["recall"] = knn_precision_recall(fake, real)
        fake_labels, real_labels = _cat(self.fake_labels), _cat(self.real_labels)
        if self.num_classes and fake_labels is not None and real_labels is not None:
            per_class = intra_fid(fake, fake_labels, real, real_labels, self.num_classes)
            values["intra_fid"] = float(per_class.nanmean())
        if self.num_classes and self.class_accuracy and fake_labels is not None:
            values["class_accuracy"] = class_accuracy(_cat(self.fake_logits), fake_labels)
        return {key: float(value) for key, value in values.items()}

    def reset(self) -> None:
        real = list(self.real_features), list(self.real_labels)  # Metric.reset() clears list states in place
        super().reset()
        self.real_features, self.real_labels = real

    @property
    def num_real(self) -> int:
        """Real features held (on this process)."""
        state = self.real_features
        return len(state) if isinstance(state, Tensor) else sum(len(f) for f in state)
