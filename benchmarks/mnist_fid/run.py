"""One MNIST FID run: train a row for some epochs (resumable from per-epoch checkpoints), then its FID.

:class:`MnistFidSpec` names the run (``mnist_fid/<protocol>/<row>/seed<k>.json`` in the harness's store, the protocol
from :func:`~benchmarks.mnist_fid.protocol.protocol_name`) and :func:`run_spec` makes it.
"""

from __future__ import annotations

import datetime
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import lightning as L
import torch
from lightning.pytorch.callbacks import ModelCheckpoint
from torch.utils.data import DataLoader, TensorDataset

from benchmarks.harness import ROOT, RunKey
from benchmarks.mnist_fid.nets import InfoGANDiscriminator, InfoGANGenerator
from benchmarks.mnist_fid.protocol import (
    BATCH_SIZE,
    DIFFERENCES,
    EPOCHS,
    FULL_PROTOCOL,
    LATENT_DIM,
    NUM_EVAL,
    PUBLISHED,
    ROWS,
    TITLES,
    TRAIN_IMAGES,
    protocol_name,
)
from lightning_gans import GAN, Optimization, Regularization
from lightning_gans.data.mnist_files import load_mnist_arrays
from lightning_gans.evaluation import FeatureMetrics, extract_features, get_feature_extractor
from lightning_gans.evaluation.real import RealFeatureCache
from lightning_gans.sampling import sample_from

DEFAULT_DATA = ROOT.parent / "shared" / "data" / "mnist"
DEFAULT_CACHE = Path.home() / ".cache" / "lightning_gans" / "mnist_fid"
DEFAULT_WORK = Path.home() / ".cache" / "lightning_gans" / "mnist_fid_runs"
GRID_IMAGES = 64  # the first generated images of each run, drawn as an 8x8 grid beside its JSON


def _images(data_dir: Path, split: str, limit: int | None) -> torch.Tensor:
    images, _ = load_mnist_arrays(data_dir, split)
    images = images[:limit] if limit else images
    return images.unsqueeze(1).float() / 127.5 - 1.0  # uint8 (N, 28, 28) -> [-1, 1] (N, 1, 28, 28)


class TrainingClock(L.Callback):
    """Seconds spent training and the epoch of the first resume, carried in the checkpoint so that a run resumed
    any number of times reports its whole training time and that it was resumed."""

    def __init__(self) -> None:
        self.seconds = 0.0
        self.resumed_at_epoch: int | None = None
        self._since = 0.0

    def on_train_start(self, trainer: L.Trainer, pl_module: L.LightningModule) -> None:
        self._since = time.perf_counter()
        if trainer.current_epoch > 0 and self.resumed_at_epoch is None:  # restored from a checkpoint
            self.resumed_at_epoch = trainer.current_epoch

    def _lap(self) -> None:
        now = time.perf_counter()
        self.seconds += now - self._since
        self._since = now

    def on_train_epoch_end(self, trainer: L.Trainer, pl_module: L.LightningModule) -> None:
        self._lap()  # before ModelCheckpoint saves this epoch (callbacks run in order)

    def on_train_end(self, trainer: L.Trainer, pl_module: L.LightningModule) -> None:
        self._lap()

    def state_dict(self) -> dict[str, Any]:
        return {"seconds": self.seconds, "resumed_at_epoch": self.resumed_at_epoch}

    def load_state_dict(self, state_dict: dict[str, Any]) -> None:
        self.seconds = float(state_dict["seconds"])
        # A run restored at its last epoch skips on_train_start, so an earlier resume must come from here.
        self.resumed_at_epoch = state_dict.get("resumed_at_epoch")


def train(row: str, seed: int, images: torch.Tensor, epochs: int, work_dir: Path | None = None) -> tuple[GAN, dict]:
    """The row's model trained for ``epochs`` over ``images``; returns it and how the training went.

    With ``work_dir``, a checkpoint is written there after every epoch and a later call resumes from it, so a stopped
    run loses at most one epoch. The returned dict holds the training seconds (summed over resumed runs) and the
    epoch a resumed run started from (``None`` when trained in one go).
    """
    s = ROWS[row]
    L.seed_everything(seed, verbose=False)
    model = GAN(
        generator=InfoGANGenerator(LATENT_DIM, layers=s["layers"]),
        discriminator=InfoGANDiscriminator(batch_norm=s["d_bn"], layers=s["layers"]),
        latent_dim=LATENT_DIM,
        loss=s["loss"],
        optimization=Optimization(
            lr_g=s["lr"],
            lr_d=s["lr"],
            betas_g=(s["beta1"], s["beta2"]),
            betas_d=(s["beta1"], s["beta2"]),
            n_critic=s["n_critic"],
        ),
        regularization=Regularization(gp_weight=s["gp_weight"], weight_clip=s["weight_clip"]),
        noise_seed=seed,
    )
    shuffle = torch.Generator().manual_seed(seed)
    loader = DataLoader(TensorDataset(images), batch_size=BATCH_SIZE, shuffle=True, drop_last=True, generator=shuffle)
    clock = TrainingClock()
    callbacks: list[L.Callback] = [clock]
    resume = None
    if work_dir is not None:
        # One file, replaced after every epoch (a "last" checkpoint alone is only written at the end of fit).
        callbacks.append(ModelCheckpoint(dirpath=work_dir, filename="latest", save_top_k=1, every_n_epochs=1))
        latest = work_dir / "latest.ckpt"
        resume = latest if latest.is_file() else None
    trainer = L.Trainer(
        accelerator="auto",
        devices=1,
        max_epochs=epochs,
        logger=False,
        callbacks=callbacks,
        enable_checkpointing=work_dir is not None,
        enable_progress_bar=False,
        enable_model_summary=False,
    )
    trainer.fit(model, loader, ckpt_path=resume)
    return model, {"train_seconds": round(clock.seconds, 1), "resumed_at_epoch": clock.resumed_at_epoch}


def run_name(row: str, seed: int) -> str:
    """The name of a run's checkpoint folder in the work dir (under its protocol).

    >>> run_name("wgan_gp", 3)
    'wgan_gp_seed3'
    """
    return f"{row}_seed{seed}"


@dataclass(frozen=True)
class MnistFidSpec:
    """One run: ``row`` trained with ``seed`` for ``epochs`` over the first ``train_images`` training images, then the
    FID of ``num_eval`` generated against ``num_eval`` test images; picklable for the harness's workers.

    >>> MnistFidSpec("ns", 1).key.relative_path
    'mnist_fid/lucic_20epochs/ns/seed1.json'
    >>> spec = MnistFidSpec("wgan_gp", 0, epochs=2, num_eval=2000, work_dir="work")
    >>> spec.key.relative_path, spec.checkpoints.as_posix()
    ('mnist_fid/2epochs_60000train_2000eval/wgan_gp/seed0.json', 'work/2epochs_60000train_2000eval/wgan_gp_seed0')
    """

    row: str
    seed: int
    epochs: int = EPOCHS
    train_images: int = TRAIN_IMAGES
    num_eval: int = NUM_EVAL
    data_dir: str = str(DEFAULT_DATA)
    cache_dir: str = str(DEFAULT_CACHE)
    work_dir: str = str(DEFAULT_WORK)
    extractor_weights: str | None = None  # the FID Inception's weights (default: found offline)
    eval_batch: int = 100

    def __post_init__(self) -> None:
        if self.row not in ROWS:
            raise ValueError(f"row must be one of {sorted(ROWS)}, got {self.row!r}")

    @property
    def protocol(self) -> str:
        return protocol_name(self.epochs, self.train_images, self.num_eval)

    @property
    def key(self) -> RunKey:
        return RunKey("mnist_fid", self.protocol, self.row, self.seed)

    @property
    def checkpoints(self) -> Path:
        """The run's per-epoch checkpoint folder (removed once its result is stored)."""
        return Path(self.work_dir) / self.protocol / run_name(self.row, self.seed)


def real_features(spec: MnistFidSpec, extractor, device: torch.device) -> torch.Tensor:
    """Inception features of the first ``num_eval`` test images, cached on disk by extractor hash and count."""
    key = ("mnist_test", spec.num_eval, extractor.name, (extractor.weights_sha256 or "none")[:16])

    def compute() -> dict[str, torch.Tensor]:
        test = _images(Path(spec.data_dir), "test", spec.num_eval)
        return {"features": extract_features(extractor, test.to(device), spec.eval_batch)[0].cpu()}

    return RealFeatureCache(spec.cache_dir).get(key, compute)["features"]


def _checked(images: torch.Tensor, wanted: int, split: str, option: str) -> torch.Tensor:
    if len(images) != wanted:  # the run's key names the count: it must be the count used
        raise ValueError(f"the {split} set has {len(images)} images, the run asks for {wanted}: give {option}")
    return images


def run_spec(spec: MnistFidSpec) -> dict[str, Any]:
    """Train and evaluate one run; the record, with its first 64 generated images under ``"_samples"`` (drawn by the
    caller beside the stored JSON, never stored in it)."""
    device = torch.device("cuda" if torch.cuda.is_available() else "cpu")
    settings = {
        **ROWS[spec.row],
        "batch_size": BATCH_SIZE,
        "latent_dim": LATENT_DIM,
        "epochs": spec.epochs,
        "train_images": spec.train_images,
        "num_eval": spec.num_eval,
    }
    images = _checked(
        _images(Path(spec.data_dir), "train", spec.train_images), spec.train_images, "training", "--train-limit"
    )
    model, training = train(spec.row, spec.seed, images, spec.epochs, spec.checkpoints)
    start = time.perf_counter()
    extractor = get_feature_extractor("inception", spec.extractor_weights).to(device)
    real = _checked(real_features(spec, extractor, device), spec.num_eval, "test", "a smaller --num-eval")
    fake = sample_from(model.to(device), spec.num_eval, seed=10_000 + spec.seed, batch_size=spec.eval_batch)
    metric = FeatureMetrics(("fid",))
    metric.update(real, real=True)
    metric.update(extract_features(extractor, fake, spec.eval_batch)[0].cpu(), real=False)
    fid = metric.compute()["fid"]
    return {
        "row": spec.row,
        "title": TITLES[spec.row],
        "seed": spec.seed,
        "fid": fid,
        "full_protocol": spec.protocol == FULL_PROTOCOL,
        "settings": settings,
        "generator_steps": int(model.generator_steps),
        **training,
        "eval_seconds": round(time.perf_counter() - start, 1),
        "num_fake": spec.num_eval,
        "num_real": len(real),
        "extractor": extractor.provenance(),
        "published": PUBLISHED[spec.row],
        "protocol_differences": list(DIFFERENCES),
        "device": str(device),
        "finished": datetime.datetime.now(datetime.timezone.utc).isoformat(timespec="seconds"),
        "_samples": fake[:GRID_IMAGES].cpu(),
    }
