"""Summaries and tables of the mode-collapse benchmark: mean ± standard error over seeds, next to published numbers.

Input: the per-run records of :func:`benchmarks.mode_collapse_run.run_one`. Output: a JSON-ready summary and a
markdown report (tables, targets, pictures).
"""

from __future__ import annotations

import math
import statistics
from collections.abc import Sequence
from typing import Any

from benchmarks.published import published_for
from benchmarks.recipes import DATASETS_2D, RECIPES

METRICS = {
    "ring": ("modes", "high_quality", "reverse_kl"),
    "grid": ("modes", "high_quality", "reverse_kl"),
    "stacked_mnist": ("modes", "kl"),
}
NUM_MODES = {"ring": 8, "grid": 25, "stacked_mnist": 1000}


def mean_se(values: Sequence[float]) -> dict[str, float]:
    """Mean and standard error of the mean (sample std / sqrt(n)); the error is NaN for a single value.

    >>> mean_se([1.0, 2.0, 3.0])
    {'mean': 2.0, 'se': 0.5773502691896258, 'n': 3}
    """
    values = [float(v) for v in values if not math.isnan(float(v))]
    if not values:
        return {"mean": math.nan, "se": math.nan, "n": 0}
    se = statistics.stdev(values) / math.sqrt(len(values)) if len(values) > 1 else math.nan
    return {"mean": statistics.fmean(values), "se": se, "n": len(values)}


def summarize(records: Sequence[dict[str, Any]]) -> list[dict[str, Any]]:
    """One entry per (dataset, recipe), in the order of first appearance: metrics and times as mean ± se.

    Diverged runs count in ``failed`` and are left out of the means.

    >>> runs = [{"dataset": "grid", "recipe": "gan", "seed": s, "error": None, "wall_s": 2.0, "cpu_s": 1.0,
    ...          "eval_s": 0.1, "g_params": 5, "d_params": 4, "picture": None, "generator_steps": 10,
    ...          "metrics": {"modes": m, "high_quality": 0.9, "reverse_kl": 0.1}} for s, m in [(0, 24), (1, 25)]]
    >>> row = summarize(runs)[0]
    >>> row["metrics"]["modes"]["mean"], row["runs"], row["failed"]
    (24.5, 2, 0)
    """
    groups: dict[tuple[str, str], list[dict[str, Any]]] = {}
    for record in records:
        groups.setdefault((record["dataset"], record["recipe"]), []).append(record)
    summary = []
    for (dataset, recipe), runs in groups.items():
        ok = [r for r in runs if r["error"] is None]
        first = min(runs, key=lambda r: r["seed"])
        summary.append(
            {
                "dataset": dataset,
                "recipe": recipe,
                "label": RECIPES[recipe].display_name(dataset),
                "runs": len(runs),
                "failed": len(runs) - len(ok),
                "seeds": sorted(r["seed"] for r in runs),
                "metrics": {key: mean_se([r["metrics"][key] for r in ok]) for key in METRICS[dataset]},
                "wall_s": mean_se([r["wall_s"] for r in runs]),
                "cpu_s": mean_se([r["cpu_s"] for r in runs]),
                "eval_s": mean_se([r["eval_s"] for r in runs]),
                "g_params": first["g_params"],
                "d_params": first["d_params"],
                "picture": first["picture"],
            }
        )
    return summary


def _fmt(stat: dict[str, float], digits: int, scale: float = 1.0, suffix: str = "") -> str:
    if stat["n"] == 0:
        return "—"
    text = f"{scale * stat['mean']:.{digits}f}"
    if not math.isnan(stat["se"]):
        text += f" ± {scale * stat['se']:.{digits}f}"
    return text + suffix


def _failed(row: dict[str, Any]) -> str:
    return f" ({row['failed']}/{row['runs']} diverged)" if row["failed"] else ""


def table_2d(summary: Sequence[dict[str, Any]]) -> list[str]:
    """Markdown table of the 2-D results, one row per recipe, with the published rows interleaved."""
    rows = {}
    for row in summary:
        if row["dataset"] in DATASETS_2D:
            rows.setdefault(row["recipe"], {})[row["dataset"]] = row
    lines = [
        "| model | ring modes /8 | ring HQ | ring rKL | grid modes /25 | grid HQ | grid rKL | train s/run ring, grid |",
        "|---|---|---|---|---|---|---|---|",
    ]
    for recipe, by_dataset in rows.items():
        cells, times = [], []
        for dataset in DATASETS_2D:
            row = by_dataset.get(dataset)
            if row is None:
                cells += ["", "", ""]
                times.append("—")
                continue
            m = row["metrics"]
            cells += [
                _fmt(m["modes"], 1) + _failed(row),
                _fmt(m["high_quality"], 1, 100, "%"),
                _fmt(m["reverse_kl"], 3),
            ]
            times.append(f"{row['wall_s']['mean']:.0f}")
        lines.append(f"| {RECIPES[recipe].label} | " + " | ".join(cells) + f" | {', '.join(times)} |")
        published = [published_for(dataset, recipe) for dataset in DATASETS_2D]
        if any(published):
            model = next(p for p in published if p).model
            source = next(p for p in published if p).source
            pub_cells = []
            for p in published:
                pub_cells += (
                    ["", "", ""]
                    if p is None
                    else [
                        f"{p.metrics['modes']:.1f}",
                        f"{100 * p.metrics['high_quality']:.1f}%",
                        f"{p.metrics['reverse_kl']:.2f}",
                    ]
                )
            lines.append(f"| *{model}, {source}* | " + " | ".join(f"*{c}*" if c else "" for c in pub_cells) + " | |")
    return lines


def table_stacked(summary: Sequence[dict[str, Any]]) -> list[str]:
    """Markdown table of the stacked-MNIST results with parameter counts and the published numbers."""
    lines = [
        "| model | modes /1000 | KL | G / D params | s/run (train + eval) | published modes / KL (source) |",
        "|---|---|---|---|---|---|",
    ]
    for row in summary:
        if row["dataset"] != "stacked_mnist":
            continue
        p = published_for("stacked_mnist", row["recipe"])
        pub = "" if p is None else f"{p.metrics['modes']:g} / {p.metrics['kl']:.2f} ({p.model}, {p.source})"
        m = row["metrics"]
        lines.append(
            f"| {row['label']} | {_fmt(m['modes'], 1)}{_failed(row)} | {_fmt(m['kl'], 3)} | "
            f"{row['g_params'] / 1e3:.0f}k / {row['d_params'] / 1e3:.0f}k | "
            f"{row['wall_s']['mean']:.0f} + {row['eval_s']['mean']:.0f} | {pub} |"
        )
    return lines


def _best(
    summary: Sequence[dict[str, Any]], dataset: str, recipes: Sequence[str] | None = None
) -> dict[str, Any] | None:
    rows = [
        r
        for r in summary
        if r["dataset"] == dataset and r["metrics"]["modes"]["n"] and (recipes is None or r["recipe"] in recipes)
    ]
    if dataset in DATASETS_2D:
        return max(
            rows, key=lambda r: (r["metrics"]["modes"]["mean"], r["metrics"]["high_quality"]["mean"]), default=None
        )
    return max(rows, key=lambda r: (r["metrics"]["modes"]["mean"], -r["metrics"]["kl"]["mean"]), default=None)


def targets(summary: Sequence[dict[str, Any]]) -> list[str]:
    """The goals of the suite, each with our best result and whether it is met (computed, never typed in)."""
    lines = []
    grid = _best(summary, "grid")
    if grid:
        m = grid["metrics"]
        met = m["modes"]["mean"] >= 25 and m["high_quality"]["mean"] >= 0.97
        lines.append(
            f"- Grid, 25/25 modes with >= 97% high quality (PacGAN4 published: 24.8 / 93.6%): best is {grid['label']} "
            f"with {_fmt(m['modes'], 1)} modes, {_fmt(m['high_quality'], 1, 100, '%')} — {'met' if met else 'not met'}."
        )
    normal = _best(summary, "stacked_mnist", [r for r in RECIPES if not RECIPES[r].small_discriminator])
    if normal:
        m = normal["metrics"]
        met = m["modes"]["mean"] >= 1000 and m["kl"]["mean"] < 0.06
        lines.append(
            f"- Stacked MNIST, 1000 modes with KL < 0.06 (PacDCGAN2 published: 1000 / 0.06): best is {normal['label']} "
            f"with {_fmt(m['modes'], 1)} modes, KL {_fmt(m['kl'], 3)} — {'met' if met else 'not met'}."
        )
    hard = _best(summary, "stacked_mnist", [r for r in RECIPES if RECIPES[r].small_discriminator])
    if hard:
        m = hard["metrics"]
        met = m["modes"]["mean"] > 667.4
        lines.append(
            f"- Stacked MNIST, D 1/4 of G's size, more than 667.4 modes (PacDCGAN4 published): best is {hard['label']} "
            f"with {_fmt(m['modes'], 1)} modes, KL {_fmt(m['kl'], 3)} — {'met' if met else 'not met'}."
        )
    return lines


def per_dataset(values: dict[str, Any]) -> str:
    """``{"ring": [0, 1], "grid": 5}`` -> ``"ring 0, 1; grid 5"``.

    >>> per_dataset({"ring": [0, 1], "grid": 5})
    'ring 0, 1; grid 5'
    """
    parts = []
    for dataset, value in values.items():
        text = ", ".join(str(v) for v in value) if isinstance(value, (list, tuple)) else str(value)
        parts.append(f"{dataset} {text}")
    return "; ".join(parts)


def markdown_report(summary: Sequence[dict[str, Any]], meta: dict[str, Any]) -> str:
    """The whole markdown report: how it was run, the targets, the tables and the pictures."""
    lines = [
        "# Mode-collapse benchmark",
        "",
        f"Command: `{meta['command']}`",
        "",
        f"- Seeds: {per_dataset(meta['seeds'])}.",
        f"- Budget (generator steps per run, same for every variant): {per_dataset(meta['steps'])}; "
        f"batch size: {per_dataset(meta['batch_sizes'])}.",
        f"- Evaluation (VEEGAN/PacGAN protocol), samples per run: {per_dataset(meta['eval_samples'])}.",
        f"- Machine: {meta['machine']}; Python {meta['versions']['python']}, torch {meta['versions']['torch']}, "
        f"lightning {meta['versions']['lightning']}; commit `{meta['git_commit']}`.",
        f"- Total wall time {meta['total_minutes']:.1f} min. Times per run are wall-clock seconds of training "
        "(evaluation separate) on a shared machine; the JSON also has the CPU seconds.",
        "",
        "Values are mean ± standard error over seeds (no ± with a single seed).",
        "",
    ]
    goal_lines = targets(summary)
    if goal_lines:
        lines += ["## Targets", "", *goal_lines, ""]
    if any(r["dataset"] in DATASETS_2D for r in summary):
        lines += [
            "## 2-D mixtures (ring of 8, grid of 25)",
            "",
            "HQ: share of samples within 3 std of their nearest mode; rKL: KL(mode histogram || uniform). "
            "Published rows in italics.",
            "",
            *table_2d(summary),
            "",
        ]
    if any(r["dataset"] == "stacked_mnist" for r in summary):
        lines += [
            "## Stacked MNIST (1,000 modes; built from the MNIST test set only)",
            "",
            f"Built from {meta['stacked_mnist_source']}. Digits classified by {meta['classifier']}.",
            "",
            *table_stacked(summary),
            "",
        ]
    pictures = [r for r in summary if r["picture"]]
    if pictures:
        lines += ["## Pictures (first seed)", ""]
        for dataset in ("ring", "grid", "stacked_mnist"):
            overview = meta.get("overviews", {}).get(dataset)
            if overview:
                lines += [f"![{dataset}]({overview})", ""]
    return "\n".join(lines)
