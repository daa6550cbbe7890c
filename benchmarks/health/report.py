"""Tables and figures of the health-monitor benchmark (:mod:`benchmarks.health`): markdown and PNG from its rows."""

from __future__ import annotations

import math
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import torch

from benchmarks.harness import describe_commits, describe_machines, describe_versions
from benchmarks.health.cases import MONITOR_TEXT

KIND_TEXT = {
    "mode_collapse": "mode collapse",
    "mode_collapse_within_classes": "mode collapse within classes",
    "vanishing_gradients": "vanishing gradients",
    "samples_off_data": "samples off the data (at the end)",
    None: "none",
}
ROLE_TEXT = {
    "failure": "must be diagnosed",
    "remedy": "should raise nothing",
    "healthy": "must raise nothing",
    "ablation": "no expectation",
}


EXPECTED_TEXT = {True: "yes", False: "NO", None: "—"}


def _num(value: float | None, fmt: str) -> str:
    return "—" if value is None or (isinstance(value, float) and math.isnan(value)) else format(value, fmt)


def markdown_table(rows: Sequence[dict[str, Any]]) -> str:
    """One line per run: the diagnoses (kind, generator step), the coverage metrics and the time.

    >>> row = dict(label="GAN", loss="minimax", seed=0, diagnosis="mode_collapse", diagnosis_step=800,
    ...            evidence_since=600, diagnoses=[], modes=1, high_quality=0.98, reverse_kl=3.2,
    ...            final_diversity_ratio=0.01, wall_s=20.0, cpu_s=19.0, as_expected=True, generator_steps=1500)
    >>> print(markdown_table([row]).splitlines()[2])
    | GAN | minimax | 0 | 1500 | mode collapse | 800 (600) | 1 | 98.0 | 3.20 | 0.010 | 20 / 19 | yes |
    """
    lines = [
        "| run | loss / remedy | seed | G steps | diagnosis | at G step (evidence since) | modes /25 | HQ % | "
        "reverse KL | final diversity ratio | wall / CPU s | as expected |",
        "|---|---|---|---|---|---|---|---|---|---|---|---|",
    ]
    for r in rows:
        found = r.get("diagnoses") or [
            {"kind": r["diagnosis"], "step": r["diagnosis_step"], "first_step": r["evidence_since"]}
        ]
        kinds = "; ".join(KIND_TEXT[d["kind"]] for d in found)
        step = "; ".join("—" if d["step"] is None else f"{d['step']} ({d['first_step']})" for d in found)
        hq = None if r["high_quality"] is None else 100 * r["high_quality"]
        lines.append(
            f"| {r['label']} | {r['loss']} | {r['seed']} | {r['generator_steps']} | {kinds} | "
            f"{step} | {_num(r['modes'], 'd')} | {_num(hq, '.1f')} | {_num(r['reverse_kl'], '.2f')} | "
            f"{_num(r['final_diversity_ratio'], '.3f')} | {r['wall_s']:.0f} / {r['cpu_s']:.0f} | "
            f"{EXPECTED_TEXT[r['as_expected']]} |"
        )
    return "\n".join(lines)


def provenance(rows: Sequence[dict[str, Any]]) -> str:
    """Seeds, commits, machines, versions and total CPU time of the stored runs (from their JSON alone)."""
    machines, versions = describe_machines(rows), describe_versions(rows, python=False)
    commits = describe_commits(rows)
    seeds = sorted({r["seed"] for r in rows})
    return (
        f"Seeds: {', '.join(map(str, seeds))}; git commit {', '.join(commits)}; {'; '.join(machines)}; "
        f"{'; '.join(versions)}; {len(rows)} runs, {sum(r['cpu_s'] for r in rows) / 60:.1f} CPU-minutes of training."
    )


def markdown_report(rows: Sequence[dict[str, Any]], figures: Sequence[str] = ()) -> str:
    """The whole ``health.md`` from the stored rows: setup, the table, the first diagnosis message of each failing
    case, the ``figures``."""
    roles = {r["case"]: r["role"] for r in rows}
    out = [
        "# Health monitor benchmark",
        "",
        provenance(rows),
        "",
        "Monitor settings: " + "; ".join(f"{data}: {text}" for data, text in MONITOR_TEXT.items()) + ".",
        "Roles: " + "; ".join(f"{case} {ROLE_TEXT[role]}" for case, role in roles.items()) + ".",
        "Steps are generator steps. Modes / HQ / reverse KL: VEEGAN/PacGAN protocol on 2,500 samples (grid only).",
        "A role is about the diagnoses during training; the verdict on the final samples (samples off the data, "
        "judged when training ends) is listed but not counted.",
        "",
        markdown_table(rows),
        "",
    ]
    shown = set()
    for r in rows:
        if r["diagnoses"] and r["case"] not in shown:
            shown.add(r["case"])
            message = r["diagnoses"][0]["message"]
            out += [f"Diagnosis of `{r['case']}` (seed {r['seed']}):", "", "```", message, "```", ""]
    out += [f"![{name}]({name})" for name in figures]
    return "\n".join(out).rstrip() + "\n"


def _mark_diagnosis(ax: Any, row: dict[str, Any], key: str, color: Any) -> None:
    step = row["diagnosis_step"]
    points = [(t["step"], t[key]) for t in row["trace"] if key in t]
    if step is None or not points:
        return
    value = min(points, key=lambda p: abs(p[0] - step))[1]
    ax.plot([step], [value], marker="X", markersize=11, color=color, markeredgecolor="black", zorder=5)


def save_figure(
    rows: Sequence[dict[str, Any]], samples: dict[str, torch.Tensor], data: str, path: Path, real: torch.Tensor | None
) -> bool:
    """Signals over generator steps (one line per case, first seed; X = diagnosis), then the final samples.

    ``samples`` maps case name -> final samples of that case's first seed (the rows of other seeds are left out).
    Returns False when there is nothing to draw. The curves and samples of the smoke test show what is drawn::

        save_figure(rows, {"grid_minimax": samples}, "grid", Path("health_grid.png"), real=None)
    """
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    rows = [r for r in rows if r["data"] == data and r["case"] in samples]
    if not rows:
        return False
    seed = min(r["seed"] for r in rows)
    rows = [r for r in rows if r["seed"] == seed]  # the seed the samples come from
    curves = [
        ("diversity_ratio", "diversity ratio (fake / real spread)", True),
        ("g_grad_norm", "generator gradient norm", True),
    ]
    third = ("modes", "modes covered /25", False) if data == "grid" else ("d_fake_prob", "mean sigmoid(D(fake))", True)
    curves.append(third)
    n = len(rows)
    fig = plt.figure(figsize=(4.2 * max(n, len(curves)), 7.6))
    grid = fig.add_gridspec(2, max(n, len(curves)))
    colors = plt.get_cmap("tab10").colors
    for j, (key, title, log) in enumerate(curves):
        ax = fig.add_subplot(grid[0, j])
        for i, r in enumerate(rows):
            points = [(t["step"], t[key]) for t in r["trace"] if key in t and t[key] > 0]
            if points:
                ax.plot(*zip(*points), color=colors[i], label=f"{r['label']}, {r['loss']}", lw=1.5)
                _mark_diagnosis(ax, r, key, colors[i])
        ax.set(title=title, xlabel="generator step", yscale="log" if log else "linear")
        ax.grid(alpha=0.3)
        if j == 0:
            ax.legend(fontsize=7, title="X = diagnosis", title_fontsize=7)
    for i, r in enumerate(rows):
        ax = fig.add_subplot(grid[1, i])
        x = samples[r["case"]]
        verdict = KIND_TEXT[r["diagnosis"]] + (f" @ {r['diagnosis_step']}" if r["diagnosis_step"] else "")
        if data == "grid":
            if real is not None:
                ax.scatter(real[:, 0], real[:, 1], s=2, c="lightgray", label="data")
            ax.scatter(x[:, 0], x[:, 1], s=2, color=colors[i])
            ax.set(xlim=(-6, 6), ylim=(-6, 6), aspect="equal")
            coverage = f"{r['modes']}/25 modes, HQ {100 * r['high_quality']:.0f}%"
            ax.set_title(f"{r['label']}, {r['loss']}\n{coverage}; {verdict}", fontsize=8)
        else:
            from torchvision.utils import make_grid

            tiles = make_grid(x[:36].clamp(-1, 1).add(1).div(2), nrow=6, padding=2, pad_value=1.0)[0]  # (H', W')
            ax.imshow(tiles.numpy(), cmap="gray", vmin=0, vmax=1)
            ax.set_title(f"{r['label']}, {r['loss']}\n{verdict}", fontsize=8)
            ax.axis("off")
    fig.suptitle(f"GANHealthMonitor on {data} (seed {seed})")
    fig.tight_layout()
    fig.savefig(path, dpi=90)
    plt.close(fig)
    return True
