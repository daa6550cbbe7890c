"""How much does EvaluationCallback add to training time at its default settings?

Trains the same small DCGAN (``lightning_gans.GAN``, 28x28 digits) twice in one process, without and with
``EvaluationCallback`` at its default schedule and metrics (FID + KID + IS + precision/recall, every epoch), and
reports the ratio of wall-clock times, the cost of one evaluation, and that cost in training steps (which carries
over to other schedules: overhead = evaluation cost / (steps between evaluations x step time)).

Two non-defaults, to fit a CPU:

- the feature network is the MNIST classifier architecture of ``lightning_gans.metrics.classifier`` instead of
  Inception-v3 (Inception runs at 299x299: 5,000 images take many minutes on a CPU). Pass ``--classifier FILE``
  for trained weights; by default it is randomly initialised, which costs the same time but gives meaningless
  metric values (only timings are reported);
- ``num_samples`` is 2,000 instead of 5,000 (``--num-samples 5000`` for the default). KID's cost does not shrink
  with it: its 100 subsets of up to 1,000 samples are the same work either way.

    python benchmarks/eval_overhead.py [--epochs 2] [--repeats 1] [--num-samples 2000] [--classifier FILE]

Writes ``benchmarks/results/eval_overhead.json``.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import statistics
import tempfile
import time
import warnings
from pathlib import Path

import lightning as L
import torch
from lightning_gans.metrics.features import ClassifierFeatures

from lightning_gans import GAN
from lightning_gans.callbacks.evaluation import EvaluationCallback
from lightning_gans.data.digits import DigitsDataModule
from lightning_gans.metrics.classifier import MNISTClassifier, load_mnist_classifier

RESULTS = Path(__file__).parent / "results" / "eval_overhead.json"


def _extractor(path: str | None) -> ClassifierFeatures:
    classifier = load_mnist_classifier(path) if path else MNISTClassifier()
    name = "mnist_classifier" if path else "mnist_classifier (random init)"
    return ClassifierFeatures(classifier, name=name, num_features=classifier.feature_dim, num_classes=10)


def _run(epochs: int, callback: EvaluationCallback | None, seed: int = 0) -> tuple[float, int]:
    L.seed_everything(seed, verbose=False)
    model = GAN(image_size=28, channels=1, latent_dim=32, base_width=16, noise_seed=seed)
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


def main(argv: list[str] | None = None) -> dict:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--epochs", type=int, default=2)
    parser.add_argument("--repeats", type=int, default=1, help="alternating runs per setting; the median is kept")
    parser.add_argument("--num-samples", type=int, default=2000, help="EvaluationCallback num_samples")
    parser.add_argument("--classifier", default=None, help="trained MNIST classifier file (default: random init)")
    parser.add_argument("--out", default=str(RESULTS))
    args = parser.parse_args(argv)
    warnings.filterwarnings("ignore")
    torch.set_num_threads(torch.get_num_threads())
    extractor = _extractor(args.classifier)

    load_before = os.getloadavg()[0]
    _run(1, None)  # warm-up: imports, allocator, first-call costs
    plain, evaluated, evals = [], [], []
    for _ in range(args.repeats):  # alternate, so drifting machine load hits both settings alike
        seconds, steps = _run(args.epochs, None)
        plain.append(seconds)
        callback = EvaluationCallback(feature_extractor=extractor, num_samples=args.num_samples)  # defaults otherwise
        seconds, _ = _run(args.epochs, callback)
        evaluated.append(seconds)
        evals.append([entry["seconds"] for entry in callback.history])
    base, with_eval = statistics.median(plain), statistics.median(evaluated)
    first_eval = statistics.median(e[0] for e in evals)  # includes the one-off real-data pass
    later_eval = statistics.median(s for e in evals for s in e[1:]) if args.epochs > 1 else first_eval
    step_seconds = base / steps
    result = {
        "setup": {
            "model": "lightning_gans.GAN (DCGAN nets, image_size=28, base_width=16, latent_dim=32)",
            "data": "DigitsDataModule(image_size=28, batch_size=64): 1,797 images, 28 batches per epoch",
            "epochs": args.epochs,
            "generator_steps": steps,
            "callback": f"EvaluationCallback(num_samples={args.num_samples}), other settings default: "
            "metrics=(fid, kid, is, pr), every epoch, batch_size=128, KID 100 subsets of <= 1000; "
            "real images: the first min(num_samples, 1797)",
            "feature_extractor": f"{extractor.name} (MNISTClassifier, {extractor.num_features}-d features) "
            "instead of Inception-v3",
            "repeats": args.repeats,
            "machine": f"{platform.processor() or platform.machine()}, {torch.get_num_threads()} torch threads, CPU",
            "torch": torch.__version__,
            "load_average_1min": [round(load_before, 1), round(os.getloadavg()[0], 1)],  # other work on the machine
        },
        "train_seconds_without_callback": round(base, 2),
        "train_seconds_with_callback": round(with_eval, 2),
        "ratio": round(with_eval / base, 3),
        "overhead_percent": round(100 * (with_eval / base - 1), 1),
        "first_evaluation_seconds": round(first_eval, 2),
        "later_evaluation_seconds": round(later_eval, 2),
        "training_step_seconds": round(step_seconds, 4),
        "evaluation_cost_in_training_steps": round(later_eval / step_seconds, 1),
    }
    out = Path(args.out)
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(json.dumps(result, indent=2) + "\n")
    print(json.dumps(result, indent=2))
    return result


if __name__ == "__main__":
    main()
