"""Log mode coverage (2-D mixtures or stacked MNIST) while any sampling LightningModule trains."""

from __future__ import annotations

import os
from collections.abc import Callable
from typing import Any

import torch
from lightning.pytorch import Callback, LightningModule, Trainer
from torch import Tensor, nn
from torchmetrics import Metric

from lightning_gans.evaluation.coverage import MIXTURE_SAMPLES, STACKED_MNIST_SAMPLES, coverage
from lightning_gans.metrics.classifier import load_mnist_classifier
from lightning_gans.metrics.mode_coverage import MixtureModeCoverage
from lightning_gans.metrics.stacked_mnist import StackedMNISTModes
from lightning_gans.sampling import check_can_sample, sample_from

__all__ = ["ModeCoverageCallback"]

_DEFAULT_SAMPLES = {"mixture": MIXTURE_SAMPLES, "stacked_mnist": STACKED_MNIST_SAMPLES}


class ModeCoverageCallback(Callback):
    """Every ``every_n_epochs`` training epochs, draw samples and log mode-coverage metrics under ``val/``.

    Works with any LightningModule that can be sampled (a ``sample(n)`` method, or a ``generator`` plus a
    ``latent_dim``; see :mod:`lightning_gans.sampling`), and needs no validation loop: it runs at the end of each
    training epoch. Samples are drawn with a fixed seed, so successive evaluations differ only through the model.

    Args:
        metric: ``"mixture"`` (:class:`~lightning_gans.metrics.MixtureModeCoverage`; logs ``val/modes``,
            ``val/high_quality``, ``val/reverse_kl``), ``"stacked_mnist"``
            (:class:`~lightning_gans.metrics.StackedMNISTModes`; logs ``val/modes``, ``val/kl``), or a function
            returning a fresh ``torchmetrics.Metric`` whose ``compute()`` returns a dict (each key logged as
            ``val/<key>``).
        num_samples: samples per evaluation; default 2,500 (mixture) or 26,000 (stacked MNIST), the papers' counts.
            Required with a metric factory.
        every_n_epochs: evaluate after every ``every_n_epochs``-th training epoch.
        seed: sampling seed. Under DDP rank ``r`` draws its share of ``num_samples`` with seed ``seed + r`` and
            the metric sums the counts over ranks, so the total is ``num_samples`` for any number of processes.
        centers: mixture mode centres ``(K, 2)``; default: the datamodule's ``mode_centers``.
        std: mixture component std; default: the datamodule's ``std``.
        classifier: for stacked MNIST, a digit classifier module or the path of a file written by
            ``python -m lightning_gans.metrics.classifier``.

    The metric is created in ``setup()`` (one per process) and moved to the module's device; it synchronises its
    own counts across processes, so values are logged with ``sync_dist=False``. ``history`` holds one dict per
    evaluation (``epoch``, ``global_step`` and the metric values) and is saved in checkpoints.

    >>> callback = ModeCoverageCallback("mixture", centers=torch.zeros(1, 2), std=0.1, every_n_epochs=2)
    >>> callback.num_samples, callback.history
    (2500, [])
    """

    def __init__(
        self,
        metric: str | Callable[[], Metric] = "mixture",
        num_samples: int | None = None,
        every_n_epochs: int = 1,
        seed: int = 0,
        centers: Tensor | None = None,
        std: float | None = None,
        classifier: nn.Module | str | os.PathLike | None = None,
    ) -> None:
        if not (callable(metric) or metric in _DEFAULT_SAMPLES):
            raise ValueError(f"`metric` must be 'mixture', 'stacked_mnist' or a Metric factory, got {metric!r}")
        if num_samples is None:
            if callable(metric):
                raise ValueError("`num_samples` must be given when `metric` is a factory, got None")
            num_samples = _DEFAULT_SAMPLES[metric]
        for name, value, minimum in (("num_samples", num_samples, 1), ("every_n_epochs", every_n_epochs, 1)):
            if isinstance(value, bool) or not isinstance(value, int) or value < minimum:
                raise ValueError(f"`{name}` must be an int >= {minimum}, got {value!r}")
        if classifier is not None and not isinstance(classifier, (nn.Module, str, os.PathLike)):
            raise TypeError(f"`classifier` must be an nn.Module or a file path, got {type(classifier).__name__}")
        self.metric_spec, self.num_samples, self.every_n_epochs, self.seed = metric, num_samples, every_n_epochs, seed
        self.centers, self.std, self.classifier = centers, std, classifier
        self.metric: Metric | None = None
        self.history: list[dict[str, float]] = []

    def _build_metric(self, trainer: Trainer) -> Metric:
        if callable(self.metric_spec):
            metric = self.metric_spec()
            if not isinstance(metric, Metric):
                raise TypeError(f"the `metric` factory must return a torchmetrics.Metric, got {type(metric).__name__}")
            return metric
        if self.metric_spec == "stacked_mnist":
            if self.classifier is None:
                raise ValueError(
                    "`classifier` is required for metric='stacked_mnist': pass a digit classifier module or the file "
                    "written by `python -m lightning_gans.metrics.classifier --data-dir DIR --out FILE`"
                )
            classifier = self.classifier
            if not isinstance(classifier, nn.Module):
                classifier = load_mnist_classifier(classifier)
            return StackedMNISTModes(classifier)
        datamodule = getattr(trainer, "datamodule", None)
        centers = self.centers if self.centers is not None else getattr(datamodule, "mode_centers", None)
        std = self.std if self.std is not None else getattr(datamodule, "std", None)
        if centers is None or std is None:
            raise ValueError(
                "metric='mixture' needs the mode centres and std: pass `centers` and `std`, or fit with a datamodule "
                f"that has `mode_centers` and `std` attributes (got centers={centers!r}, std={std!r})"
            )
        return MixtureModeCoverage(torch.as_tensor(centers), float(std))

    def setup(self, trainer: Trainer, pl_module: LightningModule, stage: str) -> None:
        """Create this process's metric (not in ``__init__``: spawned ranks would share its states)."""
        if stage != "fit" or self.metric is not None:
            return
        check_can_sample(pl_module, "ModeCoverageCallback")
        # The module is moved to its device after `setup`; the strategy already knows which device that is.
        self.metric = self._build_metric(trainer).to(trainer.strategy.root_device)

    def on_fit_start(self, trainer: Trainer, pl_module: LightningModule) -> None:
        """Fail now, not after an epoch, when the module's samples are not what the metric counts."""
        if callable(self.metric_spec):
            return
        shape = tuple(sample_from(pl_module, 2, seed=self.seed).shape[1:])
        wanted = {"mixture": ((2,), "2-D points (N, 2)"), "stacked_mnist": (None, "3-channel images (N, 3, H, W)")}
        expected, words = wanted[self.metric_spec]
        fits = shape == expected if expected is not None else len(shape) == 3 and shape[0] == 3
        if not fits:
            raise ValueError(
                f"ModeCoverageCallback(metric={self.metric_spec!r}) counts modes of {words}; "
                f"{type(pl_module).__name__} gives samples of shape {shape} (for images use EvaluationCallback)"
            )

    def on_train_epoch_end(self, trainer: Trainer, pl_module: LightningModule) -> None:
        """Sample, compute the metric over all processes, log ``val/<key>`` and append to ``history``."""
        if self.metric is None or (trainer.current_epoch + 1) % self.every_n_epochs != 0:
            return
        values = self.evaluate(pl_module, rank=trainer.global_rank, world_size=trainer.world_size)
        for key, value in values.items():
            pl_module.log(f"val/{key}", value, sync_dist=False)
        self.history.append({"epoch": trainer.current_epoch, "global_step": trainer.global_step, **values})

    def evaluate(self, pl_module: LightningModule, rank: int = 0, world_size: int = 1) -> dict[str, float]:
        """Draw this process's share of ``num_samples`` and return the metric over all processes as floats."""
        if self.metric is None:
            raise RuntimeError("ModeCoverageCallback.evaluate() called before setup()")
        return coverage(self.metric.to(pl_module.device), pl_module, self.num_samples, self.seed, rank, world_size)

    def state_dict(self) -> dict[str, Any]:
        """The evaluation history, so that a resumed run keeps the earlier points."""
        return {"history": list(self.history)}

    def load_state_dict(self, state_dict: dict[str, Any]) -> None:
        """Restore the history saved by :meth:`state_dict`."""
        self.history = list(state_dict.get("history", []))
