"""One run of the health-monitor benchmark: a case trained with :class:`~lightning_gans.callbacks.GANHealthMonitor`
attached, its signals traced at every check, its final samples scored (2-D cases).

Training and the coverage evaluation come from the harness (:func:`~benchmarks.harness.fit_generator_steps`,
:func:`~benchmarks.harness.mixture_coverage`).
"""

from __future__ import annotations

import time
import warnings
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from lightning import Callback, Trainer, seed_everything

from benchmarks.harness import EVAL_SEED_OFFSET, RunKey, fit_generator_steps, mixture_coverage
from benchmarks.harness.variants import build_variant
from benchmarks.health.cases import BATCH_SIZE, CASES, MONITOR, Case
from lightning_gans import GAN
from lightning_gans.callbacks import GANHealthMonitor, GANHealthWarning
from lightning_gans.callbacks.health.diagnosis import OFF_DATA
from lightning_gans.data.digits import DigitsDataModule
from lightning_gans.data.toy import ToyDataModule
from lightning_gans.sampling import sample_from

EVAL_SAMPLES = 2500  # the VEEGAN / PacGAN protocol
TRACED = ("diversity_ratio", "g_grad_norm", "d_grad_norm", "d_auc", "d_fake_prob", "d_real_prob", "g_grad_ratio")


@dataclass(frozen=True)
class HealthSpec:
    """One run: a case, a seed, a budget in generator steps; picklable for the worker processes.

    >>> HealthSpec("grid_minimax", 0, 1200).key.relative_path
    'health/1200steps/grid_minimax/seed0.json'
    """

    case: str
    seed: int
    steps: int

    @property
    def key(self) -> RunKey:
        return RunKey("health", f"{self.steps}steps", self.case, self.seed)


def run_spec(spec: HealthSpec) -> dict[str, Any]:
    """The runner's entry point: :func:`run_case` with the benchmark's monitor settings."""
    return run_case(spec.case, spec.seed, spec.steps)


class SignalTrace(Callback):
    """Record the monitor's signals (and, with ``coverage_of``, the mode coverage of that 2-D mixture) at every check.

    Place it after the monitor in the callback list: it reads what the monitor has just logged.

    >>> monitor = GANHealthMonitor(check_every_n_steps=100)
    >>> SignalTrace(monitor, "grid", seed=0).rows
    []
    """

    def __init__(self, monitor: GANHealthMonitor, coverage_of: str | None, seed: int) -> None:
        self.monitor, self.coverage_of, self.seed = monitor, coverage_of, seed
        self.rows: list[dict[str, float]] = []

    def on_train_batch_end(self, trainer: Trainer, pl_module: GAN, outputs: Any, batch: Any, batch_idx: int) -> None:
        step = self.monitor.generator_steps
        if step == 0 or step % self.monitor.check_every_n_steps or (self.rows and self.rows[-1]["step"] == step):
            return
        metrics = trainer.callback_metrics
        row = {"step": step} | {k: float(metrics[f"health/{k}"]) for k in TRACED if f"health/{k}" in metrics}
        if self.coverage_of is not None:
            row |= mixture_coverage(sample_from(pl_module, EVAL_SAMPLES, seed=self.seed), self.coverage_of)
        self.rows.append(row)


def build(case: Case, seed: int, steps: int) -> tuple[GAN, Any]:
    """The case's model and data, seeded (weights, engine noise and data order all follow ``seed``).

    >>> model, data = build(CASES["grid_remedy"], seed=0, steps=10)
    >>> model.loss.name, model.pack, model.optimization.lr_d, data.num_batches_per_epoch
    ('non_saturating', 4, 0.002, 10)
    """
    seed_everything(seed, verbose=False)
    model = build_variant(case.variant, case.options)
    if case.data == "grid":
        # One epoch holds the whole budget (n_critic real batches per generator step).
        batches = steps * model.optimization.n_critic
        data = ToyDataModule("grid", BATCH_SIZE["grid"], num_batches_per_epoch=batches, seed=seed)
    else:
        data = DigitsDataModule(image_size=case.options["image_size"], batch_size=BATCH_SIZE["digits"], seed=seed)
    return model, data


def run_case(name: str, seed: int, steps: int, monitor_options: Mapping[str, Any] | None = None) -> dict[str, Any]:
    """Train case ``name`` for ``steps`` generator steps with the monitor attached; return its row of results.

    ``monitor_options`` override the case's monitor settings (tests use a tiny budget). The final samples come back
    under ``"_samples"`` (the figure is drawn from them; the harness never stores them).

    >>> from lightning_gans.callbacks import HealthThresholds
    >>> quick = dict(check_every_n_steps=2, warmup_steps=0, thresholds=HealthThresholds(patience=1), grad_window=1,
    ...              probe_size=32)
    >>> row = run_case("grid_minimax", seed=0, steps=2, monitor_options=quick)
    >>> row["diagnosis"], row["diagnosis_step"]
    ('mode_collapse', 2)
    """
    case = CASES[name]
    model, data = build(case, seed, steps)
    monitor = GANHealthMonitor(**(dict(MONITOR[case.data]) | dict(monitor_options or {})))
    coverage_of = "grid" if case.data == "grid" else None
    trace = SignalTrace(monitor, coverage_of, seed + EVAL_SEED_OFFSET)
    wall, cpu = time.perf_counter(), time.process_time()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", GANHealthWarning)  # the diagnoses are read from monitor.diagnoses
        fit_generator_steps(model, data, steps, callbacks=[monitor, trace])
    wall, cpu = time.perf_counter() - wall, time.process_time() - cpu
    samples = sample_from(model, EVAL_SAMPLES if coverage_of else 64, seed=seed + EVAL_SEED_OFFSET)
    final = mixture_coverage(samples, coverage_of) if coverage_of else {}
    # The roles are about failures during training; the end-of-training verdict on the samples is reported beside.
    first = next((d for d in monitor.diagnoses if d.kind != OFF_DATA), None)
    return {
        "case": name,
        "label": case.label,
        "loss": case.loss,
        "role": case.role,
        "data": case.data,
        "seed": seed,
        "generator_steps": model.generator_steps,
        "options": {k: v for k, v in case.options.items()},
        "variant": case.variant.__name__,
        "diagnosis": first.kind if first else None,
        "diagnosis_step": first.step if first else None,
        "evidence_since": first.first_step if first else None,
        "diagnoses": [d.to_dict() for d in monitor.diagnoses],
        "modes": final.get("modes"),
        "high_quality": final.get("high_quality"),
        "reverse_kl": final.get("reverse_kl"),
        "final_diversity_ratio": trace.rows[-1].get("diversity_ratio") if trace.rows else None,
        "wall_s": wall,
        "cpu_s": cpu,
        "trace": trace.rows,
        "as_expected": None if case.role == "ablation" else (first is not None) == (case.role == "failure"),
        "_samples": samples,
    }
