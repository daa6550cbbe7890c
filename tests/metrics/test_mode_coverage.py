"""MixtureModeCoverage on planted samples: exact mode counts, high-quality fractions and closed-form reverse KL."""

from __future__ import annotations

import math

import pytest
import torch

from lightning_gans.data.toy import MIXTURE_STD, ToyDataModule, mixture_centers
from lightning_gans.metrics.mode_coverage import MixtureModeCoverage, kl_to_uniform

RING = mixture_centers("ring")  # (8, 2), radius 1
STD = 0.01


def _around(center: torch.Tensor, count: int, distance: float, seed: int) -> torch.Tensor:
    """``count`` points at exactly ``distance`` from ``center``, in random directions: (count, 2)."""
    angle = torch.rand(count, generator=torch.Generator().manual_seed(seed)) * 2 * math.pi
    return center + distance * torch.stack([torch.cos(angle), torch.sin(angle)], dim=1)


def _planted(per_mode: dict[int, int], off_mode: int) -> torch.Tensor:
    """High-quality points (within 2 std) at the given modes, plus ``off_mode`` points far from every mode."""
    parts = [_around(RING[k], n, 2 * STD, seed=k) for k, n in per_mode.items()]
    # Radius 0.5 is 0.5 = 50 std away from every ring centre.
    parts.append(_around(torch.zeros(2), off_mode, 0.5, seed=99))
    samples = torch.cat(parts)
    return samples[torch.randperm(len(samples), generator=torch.Generator().manual_seed(0))]


def _closed_form_kl(counts: list[int], num_modes: int) -> float:
    total = sum(counts)
    return sum(c / total * math.log(num_modes * c / total) for c in counts if c > 0)


@pytest.mark.parametrize("k", [1, 3, 5, 8])
def test_planted_modes_fraction_and_reverse_kl(k: int) -> None:
    per_mode = {mode: 20 * (mode + 1) for mode in range(k)}  # unequal histogram 20, 40, ...
    hq = sum(per_mode.values())
    off = hq // 4  # exactly 20% of all samples off-mode
    metric = MixtureModeCoverage(RING, std=STD)
    metric.update(_planted(per_mode, off))
    result = metric.compute()
    assert int(result["modes"]) == k
    assert float(result["high_quality"]) == pytest.approx(hq / (hq + off), abs=1e-6)
    assert float(result["high_quality"]) == pytest.approx(0.8, abs=1e-6)
    assert float(result["reverse_kl"]) == pytest.approx(_closed_form_kl(list(per_mode.values()), 8), abs=1e-6)


def test_mode_is_covered_only_by_high_quality_samples() -> None:
    # Mode 0 gets a point at 2.9 std (high quality); mode 1 only points at 3.1 std (not high quality).
    samples = torch.cat([_around(RING[0], 1, 2.9 * STD, seed=1), _around(RING[1], 5, 3.1 * STD, seed=2)])
    result = MixtureModeCoverage(RING, std=STD)(samples)  # forward = update + compute on this batch
    assert int(result["modes"]) == 1
    assert float(result["high_quality"]) == pytest.approx(1 / 6)
    assert float(result["reverse_kl"]) == pytest.approx(math.log(8))  # all HQ mass in one of 8 modes


def test_uniform_and_collapsed_extremes_and_no_high_quality() -> None:
    uniform = torch.cat([_around(RING[k], 25, STD, seed=k) for k in range(8)])
    assert float(MixtureModeCoverage(RING, std=STD)(uniform)["reverse_kl"]) == pytest.approx(0.0, abs=1e-12)
    far = _around(torch.zeros(2), 10, 0.5, seed=3)
    result = MixtureModeCoverage(RING, std=STD)(far)
    assert int(result["modes"]) == 0 and float(result["high_quality"]) == 0.0
    assert math.isnan(float(result["reverse_kl"]))


def test_batches_accumulate_and_states_sum_like_ddp() -> None:
    samples = _planted({0: 7, 2: 30, 5: 11}, off_mode=13)
    whole = MixtureModeCoverage(RING, std=STD)
    whole.update(samples)
    # Two "ranks" each see half; the sum-reduced states give the result of the whole set.
    rank0, rank1 = MixtureModeCoverage(RING, std=STD), MixtureModeCoverage(RING, std=STD)
    rank0.update(samples[:20])
    rank1.update(samples[20:40])
    rank1.update(samples[40:])
    rank0.merge_state(rank1)
    assert torch.equal(rank0.counts, whole.counts) and int(rank0.total) == len(samples)
    assert {k: float(v) for k, v in rank0.compute().items()} == {k: float(v) for k, v in whole.compute().items()}


def test_grid_for_mixture_and_agreement_with_toy_data() -> None:
    for kind in ("ring", "grid"):
        data = ToyDataModule(kind)
        assert torch.allclose(mixture_centers(kind), data.mode_centers, atol=1e-6)
        assert MIXTURE_STD[kind] == data.std
    metric = MixtureModeCoverage.for_mixture("grid")
    # Real data from the toy module: every one of the 25 modes covered, ~99.9% within 3 std, KL near 0.
    result = metric(ToyDataModule("grid").sample(2500, seed=0))
    assert int(result["modes"]) == 25
    assert float(result["high_quality"]) > 0.98
    assert float(result["reverse_kl"]) < 0.02


def test_kl_to_uniform_closed_form() -> None:
    assert kl_to_uniform(torch.tensor([3, 1, 0, 0])) == pytest.approx(0.75 * math.log(3) + 0.25 * math.log(1))
    assert kl_to_uniform(torch.tensor([2, 2])) == 0.0


def test_bad_arguments_are_named() -> None:
    with pytest.raises(ValueError, match="`centers`"):
        MixtureModeCoverage(torch.zeros(8), std=0.1)
    with pytest.raises(ValueError, match="`std`"):
        MixtureModeCoverage(RING, std=0.0)
    with pytest.raises(ValueError, match="`samples`"):
        MixtureModeCoverage(RING, std=STD).update(torch.zeros(4, 3))
    with pytest.raises(ValueError, match="dataset must be one of"):
        MixtureModeCoverage.for_mixture("spiral")
