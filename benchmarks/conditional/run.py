"""One benchmark run: train a shipped conditional recipe through the ``lightning-gans`` CLI, then measure it.

A run is the recipe exactly as shipped, with three overrides: the seed (global seed, engine noise seed and data
seed all set to it), the output folder, and, for MNIST, the data folder. It is trained in a child process with one
torch thread; its wall and CPU time are recorded with the measurements. :class:`ConditionalSpec` names the run
(``conditional/shipped/<recipe>/seed<k>.json`` in the harness's store) and :func:`run_spec` makes it.
"""

from __future__ import annotations

import os
import resource
import shlex
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import torch

from benchmarks.conditional.measure import (
    DigitsClassifier,
    MNISTClassifierPredictor,
    class_accuracy,
    diversity_ratio,
    generate,
    intra_fid,
    take_per_class,
)
from benchmarks.harness import RunKey
from lightning_gans import ConditionalGAN
from lightning_gans.evaluation.features import get_feature_extractor

NUM_CLASSES = 10
RECIPES = {"digits": "conditional_digits", "mnist": "conditional_mnist"}
DIVERSITY_PER_CLASS = 64  # samples per class for the within-class std (real: as many per class)
FID_PER_CLASS = {"digits": 174, "mnist": 1000}  # digits: the smallest real class has 174 images; MNIST test: >= 892
GRID_PER_CLASS = 10  # columns of the committed sample grid


def train_command(dataset: str, seed: int, work_dir: Path, data_dir: Path) -> list[str]:
    """The ``lightning-gans fit`` command line of one run (run from the repository root)."""
    args = [
        sys.executable,
        "-m",
        "lightning_gans.cli",
        "fit",
        "--config",
        RECIPES[dataset],
        f"--seed_everything={seed}",
        f"--model.init_args.noise_seed={seed}",
        f"--data.init_args.seed={seed}",
        f"--trainer.default_root_dir={work_dir}",
        f"--trainer.logger.init_args.save_dir={work_dir}",
        "--trainer.enable_progress_bar=false",
    ]
    if dataset == "mnist":
        args += [f"--data.init_args.data_dir={data_dir}", "--data.init_args.num_workers=0"]
    return args


def train(dataset: str, seed: int, work_dir: Path, data_dir: Path) -> tuple[Path, float, float, str]:
    """Train one run with one torch thread; return ``(last.ckpt, wall seconds, CPU seconds, the command as text)``.

    CPU seconds (user + system of the training process) do not depend on how busy the machine is; wall seconds do.
    """
    command = train_command(dataset, seed, work_dir, data_dir)
    env = {**os.environ, "OMP_NUM_THREADS": "1", "MKL_NUM_THREADS": "1"}
    root = Path(__file__).resolve().parents[2]
    env["PYTHONPATH"] = os.pathsep.join(filter(None, [str(root), env.get("PYTHONPATH")]))
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    start = time.perf_counter()
    log = work_dir / "train.log"
    work_dir.mkdir(parents=True, exist_ok=True)
    with open(log, "w") as handle:
        done = subprocess.run(command, cwd=root, env=env, stdout=handle, stderr=subprocess.STDOUT)
    seconds = time.perf_counter() - start
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    cpu_seconds = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
    if done.returncode != 0:
        raise RuntimeError(f"training failed (exit {done.returncode}); see {log}")
    checkpoints = sorted(work_dir.glob("version_*/checkpoints/last.ckpt"))
    if not checkpoints:
        raise RuntimeError(f"training wrote no last.ckpt under {work_dir}; see {log}")
    shown = "OMP_NUM_THREADS=1 python " + shlex.join(command[1:]).replace(str(work_dir), "WORK")
    return checkpoints[-1], seconds, cpu_seconds, shown


def real_images(dataset: str, data_dir: Path) -> tuple[torch.Tensor, torch.Tensor]:
    """The real images the samples are compared with, through the recipe's pipeline (28 px, [-1, 1]).

    Digits: all 1,797 (the recipe trains on all of them). MNIST: the 10,000 test images (never trained on).
    """
    if dataset == "digits":
        from lightning_gans.data.digits import load_digits_tensors

        return load_digits_tensors(28)
    from lightning_gans.data.mnist_files import load_mnist_arrays

    images, labels = load_mnist_arrays(data_dir, "test")
    return images.float().div(127.5).sub(1).unsqueeze(1), labels.long()


def measure(
    module: ConditionalGAN, dataset: str, seed: int, data_dir: Path, classifier_path: Path
) -> tuple[dict[str, Any], torch.Tensor]:
    """Every figure of one trained model, and its sample grid (one row per class) as a ``(N, 1, H, W)`` tensor."""
    module = module.cpu().eval()
    real, real_labels = real_images(dataset, data_dir)
    mnist = get_feature_extractor("mnist_classifier", weights=classifier_path)
    if dataset == "digits":
        svm = DigitsClassifier.fit(seed=0)
        predict, classifier = svm.predict, "RBF SVM on scikit-learn's 8x8 digits (75 % split), samples shrunk to 8x8"
        ceiling = class_accuracy(predict, real[svm.holdout_index], real_labels[svm.holdout_index])
    else:
        predict = MNISTClassifierPredictor(mnist.classifier).predict
        classifier = "lightning_gans MNISTClassifier (trained on the MNIST training set)"
        ceiling = class_accuracy(predict, real, real_labels)
    fake, fake_labels = generate(module, FID_PER_CLASS[dataset], NUM_CLASSES, seed=10_000 + seed)
    real_fid, real_fid_labels = take_per_class(real, real_labels, FID_PER_CLASS[dataset], NUM_CLASSES, seed=seed)
    # Diversity on the first DIVERSITY_PER_CLASS samples of each class, against as many real images per class.
    keep = torch.arange(len(fake_labels)) % FID_PER_CLASS[dataset] < DIVERSITY_PER_CLASS
    real_div, real_div_labels = take_per_class(real, real_labels, DIVERSITY_PER_CLASS, NUM_CLASSES, seed=seed)
    figures = {
        "class_accuracy": class_accuracy(predict, fake, fake_labels),
        "class_accuracy_real": ceiling,
        "classifier": classifier,
        "within_class_std": diversity_ratio(fake[keep], fake_labels[keep], real_div, real_div_labels, NUM_CLASSES),
        "intra_fid": intra_fid(mnist, real_fid, real_fid_labels, fake, fake_labels, NUM_CLASSES),
        "intra_fid_features": f"MNISTClassifier penultimate features (sha256 {mnist.weights_sha256[:12]})",
        "samples_per_class": {"diversity": DIVERSITY_PER_CLASS, "intra_fid": FID_PER_CLASS[dataset]},
    }
    grid = fake.view(NUM_CLASSES, FID_PER_CLASS[dataset], *fake.shape[1:])[:, :GRID_PER_CLASS].flatten(0, 1)
    return figures, grid


@dataclass(frozen=True)
class ConditionalSpec:
    """One run: the shipped recipe of ``dataset`` trained with ``seed``; picklable for the worker processes.

    >>> ConditionalSpec("digits", 1, "work", "data", "classifier.pt").key.relative_path
    'conditional/shipped/conditional_digits/seed1.json'
    """

    dataset: str
    seed: int
    work_root: str  # the run trains under <work_root>/<dataset>_seed<seed>
    data_dir: str
    classifier: str

    @property
    def key(self) -> RunKey:
        return RunKey("conditional", "shipped", RECIPES[self.dataset], self.seed)


def run_spec(spec: ConditionalSpec) -> dict[str, Any]:
    """Train and measure one run; the record, with its sample grid under ``"_grid"`` (drawn by the caller, never
    stored)."""
    work_dir = Path(spec.work_root) / f"{spec.dataset}_seed{spec.seed}"
    checkpoint, seconds, cpu_seconds, command = train(spec.dataset, spec.seed, work_dir, Path(spec.data_dir))
    module = ConditionalGAN.load_from_checkpoint(checkpoint, map_location="cpu")
    figures, grid = measure(module, spec.dataset, spec.seed, Path(spec.data_dir), Path(spec.classifier))
    return {
        "dataset": spec.dataset,
        "seed": spec.seed,
        "recipe": RECIPES[spec.dataset],
        "command": command,
        "train_seconds": round(seconds, 1),
        "train_cpu_seconds": round(cpu_seconds, 1),
        "torch_threads": 1,  # of the training process
        **figures,
        "_grid": grid,
    }
