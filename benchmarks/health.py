"""Health-monitor benchmark: a failing GAN is diagnosed, its remedy is not, a healthy WGAN-GP raises nothing.

Every run is a real Lightning ``Trainer`` fit of the :class:`~lightning_gans.GAN` engine with a
:class:`~lightning_gans.callbacks.GANHealthMonitor` attached, on CPU, from fixed seeds:

- **grid** (25 Gaussians, :class:`~lightning_gans.data.toy.ToyDataModule`): the vanilla GAN with the minimax loss and
  a too-strong discriminator (the failing run), the same model with the remedy the diagnosis names first, and a
  WGAN-GP run that should raise nothing. Mode coverage follows the VEEGAN / PacGAN protocol
  (:class:`~lightning_gans.metrics.MixtureModeCoverage`, 2,500 samples), at every check and at the end.
- **digits** (scikit-learn's 8x8 digits at 28 px, :class:`~lightning_gans.data.digits.DigitsDataModule`): DCGAN with
  the minimax loss and a too-strong discriminator (vanishing gradients), and the same model with the
  non-saturating loss.

Writes ``health.json`` (every run: diagnosis, step, evidence, remedies, metrics, wall and CPU time, the signal trace)
and ``health.md`` (the table) under ``--out``, and the figures ``health_grid.png`` / ``health_digits.png`` (signals
over generator steps with the diagnosis marked, final samples). ``--quick`` (one seed, shorter runs) writes
``health_quick.*``.

    python benchmarks/health.py --quick      # 3.5 min on the shared 2-core CPU (2.4 CPU-min in 2 processes)
    python benchmarks/health.py              # the full run: seeds 0 and 1
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import sys
import tempfile
import time
import warnings
from collections.abc import Mapping, Sequence
from concurrent.futures import ProcessPoolExecutor
from multiprocessing import get_context
from pathlib import Path
from typing import Any

if __package__ in (None, ""):  # run as a script: make the repository root importable for `benchmarks.*`
    sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

import lightning  # noqa: E402
import torch  # noqa: E402
from lightning import Callback, Trainer, seed_everything  # noqa: E402

from benchmarks.engine_args import build_variant  # noqa: E402
from benchmarks.health_cases import (  # noqa: E402
    BATCH_SIZE,
    CASES,
    FULL_SEEDS,
    FULL_STEPS,
    MONITOR,
    QUICK_SEEDS,
    QUICK_STEPS,
    Case,
)
from lightning_gans import GAN  # noqa: E402
from lightning_gans.callbacks import GANHealthMonitor, GANHealthWarning  # noqa: E402
from lightning_gans.data.digits import DigitsDataModule  # noqa: E402
from lightning_gans.data.toy import ToyDataModule  # noqa: E402
from lightning_gans.metrics import MixtureModeCoverage  # noqa: E402
from lightning_gans.sampling import sample_from  # noqa: E402

ROOT = Path(__file__).resolve().parents[1]
DEFAULT_OUT = ROOT / "benchmarks" / "results"
EVAL_SAMPLES = 2500  # the VEEGAN / PacGAN protocol
EVAL_SEED_OFFSET = 10_000  # evaluation noise is seeded apart from the training noise
TRACED = ("diversity_ratio", "g_grad_norm", "d_grad_norm", "d_auc", "d_fake_prob", "d_real_prob", "g_grad_ratio")


class SignalTrace(Callback):
    """Record the monitor's signals (and, on 2-D data, the mode coverage) at every check of ``monitor``.

    Place it after the monitor in the callback list: it reads what the monitor has just logged.

    >>> monitor = GANHealthMonitor(check_every_n_steps=100)
    >>> SignalTrace(monitor, MixtureModeCoverage.for_mixture("grid"), seed=0).rows
    []
    """

    def __init__(self, monitor: GANHealthMonitor, coverage: MixtureModeCoverage | None, seed: int) -> None:
        self.monitor, self.coverage, self.seed = monitor, coverage, seed
        self.rows: list[dict[str, float]] = []

    def on_train_batch_end(self, trainer: Trainer, pl_module: GAN, outputs: Any, batch: Any, batch_idx: int) -> None:
        step = self.monitor.generator_steps
        if step == 0 or step % self.monitor.check_every_n_steps or (self.rows and self.rows[-1]["step"] == step):
            return
        metrics = trainer.callback_metrics
        row = {"step": step} | {k: float(metrics[f"health/{k}"]) for k in TRACED if f"health/{k}" in metrics}
        if self.coverage is not None:
            row |= _coverage(self.coverage, sample_from(pl_module, EVAL_SAMPLES, seed=self.seed))
        self.rows.append(row)


def _coverage(metric: MixtureModeCoverage, samples: torch.Tensor) -> dict[str, float]:
    metric.reset()
    metric.update(samples)
    result = metric.compute()
    return {
        "modes": int(result["modes"]),
        "high_quality": float(result["high_quality"]),
        "reverse_kl": float(result["reverse_kl"]),
    }


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


def run_case(
    name: str, seed: int, steps: int, monitor_options: Mapping[str, Any] | None = None, sample_dir: Path | None = None
) -> dict[str, Any]:
    """Train case ``name`` for ``steps`` generator steps with the monitor attached; return its row of results.

    ``monitor_options`` override the case's monitor settings (tests use a tiny budget). With ``sample_dir``, the
    final samples are saved there as ``health_samples_<name>_<seed>.pt`` (the figure is drawn from them).

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
    coverage = MixtureModeCoverage.for_mixture("grid") if case.data == "grid" else None
    trace = SignalTrace(monitor, coverage, seed + EVAL_SEED_OFFSET)
    trainer = Trainer(
        accelerator="cpu",
        devices=1,
        max_steps=steps * (model.optimization.n_critic + 1),
        max_epochs=-1,
        logger=False,
        enable_checkpointing=False,
        enable_progress_bar=False,
        enable_model_summary=False,
        limit_val_batches=0,
        callbacks=[monitor, trace],
    )
    wall, cpu = time.perf_counter(), time.process_time()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", GANHealthWarning)  # the diagnoses are read from monitor.diagnoses
        trainer.fit(model, data)
    wall, cpu = time.perf_counter() - wall, time.process_time() - cpu
    samples = sample_from(model, EVAL_SAMPLES if coverage is not None else 64, seed=seed + EVAL_SEED_OFFSET)
    final = _coverage(coverage, samples) if coverage is not None else {}
    first = monitor.diagnoses[0] if monitor.diagnoses else None
    if sample_dir is not None:
        torch.save(samples, Path(sample_dir) / f"health_samples_{name}_{seed}.pt")
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
    }


def plan(quick: bool, seeds: Sequence[int] | None, cases: Sequence[str] | None) -> list[tuple[str, int, int]]:
    """``(case, seed, steps)`` of every run, the most expensive first (WGAN-GP, then digits).

    >>> plan(quick=True, seeds=None, cases=("grid_minimax", "grid_wgangp"))
    [('grid_wgangp', 0, 800), ('grid_minimax', 0, 900)]
    """
    steps = QUICK_STEPS if quick else FULL_STEPS
    seeds = tuple(seeds or (QUICK_SEEDS if quick else FULL_SEEDS))
    runs = [(name, seed, steps.get(name, FULL_STEPS[name])) for name in (cases or steps) for seed in seeds]
    cost = {"grid_wgangp": 3, "digits_minimax": 2, "digits_remedy": 2}
    return sorted(runs, key=lambda run: -cost.get(run[0], 1))


def _run_job(job: tuple[str, int, int, str | None]) -> dict[str, Any]:
    name, seed, steps, sample_dir = job
    return run_case(name, seed, steps, sample_dir=Path(sample_dir) if sample_dir else None)


def _init_worker(threads: int) -> None:
    torch.set_num_threads(threads)  # small MLPs and convs: one thread per process is fastest on a shared CPU
    import logging

    for name in ("lightning.pytorch", "lightning.fabric", "lightning"):
        logging.getLogger(name).setLevel(logging.ERROR)
    warnings.filterwarnings("ignore", message=".*(does not have many workers|LeafSpec|litlogger).*")


def _git_commit() -> str:
    import subprocess

    def git(*command: str) -> str:
        return subprocess.run(["git", *command], cwd=ROOT, capture_output=True, text=True, check=False).stdout.strip()

    commit = git("rev-parse", "--short", "HEAD") or "unknown"
    return commit + ("+uncommitted" if git("status", "--porcelain", "--untracked-files=no") else "")


def parse_args(argv: Sequence[str] | None = None) -> argparse.Namespace:
    """The command line (see the module docstring).

    >>> args = parse_args(["--quick", "--cases", "grid_minimax,grid_remedy", "--jobs", "1"])
    >>> args.quick, args.cases, args.jobs, args.seeds
    (True, ('grid_minimax', 'grid_remedy'), 1, None)
    """
    parser = argparse.ArgumentParser(prog="python benchmarks/health.py", description=__doc__.split("\n\n")[0])
    parser.add_argument("--quick", action="store_true", help="one seed, shorter runs (a few minutes)")
    parser.add_argument("--seeds", type=lambda t: tuple(int(p) for p in t.split(",")), help="comma-separated seeds")
    parser.add_argument("--cases", type=lambda t: tuple(p.strip() for p in t.split(",")), help=", ".join(CASES))
    parser.add_argument("--out", type=Path, default=DEFAULT_OUT, help="results folder (default: benchmarks/results)")
    parser.add_argument("--jobs", type=int, default=min(2, os.cpu_count() or 1), help="parallel worker processes")
    parser.add_argument("--threads", type=int, default=1, help="torch threads per process (default 1)")
    args = parser.parse_args(argv)
    unknown = sorted(set(args.cases or ()) - set(CASES))
    if unknown:
        parser.error(f"--cases: unknown {unknown}; choose from {', '.join(CASES)}")
    if args.jobs < 1 or args.threads < 1:
        parser.error(f"--jobs and --threads must be >= 1, got {args.jobs} and {args.threads}")
    if args.seeds is not None and (not args.seeds or min(args.seeds) < 0):
        parser.error(f"--seeds must be integers >= 0, got {args.seeds}")
    return args


def main(argv: Sequence[str] | None = None) -> int:
    """Run the benchmark, write ``health[_quick].{json,md}`` and the figures; exit status 1 if a run surprised."""
    from benchmarks.health_report import markdown_report, save_figure

    args = parse_args(argv)
    prefix = "health_quick" if args.quick else "health"
    args.out.mkdir(parents=True, exist_ok=True)
    runs = plan(args.quick, args.seeds, args.cases)
    started = time.perf_counter()
    scratch = tempfile.TemporaryDirectory(prefix="health_samples_")  # final samples travel back from the workers
    jobs = [(name, seed, steps, scratch.name) for name, seed, steps in runs]
    print(f"{len(jobs)} runs, {args.jobs} job(s) x {args.threads} thread(s)", flush=True)
    if args.jobs == 1:
        _init_worker(args.threads)
        results = map(_run_job, jobs)
    else:  # spawn: fresh interpreters, no inherited thread pools
        ctx = get_context("spawn")
        pool = ProcessPoolExecutor(args.jobs, mp_context=ctx, initializer=_init_worker, initargs=(args.threads,))
        results = pool.map(_run_job, jobs)
    rows = []
    for index, row in enumerate(results, 1):
        rows.append(row)
        found = f"{row['diagnosis']} at step {row['diagnosis_step']}" if row["diagnosis"] else "nothing diagnosed"
        print(
            f"[{index}/{len(jobs)}] {row['case']} seed {row['seed']}: {found}; modes {row['modes']}; "
            f"{row['wall_s']:.0f} s",
            flush=True,
        )
    if args.jobs > 1:
        pool.shutdown()
    order = list(CASES)
    rows.sort(key=lambda r: (order.index(r["case"]), r["seed"]))
    first_seed = min(r["seed"] for r in rows)
    figures = []
    for data in ("grid", "digits"):
        samples = {
            r["case"]: torch.load(Path(scratch.name) / f"health_samples_{r['case']}_{r['seed']}.pt")
            for r in rows
            if r["data"] == data and r["seed"] == first_seed
        }
        real = ToyDataModule("grid").sample(2500, seed=1) if data == "grid" else None
        name = f"{prefix}_{data}.png"
        if save_figure(rows, samples, data, args.out / name, real):
            figures.append(name)
    scratch.cleanup()
    meta = {
        "command": " ".join(["python benchmarks/health.py", *(argv if argv is not None else sys.argv[1:])]),
        "quick": args.quick,
        "seeds": sorted({r["seed"] for r in rows}),
        "git_commit": _git_commit(),
        "machine": f"{os.cpu_count()}-core CPU ({platform.machine()}), shared with other work, no GPU; "
        f"{args.jobs} job(s) x {args.threads} torch thread(s)",
        "versions": {
            "python": platform.python_version(),
            "torch": torch.__version__,
            "lightning": lightning.__version__,
        },
        "total_minutes": (time.perf_counter() - started) / 60,
        "monitor": {
            "grid": "GANHealthMonitor defaults (check every 100 G steps, warm-up 500, patience 3)",
            "digits": "check every 50 G steps, warm-up 200, patience 3 (other settings default)",
        },
        "roles": {name: CASES[name].role for name in dict.fromkeys(r["case"] for r in rows)},
        "batch_size": dict(BATCH_SIZE),
        "figures": figures,
    }
    payload = {"benchmark": "health", "meta": meta, "runs": rows}
    (args.out / f"{prefix}.json").write_text(json.dumps(payload, indent=1) + "\n")
    (args.out / f"{prefix}.md").write_text(markdown_report(rows, meta))
    surprises = [f"{r['case']} seed {r['seed']}" for r in rows if r["as_expected"] is False]
    print(
        f"wrote {args.out / prefix}.{{json,md}} and {', '.join(figures)}; "
        f"{'unexpected: ' + ', '.join(surprises) if surprises else 'every run as expected'}"
    )
    return 1 if surprises else 0


if __name__ == "__main__":
    sys.exit(main())
