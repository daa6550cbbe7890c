"""How much does EvaluationCallback add to training time, with a time budget and with an evaluation every epoch?

Trains the same small DCGAN (28x28 digits) without the callback, then with ``EvaluationCallback(max_overhead=0.1)``
(evaluate as often as keeps evaluation within 10% of the training time, plus a final evaluation at the end of fit)
and, unless ``--no-every-epoch``, with an evaluation every epoch; FID + KID + IS + precision/recall each time
(:mod:`benchmarks.eval_overhead.run`). Also times KID's batched kernel against torch-fidelity's loop.

Every run is one JSON file under ``--results`` (``eval_overhead/digits_<epochs>epochs_<samples>samples/<schedule>/
seed<k>.json`` and ``eval_overhead/kid_<samples>x<dim>d/...``; stored runs are skipped); ``eval_overhead.md`` (the
tables, mean ± standard error over seeds) is built from the stored JSON alone and written to ``--out``. Runs never
run in parallel: they are timings.

    python -m benchmarks.eval_overhead [--epochs 10] [--num-samples 2000] [--classifier FILE] [--no-every-epoch]
    python -m benchmarks.eval_overhead --epochs 100 --no-every-epoch --seeds 0,1
    python -m benchmarks.eval_overhead --report-only
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence
from pathlib import Path

from benchmarks.eval_overhead.run import KidSpec, OverheadSpec, run
from benchmarks.harness import ROOT, ResultStore, add_runner_arguments, positive_int, publish, run_pending, seed_list

DEFAULT_OUT = ROOT / "benchmarks" / "results"
FEATURE_DIM = 128  # the MNIST classifier's penultimate features


def parse_args(argv: Sequence[str] | None = None) -> argparse.Namespace:
    """The command line (see the module docstring).

    >>> args = parse_args(["--epochs", "3", "--seeds", "0,1", "--no-every-epoch"])
    >>> args.epochs, args.seeds, args.no_every_epoch, args.jobs, args.threads
    (3, (0, 1), True, 1, 1)
    """
    parser = argparse.ArgumentParser(prog="python -m benchmarks.eval_overhead", description=__doc__.split("\n")[0])
    parser.add_argument("--epochs", type=positive_int, default=10)
    parser.add_argument("--num-samples", type=positive_int, default=2000, help="EvaluationCallback num_samples")
    parser.add_argument("--max-overhead", type=float, default=0.1)
    parser.add_argument("--classifier", default=None, help="trained MNIST classifier file (default: random init)")
    parser.add_argument("--no-every-epoch", action="store_true", help="skip the every-epoch comparison run")
    parser.add_argument("--seeds", type=seed_list, default=(0,), help="comma-separated seeds (default 0)")
    parser.add_argument("--out", type=Path, default=DEFAULT_OUT, help="folder of eval_overhead.md")
    add_runner_arguments(parser, parallel=False)
    args = parser.parse_args(argv)
    if not 0 < args.max_overhead < 1:
        parser.error(f"--max-overhead must be in (0, 1), got {args.max_overhead}")
    return args


def plan(args: argparse.Namespace) -> tuple[list[OverheadSpec], list[KidSpec]]:
    """The schedule runs (every seed) and one KID timing per seed.

    >>> overhead, kid = plan(parse_args(["--seeds", "0,1"]))
    >>> [(s.schedule, s.seed) for s in overhead], [s.repeat for s in kid]
    ([('budgeted', 0), ('every_epoch', 0), ('budgeted', 1), ('every_epoch', 1)], [0, 1])
    """
    schedules = ("budgeted",) if args.no_every_epoch else ("budgeted", "every_epoch")
    common = dict(
        epochs=args.epochs, num_samples=args.num_samples, max_overhead=args.max_overhead, classifier=args.classifier
    )
    overhead = [OverheadSpec(schedule, seed, **common) for seed in args.seeds for schedule in schedules]
    return overhead, [KidSpec(args.num_samples, FEATURE_DIM, seed) for seed in args.seeds]


def _progress(spec: OverheadSpec | KidSpec, record: dict) -> None:
    if isinstance(spec, OverheadSpec):
        share = record["evaluation_percent_of_training"]
        print(f"{spec.key.relative_path}: {record['evaluations']} evaluation(s), {share}% of training", flush=True)


def main(argv: Sequence[str] | None = None) -> int:
    """Run what is not stored yet, write ``eval_overhead.md`` from every stored run of the benchmark and print it."""
    from benchmarks.eval_overhead.report import markdown_report

    args = parse_args(argv)
    overhead, kid = plan(args)
    store = ResultStore(args.results)
    run_pending([*overhead, *kid], run, store, args, _progress)
    records = store.records("eval_overhead")
    if not records:
        print("no stored results")
        return 1
    timings = [r for r in records if r["key"]["protocol"].startswith("kid_")]
    report = markdown_report([r for r in records if r not in timings], timings)
    publish(args.out / "eval_overhead.md", report)
    return 0 if all(store.has(s.key) for s in [*overhead, *kid]) else 1


if __name__ == "__main__":
    sys.exit(main())
