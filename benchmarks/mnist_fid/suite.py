"""Command line of the MNIST FID benchmark (see :mod:`benchmarks.mnist_fid`)."""

from __future__ import annotations

import argparse
import shutil
import sys
from collections.abc import Sequence
from pathlib import Path

import benchmarks.mnist_fid
from benchmarks.harness import ROOT, ResultStore, add_runner_arguments, positive_int, publish, run_pending, seed_list
from benchmarks.mnist_fid.protocol import EPOCHS, NUM_EVAL, ROWS, TRAIN_IMAGES
from benchmarks.mnist_fid.run import DEFAULT_CACHE, DEFAULT_DATA, DEFAULT_WORK, MnistFidSpec, run_spec

DEFAULT_OUT = ROOT / "benchmarks" / "results"


def parse_args(argv: Sequence[str] | None = None) -> argparse.Namespace:
    """The command line (see :mod:`benchmarks.mnist_fid`).

    >>> args = parse_args(["--rows", "ns", "lsgan", "--seeds", "0", "1,2", "--report-only"])
    >>> args.rows, args.seeds, args.report_only, args.out.name, args.jobs
    (['ns', 'lsgan'], (0, 1, 2), True, 'results', 1)
    >>> parse_args(["--results", "scratch"]).out.as_posix()  # a store of its own gets its report beside it
    'scratch'
    """
    parser = argparse.ArgumentParser(prog="python -m benchmarks.mnist_fid", description=benchmarks.mnist_fid.__doc__)
    parser.add_argument("--rows", nargs="+", default=list(ROWS), choices=list(ROWS), help="default: every row")
    parser.add_argument(
        "--seeds", nargs="+", type=seed_list, default=[(0,)], help="seeds, space- or comma-separated (default 0)"
    )
    parser.add_argument("--epochs", type=positive_int, default=EPOCHS, help=f"default {EPOCHS} (the protocol's)")
    parser.add_argument(
        "--train-limit", type=positive_int, help=f"first N training images (default all {TRAIN_IMAGES:,})"
    )
    parser.add_argument(
        "--num-eval",
        type=positive_int,
        default=NUM_EVAL,
        help=f"generated and test images for FID (default {NUM_EVAL:,})",
    )
    parser.add_argument("--data-dir", type=Path, default=DEFAULT_DATA, help="folder with the MNIST IDX files")
    parser.add_argument("--cache-dir", type=Path, default=DEFAULT_CACHE, help="the test images' cached features")
    parser.add_argument(
        "--work-dir",
        type=Path,
        default=DEFAULT_WORK,
        help="per-epoch checkpoints of unfinished runs, <work-dir>/<protocol>/<row>_seed<k> (a stopped run resumes "
        "from its last epoch)",
    )
    parser.add_argument("--extractor-weights", default=None, help="Inception weights (default: found offline)")
    parser.add_argument("--eval-batch", type=positive_int, default=100, help="images per Inception / sampling batch")
    parser.add_argument(
        "--out",
        type=Path,
        help="folder of mnist_fid.md (default: benchmarks/results; with another --results, that one)",
    )
    # One run at a time: a run's training and evaluation minutes are part of the table, and one GPU serves it.
    add_runner_arguments(parser, parallel=False)
    args = parser.parse_args(argv)
    args.seeds = tuple(dict.fromkeys(seed for group in args.seeds for seed in group))
    if args.out is None:
        args.out = DEFAULT_OUT if args.results == parser.get_default("results") else args.results
    return args


def plan(args: argparse.Namespace) -> list[MnistFidSpec]:
    """Every (row, seed) of this invocation, at its protocol.

    >>> [s.key.relative_path for s in plan(parse_args(["--rows", "ns", "--seeds", "0,1", "--epochs", "2"]))]
    ['mnist_fid/2epochs_60000train_10000eval/ns/seed0.json', 'mnist_fid/2epochs_60000train_10000eval/ns/seed1.json']
    """
    common = dict(
        epochs=args.epochs,
        train_images=min(args.train_limit or TRAIN_IMAGES, TRAIN_IMAGES),
        num_eval=args.num_eval,
        data_dir=str(args.data_dir),
        cache_dir=str(args.cache_dir),
        work_dir=str(args.work_dir),
        extractor_weights=None if args.extractor_weights is None else str(args.extractor_weights),
        eval_batch=args.eval_batch,
    )
    return [MnistFidSpec(row, seed, **common) for row in args.rows for seed in args.seeds]


def _finish(spec: MnistFidSpec, record: dict, store: ResultStore) -> None:
    """A new run, stored: its sample grid beside its JSON, its spent checkpoints removed, its FID printed."""
    from torchvision.utils import save_image

    from lightning_gans.convert import to_unit_range

    picture = store.path(spec.key).with_suffix(".png")
    save_image(to_unit_range(record["_samples"]), picture, nrow=8, padding=2, pad_value=1.0)
    shutil.rmtree(spec.checkpoints, ignore_errors=True)
    print(f"{spec.key.relative_path}: FID {record['fid']:.2f} ({record['train_seconds']} s training)", flush=True)


def main(argv: Sequence[str] | None = None) -> int:
    """Run what is not stored yet, then write ``mnist_fid.md`` from every stored record of the benchmark."""
    from benchmarks.mnist_fid.report import markdown_report

    args = parse_args(argv)
    specs = plan(args)
    store = ResultStore(args.results)
    if not args.report_only and not args.force:
        for spec in specs:
            if store.has(spec.key):
                print(f"{spec.key.relative_path}: stored (FID {store.load(spec.key)['fid']:.2f}), skipped")
    run_pending(specs, run_spec, store, args, lambda spec, rec: _finish(spec, rec, store))
    records = store.records("mnist_fid")
    if not records:
        print(f"no stored results under {store.root / 'mnist_fid'}")
        return 1
    publish(args.out / "mnist_fid.md", markdown_report(records, store, args.out))
    return 0 if args.report_only or all(store.has(spec.key) for spec in specs) else 1


if __name__ == "__main__":
    sys.exit(main())
