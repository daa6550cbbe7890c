"""The conditional benchmark's table, built from the stored per-run records (mean ± standard error over seeds)."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import Any

from benchmarks.harness import describe_environment, format_mean_se, mean_se

DATASET_NAMES = {"digits": "scikit-learn digits (28 px)", "mnist": "MNIST (28 px)"}


def _mean_se(values: list[float]) -> str:
    return format_mean_se(mean_se(values), 3)


def markdown_table(runs: Sequence[dict[str, Any]]) -> str:
    """One row per dataset (mean ± s.e. over its seeds), then one row per run."""
    runs = sorted(runs, key=lambda run: (run["dataset"], run["seed"]))
    header = (
        "| dataset | seeds | class accuracy (real) | within-class std / real | intra-FID (classifier features) "
        "| train s/run (CPU s) |\n|---|---|---|---|---|---|"
    )
    rows = [header]
    for dataset in sorted({run["dataset"] for run in runs}):
        group = [run for run in runs if run["dataset"] == dataset]
        rows.append(
            f"| {DATASET_NAMES.get(dataset, dataset)} | {', '.join(str(run['seed']) for run in group)} "
            f"| {_mean_se([run['class_accuracy'] for run in group])} ({group[0]['class_accuracy_real']:.3f}) "
            f"| {_mean_se([run['within_class_std']['ratio'] for run in group])} "
            f"| {_mean_se([run['intra_fid']['mean'] for run in group])} "
            f"| {sum(run['train_seconds'] for run in group) / len(group):.0f} "
            f"({sum(run.get('train_cpu_seconds', float('nan')) for run in group) / len(group):.0f}) |"
        )
    rows += [
        "",
        "| run | class accuracy | within-class std (samples / real) | intra-FID | train s (CPU s) |",
        "|---|---|---|---|---|",
    ]
    for run in runs:
        std = run["within_class_std"]
        rows.append(
            f"| {run['dataset']} seed {run['seed']} | {run['class_accuracy']:.3f} "
            f"| {std['ratio']:.3f} ({std['fake_std']:.3f} / {std['real_std']:.3f}) | {run['intra_fid']['mean']:.2f} "
            f"| {run['train_seconds']:.0f} ({run.get('train_cpu_seconds', float('nan')):.0f}) |"
        )
    return "\n".join(rows)


def write_report(runs: Sequence[dict[str, Any]], folder: Path) -> Path:
    """Write ``<folder>/conditional.md`` from the stored records ``runs``; return its path."""
    commands = sorted({run["command"] for run in runs})
    text = "\n".join(
        [
            "# Conditional GAN benchmark",
            "",
            "Written by `python -m benchmarks.conditional` from the stored per-run JSON files "
            "(`benchmarks/results/runs/conditional/shipped/<recipe>/seed<k>.json`).",
            f"Machine: {describe_environment(runs)}.",
            "",
            markdown_table(runs),
            "",
            "Commands (WORK = the run's scratch folder):",
            "",
            *[f"    {command}" for command in commands],
            "",
        ]
    )
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / "conditional.md"
    path.write_text(text)
    return path
