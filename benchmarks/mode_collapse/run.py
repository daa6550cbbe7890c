"""One run of the mode-collapse benchmark: build a recipe's model, train it for N generator steps, evaluate it.

Two kinds of runs share this code: the *shared-settings* comparison (:mod:`benchmarks.mode_collapse.recipes`: every
variant with the same networks, batch and learning rates) and the *published protocols*
(:mod:`benchmarks.mode_collapse.protocols`: each paper's own networks and optimizers). Training and evaluation use
the harness (:func:`~benchmarks.harness.fit_generator_steps`, :func:`~benchmarks.harness.evaluate_mixture`,
:func:`~benchmarks.harness.evaluate_stacked_mnist`); the VEEGAN / PacGAN evaluation protocol throughout.
"""

from __future__ import annotations

import math
import tempfile
import time
from dataclasses import dataclass
from typing import Any

import torch
from lightning import seed_everything

from benchmarks.harness import (
    EVAL_SEED_OFFSET,
    CoverageCurve,
    RunKey,
    evaluate_mixture,
    evaluate_stacked_mnist,
    fit_generator_steps,
)
from benchmarks.harness.variants import build_variant
from benchmarks.mode_collapse.protocols import PROTOCOLS, build_protocol_model
from benchmarks.mode_collapse.recipes import DATASETS_2D, RECIPES
from benchmarks.mode_collapse.shipped import SHIPPED, fit_config
from lightning_gans import GAN, GANDivergenceError
from lightning_gans.data.stacked_mnist import StackedMNISTDataModule
from lightning_gans.data.toy import ToyDataModule
from lightning_gans.nets import DCGANDiscriminator, DCGANGenerator

EVAL_SAMPLES = {"ring": 2500, "grid": 2500, "stacked_mnist": 26_000}  # the papers' protocol
SHARED = "shared"  # the protocol name of the shared-settings comparison


@dataclass(frozen=True)
class RunSpec:
    """Everything one run needs; picklable, so runs can go to worker processes.

    ``protocol`` is ``"shared"`` (the shared-settings comparison), ``"shipped"`` (``recipe`` is a shipped config,
    trained from its file) or a name of :data:`~benchmarks.mode_collapse.protocols.PROTOCOLS`. ``curve_every`` (2-D only) scores the model every that
    many generator steps during training.

    >>> spec = RunSpec("gan", "grid", seed=0, steps=10, batch_size=64)
    >>> spec.eval_samples, spec.key.relative_path
    (2500, 'mode_collapse/shared_grid_10steps/gan/seed0.json')
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
    protocol: str = SHARED
    curve_every: int | None = None

    def __post_init__(self) -> None:
        if self.eval_samples is None:
            object.__setattr__(self, "eval_samples", EVAL_SAMPLES[self.dataset])

    @property
    def key(self) -> RunKey:
        """Where the result is stored: protocol, dataset (shared settings), budget and evaluation size name it."""
        group = f"shared_{self.dataset}" if self.protocol == SHARED else self.protocol
        group += f"_{self.steps}steps"
        if self.eval_samples != EVAL_SAMPLES[self.dataset]:
            group += f"_eval{self.eval_samples}"
        return RunKey("mode_collapse", group, self.recipe, self.seed)


def build_model(spec: RunSpec) -> tuple[GAN, list[str]]:
    """The spec's model, seeded (weights and engine noise), and its departures from the protocol (if any).

    Shared settings: budget-dependent options are filled in here: the learning-rate decay spans the whole budget,
    instance noise is annealed to 0 over its first half, the EMA decay is at most ``1 - 10 / steps``.

    >>> model, _ = build_model(RunSpec("pacgan2", "ring", seed=0, steps=100, batch_size=64))
    >>> type(model).__name__, model.pack, model.optimization.lr_decay_steps
    ('PacGAN', 2, 100)
    """
    if spec.protocol != SHARED:
        protocol = PROTOCOLS[spec.protocol]
        return build_protocol_model(protocol, protocol.recipe(spec.recipe), spec.seed)
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
        model = build_variant(recipe.variant, {**options, "noise_seed": spec.seed}, generator, discriminator)
        return model, []
    return build_variant(recipe.variant, {**options, "noise_seed": spec.seed}), []


def build_datamodule(spec: RunSpec):
    """The training data of the spec: fresh mixture draws (2-D) or a fixed stacked-MNIST set."""
    if spec.dataset in DATASETS_2D:
        return ToyDataModule(spec.dataset, spec.batch_size, num_batches_per_epoch=1000, seed=spec.seed)
    if spec.data_dir is None:
        raise ValueError("stacked_mnist needs data_dir (a folder with the MNIST IDX files)")
    if spec.protocol != SHARED:  # the protocol's own training set
        protocol = PROTOCOLS[spec.protocol]
        return StackedMNISTDataModule(
            spec.data_dir, 28, spec.batch_size, protocol.stacks, split=protocol.stack_split, seed=spec.seed
        )
    return StackedMNISTDataModule(spec.data_dir, image_size=28, batch_size=spec.batch_size, seed=spec.seed)


_CLASSIFIERS: dict[str, torch.nn.Module] = {}


def _classifier(path: str | None) -> torch.nn.Module:
    from lightning_gans.metrics.classifier import load_mnist_classifier

    if path is None:
        raise ValueError("stacked_mnist needs classifier (the path of the MNIST classifier weights)")
    if path not in _CLASSIFIERS:  # loaded once per process
        _CLASSIFIERS[path] = load_mnist_classifier(path)
    return _CLASSIFIERS[path]


def _describe(spec: RunSpec, model: GAN, departures: list[str]) -> dict[str, Any]:
    """The head of a run's record: what was run (spec, parameter counts, update schedule, departures)."""
    return {
        "recipe": spec.recipe,
        "dataset": spec.dataset,
        "protocol": spec.protocol,
        "seed": spec.seed,
        "steps": spec.steps,
        "batch_size": spec.batch_size,
        "eval_samples": spec.eval_samples,
        "g_params": sum(p.numel() for p in model.generator.parameters()),
        "d_params": sum(p.numel() for p in model.discriminator.parameters()),
        "update": model.optimization.update,
        "departures": departures,
    }


def run_config(spec: RunSpec) -> dict[str, Any]:
    """One shipped-recipe run (:mod:`benchmarks.mode_collapse.shipped`) as a record with the fields of
    :func:`run_one`; the times are the whole ``fit``'s."""
    with tempfile.TemporaryDirectory() as root:
        cli, wall_s, cpu_s = fit_config(spec.recipe, spec.seed, root)
    model = cli.model
    start = time.perf_counter()
    metrics, samples = evaluate_mixture(model, spec.dataset, spec.eval_samples, EVAL_SEED_OFFSET + spec.seed)
    record = _describe(spec, model, [])
    record.update(
        error=None,
        wall_s=wall_s,
        cpu_s=cpu_s,
        generator_steps=model.generator_steps,
        discriminator_steps=model.discriminator_steps,
        curve=None,
        metrics=metrics,
        eval_s=time.perf_counter() - start,
    )
    if spec.keep_samples:
        record["_samples"] = samples[:2500]
    return record


def run_one(spec: RunSpec) -> dict[str, Any]:
    """Train and evaluate one run; a diverged run is reported, not raised.

    Returns a JSON-ready record: the spec, ``metrics`` (NaN when diverged), ``wall_s`` / ``cpu_s`` of training,
    ``eval_s``, the generator steps done, the parameter counts, ``departures`` from the protocol, the ``curve``
    (with ``curve_every``) and, with ``keep_samples``, the evaluation samples under ``"_samples"`` (never stored).
    """
    if spec.protocol == SHIPPED:  # trained from its config file, as a user would
        return run_config(spec)
    model, departures = build_model(spec)
    datamodule = build_datamodule(spec)
    record = _describe(spec, model, departures)
    eval_seed = EVAL_SEED_OFFSET + spec.seed
    curve = CoverageCurve(spec.dataset, spec.curve_every, spec.eval_samples, eval_seed) if spec.curve_every else None
    wall, cpu = time.perf_counter(), time.process_time()
    try:
        fit_generator_steps(model, datamodule, spec.steps, callbacks=[curve] if curve else [])
        record["error"] = None
    except GANDivergenceError as error:
        record["error"] = f"diverged: {error}".splitlines()[0][:200]
    record.update(wall_s=time.perf_counter() - wall, cpu_s=time.process_time() - cpu)
    record["generator_steps"], record["discriminator_steps"] = model.generator_steps, model.discriminator_steps
    record["curve"] = curve.rows if curve else None
    start = time.perf_counter()
    samples = None
    if record["error"] is not None:
        keys = ("modes", "high_quality", "reverse_kl") if spec.dataset in DATASETS_2D else ("modes", "kl")
        record["metrics"] = {key: math.nan for key in keys}
    elif spec.dataset in DATASETS_2D:
        record["metrics"], samples = evaluate_mixture(model, spec.dataset, spec.eval_samples, eval_seed)
    else:
        classifier = _classifier(spec.classifier)
        record["metrics"], samples = evaluate_stacked_mnist(model, classifier, spec.eval_samples, eval_seed)
    record["eval_s"] = time.perf_counter() - start
    if spec.keep_samples and samples is not None:
        record["_samples"] = samples[:2500]  # drawn by the caller, never stored
    return record
