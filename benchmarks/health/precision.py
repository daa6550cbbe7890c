"""Where the health monitor's end-of-training verdict draws its line: the probe's precision over whole runs.

:class:`~lightning_gans.callbacks.GANHealthMonitor` diagnoses *samples off the data* when, at the end of training,
fewer than ``HealthThresholds.precision_threshold`` of its fixed-noise fakes lie inside a real probe sample's 3-NN
ball. This benchmark shows what that signal reads over the runs of the shipped 2-D recipes (each trained from its
config, as ``lightning-gans fit --config <name>`` does) and over one run that smears between the modes (``grid_fast``
with a packed discriminator): every ``1 / points`` of a run, :class:`PrecisionTrace` measures the monitor's own probe
(:class:`~lightning_gans.callbacks.health.probe.HealthProbe`, 256 real and 256 fixed-noise fakes) and scores 2,500
samples with the PacGAN protocol (modes, high-quality share, reverse KL).

One JSON per run under ``--results`` (``health_precision/shipped/<case>/seed<k>.json``; stored runs are skipped);
``health_precision.md`` (table from the stored JSON alone) and ``health_precision.png`` (precision and
high-quality share against the run's progress) go to ``--out``.

    python -m benchmarks.health.precision                 # every case, seed 0: about 15 CPU-minutes
    python -m benchmarks.health.precision --cases grid_fast_pack2 --seeds 0,1
    python -m benchmarks.health.precision --report-only
"""

from __future__ import annotations

import argparse
import sys
import tempfile
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from lightning import Callback, LightningModule, Trainer

from benchmarks.harness import (
    EVAL_SEED_OFFSET,
    ROOT,
    ResultStore,
    RunKey,
    add_runner_arguments,
    evaluate_mixture,
    publish,
    run_pending,
    seed_list,
)
from benchmarks.mode_collapse.shipped import config_budget, fit_config
from lightning_gans.callbacks import HealthThresholds
from lightning_gans.callbacks.health.probe import HealthProbe

DEFAULT_OUT = ROOT / "benchmarks" / "results"
BENCHMARK = "health_precision"
# case -> (shipped recipe, command-line overrides): the recipes as shipped, and grid_fast with a packed D, whose
# samples cover all 25 modes but smear along the grid's rows (benchmarks/RESULTS.md, "The shipped 2-D recipes").
CASES: dict[str, tuple[str, tuple[str, ...]]] = {
    "grid_fast": ("grid_fast", ()),
    "grid_fast_pack2": ("grid_fast", ("--model.init_args.networks.pack=2",)),
    "gan_minimax_grid": ("gan_minimax_grid", ()),
    "lsgan_grid": ("lsgan_grid", ()),
    "wgangp_grid": ("wgangp_grid", ()),
    "ring_fast": ("ring_fast", ()),
}
EVAL_SAMPLES = 2_500


class PrecisionTrace(Callback):
    """Every ``1 / points`` of the run's batches: the probe's signals and the PacGAN-protocol scores, in :attr:`rows`.

    The probe collects its real samples from the training batches exactly as the monitor's does.
    """

    def __init__(self, dataset: str, points: int = 20, seed: int = 0) -> None:
        self.dataset, self.points, self.seed = dataset, points, seed
        self.probe = HealthProbe(probe_size=256, seed=0)
        self.rows: list[dict[str, float]] = []

    def on_train_start(self, trainer: Trainer, pl_module: LightningModule) -> None:
        self.total = trainer.num_training_batches * trainer.max_epochs  # the shipped recipes run whole epochs

    def on_train_batch_start(self, trainer: Trainer, pl_module: LightningModule, batch: Any, batch_idx: int) -> None:
        self.probe.collect(batch)

    def on_train_batch_end(
        self, trainer: Trainer, pl_module: LightningModule, outputs: Any, batch: Any, batch_idx: int
    ) -> None:
        done = trainer.fit_loop.total_batch_idx + 1
        if done * self.points % self.total:  # not at a 1/points mark
            return
        signals = self.probe.measure(pl_module)
        metrics, _ = evaluate_mixture(pl_module, self.dataset, EVAL_SAMPLES, EVAL_SEED_OFFSET + self.seed)
        self.rows.append(
            {
                "progress": done / self.total,
                "generator_steps": pl_module.generator_steps,
                "precision": signals["precision"],
                "diversity_ratio": signals["diversity_ratio"],
                **metrics,
            }
        )


@dataclass(frozen=True)
class Spec:
    """One run: ``case`` with ``seed``, measured at ``points`` marks; ``budget`` overrides shorten it (tests only)."""

    case: str
    seed: int
    points: int = 20
    budget: tuple[str, ...] = ()

    @property
    def key(self) -> RunKey:
        return RunKey(BENCHMARK, "shipped", self.case, self.seed)


def run_case(spec: Spec) -> dict[str, Any]:
    """Train one case from its config with a :class:`PrecisionTrace` attached; its JSON record."""
    recipe, overrides = CASES[spec.case]
    dataset, _, _ = config_budget(recipe)
    trace = f'{{"class_path": "{__name__}.PrecisionTrace", "init_args": {{"dataset": "{dataset}", '
    trace += f'"points": {spec.points}, "seed": {spec.seed}}}}}'
    arguments = (*overrides, *spec.budget, f"--trainer.callbacks+={trace}")
    with tempfile.TemporaryDirectory() as root:
        cli, wall_s, cpu_s = fit_config(recipe, spec.seed, root, arguments)
    (recorder,) = [c for c in cli.trainer.callbacks if isinstance(c, PrecisionTrace)]
    return {
        "case": spec.case,
        "recipe": recipe,
        "overrides": list(overrides),
        "dataset": dataset,
        "seed": spec.seed,
        "wall_s": wall_s,
        "cpu_s": cpu_s,
        "trace": recorder.rows,
    }


def at_progress(trace: Sequence[dict[str, float]], fraction: float) -> dict[str, float]:
    """The trace's point nearest to ``fraction`` of the run.

    >>> at_progress([{"progress": 0.25}, {"progress": 0.5}, {"progress": 1.0}], 0.45)
    {'progress': 0.5}
    """
    return min(trace, key=lambda row: abs(row["progress"] - fraction))


def markdown_report(records: Sequence[dict[str, Any]], figure: str | None = None) -> str:
    """The table (one row per run: precision and HQ at half the run and at its end, the verdict) and the figure."""
    threshold = HealthThresholds().precision_threshold
    lines = [
        "# Precision of the health probe over whole runs",
        "",
        "Improved precision (share of 256 fixed-noise fakes inside a real probe sample's 3-NN ball) and the PacGAN "
        "protocol's scores (2,500 samples) of each run, trained from its shipped config. The monitor's verdict "
        f"*samples off the data* is given at the end of training when the precision is below {threshold:g}.",
        "",
        "| case | overrides | seed | precision at 1/2 | HQ at 1/2 | precision at end | HQ at end | modes | "
        "verdict | CPU s |",
        "|---|---|---|---|---|---|---|---|---|---|",
    ]
    for r in records:
        half, end = at_progress(r["trace"], 0.5), r["trace"][-1]
        verdict = "samples off the data" if end["precision"] < threshold else "none"
        lines.append(
            f"| {r['case']} | {' '.join(r['overrides']) or '—'} | {r['seed']} | {half['precision']:.3f} | "
            f"{100 * half['high_quality']:.1f}% | {end['precision']:.3f} | {100 * end['high_quality']:.1f}% | "
            f"{end['modes']:.0f} | {verdict} | {r['cpu_s']:.0f} |"
        )
    if figure:
        lines += ["", f"![{figure}]({figure})"]
    return "\n".join(lines) + "\n"


def save_figure(records: Sequence[dict[str, Any]], out: Path) -> str:
    """Precision (solid) and high-quality share (dashed) against the run's progress, one colour per run."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    figure, ax = plt.subplots(figsize=(7, 4), dpi=90)
    colours = plt.rcParams["axes.prop_cycle"].by_key()["color"]
    for index, r in enumerate(records):
        colour = colours[index % len(colours)]
        progress = [row["progress"] for row in r["trace"]]
        ax.plot(
            progress, [row["precision"] for row in r["trace"]], color=colour, label=f"{r['case']} (seed {r['seed']})"
        )
        ax.plot(progress, [row["high_quality"] for row in r["trace"]], color=colour, ls="--", lw=0.8)
    ax.axhline(HealthThresholds().precision_threshold, color="black", lw=0.8, ls=":")
    ax.set_xlabel("fraction of the run")
    ax.set_ylabel("precision (solid), high-quality share (dashed)")
    ax.grid(alpha=0.3)
    ax.legend(fontsize=7)
    name = "health_precision.png"
    figure.savefig(out / name, bbox_inches="tight")
    plt.close(figure)
    return name


def _progress(spec: Spec, record: dict[str, Any]) -> None:
    print(f"{spec.key.relative_path}: end precision {record['trace'][-1]['precision']:.3f}", flush=True)


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m benchmarks.health.precision", description=__doc__.split("\n")[0])
    parser.add_argument("--cases", type=lambda t: tuple(t.split(",")), default=tuple(CASES), help="comma-separated")
    parser.add_argument("--seeds", type=seed_list, default=(0,), help="comma-separated seeds (default 0)")
    parser.add_argument("--points", type=int, default=20, help="measurements per run (default 20)")
    parser.add_argument("--out", type=Path, default=DEFAULT_OUT, help="folder of the table and the figure")
    add_runner_arguments(parser)
    args = parser.parse_args(argv)
    unknown = sorted(set(args.cases) - set(CASES))
    if unknown:
        parser.error(f"--cases: unknown {unknown}; choose from {', '.join(CASES)}")
    if args.points < 1:
        parser.error(f"--points must be >= 1, got {args.points}")
    store = ResultStore(args.results)
    specs = [Spec(case, seed, args.points) for case in args.cases for seed in args.seeds]
    run_pending(specs, run_case, store, args, _progress)
    records = store.stored(specs)
    if not records:
        print("no stored results for these cases")
        return 1
    args.out.mkdir(parents=True, exist_ok=True)
    publish(args.out / f"{BENCHMARK}.md", markdown_report(records, save_figure(records, args.out)))
    return 0


if __name__ == "__main__":
    sys.exit(main())
