"""The conditional benchmark's table, built from the per-run JSON files (mean ± standard error over seeds)."""

from __future__ import annotations

import json
import math
from pathlib import Path
from typing import Any

DATASET_NAMES = {"digits": "scikit-learn digits (28 px)", "mnist": "MNIST (28 px)"}


def load_runs(folder: Path) -> list[dict[str, Any]]:
    """Every ``<dataset>_seed<seed>.json`` in ``folder``, sorted by dataset and seed."""
    runs = [json.loads(path.read_text()) for path in sorted(folder.glob("*_seed*.json"))]
    return sorted(runs, key=lambda run: (run["dataset"], run["seed"]))


def mean_se(values: list[float]) -> str:
    """``mean ± standard error`` (just the value for a single run).

    >>> mean_se([1.0, 2.0, 3.0]), mean_se([0.5])
    ('2.000 ± 0.577', '0.500')
    """
    mean = sum(values) / len(values)
    if len(values) < 2:
        return f"{mean:.3f}"
    var = sum((v - mean) ** 2 for v in values) / (len(values) - 1)
    return f"{mean:.3f} ± {math.sqrt(var / len(values)):.3f}"


def markdown_table(runs: list[dict[str, Any]]) -> str:
    """One row per dataset (mean ± s.e. over its seeds), then one row per run."""
    header = (
        "| dataset | seeds | class accuracy (real) | within-class std / real | intra-FID (classifier features) "
        "| train s/run (CPU s) |\n|---|---|---|---|---|---|"
    )
    rows = [header]
    for dataset in sorted({run["dataset"] for run in runs}):
        group = [run for run in runs if run["dataset"] == dataset]
        rows.append(
            f"| {DATASET_NAMES.get(dataset, dataset)} | {', '.join(str(run['seed']) for run in group)} "
            f"| {mean_se([run['class_accuracy'] for run in group])} ({group[0]['class_accuracy_real']:.3f}) "
            f"| {mean_se([run['within_class_std']['ratio'] for run in group])} "
            f"| {mean_se([run['intra_fid']['mean'] for run in group])} "
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


def write_report(folder: Path) -> Path:
    """Write ``<folder>/conditional.md`` from the JSON files there; return its path."""
    runs = load_runs(folder)
    commands = sorted({run["command"] for run in runs})
    text = "\n".join(
        [
            "# Conditional GAN benchmark",
            "",
            "Written by `python -m benchmarks.conditional` from the JSON files next to this one (one per run).",
            "",
            markdown_table(runs),
            "",
            "Commands (WORK = the run's scratch folder):",
            "",
            *[f"    {command}" for command in commands],
            "",
        ]
    )
    path = folder / "conditional.md"
    path.write_text(text)
    return path
