"""Fixed-noise sample grids (images) and scatter plots (2-D data), saved as PNG and sent to the attached loggers.

The same seed is used every time, so successive pictures show how the *same* latent codes evolve: a grid whose
cells converge to one picture is mode collapse seen directly. Conditional modules (``num_classes`` set) get one row
per class. Works with any LightningModule following the sampling protocol of :mod:`lightning_gans.sampling`.

:func:`render_samples` and :func:`save_picture` are the one way samples become a picture file, here and in
``lightning-gans sample``.
"""

from __future__ import annotations

import math
import os
from pathlib import Path

import numpy as np
import torch
from lightning import Callback, LightningModule, Trainer
from lightning.pytorch.loggers import Logger, MLFlowLogger, TensorBoardLogger, WandbLogger
from lightning.pytorch.utilities import rank_zero_info, rank_zero_warn
from torch import Tensor
from torchvision.utils import make_grid, save_image

from lightning_gans.checks import check_int
from lightning_gans.convert import enlarge_for_viewing, to_unit_range
from lightning_gans.evaluation.schedule import Schedule, step_count
from lightning_gans.sampling import check_can_sample, sample_from

__all__ = ["SampleGridCallback", "render_samples", "save_picture", "scatter_figure"]


def scatter_figure(samples: Tensor, mode_centers: Tensor | None = None, title: str = ""):
    """A matplotlib ``Figure`` of 2-D ``samples`` ``(N, 2)`` over ``mode_centers`` ``(K, 2)`` (red crosses).

    Built on the Agg canvas directly, so the user's pyplot backend is never changed.

    >>> figure = scatter_figure(torch.randn(100, 2), torch.zeros(1, 2))
    >>> [c.get_offsets().shape for c in figure.axes[0].collections]
    [(100, 2), (1, 2)]
    """
    try:
        from matplotlib.backends.backend_agg import FigureCanvasAgg
        from matplotlib.figure import Figure
    except ImportError as err:  # matplotlib is an optional dependency
        raise ImportError("scatter plots of 2-D samples need matplotlib: pip install matplotlib") from err
    figure = Figure(figsize=(4.0, 4.0), dpi=100)
    FigureCanvasAgg(figure)
    ax = figure.add_subplot()
    points = samples.detach().float().cpu().numpy()
    ax.scatter(points[:, 0], points[:, 1], s=4, alpha=0.5, color="tab:blue", label="samples")
    if mode_centers is not None:
        centers = torch.as_tensor(mode_centers).detach().float().cpu().numpy()
        ax.scatter(centers[:, 0], centers[:, 1], s=60, marker="x", color="tab:red", label="mode centres")
        ax.legend(loc="upper right", fontsize="small")
    ax.set_aspect("equal", adjustable="datalim")
    ax.set_title(title)
    figure.tight_layout()
    return figure


def _figure_to_tensor(figure) -> Tensor:
    figure.canvas.draw()
    rgba = torch.from_numpy(np.asarray(figure.canvas.buffer_rgba()).copy())  # (H, W, 4) uint8
    return rgba[..., :3].permute(2, 0, 1).float() / 255.0  # (3, H, W) in [0, 1]


def render_samples(
    samples: Tensor, nrow: int | None = None, mode_centers: Tensor | None = None, title: str = ""
) -> Tensor:
    """The picture of ``samples``, ``(3, H, W)`` floats in ``[0, 1]``: images ``(N, C, H, W)`` in ``[-1, 1]`` as a
    grid of ``nrow`` per row (default: square), 2-D points ``(N, 2)`` as a scatter plot over ``mode_centers``.

    >>> render_samples(torch.zeros(16, 1, 28, 28)).shape  # 4 x 4 cells of 28 px, 2 px apart
    torch.Size([3, 122, 122])
    """
    if samples.dim() == 2 and samples.shape[1] == 2:
        return _figure_to_tensor(scatter_figure(samples, mode_centers, title))
    if samples.dim() != 4:
        raise ValueError(f"pictures are drawn of images (N, C, H, W) or 2-D points (N, 2), got {tuple(samples.shape)}")
    nrow = nrow or math.ceil(math.sqrt(len(samples)))
    return make_grid(to_unit_range(samples.detach().cpu()), nrow=nrow, padding=2, pad_value=1.0)  # grey -> 3 channels


def save_picture(image: Tensor, path: str | os.PathLike) -> Path:
    """Save a rendered picture (:func:`render_samples`) as PNG, small ones enlarged (nearest neighbour) to a
    viewable size; returns the path."""
    path = Path(path)
    save_image(enlarge_for_viewing(image), path)
    return path


class SampleGridCallback(Callback):
    """Every N steps or epochs, and once more when training ends, draw ``num_samples`` samples from fixed noise,
    save a PNG and log it.

    Images ``(N, C, H, W)`` become a grid (one row per class for conditional modules); 2-D samples ``(N, 2)`` become
    a scatter plot over ``mode_centers``. Images go to TensorBoard (``add_image``), W&B (``log_image``) and MLflow
    (``log_image``); other loggers (CSV, ...) have no image support: the PNG files in ``output_dir`` (default
    ``<trainer.log_dir>/samples``) are the record.

    Args:
        num_samples: samples per picture (for conditional modules, ``num_samples // num_classes`` per class).
        every_n_steps / every_n_epochs: schedule (a :class:`~lightning_gans.evaluation.Schedule`); give at most
            one (default: every epoch). Steps are the module's ``generator_steps`` when it has them, else
            ``trainer.global_step``.
        seed: the fixed noise seed.
        nrow: images per grid row (default: square grid; per class for conditional modules).
        output_dir: where PNG files go.
        mode_centers: ``(K, 2)`` centres drawn under 2-D samples; default: the datamodule's ``mode_centers``
            (as :class:`~lightning_gans.data.toy.ToyDataModule` has).
        tag: logger tag and file-name prefix.

    >>> SampleGridCallback(num_samples=16, every_n_steps=100).schedule.describe()
    'every 100 steps'
    """

    def __init__(
        self,
        num_samples: int = 64,
        every_n_steps: int | None = None,
        every_n_epochs: int | None = None,
        seed: int = 0,
        nrow: int | None = None,
        output_dir: str | os.PathLike | None = None,
        mode_centers: Tensor | None = None,
        tag: str = "samples",
    ) -> None:
        check_int("num_samples", num_samples, minimum=1)
        if nrow is not None:
            check_int("nrow", nrow, minimum=1)
        self.schedule = Schedule(every_n_steps=every_n_steps, every_n_epochs=every_n_epochs)
        if mode_centers is not None:
            mode_centers = torch.as_tensor(mode_centers, dtype=torch.float32)
            if mode_centers.dim() != 2 or mode_centers.shape[1] != 2:
                raise ValueError(f"`mode_centers` must have shape (K, 2), got {tuple(mode_centers.shape)}")
        self.num_samples, self.seed, self.nrow, self.tag = num_samples, seed, nrow, tag
        self.output_dir = None if output_dir is None else Path(output_dir)
        self.mode_centers = mode_centers
        self.saved: list[Path] = []
        self._told: set[str] = set()
        self._drawn_at: int | None = None  # trainer.global_step of the last picture (set on every rank alike)

    def setup(self, trainer: Trainer, pl_module: LightningModule, stage: str) -> None:
        if stage == "fit":
            check_can_sample(pl_module, "SampleGridCallback")

    def on_train_epoch_end(self, trainer: Trainer, pl_module: LightningModule) -> None:
        if self.schedule.due_after_epoch(trainer, pl_module):
            self.schedule.record(0.0, step_count(trainer, pl_module))
            self.log_samples(trainer, pl_module)

    def on_train_batch_end(self, trainer: Trainer, pl_module: LightningModule, *_: object) -> None:
        if self.schedule.due_after_batch(trainer, pl_module):
            self.schedule.record(0.0, step_count(trainer, pl_module))
            self.log_samples(trainer, pl_module)

    def on_train_end(self, trainer: Trainer, pl_module: LightningModule) -> None:
        # The final weights always get a picture (a run shorter than the schedule would otherwise have none).
        if self._drawn_at != trainer.global_step:
            self.log_samples(trainer, pl_module)

    def render(self, pl_module: LightningModule, title: str = "", mode_centers: Tensor | None = None) -> Tensor:
        """The picture for the current weights: ``(3, H, W)`` floats in ``[0, 1]``."""
        num_classes = getattr(pl_module, "num_classes", None)
        labels, nrow = None, self.nrow
        if num_classes:  # one row per class: labels 0,0,..,1,1,..
            per_class = max(1, self.num_samples // num_classes)
            labels, nrow = torch.arange(num_classes).repeat_interleave(per_class), per_class
        n = self.num_samples if labels is None else len(labels)
        samples = sample_from(pl_module, n, seed=self.seed, labels=labels)
        centers = self.mode_centers if self.mode_centers is not None else mode_centers
        return render_samples(samples, nrow, centers, title)

    def log_samples(self, trainer: Trainer, pl_module: LightningModule) -> Path | None:
        """Render, save the PNG and send it to every logger; returns the PNG path (``None`` off rank zero)."""
        if trainer.sanity_checking:
            return None
        epoch, step = self._position(trainer)
        self._drawn_at = trainer.global_step
        directory = self.output_dir or Path(trainer.log_dir or trainer.default_root_dir) / "samples"  # every rank
        if not trainer.is_global_zero:
            return None
        centers = getattr(trainer.datamodule, "mode_centers", None)
        image = self.render(pl_module, title=f"epoch {epoch}, step {step}", mode_centers=centers)
        directory.mkdir(parents=True, exist_ok=True)
        path = save_picture(image, directory / f"{self.tag}_epoch{epoch:03d}_step{step:07d}.png")
        self.saved.append(path)
        for logger in trainer.loggers:
            if not self._send(logger, image, path, step):
                kind = type(logger).__name__
                if kind not in self._told:
                    self._told.add(kind)
                    rank_zero_info(
                        f"{kind} has no image support: sample pictures are saved as PNG files in {directory}"
                    )
        return path

    @staticmethod
    def _position(trainer: Trainer) -> tuple[int, int]:
        """``(epoch, step)`` as the file names show them: the running epoch (``trainer.current_epoch`` already counts
        the last one as completed when training ends) and Lightning's logging step."""
        epoch = max(trainer.fit_loop.epoch_progress.current.ready - 1, 0)
        return epoch, getattr(trainer.fit_loop.epoch_loop, "_batches_that_stepped", trainer.global_step)

    def _send(self, logger: Logger, image: Tensor, path: Path, step: int) -> bool:
        try:
            if isinstance(logger, TensorBoardLogger):
                logger.experiment.add_image(self.tag, image, global_step=step)
            elif isinstance(logger, WandbLogger):
                logger.log_image(key=self.tag, images=[str(path)], step=step)
            elif isinstance(logger, MLFlowLogger):
                client = logger.experiment
                if hasattr(client, "log_image"):
                    hwc = (image.permute(1, 2, 0) * 255).round().to(torch.uint8).numpy()
                    client.log_image(logger.run_id, hwc, artifact_file=f"{self.tag}/{path.name}")
                else:
                    client.log_artifact(logger.run_id, str(path), artifact_path=self.tag)
            else:
                return False
        except Exception as err:  # a logger hiccup must not kill a long training run: the PNG is on disk
            rank_zero_warn(f"could not log {path.name} to {type(logger).__name__}: {err}")
        return True
