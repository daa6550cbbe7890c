"""Command line of the conditional benchmark (see :mod:`benchmarks.conditional`)."""

from __future__ import annotations

import argparse
import time
from collections.abc import Sequence
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
DEFAULT_OUT = ROOT / "benchmarks" / "results" / "conditional"
DEFAULT_DATA_DIR = ROOT.parent / "shared" / "data" / "mnist"
DEFAULT_CLASSIFIER = Path.home() / ".cache" / "lightning_gans" / "mnist_classifier.pt"
DEFAULT_SEEDS = {"digits": (0, 1, 2), "mnist": (0,)}


def _ints(text: str) -> tuple[int, ...]:
    try:
        values = tuple(int(part) for part in text.split(",") if part.strip())
    except ValueError:
        raise argparse.ArgumentTypeError(f"--seeds must be comma-separated integers >= 0, got {text!r}") from None
    if not values or min(values) < 0:
        raise argparse.ArgumentTypeError(f"--seeds must be comma-separated integers >= 0, got {text!r}")
    return values


def main(argv: Sequence[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="python -m benchmarks.conditional", description=__doc__)
    parser.add_argument("--datasets", default="digits,mnist", help="comma-separated: digits, mnist")
    parser.add_argument("--seeds", type=_ints, help="seeds for every dataset (default: digits 0,1,2; mnist 0)")
    parser.add_argument("--out", type=Path, default=DEFAULT_OUT, help="folder of the JSON files, table and grids")
    parser.add_argument("--work", type=Path, default=ROOT / "outputs" / "benchmarks" / "conditional")
    parser.add_argument("--data-dir", type=Path, default=DEFAULT_DATA_DIR, help="folder with the MNIST IDX files")
    parser.add_argument(
        "--classifier", type=Path, default=DEFAULT_CLASSIFIER, help="MNIST classifier weights (trained if missing)"
    )
    parser.add_argument("--force", action="store_true", help="re-run runs whose JSON file exists")
    parser.add_argument("--report-only", action="store_true", help="only rebuild the table from the JSON files")
    parser.add_argument(
        "--checkpoint", type=Path, help="measure this ConditionalGAN checkpoint on the one dataset given, print, exit"
    )
    args = parser.parse_args(argv)
    from benchmarks.conditional.report import write_report
    from benchmarks.conditional.run import RECIPES, run_one

    datasets = [name.strip() for name in args.datasets.split(",") if name.strip()]
    unknown = sorted(set(datasets) - set(RECIPES))
    if unknown:
        parser.error(f"--datasets must be among {sorted(RECIPES)}, got {unknown}")
    if args.checkpoint is not None:
        import json

        from benchmarks.conditional.run import measure
        from lightning_gans import ConditionalGAN

        if len(datasets) != 1:
            parser.error("--checkpoint measures one dataset: give --datasets digits or --datasets mnist")
        module = ConditionalGAN.load_from_checkpoint(args.checkpoint, map_location="cpu")
        figures, _ = measure(module, datasets[0], 0, args.data_dir, args.classifier)
        print(json.dumps(figures, indent=2))
        return
    if not args.report_only:
        if not args.classifier.is_file():
            from lightning_gans.metrics.classifier import train_mnist_classifier

            print(f"no MNIST classifier at {args.classifier}: training one from {args.data_dir}", flush=True)
            train_mnist_classifier(args.data_dir, args.classifier, epochs=2)
        for dataset in datasets:
            for seed in args.seeds or DEFAULT_SEEDS[dataset]:
                if (args.out / f"{dataset}_seed{seed}.json").is_file() and not args.force:
                    print(f"{dataset} seed {seed}: done already", flush=True)
                    continue
                start = time.perf_counter()
                record = run_one(dataset, seed, args.out, args.work, args.data_dir, args.classifier)
                print(
                    f"{dataset} seed {seed}: class accuracy {record['class_accuracy']:.3f}, within-class std ratio "
                    f"{record['within_class_std']['ratio']:.3f}, intra-FID {record['intra_fid']['mean']:.2f} "
                    f"({record['train_seconds']:.0f} s training, {time.perf_counter() - start:.0f} s in all)",
                    flush=True,
                )
    print(f"table: {write_report(args.out)}")


if __name__ == "__main__":
    main()
