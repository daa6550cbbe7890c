"""Pictures of the mode-collapse benchmark: 2-D samples over the mode centres, stacked-MNIST sample grids.

Drawn with matplotlib's Agg backend (no display needed); file names are ``<prefix>_<dataset>_<recipe>.png`` and
``<prefix>_<dataset>.png`` for the overview, the prefix being ``mode_collapse`` (or ``mode_collapse_quick``, or a protocol's).
"""

from __future__ import annotations

import math
from pathlib import Path

import matplotlib

matplotlib.use("Agg")  # files only; must precede pyplot
import matplotlib.pyplot as plt  # noqa: E402
import torch  # noqa: E402
from torch import Tensor  # noqa: E402

from benchmarks.mode_collapse.recipes import DATASETS_2D  # noqa: E402
from lightning_gans.convert import to_unit_range  # noqa: E402
from lightning_gans.data.toy import ToyDataModule  # noqa: E402

_LIMITS = {"ring": 1.5, "grid": 5.5}


def picture_name(prefix: str, recipe: str, dataset: str) -> str:
    """File name of a run's picture.

    >>> picture_name("mode_collapse", "pacgan4", "grid")
    'mode_collapse_grid_pacgan4.png'
    """
    return f"{prefix}_{dataset}_{recipe}.png"


def _caption(dataset: str, metrics: dict[str, float]) -> str:
    if dataset in DATASETS_2D:
        total = ToyDataModule(dataset).num_modes
        return f"{metrics['modes']}/{total} modes, {100 * metrics['high_quality']:.1f}% HQ, rKL {metrics['reverse_kl']:.3f}"
    return f"{metrics['modes']}/1000 modes, KL {metrics['kl']:.3f}"


def scatter_2d(ax: plt.Axes, samples: Tensor, dataset: str) -> None:
    """Samples (small blue dots) over the mode centres (red crosses) with their 3-std "high quality" circles."""
    datamodule = ToyDataModule(dataset)
    points = samples.detach().cpu().float()
    ax.scatter(points[:, 0], points[:, 1], s=1.5, alpha=0.5, color="tab:blue", linewidths=0)
    centers = datamodule.mode_centers
    ax.scatter(centers[:, 0], centers[:, 1], s=12, marker="x", color="tab:red", linewidths=0.8)
    for x, y in centers.tolist():
        ax.add_patch(plt.Circle((x, y), 3 * datamodule.std, fill=False, color="tab:red", linewidth=0.4))
    limit = _LIMITS[dataset]
    ax.set_xlim(-limit, limit)
    ax.set_ylim(-limit, limit)
    ax.set_aspect("equal", adjustable="box")
    ax.set_xticks([])
    ax.set_yticks([])


def image_grid(images: Tensor, columns: int = 8) -> Tensor:
    """Tile ``(N, C, H, W)`` images in ``[-1, 1]`` into one ``(H', W', C)`` array in ``[0, 1]`` (1 px gaps).

    >>> image_grid(torch.zeros(10, 3, 4, 4), columns=4).shape
    torch.Size([14, 19, 3])
    """
    images = to_unit_range(images.detach().cpu().float())
    n, channels, height, width = images.shape
    rows = math.ceil(n / columns)
    grid = torch.ones(channels, rows * (height + 1) - 1, columns * (width + 1) - 1)
    for index in range(n):
        top, left = (index // columns) * (height + 1), (index % columns) * (width + 1)
        grid[:, top : top + height, left : left + width] = images[index]
    return grid.permute(1, 2, 0)


def _draw(ax: plt.Axes, dataset: str, samples: Tensor, columns: int = 8) -> None:
    if dataset in DATASETS_2D:
        scatter_2d(ax, samples, dataset)
    else:
        ax.imshow(image_grid(samples[: columns * columns], columns).numpy(), interpolation="nearest")
        ax.axis("off")


def save_run_picture(
    prefix: str, recipe: str, dataset: str, label: str, samples: Tensor, metrics: dict[str, float], out_dir: Path
) -> str:
    """Draw one run's samples (2-D scatter, or an 8x8 grid of stacked-MNIST samples) and return the file name."""
    out_dir.mkdir(parents=True, exist_ok=True)
    figure, ax = plt.subplots(figsize=(3.2, 3.5), dpi=100)
    _draw(ax, dataset, samples)
    ax.set_title(f"{label}\n{_caption(dataset, metrics)}", fontsize=7)
    figure.tight_layout()
    name = picture_name(prefix, recipe, dataset)
    figure.savefig(out_dir / name, bbox_inches="tight")
    plt.close(figure)
    return name


def save_overview(prefix: str, dataset: str, runs: list[tuple[str, Tensor, dict[str, float]]], out_dir: Path) -> str:
    """All recipes of ``dataset`` side by side, from ``(label, samples, metrics)`` triples; returns the file name."""
    columns = min(4, len(runs))
    rows = math.ceil(len(runs) / columns)
    figure, axes = plt.subplots(rows, columns, figsize=(2.4 * columns, 2.6 * rows), dpi=80, squeeze=False)
    for ax in axes.flat[len(runs) :]:
        ax.axis("off")
    for ax, (label, samples, metrics) in zip(axes.flat, runs):
        _draw(ax, dataset, samples, columns=6)
        ax.set_title(f"{label}\n{_caption(dataset, metrics)}", fontsize=6)
    figure.tight_layout(pad=0.3)
    name = f"{prefix}_{dataset}.png"
    figure.savefig(out_dir / name, bbox_inches="tight")
    plt.close(figure)
    return name


def curves_name(prefix: str, dataset: str) -> str:
    """File name of a dataset's convergence curves.

    >>> curves_name("mode_collapse_pacgan_table1_grid_5000steps", "grid")
    'mode_collapse_pacgan_table1_grid_5000steps_grid_curves.png'
    """
    return f"{prefix}_{dataset}_curves.png"


def save_curves(prefix: str, records: list[dict], out_dir: Path) -> list[str]:
    """Modes, high-quality share and reverse KL against generator steps, one colour per recipe (thin lines: seeds,
    thick line: their mean where every seed was scored), for each 2-D dataset whose runs stored a ``curve``.

    Drawn from the stored JSON alone, so ``--report-only`` redraws them. Returns the file names written.
    """
    names = []
    datasets = dict.fromkeys(r["dataset"] for r in records if r.get("curve") and r["dataset"] in DATASETS_2D)
    for dataset in datasets:
        runs = [r for r in records if r["dataset"] == dataset and r.get("curve")]
        figure, axes = plt.subplots(1, 3, figsize=(11, 3.2), dpi=90)
        panels = (("modes", f"modes (of {ToyDataModule(dataset).num_modes})", 1), ("high_quality", "HQ %", 100))
        panels += (("reverse_kl", "reverse KL", 1),)
        colours = plt.rcParams["axes.prop_cycle"].by_key()["color"]
        for index, recipe in enumerate(dict.fromkeys(r["recipe"] for r in runs)):
            colour = colours[index % len(colours)]
            seeds = [r["curve"] for r in runs if r["recipe"] == recipe]
            for ax, (field, _, scale) in zip(axes, panels):
                for curve in seeds:
                    ax.plot(
                        [p["step"] for p in curve], [scale * p[field] for p in curve], color=colour, lw=0.6, alpha=0.4
                    )
                by_step = [{p["step"]: scale * p[field] for p in curve} for curve in seeds]
                common = sorted(set.intersection(*map(set, by_step)))
                mean = [sum(values[step] for values in by_step) / len(by_step) for step in common]
                ax.plot(common, mean, color=colour, lw=2, label=f"{recipe} ({len(seeds)} seed{'s' * (len(seeds) > 1)})")
        for ax, (_, title, _) in zip(axes, panels):
            ax.set_xlabel("generator steps")
            ax.set_title(title, fontsize=9)
            ax.grid(alpha=0.3)
        axes[2].set_yscale("log")
        axes[0].legend(fontsize=7)
        figure.suptitle(f"{prefix}: {dataset}", fontsize=9)
        figure.tight_layout()
        name = curves_name(prefix, dataset)
        figure.savefig(out_dir / name, bbox_inches="tight")
        plt.close(figure)
        names.append(name)
    return names
