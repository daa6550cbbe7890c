"""The signals :class:`~lightning_gans.callbacks.GANHealthMonitor` watches, as plain computations.

Everything here is a pure function of tensors (or, for :class:`GradNormTracker`, of the gradients currently
stored in a network), so each signal can be checked against a closed-form value:

- :func:`mean_pairwise_distance` - the spread of a batch; fake spread / real spread is the *diversity ratio*,
  which falls towards 0 when the generator collapses onto few outputs.
- :func:`saturation` - how many real and fake samples the discriminator classifies with near-certainty; at 1 the
  sigmoid of the discriminator is stuck at 0/1 and a minimax generator receives no gradient.
- :func:`separation_auc` - how well the discriminator tells real from fake, whatever its logits' scale.
- :func:`~lightning_gans.metrics.knn_precision_recall`'s precision - the share of fakes that lie on the data (inside a real sample's k-NN ball); it falls when
  the fakes smear between the data's modes.
- :func:`class_histogram`, :func:`histogram_entropy`, :func:`modes_seen` - the class spread of samples under a
  classifier.
- :class:`GradNormTracker` - per-layer and total gradient L2 norms, accumulated on the device and read once.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import torch
from torch import Tensor, nn


def mean_pairwise_distance(x: Tensor) -> Tensor:
    """Mean Euclidean distance over all ordered pairs ``i != j`` of the samples of ``x`` (flattened).

    ``x`` has shape ``(N, ...)`` with ``N >= 2``; every sample is flattened to a vector first, so images and
    feature maps work alike. The result is a 0-d float32 tensor on ``x``'s device.

    >>> mean_pairwise_distance(torch.tensor([[0.0, 0.0], [3.0, 4.0]]))
    tensor(5.)
    >>> mean_pairwise_distance(torch.ones(4, 1, 2, 2))  # a collapsed batch has no spread
    tensor(0.)
    """
    if not isinstance(x, Tensor):
        raise TypeError(f"x must be a Tensor of shape (N, ...), got {type(x).__name__}")
    if x.ndim < 1 or x.shape[0] < 2:
        raise ValueError(f"x must hold at least 2 samples along dim 0, got shape {tuple(x.shape)}")
    # float64 keeps the cancellation in |a|^2 + |b|^2 - 2 a.b tiny, so a collapsed batch reads ~0 (MPS has no float64).
    dtype = torch.float32 if x.device.type == "mps" else torch.float64
    flat = x.detach().reshape(x.shape[0], -1).to(dtype)  # (N, D)
    sq_norms = (flat * flat).sum(dim=1)  # (N,)
    squared = (sq_norms[:, None] + sq_norms[None, :] - 2 * flat @ flat.T).clamp_min(0)  # (N, N)
    squared.fill_diagonal_(0)
    n = flat.shape[0]
    return (squared.sqrt().sum() / (n * (n - 1))).float()


def saturation(real_logits: Tensor, fake_logits: Tensor, eps: float = 0.02) -> Tensor:
    """Fraction of samples the discriminator classifies correctly with confidence above ``1 - eps``.

    A real sample counts when ``sigmoid(D(real)) > 1 - eps``, a fake one when ``sigmoid(D(fake)) < eps``; the
    two fractions are averaged, so 1.0 means the sigmoid is stuck at 1 on every real and at 0 on every fake
    sample (the discriminator has won), 0.0 means no sample is judged with such certainty.

    >>> saturation(torch.tensor([9.0, 9.0]), torch.tensor([-9.0, 0.0]))  # reals: 2/2, fakes: 1/2
    tensor(0.7500)
    >>> saturation(torch.zeros(3), torch.zeros(3))
    tensor(0.)
    """
    if not 0.0 < eps < 0.5:
        raise ValueError(f"eps must be in (0, 0.5), got {eps}")
    # sigmoid(l) > 1 - eps  <=>  l > log((1 - eps) / eps); compared on logits to stay exact far from 0.
    cut = math.log((1.0 - eps) / eps)
    real_sure = (real_logits.detach().float() > cut).float().mean()
    fake_sure = (fake_logits.detach().float() < -cut).float().mean()
    return (real_sure + fake_sure) / 2


def separation_auc(real_logits: Tensor, fake_logits: Tensor) -> Tensor:
    """Probability that the discriminator scores a random real sample above a random fake one (ties count 1/2).

    The area under the ROC curve of D as a real/fake classifier: 0.5 when D cannot tell them apart (the
    equilibrium), 1.0 when it separates them completely. Unlike sigmoid outputs it is independent of the logits'
    scale and offset, so it means the same for a Wasserstein critic.

    >>> separation_auc(torch.tensor([2.0, 0.0]), torch.tensor([1.0, -1.0]))  # 3 of the 4 pairs ordered right
    tensor(0.7500)
    """
    real = real_logits.detach().float().flatten()[:, None]  # (R, 1)
    fake = fake_logits.detach().float().flatten()[None, :]  # (1, F)
    return (real > fake).float().mean() + 0.5 * (real == fake).float().mean()


def class_histogram(logits: Tensor) -> Tensor:
    """Counts of the predicted (arg-max) class of classifier ``logits`` of shape ``(N, K)``, shape ``(K,)``.

    >>> class_histogram(torch.tensor([[2.0, 0.0, 0.0], [0.0, 0.0, 5.0], [1.0, 0.0, 0.0]]))
    tensor([2, 0, 1])
    """
    if logits.ndim != 2:
        raise ValueError(f"logits must have shape (N, num_classes), got shape {tuple(logits.shape)}")
    return torch.bincount(logits.argmax(dim=1), minlength=logits.shape[1])


def histogram_entropy(counts: Tensor) -> Tensor:
    """Shannon entropy (nats) of the distribution ``counts / counts.sum()``; empty bins contribute 0.

    Uniform over ``K`` classes gives ``log K``; a single class gives 0.

    >>> histogram_entropy(torch.tensor([5, 5, 5, 5]))  # log 4
    tensor(1.3863)
    >>> histogram_entropy(torch.tensor([0, 7, 0]))
    tensor(0.)
    """
    p = counts.float() / counts.sum().clamp_min(1)  # (K,)
    # 0 * log 0 = 0: xlogy gives exactly that.
    return -torch.special.xlogy(p, p).sum() + 0.0  # + 0.0 turns -0.0 into 0.0


def modes_seen(counts: Tensor, min_count: int = 1) -> Tensor:
    """Number of classes holding at least ``min_count`` samples.

    >>> modes_seen(torch.tensor([3, 0, 1, 0]))
    tensor(2)
    """
    return (counts >= min_count).sum()


def layer_of(parameter_name: str) -> str:
    """The layer a parameter belongs to: its owning module's name (``"net.0.weight"`` -> ``"net.0"``).

    A parameter of the network itself (no owning sub-module) belongs to the layer ``"root"``.

    >>> layer_of("net.0.weight"), layer_of("body.1.parametrizations.weight.original"), layer_of("bias")
    ('net.0', 'body.1', 'root')
    """
    # Spectral norm keeps the weight under "<layer>.parametrizations.weight.original".
    if ".parametrizations." in parameter_name:
        return parameter_name.split(".parametrizations.")[0]
    return parameter_name.rsplit(".", 1)[0] if "." in parameter_name else "root"


@dataclass(frozen=True)
class GradNormSummary:
    """Mean gradient L2 norms over the accumulated steps: ``total`` for the whole network, ``layers`` per layer."""

    total: float
    layers: dict[str, float]
    steps: int

    @property
    def min_layer(self) -> tuple[str, float]:
        """``(name, norm)`` of the layer with the smallest gradient norm."""
        return min(self.layers.items(), key=lambda item: item[1])


class GradNormTracker:
    """Accumulate per-layer and total gradient L2 norms of ``module`` on its device; read them with one sync.

    :meth:`accumulate` reads the gradients currently stored in the parameters (call it right before an optimizer
    step); :meth:`read_and_reset` returns the mean over the accumulated steps and starts afresh. Steps whose
    gradients are not finite (e.g. skipped by an AMP grad scaler) are left out without a device sync.

    >>> net = nn.Linear(2, 1)
    >>> net.weight.grad, net.bias.grad = torch.tensor([[3.0, 4.0]]), torch.tensor([0.0])
    >>> tracker = GradNormTracker(net)
    >>> tracker.accumulate()
    >>> summary = tracker.read_and_reset()
    >>> summary.total, summary.layers
    (5.0, {'root': 5.0})
    """

    def __init__(self, module: nn.Module) -> None:
        if not isinstance(module, nn.Module):
            raise TypeError(f"module must be an nn.Module, got {type(module).__name__}")
        named = [(name, p) for name, p in module.named_parameters() if p.requires_grad]
        layers = [layer_of(name) for name, _ in named]
        self.layer_names: list[str] = list(dict.fromkeys(layers))
        index = {name: i for i, name in enumerate(self.layer_names)}
        self._params = [p for _, p in named]
        self._layer_index = [index[layer] for layer in layers]
        self._sums: dict[str, Tensor] | None = None

    def accumulate(self) -> None:
        """Add the current gradients' norms to the running sums (no host-device sync)."""
        present = [(p.grad, i) for p, i in zip(self._params, self._layer_index) if p.grad is not None]
        if not present:
            return
        device = present[0][0].device
        squares = torch.stack([torch.linalg.vector_norm(g.detach().float()) ** 2 for g, _ in present])  # (P,)
        index = torch.tensor([i for _, i in present], device=device)  # (P,)
        n_layers = len(self.layer_names)
        layer_sq = torch.zeros(n_layers, device=device).index_add_(0, index, squares)  # (L,)
        has_grad = torch.zeros(n_layers, device=device).index_add_(0, index, torch.ones_like(squares)) > 0  # (L,)
        total = layer_sq.sum().sqrt()
        finite = torch.isfinite(total)
        if self._sums is None:
            zeros = torch.zeros(n_layers, device=device)
            scalar = zeros.new_zeros(())
            self._sums = {"layer": zeros, "layer_count": zeros.clone(), "total": scalar, "steps": scalar.clone()}
        keep = has_grad & finite  # (L,)
        self._sums["layer"] += torch.where(keep, layer_sq.sqrt(), torch.zeros_like(layer_sq))
        self._sums["layer_count"] += keep.float()
        self._sums["total"] += torch.where(finite, total, torch.zeros_like(total))
        self._sums["steps"] += finite.float()

    def read_and_reset(self) -> GradNormSummary | None:
        """Mean norms since the last read (one device sync), or ``None`` when no finite step was accumulated."""
        sums, self._sums = self._sums, None
        if sums is None:
            return None
        flat = torch.cat([sums["total"][None], sums["steps"][None], sums["layer"], sums["layer_count"]]).tolist()
        total, steps = flat[0], int(flat[1])
        n_layers = len(self.layer_names)
        layer_sums, counts = flat[2 : 2 + n_layers], flat[2 + n_layers :]
        if steps == 0:
            return None
        layers = {name: s / c for name, s, c in zip(self.layer_names, layer_sums, counts) if c > 0}
        return GradNormSummary(total=total / steps, layers=layers, steps=steps)
