"""The throughput table, built from the stored per-run records alone.

Per case, over its repeats: images per second of each side (from the median time), the ratio our / bare images per
second (bare time / engine time) as the median of the runs' ratios with its range, and as mean ± standard error;
the same ratio in CPU time (``time.process_time``); the bare loop's milliseconds per batch and the engine's CPU
overhead per batch (medians); the peak memory of each side where a memory run is stored.
"""

from __future__ import annotations

import statistics
from collections.abc import Sequence
from typing import Any

from benchmarks.harness import describe_environment, format_mean_se, mean_se
from benchmarks.throughput.cases import CASES


def summarize(records: Sequence[dict[str, Any]]) -> list[dict[str, Any]]:
    """One row per case (in the order of :data:`~benchmarks.throughput.cases.CASES`) from its paired runs.

    >>> runs = [{"case": "dcgan_b64", "name": "DCGAN", "batch_size": 64, "timed_batches": 10, "engine_s": e,
    ...          "bare_s": 1.0, "engine_cpu_s": e, "bare_cpu_s": 1.0, "setup_s": 0.1} for e in (1.0, 1.25, 2.0)]
    >>> row = summarize(runs)[0]
    >>> row["ratio"], row["ratio_min"], row["bare_images_per_s"]
    (0.8, 0.5, 640.0)
    """
    rows = []
    for case in [c for c in CASES if any(r["case"] == c for r in records)]:
        runs = [r for r in records if r["case"] == case]
        steps, images = runs[0]["timed_batches"], runs[0]["timed_batches"] * runs[0]["batch_size"]
        ratios = [r["bare_s"] / r["engine_s"] for r in runs]  # our/bare images per second = bare time / our time
        median = {key: statistics.median(r[key] for r in runs) for key in ("engine_s", "bare_s", "setup_s")}
        rows.append(
            {
                "case": case,
                "name": runs[0]["name"],
                "repeats": len(runs),
                "timed_batches": steps,
                "engine_images_per_s": images / median["engine_s"],
                "bare_images_per_s": images / median["bare_s"],
                "ratio": statistics.median(ratios),
                "ratio_min": min(ratios),
                "ratio_max": max(ratios),
                "ratio_mean_se": mean_se(ratios),
                "cpu_time_ratio": statistics.median(r["bare_cpu_s"] / r["engine_cpu_s"] for r in runs),
                "bare_ms_per_batch": 1000 * median["bare_s"] / steps,
                "cpu_overhead_ms_per_batch": 1000
                * statistics.median((r["engine_cpu_s"] - r["bare_cpu_s"]) / steps for r in runs),
                "engine_setup_s": median["setup_s"],
            }
        )
    return rows


def _mib(memory: dict[str, Any] | None, impl: str) -> str:
    return "—" if memory is None else f"{memory[f'{impl}_peak_mib']:.0f}"


def markdown_table(records: Sequence[dict[str, Any]], memory: Sequence[dict[str, Any]] = ()) -> str:
    """The table of :func:`summarize`'s rows, with the peak memory of the ``memory`` records beside."""
    peaks = {r["case"]: r for r in memory}
    lines = [
        "| case | our img/s | bare img/s | ratio our/bare: median (min–max) | mean ± s.e. | CPU-time ratio "
        "| bare ms/batch | overhead CPU ms/batch | our peak MiB | bare peak MiB |",
        "|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|",
    ]
    for r in summarize(records):
        lines.append(
            f"| {r['name']} | {r['engine_images_per_s']:.1f} | {r['bare_images_per_s']:.1f} | "
            f"{r['ratio']:.3f} ({r['ratio_min']:.3f}–{r['ratio_max']:.3f}) | {format_mean_se(r['ratio_mean_se'], 3)} | "
            f"{r['cpu_time_ratio']:.3f} | {r['bare_ms_per_batch']:.1f} | {r['cpu_overhead_ms_per_batch']:+.1f} | "
            f"{_mib(peaks.get(r['case']), 'engine')} | {_mib(peaks.get(r['case']), 'bare')} |"
        )
    return "\n".join(lines) + "\n"


def markdown_report(records: Sequence[dict[str, Any]], memory: Sequence[dict[str, Any]], memory_note: str) -> str:
    """The whole ``throughput.md``: how the runs were made (from their records), the table, what memory means."""
    rows = summarize(records)
    devices = sorted({r["device"] for r in records})
    repeats = sorted({r["repeats"] for r in rows})
    warmup = sorted({r["warmup_batches"] for r in records if CASES[r["case"]].scale == 1})
    steps = sorted({r["timed_batches"] for r in records if CASES[r["case"]].scale == 1})
    commands = sorted({r["command"] for r in [*records, *memory] if r.get("command")})
    return (
        "# Training throughput: engine (Trainer.fit) vs bare PyTorch loop\n\n"
        f"Command: {', '.join(f'`{c}`' for c in commands) or 'unknown'} — {', '.join(devices)}; "
        f"{describe_environment(records)}.\n"
        f"{'/'.join(map(str, repeats))} run(s) per case of {'/'.join(map(str, steps))} timed batches (after "
        f"{'/'.join(map(str, warmup))} warm-up batches; the overhead probe {CASES['mlp_b256'].scale}x as many), "
        "engine and bare loop alternating batch by batch in the same process; ratio = bare time / our time (our "
        "images/s / bare images/s; 1.0 = no overhead), median over runs and mean ± standard error; CPU-time ratio: the "
        "median of the same with the process's CPU time.\n\n" + markdown_table(records, memory) + "\n"
        f"Peak memory: {memory_note if memory else 'not measured (--no-memory).'}\n"
    )
