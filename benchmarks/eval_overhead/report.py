"""The evaluation-overhead tables, built from the stored per-run records alone (mean ± standard error over seeds)."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from benchmarks.harness import describe_environment, format_mean_se, mean_se


def _stat(runs: Sequence[dict[str, Any]], key: str, digits: int, suffix: str = "") -> str:
    return format_mean_se(mean_se([r[key] for r in runs]), digits, suffix=suffix)


def overhead_table(records: Sequence[dict[str, Any]]) -> list[str]:
    """One row per (schedule, epochs, callback settings) over its seeds, then one row per run."""
    groups: dict[tuple, list[dict[str, Any]]] = {}
    for r in sorted(records, key=lambda r: (r["epochs"], r["schedule"], r["seed"])):
        groups.setdefault((r["schedule_text"], r["epochs"], r["setup"]["callback"]), []).append(r)
    lines = [
        "| schedule | epochs | seeds | evaluations | evaluation s | share of training time | training s without "
        "| wall-clock overhead |",
        "|---|---:|---|---:|---:|---:|---:|---:|",
    ]
    for (text, epochs, _), runs in groups.items():
        lines.append(
            f"| {text} | {epochs} | {', '.join(str(r['seed']) for r in runs)} | {_stat(runs, 'evaluations', 1)} | "
            f"{_stat(runs, 'evaluation_seconds_total', 1)} | {_stat(runs, 'evaluation_percent_of_training', 1, '%')} "
            f"| {_stat(runs, 'train_seconds_without_callback', 1)} | "
            f"{_stat(runs, 'wall_clock_overhead_percent', 1, '%')} |"
        )
    lines += [
        "",
        "| run | evaluation steps | seconds each | training s with / without | generator steps |",
        "|---|---|---|---|---:|",
    ]
    for runs in groups.values():
        for r in runs:
            lines.append(
                f"| {r['schedule']}, {r['epochs']} epochs, seed {r['seed']} | "
                f"{', '.join(map(str, r['evaluation_steps']))} | {', '.join(map(str, r['evaluation_seconds_each']))} "
                f"| {r['train_seconds']:.1f} / {r['train_seconds_without_callback']:.1f} | {r['generator_steps']} |"
            )
    return lines


def kid_table(records: Sequence[dict[str, Any]]) -> list[str]:
    """KID with all subsets in one batched kernel against torch-fidelity's loop, per feature size."""
    groups: dict[tuple[int, int], list[dict[str, Any]]] = {}
    for r in records:
        groups.setdefault((r["num_samples"], r["dim"]), []).append(r)
    lines = [
        "| features | subsets | runs | batched kernel s | torch-fidelity loop s |",
        "|---|---:|---:|---:|---:|",
    ]
    for (samples, dim), runs in sorted(groups.items()):
        lines.append(
            f"| {samples:,} x {samples:,}, {dim}-d | {runs[0]['subsets']} of {runs[0]['subset_size']:,} | {len(runs)} "
            f"| {_stat(runs, 'batched_seconds', 2)} | {_stat(runs, 'torch_fidelity_seconds', 2)} |"
        )
    return lines


def markdown_report(overhead: Sequence[dict[str, Any]], kid: Sequence[dict[str, Any]]) -> str:
    """The whole ``eval_overhead.md``: provenance, the overhead tables, the KID timing."""
    runs = [*overhead, *kid]
    setups = sorted({(r["setup"]["model"], r["setup"]["data"], r["setup"]["feature_extractor"]) for r in overhead})
    lines = [
        "# Evaluation overhead: EvaluationCallback against training time",
        "",
        "Written by `python -m benchmarks.eval_overhead` from the stored per-run JSON "
        "(`benchmarks/results/runs/eval_overhead/`). Each run trains the model without the callback, then with it, "
        "in one process; values are mean ± standard error over seeds.",
        "",
        *[f"- Model: {model}; data: {data}; features: {features}." for model, data, features in setups],
        f"- Machine: {describe_environment(runs)}.",
        "",
    ]
    if overhead:
        lines += [*overhead_table(overhead), ""]
    if kid:
        lines += ["## KID: one batched kernel against torch-fidelity's loop", "", *kid_table(kid), ""]
    return "\n".join(lines)
