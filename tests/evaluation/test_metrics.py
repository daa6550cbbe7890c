"""FID / KID / IS / precision-recall from features: equal to torch-fidelity's, and counts checked up front."""

from __future__ import annotations

import time

import pytest
import torch

from lightning_gans.evaluation import FeatureMetrics, kernel_inception_distance
from lightning_gans.evaluation.metrics import check_sample_counts


def _features(n: int, d: int, seed: int, shift: float = 0.0) -> torch.Tensor:
    return torch.randn(n, d, generator=torch.Generator().manual_seed(seed)) + shift


@pytest.mark.parametrize(
    ("n_fake", "n_real", "dim", "subset_size", "shift"),
    [(300, 400, 16, 100, 0.3), (200, 200, 64, 200, 0.0), (150, 120, 2048, 50, 0.1)],
)
def test_batched_kid_equals_torch_fidelity_on_the_same_features(n_fake, n_real, dim, subset_size, shift) -> None:
    from torch_fidelity.metric_kid import kid_features_to_metric

    fake, real = _features(n_fake, dim, 0, shift), _features(n_real, dim, 1)
    start = time.perf_counter()
    mean, std = kernel_inception_distance(fake, real, subsets=100, subset_size=subset_size, seed=3)
    ours = time.perf_counter() - start
    start = time.perf_counter()
    reference = kid_features_to_metric(
        fake,
        real,
        kid_subsets=100,
        kid_subset_size=subset_size,
        rng_seed=3,
        verbose=False,
        kid_kernel="poly",
        kid_kernel_poly_degree=3,
        kid_kernel_poly_gamma=None,
        kid_kernel_poly_coef0=1,
    )
    theirs = time.perf_counter() - start
    print(
        f"KID {mean:.6g} vs torch-fidelity {reference['kernel_inception_distance_mean']:.6g}; {ours:.3f}s vs {theirs:.3f}s"
    )
    scale = max(abs(reference["kernel_inception_distance_mean"]), reference["kernel_inception_distance_std"])
    assert mean == pytest.approx(reference["kernel_inception_distance_mean"], rel=1e-3, abs=1e-3 * scale)
    assert std == pytest.approx(reference["kernel_inception_distance_std"], rel=1e-3, abs=1e-3 * scale)


def test_feature_metrics_equal_torch_fidelitys_functions_and_keep_real_features() -> None:
    from torch_fidelity.metric_fid import fid_features_to_statistics, fid_statistics_to_metric
    from torch_fidelity.metric_isc import isc_features_to_metric
    from torch_fidelity.metric_prc import calculate_precision_recall_full

    real, fake, logits = _features(120, 6, 0), _features(100, 6, 1, 0.5), _features(100, 5, 2)
    metric = FeatureMetrics(kid_subset_size=50, seed=7)
    metric.update(real[:60], real=True)
    metric.update(real[60:], real=True)
    metric.update(fake, real=False, logits=logits)
    values = metric.compute()
    fid = fid_statistics_to_metric(fid_features_to_statistics(fake), fid_features_to_statistics(real), False)
    assert values["fid"] == pytest.approx(fid["frechet_inception_distance"], rel=1e-9)
    assert values["is"] == pytest.approx(isc_features_to_metric(logits, 10, True, 7)["inception_score_mean"])
    assert (values["precision"], values["recall"]) == calculate_precision_recall_full(fake, real, 3)
    assert values["kid"] == pytest.approx(kernel_inception_distance(fake, real, 100, 50, 7)[0])
    metric.reset()
    assert metric.num_real == 120  # real features survive, generated ones go
    metric.update(real, real=False, logits=logits)
    assert metric.compute()["fid"] == pytest.approx(0.0, abs=1e-6)


def test_sample_counts_are_checked_per_metric() -> None:
    with pytest.raises(ValueError, match="precision/recall"):
        check_sample_counts(("pr",), num_samples=3, kid_subset_size=2)
    with pytest.raises(ValueError, match="Inception Score"):
        check_sample_counts(("is",), num_samples=9, kid_subset_size=2)
    with pytest.raises(ValueError, match="kid_subset_size"):
        check_sample_counts(("kid",), num_samples=100, kid_subset_size=1)
    with pytest.warns(UserWarning, match="FID from 10 samples of 2048-d"):
        check_sample_counts(("fid",), num_samples=10, kid_subset_size=2, num_features=2048)
    check_sample_counts(("fid", "pr", "is"), num_samples=10, kid_subset_size=2, num_features=8)  # enough: silent
