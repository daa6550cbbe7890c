"""Tables of the mode-collapse benchmark, built from the stored per-run records alone (mean ± standard error).

Input: the records of :func:`benchmarks.mode_collapse.run.run_one` as stored by the harness (one JSON per run,
with its environment). Output: JSON-ready summaries and a markdown report: the shared-settings comparison next to
the published rows, and one table per published protocol with the published mean ± s.e. beside ours. (A little
over 300 lines: the three table layouts share their formatting helpers here.)
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from typing import Any

from benchmarks.harness import describe_commits, describe_machines, describe_versions, format_mean_se, mean_se
from benchmarks.mode_collapse.protocols import PROTOCOLS, PublishedRow
from benchmarks.mode_collapse.published import published_for
from benchmarks.mode_collapse.recipes import DATASETS, DATASETS_2D, RECIPES
from benchmarks.mode_collapse.shipped import SHIPPED, TARGETS, target_met

METRICS = {
    "ring": ("modes", "high_quality", "reverse_kl"),
    "grid": ("modes", "high_quality", "reverse_kl"),
    "stacked_mnist": ("modes", "kl"),
}
NUM_MODES = {"ring": 8, "grid": 25, "stacked_mnist": 1000}
SHARED = "shared"


def run_label(record: dict[str, Any]) -> str:
    """The row label of a stored run (its recipe's name in the tables)."""
    if record.get("protocol", SHARED) == SHARED:
        return RECIPES[record["recipe"]].display_name(record["dataset"])
    if record["protocol"] == SHIPPED:
        return f"`{record['recipe']}`"
    return PROTOCOLS[record["protocol"]].recipe(record["recipe"]).label


def _table_order(record: dict[str, Any]) -> tuple:
    protocol = record.get("protocol", SHARED)
    if protocol == SHARED:
        order = list(RECIPES)
        return (
            0,
            "",
            DATASETS.index(record["dataset"]),
            order.index(record["recipe"]),
            record["steps"],
            record["seed"],
        )
    if protocol == SHIPPED:
        return (2, protocol, DATASETS.index(record["dataset"]), record["recipe"], record["steps"], record["seed"])
    names = [r.name for r in PROTOCOLS[protocol].recipes]
    return (1, protocol, 0, names.index(record["recipe"]), record["steps"], record["seed"])


def summarize(records: Sequence[dict[str, Any]]) -> list[dict[str, Any]]:
    """One entry per (protocol, dataset, recipe, budget), in the order of first appearance: metrics and times as
    mean ± se. Diverged runs count in ``failed`` and are left out of the means.

    >>> runs = [{"dataset": "grid", "recipe": "gan", "seed": s, "error": None, "wall_s": 2.0, "cpu_s": 1.0,
    ...          "eval_s": 0.1, "g_params": 5, "d_params": 4, "generator_steps": 10, "steps": 10,
    ...          "metrics": {"modes": m, "high_quality": 0.9, "reverse_kl": 0.1}} for s, m in [(0, 24), (1, 25)]]
    >>> row = summarize(runs)[0]
    >>> row["metrics"]["modes"]["mean"], row["runs"], row["failed"], row["protocol"]
    (24.5, 2, 0, 'shared')
    """
    groups: dict[tuple[str, str, str, int], list[dict[str, Any]]] = {}
    for record in records:
        key = (record.get("protocol", SHARED), record["dataset"], record["recipe"], record["steps"])
        groups.setdefault(key, []).append(record)
    summary = []
    for (protocol, dataset, recipe, steps), runs in groups.items():
        ok = [r for r in runs if r["error"] is None]
        first = min(runs, key=lambda r: r["seed"])
        summary.append(
            {
                "protocol": protocol,
                "dataset": dataset,
                "recipe": recipe,
                "steps": steps,
                "label": run_label(first),
                "runs": len(runs),
                "failed": len(runs) - len(ok),
                "seeds": sorted(r["seed"] for r in runs),
                "metrics": {key: mean_se([r["metrics"][key] for r in ok]) for key in METRICS[dataset]},
                "wall_s": mean_se([r["wall_s"] for r in runs]),
                "cpu_s": mean_se([r["cpu_s"] for r in runs]),
                "eval_s": mean_se([r["eval_s"] for r in runs]),
                "g_params": first["g_params"],
                "d_params": first["d_params"],
                "departures": sorted({d for r in runs for d in r.get("departures") or []}),
            }
        )
    return summary


def _failed(row: dict[str, Any]) -> str:
    return f" ({row['failed']}/{row['runs']} diverged)" if row["failed"] else ""


def _published(value: tuple[float, float | None], digits: int, scale: float = 1.0, suffix: str = "") -> str:
    """``"6.3 ± 0.5"`` from a published ``(mean, se)``.

    >>> _published((0.982, 0.002), 1, 100, "%")
    '98.2 ± 0.2%'
    """
    mean, se = value
    return f"{scale * mean:.{digits}f}" + ("" if se is None else f" ± {scale * se:.{digits}f}") + suffix


def _cells_2d(metrics: dict[str, Any], published: bool = False) -> list[str]:
    if published:
        return [
            _published(metrics["modes"], 1),
            _published(metrics["high_quality"], 1, 100, "%"),
            _published(metrics["reverse_kl"], 2),
        ]
    return [
        format_mean_se(metrics["modes"], 1),
        format_mean_se(metrics["high_quality"], 1, 100, "%"),
        format_mean_se(metrics["reverse_kl"], 3),
    ]


def table_2d(summary: Sequence[dict[str, Any]]) -> list[str]:
    """Markdown table of the shared-settings 2-D results, one row per recipe, published rows interleaved."""
    rows: dict[str, dict[str, dict[str, Any]]] = {}
    for row in summary:
        if row["protocol"] == SHARED and row["dataset"] in DATASETS_2D:
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
            row_cells = _cells_2d(row["metrics"])
            row_cells[0] += _failed(row)
            cells += row_cells
            times.append(f"{row['wall_s']['mean']:.0f}")
        lines.append(f"| {RECIPES[recipe].label} | " + " | ".join(cells) + f" | {', '.join(times)} |")
        published = [published_for(dataset, recipe) for dataset in DATASETS_2D]
        if any(published):
            first = next(p for p in published if p)
            pub_cells = []
            for p in published:
                pub_cells += ["", "", ""] if p is None else _cells_2d(p.metrics, published=True)
            lines.append(
                f"| *{first.model}, {first.source}* | " + " | ".join(f"*{c}*" if c else "" for c in pub_cells) + " | |"
            )
    return lines


def _stacked_published(p: PublishedRow | None) -> str:
    if p is None:
        return ""
    return f"{_published(p.metrics['modes'], 1)} / {_published(p.metrics['kl'], 3)} ({p.model}, {p.source})"


def table_stacked(summary: Sequence[dict[str, Any]]) -> list[str]:
    """Markdown table of the shared-settings stacked-MNIST results with parameter counts and published numbers."""
    lines = [
        "| model | modes /1000 | KL | G / D params | s/run (train + eval) | published modes / KL (source) |",
        "|---|---|---|---|---|---|",
    ]
    for row in summary:
        if row["protocol"] != SHARED or row["dataset"] != "stacked_mnist":
            continue
        m = row["metrics"]
        lines.append(
            f"| {row['label']} | {format_mean_se(m['modes'], 1)}{_failed(row)} | {format_mean_se(m['kl'], 3)} | "
            f"{row['g_params'] / 1e3:.0f}k / {row['d_params'] / 1e3:.0f}k | "
            f"{row['wall_s']['mean']:.0f} + {row['eval_s']['mean']:.0f} | "
            f"{_stacked_published(published_for('stacked_mnist', row['recipe']))} |"
        )
    return lines


def table_protocol(name: str, summary: Sequence[dict[str, Any]]) -> list[str]:
    """One protocol's table: each of our rows (per budget) above the published row of the same model."""
    protocol = PROTOCOLS[name]
    metrics = protocol.metrics
    header = "| model | G steps | seeds | " + " | ".join(metrics) + " | CPU s/run | departures from the protocol |"
    lines = [header, "|" + "---|" * (len(metrics) + 5)]
    for recipe in protocol.recipes:
        for row in (r for r in summary if r["protocol"] == name and r["recipe"] == recipe.name):
            if protocol.dataset in DATASETS_2D:
                cells = _cells_2d(row["metrics"])
            else:
                cells = [format_mean_se(row["metrics"]["modes"], 1), format_mean_se(row["metrics"]["kl"], 3)]
            cells[0] += _failed(row)
            departures = "; ".join(row["departures"]) or "none"
            lines.append(
                f"| {recipe.label} | {row['steps']} | {row['runs']} | " + " | ".join(cells) + f" | "
                f"{row['cpu_s']['mean']:.0f} | {departures} |"
            )
        rows = [recipe.published] if recipe.published else []
        rows += [p for p in protocol.extra_published if p.model.startswith(recipe.label + " ")]
        for p in rows:
            if protocol.dataset in DATASETS_2D:
                cells = _cells_2d(p.metrics, published=True)
            else:
                cells = [_published(p.metrics["modes"], 1), _published(p.metrics["kl"], 3)]
            lines.append(
                f"| *{p.model}, {p.source}* | *{protocol.published_generator_steps}* | *{p.trials or '—'}* | "
                + " | ".join(f"*{c}*" for c in cells)
                + " | | |"
            )
    return lines


def table_shipped(summary: Sequence[dict[str, Any]]) -> list[str]:
    """The shipped recipes trained from their configs: one row per recipe, its target and whether the mean meets it."""
    lines = [
        "| recipe | G steps | seeds | modes | HQ | rKL | CPU s/run (whole fit) | target (modes, HQ, rKL) |",
        "|---|---|---|---|---|---|---|---|",
    ]
    for row in summary:
        if row["protocol"] != SHIPPED:
            continue
        cells = _cells_2d(row["metrics"])
        cells[0] += _failed(row)
        modes, high_quality, reverse_kl = TARGETS[row["dataset"]]
        goal = f"{modes}, >= {100 * high_quality:.0f}%" + ("" if reverse_kl is None else f", <= {reverse_kl}")
        verdict = "met" if target_met(row["dataset"], row["metrics"]) else "not met"
        lines.append(
            f"| {row['label']} | {row['steps']} | {row['runs']} | " + " | ".join(cells) + " | "
            f"{format_mean_se(row['cpu_s'], 0)} | {goal}: {verdict} |"
        )
    return lines


def _best(summary: Sequence[dict[str, Any]], dataset: str, recipes: Sequence[str] | None = None) -> dict | None:
    rows = [
        r
        for r in summary
        if r["protocol"] == SHARED
        and r["dataset"] == dataset
        and r["metrics"]["modes"]["n"]
        and (recipes is None or r["recipe"] in recipes)
    ]
    if dataset in DATASETS_2D:
        return max(
            rows, key=lambda r: (r["metrics"]["modes"]["mean"], r["metrics"]["high_quality"]["mean"]), default=None
        )
    return max(rows, key=lambda r: (r["metrics"]["modes"]["mean"], -r["metrics"]["kl"]["mean"]), default=None)


def targets(summary: Sequence[dict[str, Any]]) -> list[str]:
    """The goals of the suite, each with our best shared-settings result and whether it is met (computed)."""
    lines = []
    grid = _best(summary, "grid")
    if grid:
        m = grid["metrics"]
        met = m["modes"]["mean"] >= 25 and m["high_quality"]["mean"] >= 0.97
        lines.append(
            f"- Grid, 25/25 modes with >= 97% high quality (PacGAN4 published: 24.8 / 93.6%): best is {grid['label']} "
            f"with {format_mean_se(m['modes'], 1)} modes, {format_mean_se(m['high_quality'], 1, 100, '%')} — "
            f"{'met' if met else 'not met'}."
        )
    normal = _best(summary, "stacked_mnist", [r for r in RECIPES if not RECIPES[r].small_discriminator])
    if normal:
        m = normal["metrics"]
        met = m["modes"]["mean"] >= 1000 and m["kl"]["mean"] < 0.06
        lines.append(
            f"- Stacked MNIST, 1000 modes with KL < 0.06 (PacDCGAN2 published: 1000 / 0.06): best is {normal['label']} "
            f"with {format_mean_se(m['modes'], 1)} modes, KL {format_mean_se(m['kl'], 3)} — {'met' if met else 'not met'}."
        )
    hard = _best(summary, "stacked_mnist", [r for r in RECIPES if RECIPES[r].small_discriminator])
    if hard:
        m = hard["metrics"]
        met = m["modes"]["mean"] > 667.4
        lines.append(
            f"- Stacked MNIST, D 1/4 of G's size, more than 667.4 modes (PacDCGAN4 published): best is {hard['label']} "
            f"with {format_mean_se(m['modes'], 1)} modes, KL {format_mean_se(m['kl'], 3)} — {'met' if met else 'not met'}."
        )
    return lines


def _by_dataset(records: Sequence[dict[str, Any]], field: str) -> str:
    values: dict[str, set] = {}
    for r in records:
        values.setdefault(r["dataset"], set()).add(r[field])
    return "; ".join(f"{d} {', '.join(str(v) for v in sorted(vs))}" for d, vs in values.items())


def provenance(records: Sequence[dict[str, Any]]) -> list[str]:
    """How the stored runs were made: seeds, budgets, machines, versions, commits, total compute (from the JSON)."""
    machines, versions, commits = describe_machines(records), describe_versions(records), describe_commits(records)
    cpu_minutes = sum(r["cpu_s"] + r["eval_s"] for r in records) / 60
    return [
        f"- Seeds: {_by_dataset(records, 'seed')}.",
        f"- Budget (generator steps per run): {_by_dataset(records, 'steps')}; batch size: "
        f"{_by_dataset(records, 'batch_size')}.",
        f"- Evaluation (VEEGAN/PacGAN protocol), samples per run: {_by_dataset(records, 'eval_samples')}.",
        f"- Machine: {'; '.join(machines)}; {'; '.join(versions)}; commit {', '.join(f'`{c}`' for c in commits)}.",
        f"- {len(records)} runs, {cpu_minutes:.1f} CPU-minutes of training and evaluation. Times per run are "
        "seconds of training (evaluation separate) on a shared machine.",
    ]


def markdown_report(records: Sequence[dict[str, Any]], pictures: Sequence[str] = ()) -> str:
    """The whole markdown report from the stored records: provenance, targets, tables, and ``pictures`` (files)."""
    summary = summarize(sorted(records, key=_table_order))
    lines = ["# Mode-collapse benchmark", "", *provenance(records), ""]
    lines += ["Values are mean ± standard error over seeds (no ± with a single seed).", ""]
    goal_lines = targets(summary)
    if goal_lines:
        lines += ["## Targets (shared settings)", "", *goal_lines, ""]
    shared = [r for r in summary if r["protocol"] == SHARED]
    if any(r["dataset"] in DATASETS_2D for r in shared):
        lines += [
            "## 2-D mixtures (ring of 8, grid of 25), shared settings",
            "",
            "HQ: share of samples within 3 std of their nearest mode; rKL: KL(mode histogram || uniform). "
            "Published rows in italics.",
            "",
            *table_2d(summary),
            "",
        ]
    if any(r["dataset"] == "stacked_mnist" for r in shared):
        lines += ["## Stacked MNIST (1,000 modes), shared settings", "", *table_stacked(summary), ""]
    if any(r["protocol"] == SHIPPED for r in summary):
        lines += [
            "## Shipped recipes, trained from their configs (`lightning-gans fit --config NAME`)",
            "",
            *table_shipped(summary),
            "",
        ]
    for name in PROTOCOLS:
        if any(r["protocol"] == name for r in summary):
            protocol = PROTOCOLS[name]
            lines += [f"## {protocol.title}", "", *table_protocol(name, summary), ""]
    if pictures:
        lines += [
            "## Pictures (samples: first seed; curves: every seed)",
            "",
            *(f"![{name.rsplit('.', 1)[0]}]({name})\n" for name in pictures),
        ]
    return "\n".join(lines).rstrip() + "\n"


def all_finite(summary: Sequence[dict[str, Any]]) -> bool:
    """True when every summary row has at least one finished (non-diverged) run."""
    return all(not math.isnan(r["metrics"]["modes"]["mean"]) for r in summary)
