"""Mode-collapse benchmark: every variant and remedy on the ring-8 and grid-25 mixtures and on stacked MNIST, and the
published protocols (PacGAN Tables 1-3) with the papers' own networks and optimizers.

Each (recipe, dataset, seed) is trained with a real Lightning ``Trainer`` for a budget of generator steps and
evaluated with the VEEGAN / PacGAN protocol (2,500 samples on the mixtures, 26,000 on stacked MNIST). Every run is
stored as one JSON file under ``--results`` (default ``benchmarks/results/runs``); a run whose file exists is
skipped, so a table can be completed over several invocations. The tables are then built from the stored JSON alone
and written under ``--out``:

- ``mode_collapse.md`` (shared settings), ``mode_collapse_<protocol>_<steps>steps.md`` (one per budget, so runs of
  a protocol at two budgets keep both reports) or ``mode_collapse_shipped.md``: provenance, tables, published rows;
- ``mode_collapse_<dataset>.png`` and ``mode_collapse_<dataset>_<recipe>.png``: the first seed's samples of the
  runs made by this invocation.

``--quick`` writes everything (JSON included) under ``benchmarks/results/quick/`` (not committed).

    python -m benchmarks.mode_collapse --quick          # CI smoke run: 2-D only, 2 seeds, short budget
    python -m benchmarks.mode_collapse                  # shared settings, full run
    python -m benchmarks.mode_collapse --datasets grid --variants gan,pacgan4 --seeds 0,1,2 --steps 2000
    python -m benchmarks.mode_collapse --protocol pacgan_table1_grid --seeds 0,1,2,3,4 --steps 20000 --curve-every 2000
    python -m benchmarks.mode_collapse --configs grid_fast,ring_fast --seeds 0,1,2,3,4  # shipped recipes, from their files
    python -m benchmarks.mode_collapse --report-only    # rebuild the tables from the stored JSON
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from benchmarks.harness import ROOT, ResultStore, add_runner_arguments, run_pending, seed_list
from benchmarks.mode_collapse.protocols import PROTOCOLS
from benchmarks.mode_collapse.recipes import DATASETS, DATASETS_2D, RECIPES, SETUPS, recipes_for
from benchmarks.mode_collapse.report import all_finite, markdown_report, run_label, summarize
from benchmarks.mode_collapse.run import SHARED, RunSpec, run_one
from benchmarks.mode_collapse.shipped import SHIPPED, config_budget
from lightning_gans.cli.recipes import list_configs

DEFAULT_OUT = ROOT / "benchmarks" / "results"
QUICK_OUT = DEFAULT_OUT / "quick"  # git-ignored
DEFAULT_DATA_DIR = ROOT.parent / "shared" / "data" / "mnist"
DEFAULT_CLASSIFIER = Path.home() / ".cache" / "lightning_gans" / "mnist_classifier.pt"
# The full run: 3 seeds on the mixtures. Stacked MNIST costs several CPU minutes per run (training, then 78,000
# digits to classify), so by default it runs the four published comparisons (DCGAN, PacDCGAN2 and the hard setting)
# with one seed; other variants and seeds with --variants / --seeds.
FULL_SEEDS = {"ring": (0, 1, 2), "grid": (0, 1, 2), "stacked_mnist": (0,)}
FULL_IMAGE_VARIANTS = ("gan", "pacgan2", "gan_small_d", "pacgan4_small_d")
QUICK_SEEDS = (0, 1)
PROTOCOL_SEEDS = (0, 1, 2, 3, 4)  # issue-level minimum for a published comparison on 2-D
PROTOCOL_QUICK_STEPS = 200


def _csv(text: str) -> tuple[str, ...]:
    return tuple(part.strip() for part in text.split(",") if part.strip())


def parse_args(argv: Sequence[str] | None = None) -> argparse.Namespace:
    """The command line (see the module docstring).

    >>> args = parse_args(["--protocol", "pacgan_table1_grid", "--variants", "gan", "--jobs", "1"])
    >>> args.protocol, args.variants, args.jobs, args.out.name
    ('pacgan_table1_grid', ('gan',), 1, 'results')
    """
    parser = argparse.ArgumentParser(prog="python -m benchmarks.mode_collapse", description=__doc__.split("\n\n")[0])
    parser.add_argument("--quick", action="store_true", help="smoke run: short budget, seeds 0,1, under results/quick")
    parser.add_argument("--seeds", type=seed_list, help="comma-separated seeds (default: per dataset / protocol)")
    parser.add_argument("--steps", type=int, help="generator steps per run (default: per dataset / protocol)")
    parser.add_argument("--datasets", type=_csv, help=f"shared settings: comma-separated, from {', '.join(DATASETS)}")
    parser.add_argument("--variants", type=_csv, help="comma-separated recipes (of the shared settings or --protocol)")
    parser.add_argument("--protocol", choices=sorted(PROTOCOLS), help="run a published protocol's recipe set instead")
    parser.add_argument(
        "--configs",
        type=_csv,
        help="run shipped 2-D recipes (lightning-gans fit --config NAME) instead, e.g. grid_fast",
    )
    parser.add_argument("--curve-every", type=int, help="2-D: also score the model every N generator steps")
    parser.add_argument("--out", type=Path, help="folder for tables and pictures (default: benchmarks/results)")
    parser.add_argument("--data-dir", type=Path, default=DEFAULT_DATA_DIR, help="folder with the MNIST IDX files")
    parser.add_argument(
        "--classifier",
        type=Path,
        default=DEFAULT_CLASSIFIER,
        help="MNIST classifier weights; trained there first if missing (python -m lightning_gans.metrics.classifier)",
    )
    parser.add_argument("--eval-samples", type=int, help="override the protocol's sample count (2,500 / 26,000)")
    add_runner_arguments(parser)
    args = parser.parse_args(argv)
    for name in ("steps", "eval_samples", "curve_every"):
        if getattr(args, name) is not None and getattr(args, name) < 1:
            parser.error(f"--{name.replace('_', '-')} must be >= 1, got {getattr(args, name)}")
    allowed = [r.name for r in PROTOCOLS[args.protocol].recipes] if args.protocol else list(RECIPES)
    for value, choices, flag in ((args.datasets, DATASETS, "--datasets"), (args.variants, allowed, "--variants")):
        unknown = sorted(set(value or ()) - set(choices))
        if unknown:
            parser.error(f"{flag}: unknown {unknown}; choose from {', '.join(choices)}")
    unknown = sorted(set(args.configs or ()) - set(list_configs()))
    if unknown:
        parser.error(f"--configs: unknown {unknown}; choose from {', '.join(list_configs())}")
    if args.configs and (args.protocol or args.datasets or args.variants or args.steps):
        parser.error("--configs trains each recipe from its file: no --protocol, --datasets, --variants or --steps")
    if args.protocol and args.datasets:
        parser.error("--datasets is for the shared settings; a --protocol has its own dataset")
    if args.out is None:
        args.out = QUICK_OUT if args.quick else DEFAULT_OUT
    if args.quick and args.results == parser.get_default("results"):
        args.results = args.out / "runs"  # quick results never mix with the committed ones
    return args


def plan(args: argparse.Namespace) -> list[RunSpec]:
    """The runs of this invocation, longest first (stacked MNIST, then WGAN-GP), so parallel workers end together.

    >>> specs = plan(parse_args(["--quick", "--datasets", "grid", "--variants", "gan,pacgan4"]))
    >>> sorted({(s.recipe, s.seed) for s in specs})
    [('gan', 0), ('gan', 1), ('pacgan4', 0), ('pacgan4', 1)]
    >>> [(s.recipe, s.batch_size) for s in plan(parse_args(["--protocol", "pacgan_table1_ring", "--seeds", "0"]))]
    [('gan', 100), ('pacgan2', 200), ('pacgan3', 300), ('pacgan4', 400)]
    """
    common = dict(
        eval_samples=args.eval_samples,
        data_dir=str(args.data_dir),
        classifier=str(args.classifier),
        curve_every=args.curve_every,
    )
    specs = []
    if args.configs:
        for name in args.configs:
            dataset, steps, batch = config_budget(name)
            seeds = args.seeds or (QUICK_SEEDS if args.quick else PROTOCOL_SEEDS)
            for seed in seeds:
                first = seed == seeds[0]
                specs.append(
                    RunSpec(name, dataset, seed, steps, batch, args.eval_samples, protocol=SHIPPED, keep_samples=first)
                )
        return specs
    if args.protocol:
        protocol = PROTOCOLS[args.protocol]
        seeds = args.seeds or (QUICK_SEEDS if args.quick else PROTOCOL_SEEDS)
        steps = args.steps or (PROTOCOL_QUICK_STEPS if args.quick else protocol.published_generator_steps)
        for recipe in protocol.recipes:
            if args.variants and recipe.name not in args.variants:
                continue
            for seed in seeds:
                batch = protocol.data_batch_size(recipe.pack)
                first = seed == seeds[0]
                specs.append(
                    RunSpec(
                        recipe.name,
                        protocol.dataset,
                        seed,
                        steps,
                        batch,
                        protocol=protocol.name,
                        keep_samples=first,
                        **common,
                    )
                )
        return specs
    for dataset in args.datasets or (DATASETS_2D if args.quick else DATASETS):
        seeds = args.seeds or (QUICK_SEEDS if args.quick else FULL_SEEDS[dataset])
        names = args.variants or (FULL_IMAGE_VARIANTS if dataset == "stacked_mnist" and not args.quick else None)
        steps = args.steps or (SETUPS[dataset].quick_steps if args.quick else SETUPS[dataset].steps)
        for recipe in recipes_for(dataset, names):
            for seed in seeds:
                first = seed == seeds[0]
                specs.append(
                    RunSpec(recipe.name, dataset, seed, steps, SETUPS[dataset].batch_size, keep_samples=first, **common)
                )
    cost = {"stacked_mnist": 100, "ring": 1, "grid": 1}
    return sorted(
        specs, key=lambda s: -cost[s.dataset] * RECIPES[s.recipe].engine_options(s.dataset).get("n_critic", 1)
    )


def _ensure_classifier(specs: Sequence[RunSpec], data_dir: Path, classifier: Path) -> None:
    if not any(s.dataset == "stacked_mnist" for s in specs) or classifier.is_file():
        return
    from lightning_gans.metrics.classifier import train_mnist_classifier

    print(f"no MNIST classifier at {classifier}: training one from {data_dir} (a few CPU minutes)", flush=True)
    train_mnist_classifier(data_dir, classifier)


def _draw(prefix: str, fresh: list[tuple[RunSpec, dict[str, Any]]], out: Path) -> None:
    from benchmarks.mode_collapse.plots import save_overview, save_run_picture

    drawn: dict[str, list] = {}
    for spec, record in fresh:
        if "_samples" in record:  # the first seed of each recipe
            label = run_label(record)
            save_run_picture(prefix, spec.recipe, spec.dataset, label, record["_samples"], record["metrics"], out)
            drawn.setdefault(spec.dataset, []).append((label, record["_samples"], record["metrics"]))
    for dataset, runs in drawn.items():
        save_overview(prefix, dataset, runs, out)


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point: plan, run what is not stored yet, build the tables from the stored JSON, print them."""
    argv = list(sys.argv[1:] if argv is None else argv)
    args = parse_args(argv)
    specs = plan(args)
    store = ResultStore(args.results)
    # One report per protocol budget: runs of a protocol at two budgets keep both reports.
    name = f"{args.protocol}_{specs[0].steps}steps" if args.protocol else (SHIPPED if args.configs else "")
    prefix = "mode_collapse" + (f"_{name}" if name else "") + ("_quick" if args.quick else "")
    args.out.mkdir(parents=True, exist_ok=True)
    if not args.report_only:
        _ensure_classifier(specs, args.data_dir, args.classifier)
        todo = sum(args.force or not store.has(s.key) for s in specs)
        print(f"{len(specs)} runs ({len(specs) - todo} stored), {args.jobs} job(s) x {args.threads} thread(s)")
        fresh: list[tuple[RunSpec, dict[str, Any]]] = []

        def progress(spec: RunSpec, record: dict[str, Any]) -> None:
            fresh.append((spec, record))
            metrics = ", ".join(f"{k} {v:.3f}" for k, v in record["metrics"].items())
            print(f"[{len(fresh)}/{todo}] {spec.key.relative_path}: {metrics}; {record['wall_s']:.0f} s", flush=True)

        run_pending(specs, run_one, store, args, progress)
        _draw(prefix, fresh, args.out)
    records = store.stored(specs)
    missing = len(specs) - len(records)
    if not records:
        print("no stored results for this plan")
        return 1
    from benchmarks.mode_collapse.plots import picture_name, save_curves

    # Each recipe's own picture (its first seed) where all exist: the overview shows only the last batch of runs.
    runs = dict.fromkeys((r["dataset"], r["recipe"]) for r in records)
    pictures = [picture_name(prefix, recipe, dataset) for dataset, recipe in runs]
    if not all((args.out / p).is_file() for p in pictures):
        pictures = [f"{prefix}_{d}.png" for d in dict.fromkeys(r["dataset"] for r in records)]
    pictures += save_curves(prefix, records, args.out)  # redrawn from the stored JSON every time
    report = markdown_report(records, [p for p in pictures if (args.out / p).is_file()])
    (args.out / f"{prefix}.md").write_text(report)
    print(report)
    print(
        f"wrote {args.out / prefix}.md from {len(records)} stored runs" + (f" ({missing} missing)" if missing else "")
    )
    return 0 if all_finite(summarize(records)) and not missing else 1


if __name__ == "__main__":
    sys.exit(main())


__all__ = ["SHARED", "main", "parse_args", "plan"]
