"""One run of the evaluation-overhead benchmark: a schedule of :class:`EvaluationCallback` timed against the same
training without it (:class:`OverheadSpec`), or the batched KID kernel timed against torch-fidelity's loop
(:class:`KidSpec`). Both are picklable specs with a :class:`~benchmarks.harness.RunKey`, made by :func:`run`.

The model: a small DCGAN (``lightning_gans.GAN`` via ``VanillaGAN``, 28x28 digits) trained in one process, first
without the callback (after a one-epoch warm-up per process: imports, allocator, first-call costs), then with it; the
callback computes FID + KID + IS + precision/recall. Two non-defaults, to fit a CPU: the feature network is the MNIST
classifier architecture of :mod:`lightning_gans.metrics.classifier` instead of Inception-v3 (randomly initialised
unless a trained file is given: it costs the same time, only the metric values are meaningless), and
``num_samples`` is 2,000 by default instead of 5,000.
"""

from __future__ import annotations

import tempfile
import time
from dataclasses import dataclass
from typing import Any

import lightning as L
import torch

from benchmarks.harness import RunKey
from benchmarks.harness.environment import load_average
from lightning_gans import NetworkOptions, VanillaGAN
from lightning_gans.callbacks.evaluation import EvaluationCallback
from lightning_gans.data.digits import DigitsDataModule
from lightning_gans.evaluation import ClassifierFeatures, kernel_inception_distance
from lightning_gans.metrics.classifier import MNISTClassifier, load_mnist_classifier

BENCHMARK = "eval_overhead"
SCHEDULES = ("budgeted", "every_epoch")
KID_SUBSETS = 100
_WARMED: set[int] = set()  # seeds whose one-epoch warm-up ran in this process


@dataclass(frozen=True)
class OverheadSpec:
    """``schedule`` (``"budgeted"``: ``max_overhead``; ``"every_epoch"``) on ``epochs`` epochs, with ``seed``.

    >>> OverheadSpec("budgeted", 0, epochs=10, num_samples=2000).key.relative_path
    'eval_overhead/digits_10epochs_2000samples/budget0.1/seed0.json'
    """

    schedule: str
    seed: int
    epochs: int
    num_samples: int
    max_overhead: float = 0.1
    classifier: str | None = None  # trained MNIST classifier weights; None: randomly initialised

    @property
    def key(self) -> RunKey:
        protocol = f"digits_{self.epochs}epochs_{self.num_samples}samples" + ("_trained" if self.classifier else "")
        recipe = f"budget{self.max_overhead:g}" if self.schedule == "budgeted" else self.schedule
        return RunKey(BENCHMARK, protocol, recipe, self.seed)


@dataclass(frozen=True)
class KidSpec:
    """KID (100 subsets of ``min(1000, num_samples)``) on ``num_samples`` random ``dim``-d features; ``repeat``
    seeds the features and the subsets.

    >>> KidSpec(2000, 128, 1).key.relative_path
    'eval_overhead/kid_2000x128d/batched_vs_torch_fidelity/seed1.json'
    """

    num_samples: int
    dim: int
    repeat: int

    @property
    def key(self) -> RunKey:
        return RunKey(BENCHMARK, f"kid_{self.num_samples}x{self.dim}d", "batched_vs_torch_fidelity", self.repeat)


def extractor(path: str | None) -> ClassifierFeatures:
    """The feature network of the callback: the MNIST classifier (``path``: trained weights; None: random init)."""
    classifier = load_mnist_classifier(path) if path else MNISTClassifier()
    name = "mnist_classifier" if path else "mnist_classifier (random init)"
    return ClassifierFeatures(classifier, name=name, num_features=classifier.feature_dim, num_classes=10)


def fit(epochs: int, callback: EvaluationCallback | None, seed: int) -> tuple[float, int]:
    """Train the benchmark's model for ``epochs`` (with ``callback``); wall seconds of the fit and generator steps."""
    L.seed_everything(seed, verbose=False)
    model = VanillaGAN(
        image_size=28, channels=1, latent_dim=32, networks=NetworkOptions(base_width=16), noise_seed=seed
    )
    data = DigitsDataModule(image_size=28, batch_size=64, seed=seed)
    with tempfile.TemporaryDirectory() as root:  # evaluation.json lands here, not in the working directory
        trainer = L.Trainer(
            accelerator="cpu",
            max_epochs=epochs,
            logger=False,
            enable_checkpointing=False,
            enable_progress_bar=False,
            enable_model_summary=False,
            callbacks=[callback] if callback else [],
            default_root_dir=root,
        )
        start = time.perf_counter()
        trainer.fit(model, data)
        return time.perf_counter() - start, model.generator_steps


def measure_overhead(spec: OverheadSpec) -> dict[str, Any]:
    """Training without the callback, then with ``spec``'s schedule; the record of what the callback cost."""
    features = extractor(spec.classifier)
    if spec.seed not in _WARMED:
        fit(1, None, spec.seed)  # warm-up: imports, allocator, first-call costs
        _WARMED.add(spec.seed)
    base, steps = fit(spec.epochs, None, spec.seed)
    budget = {"max_overhead": spec.max_overhead} if spec.schedule == "budgeted" else {}
    callback = EvaluationCallback(feature_extractor=features, num_samples=spec.num_samples, **budget)
    seconds, _ = fit(spec.epochs, callback, spec.seed)
    costs = [entry["seconds"] for entry in callback.history]
    return {
        "schedule": spec.schedule,
        "schedule_text": callback.schedule.describe(),
        "seed": spec.seed,
        "epochs": spec.epochs,
        "setup": {
            "model": "lightning_gans.GAN (DCGAN nets, image_size=28, base_width=16, latent_dim=32)",
            "data": "DigitsDataModule(image_size=28, batch_size=64): 1,797 images, 28 batches per epoch",
            "callback": f"EvaluationCallback(num_samples={spec.num_samples}), metrics=(fid, kid, is, pr), "
            "batch_size=128, KID 100 subsets of <= 1000; real images: the first min(num_samples, 1797)",
            "feature_extractor": f"{features.name} (MNISTClassifier, {features.num_features}-d features) "
            "instead of Inception-v3",
        },
        "generator_steps": steps,
        "train_seconds_without_callback": round(base, 2),
        "training_step_seconds": round(base / steps, 4),
        "train_seconds": round(seconds, 2),
        "evaluations": len(costs),
        "evaluation_steps": [entry["step"] for entry in callback.history],
        "evaluation_seconds_total": round(sum(costs), 2),
        "evaluation_seconds_each": [round(c, 2) for c in costs],
        "evaluation_percent_of_training": round(100 * sum(costs) / max(seconds - sum(costs), 1e-9), 1),
        "wall_clock_overhead_percent": round(100 * (seconds / base - 1), 1),
        "load_average_end": load_average(),  # the environment has it at the start: other work on the machine
    }


def measure_kid(spec: KidSpec) -> dict[str, Any]:
    """KID with all subsets in one batched kernel (the library's) against torch-fidelity's loop, same features."""
    from torch_fidelity.metric_kid import kid_features_to_metric

    generator = torch.Generator().manual_seed(spec.repeat)
    fake = torch.randn(spec.num_samples, spec.dim, generator=generator)
    real = torch.randn(spec.num_samples, spec.dim, generator=generator) + 0.1
    size = min(1000, spec.num_samples)
    start = time.perf_counter()
    kernel_inception_distance(fake, real, KID_SUBSETS, size, spec.repeat)
    ours = time.perf_counter() - start
    start = time.perf_counter()
    kid_features_to_metric(
        fake,
        real,
        kid_subsets=KID_SUBSETS,
        kid_subset_size=size,
        rng_seed=spec.repeat,
        verbose=False,
        kid_kernel="poly",
        kid_kernel_poly_degree=3,
        kid_kernel_poly_gamma=None,
        kid_kernel_poly_coef0=1,
    )
    return {
        "num_samples": spec.num_samples,
        "dim": spec.dim,
        "subsets": KID_SUBSETS,
        "subset_size": size,
        "rng_seed": spec.repeat,
        "batched_seconds": round(ours, 3),
        "torch_fidelity_seconds": round(time.perf_counter() - start, 3),
    }


def run(spec: OverheadSpec | KidSpec) -> dict[str, Any]:
    """The harness's entry point."""
    return measure_kid(spec) if isinstance(spec, KidSpec) else measure_overhead(spec)
