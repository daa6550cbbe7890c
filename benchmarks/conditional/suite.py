"""Command line of the conditional benchmark (see :mod:`benchmarks.conditional`)."""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Sequence
from pathlib import Path

import benchmarks.conditional
from benchmarks.harness import ROOT, ResultStore, add_runner_arguments, run_pending, seed_list

DEFAULT_OUT = ROOT / "benchmarks" / "results" / "conditional"
DEFAULT_DATA_DIR = ROOT.parent / "shared" / "data" / "mnist"
DEFAULT_CLASSIFIER = Path.home() / ".cache" / "lightning_gans" / "mnist_classifier.pt"
DEFAULT_SEEDS = {"digits": (0, 1, 2), "mnist": (0,)}


def parse_args(argv: Sequence[str] | None = None) -> argparse.Namespace:
    """The command line (see :mod:`benchmarks.conditional`).

    >>> args = parse_args(["--datasets", "mnist", "--seeds", "1,2", "--report-only"])
    >>> args.datasets, args.seeds, args.report_only, args.out.name
    (['mnist'], (1, 2), True, 'conditional')
    """
    from benchmarks.conditional.run import RECIPES

    parser = argparse.ArgumentParser(
        prog="python -m benchmarks.conditional", description=benchmarks.conditional.__doc__
    )
    parser.add_argument("--datasets", default="digits,mnist", help="comma-separated: digits, mnist")
    parser.add_argument("--seeds", type=seed_list, help="seeds for every dataset (default: digits 0,1,2; mnist 0)")
    parser.add_argument("--out", type=Path, default=DEFAULT_OUT, help="folder of the table and the sample grids")
    parser.add_argument("--work", type=Path, default=ROOT / "outputs" / "benchmarks" / "conditional")
    parser.add_argument("--data-dir", type=Path, default=DEFAULT_DATA_DIR, help="folder with the MNIST IDX files")
    parser.add_argument(
        "--classifier", type=Path, default=DEFAULT_CLASSIFIER, help="MNIST classifier weights (trained if missing)"
    )
    parser.add_argument(
        "--checkpoint", type=Path, help="measure this ConditionalGAN checkpoint on the one dataset given, print, exit"
    )
    add_runner_arguments(parser)
    args = parser.parse_args(argv)
    args.datasets = [name.strip() for name in args.datasets.split(",") if name.strip()]
    unknown = sorted(set(args.datasets) - set(RECIPES))
    if unknown:
        parser.error(f"--datasets must be among {sorted(RECIPES)}, got {unknown}")
    if args.checkpoint is not None and len(args.datasets) != 1:
        parser.error("--checkpoint measures one dataset: give --datasets digits or --datasets mnist")
    return args


def _progress(spec, record: dict, out: Path) -> None:
    """A new run: its seed-0 sample grid drawn next to the table, its figures printed."""
    from benchmarks.conditional.run import GRID_PER_CLASS

    if spec.seed == 0:
        from torchvision.utils import save_image

        from lightning_gans.convert import to_unit_range

        out.mkdir(parents=True, exist_ok=True)
        save_image(to_unit_range(record["_grid"]), out / f"{spec.dataset}_grid.png", nrow=GRID_PER_CLASS, padding=1)
    print(
        f"{spec.dataset} seed {spec.seed}: class accuracy {record['class_accuracy']:.3f}, within-class std ratio "
        f"{record['within_class_std']['ratio']:.3f}, intra-FID {record['intra_fid']['mean']:.2f} "
        f"({record['train_seconds']:.0f} s training, {record['run_wall_s']:.0f} s in all)",
        flush=True,
    )


def main(argv: Sequence[str] | None = None) -> int:
    """Run what is not stored yet, draw the seed-0 sample grids of new runs, write the table from the stored JSON."""
    from benchmarks.conditional.report import write_report
    from benchmarks.conditional.run import ConditionalSpec, measure, run_spec

    args = parse_args(argv)
    if args.checkpoint is not None:
        from lightning_gans import ConditionalGAN

        module = ConditionalGAN.load_from_checkpoint(args.checkpoint, map_location="cpu")
        figures, _ = measure(module, args.datasets[0], 0, args.data_dir, args.classifier)
        print(json.dumps(figures, indent=2))
        return 0
    paths = dict(work_root=str(args.work), data_dir=str(args.data_dir), classifier=str(args.classifier))
    specs = [
        ConditionalSpec(dataset, seed, **paths)
        for dataset in args.datasets
        for seed in (args.seeds or DEFAULT_SEEDS[dataset])
    ]
    store = ResultStore(args.results)
    if not args.report_only and not args.classifier.is_file() and not all(store.has(s.key) for s in specs):
        from lightning_gans.metrics.classifier import train_mnist_classifier

        print(f"no MNIST classifier at {args.classifier}: training one from {args.data_dir}", flush=True)
        train_mnist_classifier(args.data_dir, args.classifier, epochs=2)
    run_pending(specs, run_spec, store, args, lambda spec, record: _progress(spec, record, args.out))
    records = store.records("conditional", "shipped")
    if not records:
        print("no stored results")
        return 1
    print(f"table: {write_report(records, args.out)}")
    return 0 if all(store.has(s.key) for s in specs) else 1


if __name__ == "__main__":
    sys.exit(main())
