"""The shipped 2-D recipes as a recipe set: each run is ``lightning-gans fit --config <name>``, scored like the others.

A run trains the recipe exactly as a user would (the config file through :class:`lightning_gans.cli.GANCLI`, its
callbacks and end-of-training checkpoint included), only with the seed replaced (``seed_everything``, the engine's
``noise_seed`` and the data seed) and the outputs sent to a temporary folder; then the trained model is scored with
the PacGAN protocol (2,500 samples, :func:`~benchmarks.harness.evaluate_mixture`). The CPU time is that of the whole
``fit``: what the recipe's comments promise.

    python -m benchmarks.mode_collapse --configs grid_fast,ring_fast --seeds 0,1,2,3,4 --jobs 1
"""

from __future__ import annotations

import time
from collections.abc import Sequence

import yaml

from lightning_gans.cli import GANCLI
from lightning_gans.cli.recipes import list_configs

SHIPPED = "shipped"  # the protocol name of the shipped-recipe runs
FAST_CONFIGS = ("grid_fast", "ring_fast")
TARGETS = {  # (modes, high-quality share, reverse KL at most) a fast recipe promises, per dataset
    "grid": (25, 0.97, 0.02),
    "ring": (8, 0.98, None),
}


def config_budget(name: str) -> tuple[str, int, int]:
    """``(dataset, generator steps, batch size)`` of a shipped 2-D recipe, read from its file.

    >>> config_budget("grid_fast")
    ('grid', 10000, 256)
    """
    config = yaml.safe_load(list_configs()[name].read_text(encoding="utf-8"))
    data = config["data"]["init_args"]
    optimization = config["model"]["init_args"].get("optimization") or {}
    g_steps = optimization.get("g_steps", 1) / optimization.get("n_critic", 1)
    steps = int(config["trainer"]["max_epochs"] * data["num_batches_per_epoch"] * g_steps)
    return data["dataset"], steps, data["batch_size"]


def fit_config(name: str, seed: int, root: str, overrides: Sequence[str] = ()) -> tuple[GANCLI, float, float]:
    """Train shipped recipe ``name`` with ``seed`` (outputs under ``root``, command-line ``overrides`` after the
    file's values); returns the finished CLI (``.model``, ``.trainer``), wall and CPU seconds."""
    args = [
        "fit",
        f"--config={name}",
        f"--seed_everything={seed}",
        f"--model.init_args.noise_seed={seed}",
        f"--data.init_args.seed={seed}",
        f"--trainer.default_root_dir={root}",
        f"--trainer.logger.init_args.save_dir={root}",
        "--trainer.enable_progress_bar=false",
        *overrides,
    ]
    wall, cpu = time.perf_counter(), time.process_time()
    cli = GANCLI(args=args, run=True)
    return cli, time.perf_counter() - wall, time.process_time() - cpu


def target_met(dataset: str, metrics: dict[str, dict[str, float]]) -> bool:
    """Whether the mean metrics meet the fast-recipe target of ``dataset``.

    >>> target_met("ring", {"modes": {"mean": 8}, "high_quality": {"mean": 0.99}, "reverse_kl": {"mean": 0.5}})
    True
    """
    modes, high_quality, reverse_kl = TARGETS[dataset]
    ok = metrics["modes"]["mean"] >= modes and metrics["high_quality"]["mean"] >= high_quality
    return ok and (reverse_kl is None or metrics["reverse_kl"]["mean"] <= reverse_kl)
