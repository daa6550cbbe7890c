"""Closed-form checks of the signals behind GANHealthMonitor."""

from __future__ import annotations

import math

import pytest
import torch
from torch import nn

from lightning_gans.callbacks.health.signals import (
    GradNormTracker,
    class_histogram,
    histogram_entropy,
    layer_of,
    mean_pairwise_distance,
    modes_seen,
    saturation,
    separation_auc,
)
from lightning_gans.metrics import knn_precision_recall


def test_mean_pairwise_distance_of_known_batches():
    triangle = torch.tensor([[0.0, 0.0], [2.0, 0.0], [1.0, math.sqrt(3.0)]])  # equilateral, side 2
    assert mean_pairwise_distance(triangle) == pytest.approx(2.0, rel=1e-6)
    square = torch.tensor([[0.0, 0.0], [1.0, 0.0], [0.0, 1.0], [1.0, 1.0]])  # 4 sides of 1, 2 diagonals of sqrt 2
    assert mean_pairwise_distance(square) == pytest.approx((4 + 2 * math.sqrt(2)) / 6, rel=1e-6)
    # Images are flattened: two 1x2x2 images differing by 1 in every pixel are sqrt(4) = 2 apart.
    assert mean_pairwise_distance(torch.stack([torch.zeros(1, 2, 2), torch.ones(1, 2, 2)])) == pytest.approx(2.0)


def test_mean_pairwise_distance_of_a_collapsed_batch_is_zero_even_far_from_the_origin():
    collapsed = torch.full((64, 3, 8, 8), 0.7) + torch.randn(1, 3, 8, 8)  # identical samples with large norm
    assert float(mean_pairwise_distance(collapsed)) == pytest.approx(0.0, abs=1e-5)


def test_mean_pairwise_distance_rejects_a_single_sample():
    with pytest.raises(ValueError, match="at least 2 samples"):
        mean_pairwise_distance(torch.zeros(1, 2))
    with pytest.raises(TypeError, match="x must be a Tensor"):
        mean_pairwise_distance([[0.0, 1.0]])


def test_saturation_counts_confident_correct_decisions():
    cut = math.log(0.98 / 0.02)  # sigmoid(cut) = 0.98
    real = torch.tensor([cut + 0.01, cut - 0.01, 50.0, -50.0])  # 2 of 4 reals judged real with > 98 %
    fake = torch.tensor([-cut - 0.01, -50.0, 0.0, 50.0])  # 2 of 4 fakes judged fake with > 98 %
    assert float(saturation(real, fake, eps=0.02)) == pytest.approx(0.5)
    assert float(saturation(torch.full((3,), 9.0), torch.full((5,), -9.0))) == 1.0
    with pytest.raises(ValueError, match=r"eps must be in \(0, 0.5\), got 0.6"):
        saturation(real, fake, eps=0.6)


def test_separation_auc_is_the_fraction_of_correctly_ordered_pairs():
    assert float(separation_auc(torch.tensor([3.0, 4.0]), torch.tensor([1.0, 2.0]))) == 1.0
    assert float(separation_auc(torch.tensor([1.0, 2.0]), torch.tensor([3.0, 4.0]))) == 0.0
    assert float(separation_auc(torch.zeros(4), torch.zeros(3))) == 0.5  # all ties
    # Invariant to the scale and offset of the logits (a Wasserstein critic's drift does not matter).
    real, fake = torch.randn(50), torch.randn(40) + 0.5
    assert separation_auc(real, fake) == separation_auc(3 * real + 100, 3 * fake + 100)


def test_class_histogram_entropy_and_modes_seen():
    logits = torch.eye(4)[torch.tensor([0, 0, 1, 2])]  # predictions 0, 0, 1, 2
    counts = class_histogram(logits)
    assert counts.tolist() == [2, 1, 1, 0]
    # p = (1/2, 1/4, 1/4): H = 1/2 log 2 + 2 * 1/4 log 4 = 1.5 log 2
    assert float(histogram_entropy(counts)) == pytest.approx(1.5 * math.log(2), rel=1e-6)
    assert float(histogram_entropy(torch.tensor([3, 3, 3]))) == pytest.approx(math.log(3), rel=1e-6)
    assert float(histogram_entropy(torch.tensor([0, 9, 0]))) == 0.0
    assert int(modes_seen(counts)) == 3 and int(modes_seen(counts, min_count=2)) == 1
    with pytest.raises(ValueError, match="logits must have shape"):
        class_histogram(torch.zeros(5))


def test_layer_names():
    assert layer_of("body.0.weight") == "body.0"
    assert layer_of("head.parametrizations.weight.original") == "head"
    assert layer_of("shift") == "root"


def test_grad_norm_tracker_means_per_layer_and_total():
    net = nn.Sequential(nn.Linear(2, 2), nn.Linear(2, 1))
    tracker = GradNormTracker(net)
    assert tracker.layer_names == ["0", "1"]
    assert tracker.read_and_reset() is None  # nothing accumulated yet
    for scale in (1.0, 3.0):
        net[0].weight.grad = torch.full((2, 2), scale)  # layer 0: |w| = 2 scale, |b| = 0
        net[0].bias.grad = torch.zeros(2)
        net[1].weight.grad = torch.tensor([[0.0, 0.0]])
        net[1].bias.grad = torch.tensor([1.5 * scale])  # layer 1: 1.5 scale; total sqrt(4 + 2.25) scale = 2.5 scale
        tracker.accumulate()
    summary = tracker.read_and_reset()
    assert summary.steps == 2
    assert summary.layers == pytest.approx({"0": 4.0, "1": 3.0})  # means of (2, 6) and (1.5, 4.5)
    assert summary.total == pytest.approx(5.0)  # mean of (2.5, 7.5)
    assert summary.min_layer == ("1", pytest.approx(3.0))
    assert tracker.read_and_reset() is None  # reset after reading


def test_grad_norm_tracker_skips_non_finite_steps_and_layers_without_gradients():
    net = nn.Sequential(nn.Linear(1, 1, bias=False), nn.Linear(1, 1, bias=False))
    tracker = GradNormTracker(net)
    net[0].weight.grad = torch.tensor([[float("inf")]])  # e.g. an fp16 overflow the grad scaler will skip
    tracker.accumulate()
    net[0].weight.grad = torch.tensor([[2.0]])
    net[1].weight.grad = None  # unused this step: not a zero-gradient layer
    tracker.accumulate()
    summary = tracker.read_and_reset()
    assert summary.steps == 1 and summary.total == 2.0 and summary.layers == {"0": 2.0}


def test_grad_norm_tracker_ignores_frozen_parameters():
    net = nn.Linear(3, 1)
    net.weight.requires_grad_(False)
    assert GradNormTracker(net).layer_names == ["root"]


def precision(fake, real):
    return knn_precision_recall(fake, real)[0]


def test_knn_precision_is_near_one_on_the_data_and_below_the_threshold_between_its_modes():
    from lightning_gans.data.toy import MIXTURE_STD, mixture_centers

    centres = mixture_centers("grid")  # (25, 2)
    g = torch.Generator().manual_seed(0)

    def draw(std: float) -> torch.Tensor:
        return centres[torch.randint(25, (256,), generator=g)] + std * torch.randn(256, 2, generator=g)

    std = MIXTURE_STD["grid"]
    real = draw(std)
    assert precision(draw(std), real) > 0.9  # the data against the data
    assert precision(draw(3 * std), real) < 0.5  # modes 3x wider: smeared, off the data
    assert precision(real + 100.0, real) == 0.0


def test_knn_precision_needs_more_samples_than_neighbours():
    with pytest.raises(ValueError, match="more than neighborhood=3 samples each, got 3 and 10"):
        precision(torch.zeros(3, 2), torch.zeros(10, 2))
