"""Mode-collapse benchmark: every variant and remedy on the ring-8 and grid-25 mixtures and on stacked MNIST.

Each (variant, dataset, seed) is trained with a real Lightning ``Trainer`` for the same budget of generator steps
(the recipes and the settings they share are in :mod:`benchmarks.recipes`) and evaluated with the VEEGAN / PacGAN
protocol (2,500 samples on the mixtures, 26,000 on stacked MNIST). The script writes, under ``--out``:

- ``mode_collapse.json``: every run (metrics, wall and CPU time, parameter counts) and the mean ± standard error
  per variant, with the command, seeds, machine, versions and git commit;
- ``mode_collapse.md``: the tables next to the published numbers (PacGAN Table 1 & 2, VEEGAN) and the targets;
- ``mode_collapse_<dataset>_<variant>.png``: the first seed's samples (2-D scatter over the mode centres, or a grid
  of stacked-MNIST samples) and ``mode_collapse_<dataset>.png`` with all variants side by side.

``--quick`` writes the same files with the prefix ``mode_collapse_quick`` instead.

    python benchmarks/mode_collapse.py --quick         # CI smoke run: 2-D only, 2 seeds, short budget
    python benchmarks/mode_collapse.py                 # full run (stacked MNIST needs --data-dir and --classifier)
    python benchmarks/mode_collapse.py --datasets grid --variants gan,pacgan4 --seeds 0,1,2 --steps 2000
"""

from __future__ import annotations

import argparse
import json
import math
import os
import platform
import subprocess
import sys
import time
from collections.abc import Sequence
from concurrent.futures import ProcessPoolExecutor
from multiprocessing import get_context
from pathlib import Path
from typing import Any

if __package__ in (None, ""):  # run as a script: make the repository root importable for `benchmarks.*`
    sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

import lightning  # noqa: E402
import torch  # noqa: E402

from benchmarks.mode_collapse_plots import save_overview, save_run_picture  # noqa: E402
from benchmarks.mode_collapse_report import markdown_report, summarize  # noqa: E402
from benchmarks.mode_collapse_run import RunSpec, quiet, run_one  # noqa: E402
from benchmarks.recipes import DATASETS, DATASETS_2D, RECIPES, SETUPS, recipes_for  # noqa: E402

ROOT = Path(__file__).resolve().parents[1]
DEFAULT_OUT = ROOT / "benchmarks" / "results"
DEFAULT_DATA_DIR = ROOT.parent / "shared" / "data" / "mnist"
DEFAULT_CLASSIFIER = Path.home() / ".cache" / "lightning_gans" / "mnist_classifier.pt"
# The full run: 3 seeds on the mixtures. Stacked MNIST costs several CPU minutes per run (training, then 78,000
# digits to classify), so by default it runs the four published comparisons (DCGAN, PacDCGAN2 and the hard setting)
# with one seed; other variants and seeds with --variants / --seeds.
FULL_SEEDS = {"ring": (0, 1, 2), "grid": (0, 1, 2), "stacked_mnist": (0,)}
FULL_IMAGE_VARIANTS = ("gan", "pacgan2", "gan_small_d", "pacgan4_small_d")
QUICK_SEEDS = (0, 1)


def _csv(text: str) -> tuple[str, ...]:
    return tuple(part.strip() for part in text.split(",") if part.strip())


def _seeds(text: str) -> tuple[int, ...]:
    try:
        seeds = tuple(int(part) for part in _csv(text))
    except ValueError:
        raise argparse.ArgumentTypeError(f"--seeds must be comma-separated integers >= 0, got {text!r}") from None
    if not seeds or min(seeds) < 0:
        raise argparse.ArgumentTypeError(f"--seeds must be comma-separated integers >= 0, got {text!r}")
    return seeds


def parse_args(argv: Sequence[str] | None = None) -> argparse.Namespace:
    """The command line (see the module docstring)."""
    parser = argparse.ArgumentParser(prog="python benchmarks/mode_collapse.py", description=__doc__.split("\n\n")[0])
    parser.add_argument("--quick", action="store_true", help="CI smoke run: 2-D mixtures, seeds 0,1, short budget")
    parser.add_argument(
        "--seeds",
        type=_seeds,
        help="comma-separated seeds (default: 0,1,2 on the mixtures and 0 on stacked MNIST; --quick 0,1)",
    )
    parser.add_argument("--steps", type=int, help="generator steps per run, every dataset (default: per dataset)")
    parser.add_argument("--datasets", type=_csv, help=f"comma-separated, from {', '.join(DATASETS)}")
    parser.add_argument("--variants", type=_csv, help=f"comma-separated, from {', '.join(RECIPES)}")
    parser.add_argument(
        "--out", type=Path, default=DEFAULT_OUT, help="folder for the results (default: benchmarks/results)"
    )
    parser.add_argument("--data-dir", type=Path, default=DEFAULT_DATA_DIR, help="folder with the MNIST IDX files")
    parser.add_argument(
        "--classifier",
        type=Path,
        default=DEFAULT_CLASSIFIER,
        help="MNIST classifier weights; trained there first if missing (python -m lightning_gans.metrics.classifier)",
    )
    parser.add_argument("--eval-samples", type=int, help="override the protocol's sample count (2,500 / 26,000)")
    parser.add_argument(
        "--jobs",
        type=int,
        default=min(2, os.cpu_count() or 1),
        help="runs in parallel worker processes, one torch thread each by default (default: 2)",
    )
    parser.add_argument("--threads", type=int, default=1, help="torch threads per process (default 1)")
    args = parser.parse_args(argv)
    for name in ("steps", "eval_samples"):
        if getattr(args, name) is not None and getattr(args, name) < 1:
            parser.error(f"--{name.replace('_', '-')} must be >= 1, got {getattr(args, name)}")
    if args.jobs < 1 or args.threads < 1:
        parser.error(f"--jobs and --threads must be >= 1, got {args.jobs} and {args.threads}")
    for value, allowed, flag in (
        (args.datasets, DATASETS, "--datasets"),
        (args.variants, tuple(RECIPES), "--variants"),
    ):
        unknown = sorted(set(value or ()) - set(allowed))
        if unknown:
            parser.error(f"{flag}: unknown {unknown}; choose from {', '.join(allowed)}")
    return args


def plan(args: argparse.Namespace) -> list[RunSpec]:
    """The runs of this invocation, longest first (stacked MNIST, then WGAN-GP), so parallel workers end together.

    >>> specs = plan(parse_args(["--quick", "--datasets", "grid", "--variants", "gan,pacgan4"]))
    >>> sorted({(s.recipe, s.seed) for s in specs})
    [('gan', 0), ('gan', 1), ('pacgan4', 0), ('pacgan4', 1)]
    """
    datasets = args.datasets or (DATASETS_2D if args.quick else DATASETS)
    specs = []
    for dataset in datasets:
        seeds = args.seeds or (QUICK_SEEDS if args.quick else FULL_SEEDS[dataset])
        names = args.variants or (FULL_IMAGE_VARIANTS if dataset == "stacked_mnist" and not args.quick else None)
        steps = args.steps or (SETUPS[dataset].quick_steps if args.quick else SETUPS[dataset].steps)
        for recipe in recipes_for(dataset, names):
            for seed in seeds:
                specs.append(
                    RunSpec(
                        recipe.name,
                        dataset,
                        seed,
                        steps,
                        SETUPS[dataset].batch_size,
                        args.eval_samples,
                        str(args.data_dir),
                        str(args.classifier),
                        keep_samples=seed == seeds[0],
                    )
                )
    cost = {"stacked_mnist": 100, "ring": 1, "grid": 1}
    return sorted(
        specs, key=lambda s: -cost[s.dataset] * RECIPES[s.recipe].engine_options(s.dataset).get("n_critic", 1)
    )


def _init_worker(threads: int) -> None:
    torch.set_num_threads(threads)
    quiet()


def _ensure_classifier(specs: Sequence[RunSpec], data_dir: Path, classifier: Path) -> dict[str, Any] | None:
    if not any(s.dataset == "stacked_mnist" for s in specs):
        return None
    from lightning_gans.metrics.classifier import load_mnist_classifier, train_mnist_classifier

    if not classifier.is_file():
        print(f"no MNIST classifier at {classifier}: training one from {data_dir} (a few CPU minutes)", flush=True)
        train_mnist_classifier(data_dir, classifier)
    return dict(load_mnist_classifier(classifier).metadata, path=str(classifier))


def _cpu_name() -> str:
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or platform.machine()


def _git_commit() -> str:
    def git(*command: str) -> str:
        return subprocess.run(["git", *command], cwd=ROOT, capture_output=True, text=True, check=False).stdout.strip()

    commit = git("rev-parse", "--short", "HEAD") or "unknown"
    # The code that produced the numbers: flag edited or not yet added files of the library and the benchmarks.
    changed = git("status", "--porcelain", "--", "lightning_gans", "benchmarks", ":(exclude)benchmarks/results")
    return commit + ("+uncommitted" if changed else "")


def run_benchmark(args: argparse.Namespace, command: str) -> tuple[list[dict[str, Any]], dict[str, Any]]:
    """Run every planned (variant, dataset, seed), write the JSON, markdown and pictures; return summary and meta."""
    specs = plan(args)
    prefix = "mode_collapse_quick" if args.quick else "mode_collapse"
    args.out.mkdir(parents=True, exist_ok=True)
    classifier = _ensure_classifier(specs, args.data_dir, args.classifier)
    commit = _git_commit()  # the code as it is when the runs start
    started = time.perf_counter()
    records = []
    print(f"{len(specs)} runs, {args.jobs} job(s) x {args.threads} thread(s)", flush=True)
    if args.jobs == 1:
        _init_worker(args.threads)
        results = map(run_one, specs)
    else:  # spawn: fresh interpreters, no inherited thread pools
        pool = ProcessPoolExecutor(
            args.jobs, mp_context=get_context("spawn"), initializer=_init_worker, initargs=(args.threads,)
        )
        results = pool.map(run_one, specs)
    for index, record in enumerate(results, 1):
        records.append(record)
        metrics = ", ".join(f"{k} {v:.3f}" for k, v in record["metrics"].items())
        print(
            f"[{index}/{len(specs)}] {record['dataset']} {record['recipe']} seed {record['seed']}: {metrics}; "
            f"train {record['wall_s']:.0f} s, eval {record['eval_s']:.0f} s{' ' + record['error'] if record['error'] else ''}",
            flush=True,
        )
    if args.jobs > 1:
        pool.shutdown()
    order = {name: i for i, name in enumerate(RECIPES)}
    records.sort(key=lambda r: (DATASETS.index(r["dataset"]), order[r["recipe"]], r["seed"]))
    drawn: dict[str, list] = {}
    for record in records:  # a picture of the first seed of every recipe, then one of all recipes side by side
        samples = record.pop("_samples", None)
        record["picture"] = None
        if samples is not None:
            dataset, recipe = record["dataset"], record["recipe"]
            record["picture"] = save_run_picture(prefix, recipe, dataset, samples, record["metrics"], args.out)
            drawn.setdefault(dataset, []).append((recipe, samples, record["metrics"]))
    overviews = {dataset: save_overview(prefix, dataset, runs, args.out) for dataset, runs in drawn.items()}
    summary = summarize(records)
    meta = {
        "command": command,
        "quick": args.quick,
        "seeds": {
            d: sorted({s.seed for s in specs if s.dataset == d}) for d in DATASETS if any(s.dataset == d for s in specs)
        },
        "steps": {
            d: next(s.steps for s in specs if s.dataset == d) for d in DATASETS if any(s.dataset == d for s in specs)
        },
        "batch_sizes": {d: SETUPS[d].batch_size for d in DATASETS if any(s.dataset == d for s in specs)},
        "eval_samples": {
            d: next(s.eval_samples for s in specs if s.dataset == d)
            for d in DATASETS
            if any(s.dataset == d for s in specs)
        },
        "machine": f"{os.cpu_count()}-core CPU ({_cpu_name()}), {args.jobs} run(s) in parallel x {args.threads} torch "
        "thread(s), no GPU",
        "versions": {
            "python": platform.python_version(),
            "torch": torch.__version__,
            "lightning": lightning.__version__,
        },
        "git_commit": commit,
        "total_minutes": (time.perf_counter() - started) / 60,
        "stacked_mnist_source": "the MNIST test set only (10,000 digits; stacks drawn with replacement)",
        "classifier": classifier
        and f"MNISTClassifier (held-out accuracy {100 * classifier['accuracy']:.2f}%, "
        f"sha256 {classifier['sha256'][:12]}, {classifier['training_data']})",
        "overviews": overviews,
    }
    payload = {"benchmark": "mode_collapse", "meta": meta, "summary": summary, "runs": records}
    (args.out / f"{prefix}.json").write_text(
        json.dumps(payload, indent=1, default=_json_default, allow_nan=True) + "\n"
    )
    (args.out / f"{prefix}.md").write_text(markdown_report(summary, meta) + "\n")
    return summary, meta


def _json_default(value: Any) -> Any:
    if isinstance(value, Path):
        return str(value)
    raise TypeError(f"cannot write {type(value).__name__} to JSON")


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point: parse, run, print the markdown report."""
    argv = list(sys.argv[1:] if argv is None else argv)
    args = parse_args(argv)
    command = " ".join(["python benchmarks/mode_collapse.py", *argv])
    summary, meta = run_benchmark(args, command)
    prefix = "mode_collapse_quick" if args.quick else "mode_collapse"
    print((args.out / f"{prefix}.md").read_text())
    print(f"wrote {args.out / prefix}.json and .md in {meta['total_minutes']:.1f} min")
    return 0 if all(not math.isnan(r["metrics"]["modes"]["mean"]) for r in summary) else 1


if __name__ == "__main__":
    sys.exit(main())
