"""The benchmarks' coverage: modes / high-quality share / reverse KL on the named 2-D mixtures, modes / KL on stacked
MNIST, through the library's one mode-coverage evaluation (:mod:`lightning_gans.evaluation.coverage`, as
``lightning-gans evaluate`` and ``ModeCoverageCallback`` use it).

Both follow the VEEGAN / PacGAN protocol (2,500 samples on a mixture, 26,000 on stacked MNIST in the papers), with
samples drawn by :func:`lightning_gans.sampling.sample_from` from a seed, so the same model and seed give the same
numbers.
"""

from __future__ import annotations

from typing import Any

from lightning import Callback, LightningModule, Trainer
from torch import Tensor, nn

from lightning_gans.data.toy import MIXTURE_STD, mixture_centers
from lightning_gans.evaluation.coverage import coverage
from lightning_gans.evaluation.coverage import mixture_coverage as scored_mixture
from lightning_gans.metrics.stacked_mnist import StackedMNISTModes
from lightning_gans.sampling import sample_from

EVAL_SEED_OFFSET = 10_000  # evaluation noise is seeded apart from the training noise (seed + offset)


def mixture_coverage(samples: Tensor, dataset: str) -> dict[str, float]:
    """``modes`` (int), ``high_quality`` (fraction) and ``reverse_kl`` of 2-D ``samples`` on ``"ring"`` / ``"grid"``.

    >>> mixture_coverage(mixture_centers("ring"), "ring")
    {'modes': 8, 'high_quality': 1.0, 'reverse_kl': 0.0}
    """
    return scored_mixture(samples, mixture_centers(dataset), MIXTURE_STD[dataset])


def evaluate_mixture(model: nn.Module, dataset: str, num_samples: int, seed: int) -> tuple[dict[str, float], Tensor]:
    """Draw ``num_samples`` from ``model`` (seeded by ``seed``) and score them; returns the metrics and the samples."""
    samples = sample_from(model, num_samples, seed=seed)
    return mixture_coverage(samples, dataset), samples


def evaluate_stacked_mnist(
    model: nn.Module, classifier: nn.Module, num_samples: int, seed: int, chunk: int = 2000
) -> tuple[dict[str, float], Tensor]:
    """``modes`` (of 1,000) and ``kl`` to uniform over ``num_samples`` samples drawn in chunks; returns the metrics
    and the first 64 images."""
    result = coverage(StackedMNISTModes(classifier), model, num_samples, seed=seed, chunk=chunk)
    first = sample_from(model, min(64, num_samples, chunk), seed=seed * 1000)  # the first chunk's first images
    return {"modes": int(result["modes"]), "kl": float(result["kl"])}, first


class CoverageCurve(Callback):
    """Score ``num_samples`` fixed-seed samples on a 2-D mixture every ``every`` generator steps during training.

    ``rows`` collects ``{"step": generator steps, "modes", "high_quality", "reverse_kl"}``: the curve that shows
    where a budget stops paying. The model samples in eval mode (BatchNorm running statistics) and goes back to
    training mode after.

    >>> CoverageCurve("grid", every=500, num_samples=2500, seed=0).rows
    []
    """

    def __init__(self, dataset: str, every: int, num_samples: int, seed: int) -> None:
        self.dataset, self.every, self.num_samples, self.seed = dataset, every, num_samples, seed
        self.rows: list[dict[str, float]] = []

    def on_train_batch_end(self, trainer: Trainer, pl_module: LightningModule, *args: Any) -> None:
        step = pl_module.generator_steps
        if step == 0 or step % self.every or (self.rows and self.rows[-1]["step"] == step):
            return
        metrics, _ = evaluate_mixture(pl_module, self.dataset, self.num_samples, self.seed)
        self.rows.append({"step": step, **metrics})
