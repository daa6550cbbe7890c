"""Training throughput of the engine (``Trainer.fit`` on a :class:`lightning_gans.GAN`) against a bare PyTorch loop.

Both sides use the *same* networks (same constructors, same seed), the same losses and penalty, the same optimizers
and settings, the same synthetic in-memory data and the same number of batches, in the same process
(:mod:`~benchmarks.throughput.cases`, :mod:`~benchmarks.throughput.bare`). The bare loop does the algorithmic work the
engine does and nothing else, so the ratio measures what the engine and Lightning cost on top.

What is timed: the steady state, paired batch by batch (:mod:`~benchmarks.throughput.paired`). "Images" are real
images through the discriminator: ``batch_size`` per batch (for WGAN-GP one batch = one critic step, plus a G step
every 5th batch). Each case is run ``--repeats`` times, one stored run per repeat; the table
(:mod:`~benchmarks.throughput.report`) gives the median of the runs' ratios (bare time / engine time = our images/s
/ bare images/s) with its range and the mean ± standard error, and the CPU-time ratio (``time.process_time``) as a
second measure. Runs never run in parallel (they would compete for the cores); ``--threads 1`` avoids intra-op
threads spinning while descheduled on a busy machine. The last case is an overhead probe, not a workload: tiny MLPs on
2-D points, where a step costs a few milliseconds, so that the per-batch cost of the engine and of Lightning
(logging, hooks) shows up in absolute terms. Peak memory: :mod:`~benchmarks.throughput.memory`.

Every run is one JSON file under ``--results`` (``throughput/<device>_<threads>_<steps>steps_<warmup>warmup/<case>/
seed<repeat>.json``; stored runs are skipped); ``throughput.md`` is built from the stored JSON alone.

    python -m benchmarks.throughput            # all cases, 3 repeats of 10 timed batches
    python -m benchmarks.throughput --quick    # smoke run: 1 repeat of 3 batches, DCGAN batch 128 left out
    python -m benchmarks.throughput --device cuda --steps 50 --warmup 10   # on a GPU
    python -m benchmarks.throughput --report-only

Writes ``throughput.md`` to ``--out`` (default ``benchmarks/results``; ``--quick``: ``benchmarks/results/quick``,
JSON included) and prints it. Two more measurements live beside the suite: ``python -m
benchmarks.throughput.speed_options`` and ``python -m benchmarks.throughput.grid_step_time``.
"""

from __future__ import annotations

import argparse
import shlex
import sys
from collections.abc import Sequence
from pathlib import Path

import torch

from benchmarks.harness import ROOT, ResultStore, add_runner_arguments, positive_int, publish, run_pending
from benchmarks.throughput.cases import CASES
from benchmarks.throughput.memory import describe
from benchmarks.throughput.report import markdown_report
from benchmarks.throughput.run import ThroughputSpec, run

DEFAULT_OUT = ROOT / "benchmarks" / "results"
QUICK_OUT = DEFAULT_OUT / "quick"  # git-ignored
QUICK_CASES = ("dcgan_b64", "wgangp_b64", "mlp_b256")


def parse_args(argv: Sequence[str] | None = None) -> argparse.Namespace:
    """The command line (see the module docstring).

    >>> args = parse_args(["--quick", "--cases", "mlp_b256"])
    >>> args.cases, args.steps, args.repeats, args.jobs, args.out.name, args.results.parent.name
    (['mlp_b256'], 3, 1, 1, 'quick', 'quick')
    """
    parser = argparse.ArgumentParser(prog="python -m benchmarks.throughput", description=__doc__.split("\n\n")[0])
    parser.add_argument(
        "--quick", action="store_true", help="smoke run: DCGAN b64, WGAN-GP, probe; 1 repeat of 3 batches"
    )
    parser.add_argument("--cases", nargs="+", choices=sorted(CASES), default=None, help="cases to run (default: all)")
    parser.add_argument("--steps", type=positive_int, default=None, help="timed batches per run (default 10, quick 3)")
    parser.add_argument("--warmup", type=positive_int, default=2, help="untimed batches at the start of every run")
    parser.add_argument("--repeats", type=positive_int, default=None, help="runs per case (default 3, quick 1)")
    parser.add_argument("--device", default="cuda" if torch.cuda.is_available() else "cpu", help="cpu or cuda")
    parser.add_argument("--no-memory", action="store_true", help="skip the peak-memory runs")
    parser.add_argument("--out", type=Path, default=None, help="folder for throughput.md (default: benchmarks/results)")
    add_runner_arguments(parser, parallel=False)
    args = parser.parse_args(argv)
    args.steps = args.steps or (3 if args.quick else 10)
    args.repeats = args.repeats or (1 if args.quick else 3)
    args.cases = args.cases or list(QUICK_CASES if args.quick else CASES)
    if args.out is None:
        args.out = QUICK_OUT if args.quick else DEFAULT_OUT
    if args.quick and args.results == parser.get_default("results"):
        args.results = args.out / "runs"  # quick results never mix with the committed ones
    return args


def plan(args: argparse.Namespace, command: str = "") -> tuple[list[ThroughputSpec], list[ThroughputSpec]]:
    """The paired runs (repeats alternate over the cases) and, unless ``--no-memory``, one memory run per case.

    >>> paired, memory = plan(parse_args(["--cases", "mlp_b256", "dcgan_b64", "--repeats", "2", "--no-memory"]))
    >>> [(s.case, s.repeat) for s in paired], memory
    ([('mlp_b256', 0), ('dcgan_b64', 0), ('mlp_b256', 1), ('dcgan_b64', 1)], [])
    """
    common = dict(warmup=args.warmup, steps=args.steps, device=args.device, threads=args.threads, command=command)
    paired = [ThroughputSpec(case, repeat, **common) for repeat in range(args.repeats) for case in args.cases]
    memory = [] if args.no_memory else [ThroughputSpec(case, 0, **common, memory=True) for case in args.cases]
    return paired, memory


def _progress(spec: ThroughputSpec, record: dict) -> None:
    if not spec.memory:
        print(f"  {spec.key.relative_path}: bare {record['bare_s']:.2f} s, engine {record['engine_s']:.2f} s")


def main(argv: Sequence[str] | None = None) -> int:
    """Run what is not stored yet, write ``throughput.md`` from the stored JSON and print it."""
    argv = list(sys.argv[1:] if argv is None else argv)
    args = parse_args(argv)
    paired, memory = plan(args, shlex.join(["python", "-m", "benchmarks.throughput", *argv]))
    store = ResultStore(args.results)
    if not args.report_only:
        print(
            f"throughput: {args.cases}, {args.repeats} repeat(s) x {args.steps} timed batches after {args.warmup} "
            f"warm-up, on {args.device}, {args.threads} thread(s)",
            flush=True,
        )
    run_pending([*paired, *memory], run, store, args, _progress)
    records, peaks = store.stored(paired), store.stored(memory)
    if not records:
        print("no stored results for this plan")
        return 1
    note = describe(torch.device(args.device), args.warmup + args.steps)
    publish(args.out / "throughput.md", markdown_report(records, peaks, note))
    return 0 if len(records) == len(paired) and len(peaks) == len(memory) else 1


if __name__ == "__main__":
    sys.exit(main())
