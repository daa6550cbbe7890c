"""How much does EvaluationCallback add to training time, with a fixed schedule and with a time budget?

Trains the same small DCGAN (``lightning_gans.GAN``, 28x28 digits) in one process, without the callback, with
``EvaluationCallback(max_overhead=0.1)`` (evaluate as often as keeps evaluation within 10% of the training time,
plus a final evaluation at the end of fit), and with an evaluation every epoch; all with FID + KID + IS +
precision/recall. Reports wall-clock ratios, the number and cost of evaluations, and the KID computation's share.

Two non-defaults, to fit a CPU:

- the feature network is the MNIST classifier architecture of ``lightning_gans.metrics.classifier`` instead of
  Inception-v3 (Inception runs at 299x299: 2,000 images take many minutes on a CPU). Pass ``--classifier FILE``
  for trained weights; by default it is randomly initialised, which costs the same time but gives meaningless
  metric values (only timings are reported);
- ``num_samples`` is 2,000 instead of 5,000 (``--num-samples 5000`` for the default).

    python -m benchmarks.eval_overhead [--epochs 10] [--num-samples 2000] [--classifier FILE] [--no-every-epoch]

Writes ``benchmarks/results/eval_overhead.json``.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import tempfile
import time
import warnings
from pathlib import Path

import lightning as L
import torch

from lightning_gans import NetworkOptions, VanillaGAN
from lightning_gans.callbacks.evaluation import EvaluationCallback
from lightning_gans.data.digits import DigitsDataModule
from lightning_gans.evaluation import ClassifierFeatures, kernel_inception_distance
from lightning_gans.metrics.classifier import MNISTClassifier, load_mnist_classifier

RESULTS = Path(__file__).resolve().parents[1] / "results" / "eval_overhead.json"


def _extractor(path: str | None) -> ClassifierFeatures:
    classifier = load_mnist_classifier(path) if path else MNISTClassifier()
    name = "mnist_classifier" if path else "mnist_classifier (random init)"
    return ClassifierFeatures(classifier, name=name, num_features=classifier.feature_dim, num_classes=10)


def _run(epochs: int, callback: EvaluationCallback | None, seed: int = 0) -> tuple[float, int]:
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


def _kid_seconds(num_samples: int, dim: int) -> dict[str, float]:
    """KID (100 subsets of 1,000) on random features: batched kernel vs torch-fidelity's loop."""
    from torch_fidelity.metric_kid import kid_features_to_metric

    fake, real = torch.randn(num_samples, dim), torch.randn(num_samples, dim) + 0.1
    size = min(1000, num_samples)
    start = time.perf_counter()
    kernel_inception_distance(fake, real, 100, size, 0)
    ours = time.perf_counter() - start
    start = time.perf_counter()
    kid_features_to_metric(
        fake,
        real,
        kid_subsets=100,
        kid_subset_size=size,
        rng_seed=0,
        verbose=False,
        kid_kernel="poly",
        kid_kernel_poly_degree=3,
        kid_kernel_poly_gamma=None,
        kid_kernel_poly_coef0=1,
    )
    return {"batched_seconds": round(ours, 3), "torch_fidelity_seconds": round(time.perf_counter() - start, 3)}


def _summary(seconds: float, base: float, callback: EvaluationCallback) -> dict[str, object]:
    costs = [entry["seconds"] for entry in callback.history]
    return {
        "schedule": callback.schedule.describe(),
        "train_seconds": round(seconds, 2),
        "evaluations": len(costs),
        "evaluation_steps": [entry["step"] for entry in callback.history],
        "evaluation_seconds_total": round(sum(costs), 2),
        "evaluation_seconds_each": [round(c, 2) for c in costs],
        "evaluation_percent_of_training": round(100 * sum(costs) / max(seconds - sum(costs), 1e-9), 1),
        "wall_clock_overhead_percent": round(100 * (seconds / base - 1), 1),
    }


def main(argv: list[str] | None = None) -> dict:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--epochs", type=int, default=10)
    parser.add_argument("--num-samples", type=int, default=2000, help="EvaluationCallback num_samples")
    parser.add_argument("--max-overhead", type=float, default=0.1)
    parser.add_argument("--classifier", default=None, help="trained MNIST classifier file (default: random init)")
    parser.add_argument("--no-every-epoch", action="store_true", help="skip the every-epoch comparison run")
    parser.add_argument("--threads", type=int, default=1, help="torch threads (1 is fastest on a busy CPU)")
    parser.add_argument("--out", default=str(RESULTS))
    args = parser.parse_args(argv)
    warnings.filterwarnings("ignore")
    torch.set_num_threads(args.threads)
    extractor = _extractor(args.classifier)

    load_before = os.getloadavg()[0]
    _run(1, None)  # warm-up: imports, allocator, first-call costs
    base, steps = _run(args.epochs, None)
    budgeted = EvaluationCallback(
        feature_extractor=extractor, num_samples=args.num_samples, max_overhead=args.max_overhead
    )
    runs = {"budgeted": _summary(_run(args.epochs, budgeted)[0], base, budgeted)}
    if not args.no_every_epoch:
        every = EvaluationCallback(feature_extractor=extractor, num_samples=args.num_samples)
        runs["every_epoch"] = _summary(_run(args.epochs, every)[0], base, every)
    result = {
        "setup": {
            "model": "lightning_gans.GAN (DCGAN nets, image_size=28, base_width=16, latent_dim=32)",
            "data": "DigitsDataModule(image_size=28, batch_size=64): 1,797 images, 28 batches per epoch",
            "epochs": args.epochs,
            "generator_steps": steps,
            "callback": f"EvaluationCallback(num_samples={args.num_samples}), metrics=(fid, kid, is, pr), "
            "batch_size=128, KID 100 subsets of <= 1000; real images: the first min(num_samples, 1797)",
            "feature_extractor": f"{extractor.name} (MNISTClassifier, {extractor.num_features}-d features) "
            "instead of Inception-v3",
            "machine": f"{platform.processor() or platform.machine()}, {torch.get_num_threads()} torch threads, CPU",
            "torch": torch.__version__,
            "load_average_1min": [round(load_before, 1), round(os.getloadavg()[0], 1)],  # other work on the machine
        },
        "train_seconds_without_callback": round(base, 2),
        "training_step_seconds": round(base / steps, 4),
        "runs": runs,
        "kid_2000_samples_128d": _kid_seconds(2000, extractor.num_features),
    }
    out = Path(args.out)
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(json.dumps(result, indent=2) + "\n")
    print(json.dumps(result, indent=2))
    return result


if __name__ == "__main__":
    main()
