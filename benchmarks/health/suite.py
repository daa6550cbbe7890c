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

Every run (diagnosis, step, evidence, remedies, metrics, wall and CPU time, the signal trace) is stored as one JSON
file under ``--results`` (``health/<steps>steps/<case>/seed<k>.json``; stored runs are skipped); ``health.md`` (the
table, built from the stored JSON alone) and the figures ``health_grid.png`` / ``health_digits.png`` (signals over
generator steps with the diagnosis marked, final samples of the runs made now) go to ``--out``. ``--quick`` (one
seed, shorter runs) writes everything under ``benchmarks/results/quick/`` (not committed).

    python -m benchmarks.health --quick      # 3.5 min on the shared 2-core CPU (2.4 CPU-min in 2 processes)
    python -m benchmarks.health              # the full run: seeds 0 and 1
    python -m benchmarks.health --report-only
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence
from pathlib import Path

from benchmarks.harness import ROOT, ResultStore, add_runner_arguments, run_pending, seed_list
from benchmarks.health.cases import CASES, FULL_SEEDS, FULL_STEPS, QUICK_SEEDS, QUICK_STEPS
from benchmarks.health.run import HealthSpec, run_spec

DEFAULT_OUT = ROOT / "benchmarks" / "results"
QUICK_OUT = DEFAULT_OUT / "quick"  # git-ignored


def plan(quick: bool, seeds: Sequence[int] | None, cases: Sequence[str] | None) -> list[HealthSpec]:
    """Every run, the most expensive first (WGAN-GP, then digits), so parallel workers end together.

    >>> [(s.case, s.seed, s.steps) for s in plan(quick=True, seeds=None, cases=("grid_minimax", "grid_wgangp"))]
    [('grid_wgangp', 0, 800), ('grid_minimax', 0, 900)]
    """
    steps = QUICK_STEPS if quick else FULL_STEPS
    seeds = tuple(seeds or (QUICK_SEEDS if quick else FULL_SEEDS))
    runs = [HealthSpec(name, seed, steps.get(name, FULL_STEPS[name])) for name in (cases or steps) for seed in seeds]
    cost = {"grid_wgangp": 3, "digits_minimax": 2, "digits_remedy": 2}
    return sorted(runs, key=lambda run: -cost.get(run.case, 1))


def parse_args(argv: Sequence[str] | None = None) -> argparse.Namespace:
    """The command line (see the module docstring).

    >>> args = parse_args(["--quick", "--cases", "grid_minimax,grid_remedy", "--jobs", "1"])
    >>> args.quick, args.cases, args.jobs, args.seeds, args.out.name
    (True, ('grid_minimax', 'grid_remedy'), 1, None, 'quick')
    """
    parser = argparse.ArgumentParser(prog="python -m benchmarks.health", description=__doc__.split("\n\n")[0])
    parser.add_argument("--quick", action="store_true", help="one seed, shorter runs (a few minutes)")
    parser.add_argument("--seeds", type=seed_list, help="comma-separated seeds")
    parser.add_argument("--cases", type=lambda t: tuple(p.strip() for p in t.split(",")), help=", ".join(CASES))
    parser.add_argument("--out", type=Path, help="folder for the table and figures (default: benchmarks/results)")
    add_runner_arguments(parser)
    args = parser.parse_args(argv)
    unknown = sorted(set(args.cases or ()) - set(CASES))
    if unknown:
        parser.error(f"--cases: unknown {unknown}; choose from {', '.join(CASES)}")
    if args.out is None:
        args.out = QUICK_OUT if args.quick else DEFAULT_OUT
    if args.quick and args.results == parser.get_default("results"):
        args.results = args.out / "runs"  # quick results never mix with the committed ones
    return args


def main(argv: Sequence[str] | None = None) -> int:
    """Run what is not stored yet, write ``health[_quick].md`` from the stored JSON and the figures; exit status 1
    if a run surprised."""
    from benchmarks.health.report import markdown_report, save_figure
    from lightning_gans.data.toy import ToyDataModule

    args = parse_args(argv)
    prefix = "health_quick" if args.quick else "health"
    args.out.mkdir(parents=True, exist_ok=True)
    specs = plan(args.quick, args.seeds, args.cases)
    store = ResultStore(args.results)
    samples: dict[tuple[str, int], object] = {}

    def progress(spec: HealthSpec, row: dict) -> None:
        samples[(spec.case, spec.seed)] = row["_samples"]
        found = f"{row['diagnosis']} at step {row['diagnosis_step']}" if row["diagnosis"] else "nothing diagnosed"
        print(f"{spec.key.relative_path}: {found}; modes {row['modes']}; {row['wall_s']:.0f} s", flush=True)

    if not args.report_only:
        print(f"{len(specs)} runs, {args.jobs} job(s) x {args.threads} thread(s)", flush=True)
    run_pending(specs, run_spec, store, args, progress)
    order = list(CASES)
    rows = sorted(store.stored(specs), key=lambda r: (order.index(r["case"]), r["seed"]))
    if not rows:
        print("no stored results for this plan")
        return 1
    first_seed = min(r["seed"] for r in rows)
    for data in ("grid", "digits"):
        drawn = {
            r["case"]: samples[(r["case"], r["seed"])]
            for r in rows
            if r["data"] == data and (r["case"], r["seed"]) in samples and r["seed"] == first_seed
        }
        real = ToyDataModule("grid").sample(2500, seed=1) if data == "grid" else None
        if drawn:
            save_figure(rows, drawn, data, args.out / f"{prefix}_{data}.png", real)
    figures = [f"{prefix}_{d}.png" for d in ("grid", "digits") if (args.out / f"{prefix}_{d}.png").is_file()]
    (args.out / f"{prefix}.md").write_text(markdown_report(rows, figures))
    surprises = [f"{r['case']} seed {r['seed']}" for r in rows if r["as_expected"] is False]
    print(
        f"wrote {args.out / prefix}.md from {len(rows)} stored runs; "
        f"{'unexpected: ' + ', '.join(surprises) if surprises else 'every run as expected'}"
    )
    return 1 if surprises or len(rows) < len(specs) else 0


if __name__ == "__main__":
    sys.exit(main())
