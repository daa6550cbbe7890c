"""One run of the mode-collapse benchmark: train a recipe with a real Lightning Trainer, then evaluate it.

Evaluation follows the VEEGAN / PacGAN protocol: 2,500 samples for the 2-D mixtures
(:class:`~lightning_gans.metrics.mode_coverage.MixtureModeCoverage`) and 26,000 for stacked MNIST
(:class:`~lightning_gans.metrics.stacked_mnist.StackedMNISTModes`), drawn with
:func:`~lightning_gans.sampling.sample_from` from a seed that depends only on the run's seed.
"""

from __future__ import annotations

import logging
import math
import time
import warnings
from dataclasses import dataclass
from typing import Any

import torch
from lightning import Trainer, seed_everything

from benchmarks.engine_args import build_variant
from benchmarks.recipes import DATASETS_2D, RECIPES, SETUPS
from lightning_gans import GAN, GANDivergenceError
from lightning_gans.data.stacked_mnist import StackedMNISTDataModule
from lightning_gans.data.toy import ToyDataModule
from lightning_gans.metrics.mode_coverage import MixtureModeCoverage
from lightning_gans.metrics.stacked_mnist import StackedMNISTModes
from lightning_gans.nets import DCGANDiscriminator, DCGANGenerator
from lightning_gans.sampling import sample_from

EVAL_SAMPLES = {"ring": 2500, "grid": 2500, "stacked_mnist": 26_000}  # the papers' protocol
EVAL_SEED_OFFSET = 10_000  # evaluation noise is seeded apart from the training noise


@dataclass(frozen=True)
class RunSpec:
    """Everything one run needs; picklable, so runs can go to worker processes.

    >>> RunSpec("gan", "grid", seed=0, steps=10, batch_size=64).eval_samples
    2500
    """

    recipe: str
    dataset: str
    seed: int
    steps: int
    batch_size: int
    eval_samples: int | None = None
    data_dir: str | None = None
    classifier: str | None = None
    keep_samples: bool = False  # return the evaluation samples (for the pictures of the first seed)

    def __post_init__(self) -> None:
        if self.eval_samples is None:
            object.__setattr__(self, "eval_samples", EVAL_SAMPLES[self.dataset])


def build_model(spec: RunSpec) -> GAN:
    """The recipe's model for the spec's dataset, seeded by the spec (weights and engine noise).

    Budget-dependent options are filled in here: the learning-rate decay spans the whole budget, instance noise
    is annealed to 0 over its first half, the EMA decay is at most ``1 - 10 / steps``.

    >>> model = build_model(RunSpec("pacgan2", "ring", seed=0, steps=100, batch_size=64))
    >>> type(model).__name__, model.pack, model.optimization.lr_decay_steps
    ('PacGAN', 2, 100)
    """
    recipe = RECIPES[spec.recipe]
    options = recipe.engine_options(spec.dataset)
    if options.get("lr_decay"):
        options["lr_decay_steps"] = spec.steps
    if options.get("instance_noise"):
        options["instance_noise_steps"] = max(1, spec.steps // 2)
    if options.get("ema_decay"):
        # Average over the last ~10% of the budget: with a fixed 0.999 a 1,500-step run would still hold
        # 0.999^1500 = 22% of the untrained initial weights.
        options["ema_decay"] = min(options["ema_decay"], 1.0 - 10.0 / spec.steps)
    seed_everything(spec.seed, verbose=False)
    if recipe.small_discriminator:
        # Hard setting: build the nets here so D can be narrower than G (engine defaults share one base_width).
        width = options.pop("base_width")
        generator = DCGANGenerator(options["latent_dim"], options["image_size"], options["channels"], width)
        discriminator = DCGANDiscriminator(
            options["image_size"],
            options["channels"],
            width // 2,
            options.pop("d_norm", "batch"),
            options.get("pack", 1),
        )
        for name in ("image_size", "channels"):
            options.pop(name)
        return build_variant(recipe.variant, {**options, "noise_seed": spec.seed}, generator, discriminator)
    return build_variant(recipe.variant, {**options, "noise_seed": spec.seed})


def build_datamodule(spec: RunSpec, n_critic: int):
    """The training data of the spec: fresh mixture draws (2-D) or the fixed stacked-MNIST set."""
    if spec.dataset in DATASETS_2D:
        # One epoch holds the whole budget, so no loader is rebuilt mid-run.
        return ToyDataModule(spec.dataset, spec.batch_size, num_batches_per_epoch=spec.steps * n_critic, seed=spec.seed)
    if spec.data_dir is None:
        raise ValueError("stacked_mnist needs data_dir (a folder with the MNIST IDX files)")
    return StackedMNISTDataModule(
        spec.data_dir, image_size=SETUPS[spec.dataset].options["image_size"], batch_size=spec.batch_size, seed=spec.seed
    )


def train(model: GAN, datamodule: Any, generator_steps: int) -> None:
    """Fit with a CPU Trainer until ``generator_steps`` generator updates are done.

    ``trainer.global_step`` counts every optimizer step (``n_critic`` D steps + 1 G step per G step).
    """
    trainer = Trainer(
        accelerator="cpu",
        devices=1,
        max_steps=generator_steps * (model.optimization.n_critic + 1),
        max_epochs=-1,
        logger=False,
        enable_checkpointing=False,
        enable_progress_bar=False,
        enable_model_summary=False,
        num_sanity_val_steps=0,
        limit_val_batches=0,
    )
    trainer.fit(model, datamodule)


def evaluate_2d(model: GAN, dataset: str, num_samples: int, seed: int) -> tuple[dict[str, float], torch.Tensor]:
    """Modes covered, high-quality fraction and reverse KL on ``num_samples`` samples; returns the samples too."""
    datamodule = ToyDataModule(dataset)
    metric = MixtureModeCoverage(datamodule.mode_centers, datamodule.std)
    samples = sample_from(model, num_samples, seed=seed)
    metric.update(samples)
    result = metric.compute()
    return {
        "modes": int(result["modes"]),
        "high_quality": float(result["high_quality"]),
        "reverse_kl": float(result["reverse_kl"]),
    }, samples


def evaluate_stacked(
    model: GAN, classifier: torch.nn.Module, num_samples: int, seed: int
) -> tuple[dict[str, float], torch.Tensor]:
    """Modes (of 1,000) and KL to uniform over ``num_samples`` samples, drawn and classified in chunks."""
    metric = StackedMNISTModes(classifier)
    first = None
    chunk = 2000
    for index, start in enumerate(range(0, num_samples, chunk)):
        images = sample_from(model, min(chunk, num_samples - start), seed=seed * 1000 + index)
        metric.update(images)
        first = images[:64] if first is None else first
    result = metric.compute()
    return {"modes": int(result["modes"]), "kl": float(result["kl"])}, first


_CLASSIFIERS: dict[str, torch.nn.Module] = {}


def _classifier(path: str | None) -> torch.nn.Module:
    from lightning_gans.metrics.classifier import load_mnist_classifier

    if path is None:
        raise ValueError("stacked_mnist needs classifier (the path of the MNIST classifier weights)")
    if path not in _CLASSIFIERS:  # loaded once per process
        _CLASSIFIERS[path] = load_mnist_classifier(path)
    return _CLASSIFIERS[path]


def run_one(spec: RunSpec) -> dict[str, Any]:
    """Train and evaluate one (recipe, dataset, seed); a diverged run is reported, not raised.

    Returns a JSON-ready record: the spec, ``metrics`` (NaN when diverged), ``wall_s`` / ``cpu_s`` of training,
    ``eval_s``, the generator steps done, the parameter counts and, with ``keep_samples``, the evaluation samples
    under ``"_samples"`` (2-D points, or the first 64 stacked-MNIST images).
    """
    quiet()
    model = build_model(spec)
    datamodule = build_datamodule(spec, model.optimization.n_critic)
    record: dict[str, Any] = {
        "recipe": spec.recipe,
        "dataset": spec.dataset,
        "seed": spec.seed,
        "steps": spec.steps,
        "batch_size": spec.batch_size,
        "eval_samples": spec.eval_samples,
        "g_params": sum(p.numel() for p in model.generator.parameters()),
        "d_params": sum(p.numel() for p in model.discriminator.parameters()),
    }
    wall, cpu = time.perf_counter(), time.process_time()
    try:
        train(model, datamodule, spec.steps)
        record["error"] = None
    except GANDivergenceError as error:
        record["error"] = f"diverged: {error}".splitlines()[0][:200]
    record.update(wall_s=time.perf_counter() - wall, cpu_s=time.process_time() - cpu)
    record["generator_steps"] = model.generator_steps
    start = time.perf_counter()
    if record["error"] is not None:
        keys = ("modes", "high_quality", "reverse_kl") if spec.dataset in DATASETS_2D else ("modes", "kl")
        record["metrics"], samples = {key: math.nan for key in keys}, None
    elif spec.dataset in DATASETS_2D:
        record["metrics"], samples = evaluate_2d(model, spec.dataset, spec.eval_samples, EVAL_SEED_OFFSET + spec.seed)
    else:
        record["metrics"], samples = evaluate_stacked(
            model, _classifier(spec.classifier), spec.eval_samples, EVAL_SEED_OFFSET + spec.seed
        )
    record["eval_s"] = time.perf_counter() - start
    if spec.keep_samples and samples is not None:
        record["_samples"] = samples[:2500]  # drawn by the caller, never written to the JSON
    return record


def quiet() -> None:
    """Silence Lightning's per-fit banners and the expected single-process warnings (the benchmark prints its own)."""
    for name in ("lightning", "lightning.pytorch", "lightning.fabric"):
        logging.getLogger(name).setLevel(logging.ERROR)
    warnings.filterwarnings("ignore", message=r".*(does not have many workers|GPU available|litlogger|LitLogger).*")
    warnings.filterwarnings("ignore", message=r".*isinstance\(treespec, LeafSpec\).*")  # lightning 2.6 + torch 2.14
