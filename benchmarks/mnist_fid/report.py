"""The MNIST FID report, built from the stored per-run records alone.

The full protocol's runs (``lucic_20epochs``) go in the main table, mean ± standard error over seeds next to the
published mean ± standard deviation over seeds; every other protocol (short signals: fewer epochs, fewer training
images or a smaller FID sample) gets a table of its own, not comparable with the paper's column.
"""

from __future__ import annotations

import os
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from benchmarks.harness import ROOT, ResultStore, RunKey, describe_environment, format_mean_se, mean_se
from benchmarks.mnist_fid.protocol import DIFFERENCES, FULL_PROTOCOL, PAPER_ROWS, PUBLISHED, ROWS, TITLES

MAIN_HEADER = (
    "| model | row | ours: FID, mean ± s.e. over seeds | seeds | train min / run | eval min / run "
    "| Lucic et al. 2018: FID, mean ± std over seeds |\n|---|---|---|---|---|---|---|"
)
SIGNAL_HEADER = "| model | row | FID, mean ± s.e. over seeds | seeds | train min / run | eval min / run |\n|---|---|---|---|---|---|"


def _by_row(records: Sequence[dict[str, Any]]) -> dict[str, list[dict[str, Any]]]:
    rows: dict[str, list[dict[str, Any]]] = {}
    for record in sorted(records, key=lambda r: (list(ROWS).index(r["row"]), r["seed"])):
        rows.setdefault(record["row"], []).append(record)
    return rows


def _cells(runs: Sequence[dict[str, Any]]) -> list[str]:
    """FID (mean ± s.e.; one seed: its value), the seeds, mean training and evaluation minutes per run."""
    if not runs:
        return ["not run", "", "-", "-"]
    minutes = [f"{sum(r[field] for r in runs) / len(runs) / 60:.0f}" for field in ("train_seconds", "eval_seconds")]
    seeds = ", ".join(str(r["seed"]) for r in runs)
    return [format_mean_se(mean_se([r["fid"] for r in runs]), 1), seeds, *minutes]


def main_table(records: Sequence[dict[str, Any]]) -> list[str]:
    """The full protocol's rows (and the paper's five losses, "not run" where missing), beside the published FID.

    >>> record = dict(row="ns", seed=0, fid=12.17, train_seconds=6462.0, eval_seconds=2080.0)
    >>> main_table([record, {**record, "seed": 1, "fid": 10.17}])[3]
    '| non-saturating GAN | `ns` | 11.2 ± 1.0 | 0, 1 | 108 | 35 | 6.8 ± 0.5 |'
    """
    runs = _by_row(records)
    rows = [row for row in ROWS if row in runs or row in PAPER_ROWS]
    lines = MAIN_HEADER.split("\n")
    for row in rows:
        mean, std = PUBLISHED[row]
        lines.append(f"| {TITLES[row]} | `{row}` | {' | '.join(_cells(runs.get(row, [])))} | {mean} ± {std} |")
    return lines


def signal_table(records: Sequence[dict[str, Any]]) -> list[str]:
    """One protocol's rows (a short signal), with no published column."""
    return SIGNAL_HEADER.split("\n") + [
        f"| {TITLES[row]} | `{row}` | {' | '.join(_cells(runs))} |" for row, runs in _by_row(records).items()
    ]


def describe_protocol(record: dict[str, Any]) -> str:
    """What a run's protocol measured, from its settings.

    >>> describe_protocol({"settings": {"epochs": 2, "train_images": 60000, "num_eval": 2000}})
    '2 epochs of 60,000 training images; FID of 2,000 generated vs 2,000 test images'
    """
    s = record["settings"]
    return (
        f"{s['epochs']} epochs of {s['train_images']:,} training images; "
        f"FID of {s['num_eval']:,} generated vs {s['num_eval']:,} test images"
    )


def _shown(path: Path) -> str:
    """A path as the report shows it: relative to the repository when inside it."""
    path = path.resolve()
    return path.relative_to(ROOT).as_posix() if path.is_relative_to(ROOT) else str(path)


def _samples(records: Sequence[dict[str, Any]], store: ResultStore, out: Path) -> list[str]:
    """Links to the runs' sample grids (beside their JSON in the store), where drawn."""
    links = []
    for record in sorted(records, key=lambda r: (list(ROWS).index(r["row"]), r["seed"])):
        picture = store.path(RunKey(**record["key"])).with_suffix(".png")
        if picture.is_file():
            target = Path(os.path.relpath(picture, out)).as_posix()
            links.append(f"[`{record['row']}` seed {record['seed']}]({target})")
    return [f"Samples (the first 64 generated images of each run): {', '.join(links)}.", ""] if links else []


def markdown_report(records: Sequence[dict[str, Any]], store: ResultStore, out: Path) -> str:
    """The whole ``mnist_fid.md`` (to be written in ``out``) from the stored records of ``store``."""
    full = [r for r in records if r["key"]["protocol"] == FULL_PROTOCOL]
    converted = sum(1 for r in records if "converted_from" in r)
    lines = [
        "# MNIST FID (Lucic et al. 2018 protocol)",
        "",
        "Written by `python -m benchmarks.mnist_fid` from the stored per-run JSON files "
        f"(`{_shown(store.root)}/mnist_fid/<protocol>/<row>/seed<k>.json`, each run's first 64 generated images "
        "beside it as `seed<k>.png`); `--report-only` rebuilds it. "
        f"Machine: {describe_environment(records)}."
        + (
            f" {converted} of the {len(records)} runs were converted from the benchmark's earlier per-run files "
            "(their `converted_from` says which; values unchanged)."
            if converted
            else ""
        ),
        "",
        f"## The full protocol (`{FULL_PROTOCOL}`)",
        "",
        "InfoGAN-style nets, batch 64, z 64, 20 epochs of the 60,000 MNIST training images; FID of 10,000 generated "
        "against the 10,000 test images with the FID Inception (TF 2015-12-05 weights). Ours: mean ± standard error "
        "over our seeds (one seed: its value). Lucic et al.: mean ± standard deviation over their seeds, of the best "
        "setting of a large hyperparameter search.",
        "",
        *main_table(full),
        "",
        *_samples(full, store, out),
    ]
    signals = sorted({r["key"]["protocol"] for r in records} - {FULL_PROTOCOL})
    if signals:
        lines += [
            "## Short signals: not comparable with the paper's column",
            "",
            "Runs of a shorter protocol (fewer epochs, fewer training images or a smaller FID sample, which biases FID "
            "upwards), one table per protocol: they compare rows with each other, never with Lucic et al.'s numbers.",
            "",
        ]
        for protocol in signals:
            group = [r for r in records if r["key"]["protocol"] == protocol]
            lines += [
                f"### `{protocol}`: {describe_protocol(group[0])} (not comparable with the paper's column)",
                "",
                *signal_table(group),
                "",
                *_samples(group, store, out),
            ]
    lines += ["Protocol differences:", *[f"- {d}" for d in DIFFERENCES], ""]
    return "\n".join(lines)
