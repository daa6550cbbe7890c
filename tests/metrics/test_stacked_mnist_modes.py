"""StackedMNISTModes: planted labels against closed forms, and the per-channel classification path."""

from __future__ import annotations

import math

import pytest
import torch
from torch import Tensor, nn

from lightning_gans.data.stacked_mnist import stacked_mode_ids
from lightning_gans.metrics.stacked_mnist import StackedMNISTModes


class ValueDigitClassifier(nn.Module):
    """Reads the digit ``d`` from a constant image of value ``-1 + 2 d / 9``; records what it was given."""

    def __init__(self) -> None:
        super().__init__()
        self.register_buffer("levels", torch.linspace(-1, 1, 10))
        self.bn = nn.BatchNorm1d(1)  # lets the test see whether the metric kept the classifier in eval mode
        self.seen: list[tuple[torch.dtype, bool, int, bool]] = []

    def forward(self, x: Tensor) -> Tensor:
        self.seen.append((x.dtype, self.training, x.shape[0], torch.is_grad_enabled()))
        value = x.mean(dim=(1, 2, 3))  # (N,)
        return -(value[:, None] - self.levels[None, :]).abs()  # (N, 10) logits, max at the nearest level


def _images(digits: Tensor, size: int = 28) -> Tensor:
    """(N, 3) digits -> (N, 3, size, size) constant images in [-1, 1]."""
    values = -1 + 2 * digits.float() / 9
    return values[:, :, None, None].expand(-1, -1, size, size).contiguous()


def _closed_form_kl(counts: list[int]) -> float:
    total = sum(counts)
    return sum(c / total * math.log(1000 * c / total) for c in counts if c > 0)


def test_planted_labels_give_closed_form_modes_and_kl() -> None:
    counts = {7: 1, 123: 2, 500: 3, 999: 10}
    ids = torch.cat([torch.full((n,), mode) for mode, n in counts.items()])
    metric = StackedMNISTModes(classifier=None)
    metric.update_labels(ids[:5])
    metric.update(mode_ids=ids[5:])
    result = metric.compute()
    assert int(result["modes"]) == 4
    assert float(result["kl"]) == pytest.approx(_closed_form_kl(list(counts.values())), abs=1e-6)
    # New labels after compute() are not hidden by a cached result.
    metric.update_labels(torch.tensor([1]))
    assert int(metric.compute()["modes"]) == 5


def test_uniform_over_1000_modes_has_zero_kl_and_collapse_has_log_1000() -> None:
    uniform = StackedMNISTModes(None)
    uniform.update_labels(torch.arange(1000).repeat(2))
    result = uniform.compute()
    assert int(result["modes"]) == 1000 and float(result["kl"]) == pytest.approx(0.0, abs=1e-7)
    collapsed = StackedMNISTModes(None)
    collapsed.update_labels(torch.full((50,), 42))
    assert float(collapsed.compute()["kl"]) == pytest.approx(math.log(1000))


def test_each_channel_is_classified_in_order_in_eval_mode_without_autocast() -> None:
    digits = torch.tensor([[1, 2, 3], [0, 0, 7], [9, 8, 0], [4, 4, 4], [1, 2, 3]])
    classifier = ValueDigitClassifier()
    metric = StackedMNISTModes(classifier, batch_size=4)  # 15 channel images -> chunks of 4
    metric.train()  # must not switch the classifier to training mode
    assert torch.equal(metric.classify(_images(digits, size=32)), digits)
    with torch.autocast("cpu", dtype=torch.bfloat16):
        metric.update(_images(digits, size=32))
    assert torch.equal(metric.histogram.nonzero().flatten(), torch.tensor([7, 123, 444, 980]))
    assert int(metric.histogram[123]) == 2
    assert int(metric.compute()["modes"]) == 4
    dtypes, training, sizes, grad = zip(*classifier.seen)
    assert set(dtypes) == {torch.float32} and not any(training) and not any(grad)
    assert max(sizes) == 4


def test_stacked_mode_ids_and_bad_inputs() -> None:
    assert stacked_mode_ids(torch.tensor([[3, 0, 9]])).tolist() == [309]
    with pytest.raises(ValueError, match="`digits`"):
        stacked_mode_ids(torch.tensor([[3, 0, 10]]))
    metric = StackedMNISTModes(None)
    with pytest.raises(ValueError, match="`mode_ids`"):
        metric.update_labels(torch.tensor([1000]))
    with pytest.raises(ValueError, match="exactly one"):
        metric.update()
    with pytest.raises(RuntimeError, match="no classifier"):
        metric.update(torch.zeros(1, 3, 28, 28))
    with pytest.raises(ValueError, match="`images`"):
        StackedMNISTModes(ValueDigitClassifier()).update(torch.zeros(2, 1, 28, 28))
    with pytest.raises(TypeError, match="`classifier`"):
        StackedMNISTModes("mnist.pt")
