"""FID, KID, IS and k-NN precision/recall during training, for any LightningModule that can draw samples.

The sampling protocol (see :mod:`lightning_gans.sampling`): the module has ``sample(n, labels=None)`` (ours uses
the EMA generator when enabled), or a ``generator`` module plus ``latent_dim``. Conditional modules
(``num_classes`` set) are evaluated on class-balanced labels ``0, 1, ..., K-1, 0, ...``.

Cost control: each image goes through the feature network once (features and logits together), and the metrics
are torchmetrics objects fed with those features; real statistics are computed once per run (and cached on disk
when ``real_cache_dir`` is given). Metric objects and the feature network live in the callback, never in the
module, so no Inception weights end up in checkpoints.
"""

from __future__ import annotations

import itertools
import json
import os
import re
import time
import warnings
from collections.abc import Iterable, Sequence
from pathlib import Path

import torch
from lightning import Callback, LightningModule, Trainer
from torch import Tensor, nn
from torch.utils.data import DataLoader, IterableDataset, Subset
from torchmetrics import Metric
from torchmetrics.image import FrechetInceptionDistance, InceptionScore, KernelInceptionDistance

from lightning_gans.convert import to_uint8
from lightning_gans.evaluate import METRICS, check_metrics, images_of
from lightning_gans.metrics.features import FeatureExtractor, check_feature_extractor_name, get_feature_extractor
from lightning_gans.metrics.precision_recall import KnnPrecisionRecall
from lightning_gans.sampling import sample_from, supports_sampling

__all__ = ["EvaluationCallback"]

_KID_SUBSETS, _IS_SPLITS, _PR_NEIGHBORHOOD = 100, 10, 3  # torch-fidelity's defaults


def count_tag(n: int) -> str:
    """``5000 -> '5k'``, ``50000 -> '50k'``, ``64 -> '64'``: the sample count carried by metric names.

    >>> count_tag(5000), count_tag(2500), count_tag(64)
    ('5k', '2500', '64')
    """
    return f"{n // 1000}k" if n >= 1000 and n % 1000 == 0 else str(n)


def _step_count(trainer: Trainer, pl_module: LightningModule) -> int:
    # Our GAN's generator steps; trainer.global_step counts every optimizer step (G and D together).
    return int(getattr(pl_module, "generator_steps", trainer.global_step))


class _Precomputed(nn.Module):
    """Identity "feature network": the callback extracts features once and feeds them to every metric."""

    def __init__(self, num_features: int) -> None:
        super().__init__()
        self.num_features = num_features

    def forward(self, features: Tensor) -> Tensor:
        return features


class EvaluationCallback(Callback):
    """Log FID / KID / IS / precision / recall every N epochs or steps, named with the sample count.

    Args:
        metrics: any of ``"fid"``, ``"kid"``, ``"is"``, ``"pr"``.
        num_samples: generated samples per evaluation (split over DDP ranks), and real images used (at most).
        every_n_epochs / every_n_steps: schedule; give at most one (default: every epoch). Steps are the module's
            ``generator_steps`` when it has them (our GAN), else ``trainer.global_step``.
        feature_extractor: ``"inception"``, ``"mnist_classifier"`` or any feature ``nn.Module`` (see
            :mod:`lightning_gans.metrics.features`); extractor_weights: its weights file.
        real_cache_dir: folder for the real-data features (keyed by dataset, extractor + weights hash, sample
            count and image size); requires ``dataset_name``.
        seed: rank ``r`` draws its samples with ``seed + r``.
        batch_size: images per sampling / feature batch.
        kid_subset_size: KID subset size, capped at the sample counts.
        prefix: logged names are ``f"{prefix}{metric}_{count}"``, e.g. ``val/fid_5k``.

    Real images are the first ``num_samples`` items of the train dataloader's dataset (images in ``[-1, 1]``).
    Provenance (extractor, weights sha256, resize, counts, seeds) goes to the loggers' hyperparameters and, with
    every value logged (``step``: the schedule's step count), to ``evaluation.json`` in ``trainer.log_dir``.

    >>> callback = EvaluationCallback(num_samples=5000, every_n_steps=1000)
    >>> callback.names["fid"], callback.names["recall"]
    ('val/fid_5k', 'val/recall_5k')
    """

    def __init__(
        self,
        metrics: Sequence[str] = METRICS,
        num_samples: int = 5000,
        every_n_epochs: int | None = None,
        every_n_steps: int | None = None,
        feature_extractor: str | nn.Module = "inception",
        extractor_weights: str | os.PathLike | None = None,
        real_cache_dir: str | os.PathLike | None = None,
        dataset_name: str | None = None,
        seed: int = 0,
        batch_size: int = 128,
        kid_subset_size: int = 1000,
        prefix: str = "val/",
    ) -> None:
        self.metrics = check_metrics(metrics)
        sizes = {"num_samples": num_samples, "batch_size": batch_size, "kid_subset_size": kid_subset_size}
        for arg, value in sizes.items():
            if not isinstance(value, int) or isinstance(value, bool) or value < 2:
                raise ValueError(f"`{arg}` must be an int >= 2, got {value!r}")
        for arg, value in (("every_n_epochs", every_n_epochs), ("every_n_steps", every_n_steps)):
            if value is not None and (not isinstance(value, int) or value < 1):
                raise ValueError(f"`{arg}` must be a positive int or None, got {value!r}")
        if every_n_epochs is not None and every_n_steps is not None:
            raise ValueError(
                f"give `every_n_epochs` or `every_n_steps`, not both; got {every_n_epochs}, {every_n_steps}"
            )
        check_feature_extractor_name(feature_extractor)
        if real_cache_dir is not None and not dataset_name:
            raise ValueError("`dataset_name` is required with `real_cache_dir` (it keys the cache), got None")
        self.num_samples, self.batch_size, self.kid_subset_size = num_samples, batch_size, kid_subset_size
        self.seed = seed
        self.every_n_epochs = every_n_epochs if every_n_steps is not None or every_n_epochs else 1
        self.every_n_steps = every_n_steps
        self.feature_extractor, self.extractor_weights = feature_extractor, extractor_weights
        self.real_cache_dir = None if real_cache_dir is None else Path(real_cache_dir)
        self.dataset_name = dataset_name
        tag = count_tag(num_samples)
        keys = [k for m in self.metrics for k in (("precision", "recall") if m == "pr" else (m,))]
        self.names = {k: f"{prefix}{k}_{tag}" for k in keys}
        self.history: list[dict[str, float]] = []
        self._extractor: FeatureExtractor | None = None
        self._metrics: dict[str, Metric] | None = None
        self._real_memory: dict[tuple, Tensor] = {}
        self._real_fed = False
        self._last_step = -1
        self.provenance: dict[str, object] = {}

    # ------------------------------------------------------------------------------------------------ hooks
    def setup(self, trainer: Trainer, pl_module: LightningModule, stage: str) -> None:
        if stage != "fit":
            return
        if not supports_sampling(pl_module):
            raise TypeError(
                f"EvaluationCallback cannot draw samples from {type(pl_module).__name__}: give it a "
                "`sample(n, labels=None)` method, or a `generator` module and a `latent_dim`"
            )
        if self._extractor is None:
            self._extractor = get_feature_extractor(self.feature_extractor, self.extractor_weights)
        if "is" in self.metrics and not self._extractor.provides_logits:
            raise ValueError(f"`metrics` includes 'is' but extractor {self._extractor.name} provides no logits")
        # Created here, in each process, not in __init__: under ddp_spawn states made in __init__ stayed shared.
        self._metrics, self._real_fed, self._last_step = None, False, -1
        self.history, self.provenance = [], {}  # per run: the first evaluation logs the provenance
        if self._extractor.num_features is not None:
            self._build_metrics(self._extractor.num_features)

    def on_train_epoch_end(self, trainer: Trainer, pl_module: LightningModule) -> None:
        if self.every_n_steps is None and (trainer.current_epoch + 1) % self.every_n_epochs == 0:
            self.evaluate(trainer, pl_module)

    def on_train_batch_end(self, trainer: Trainer, pl_module: LightningModule, *_: object) -> None:
        if self.every_n_steps is None:
            return
        step = _step_count(trainer, pl_module)
        if step > 0 and step % self.every_n_steps == 0 and step != self._last_step:
            self._last_step = step
            self.evaluate(trainer, pl_module)

    # ------------------------------------------------------------------------------------------- evaluation
    def evaluate(self, trainer: Trainer, pl_module: LightningModule) -> dict[str, float]:
        """Compute, log and return the metrics now (every rank must call it: metrics sync across ranks)."""
        if trainer.sanity_checking or self._extractor is None:
            return {}
        start = time.perf_counter()
        device, world, rank = pl_module.device, trainer.world_size, trainer.global_rank
        extractor = self._extractor.to(device)
        n_local = self.num_samples // world + int(rank < self.num_samples % world)
        num_classes = getattr(pl_module, "num_classes", None)
        labels = torch.arange(n_local) % num_classes if num_classes else None
        fake = sample_from(pl_module, n_local, seed=self.seed + rank, labels=labels, batch_size=self.batch_size)
        if fake.dim() != 4:
            raise ValueError(
                f"EvaluationCallback needs image samples (N, C, H, W); {type(pl_module).__name__} gave "
                f"{tuple(fake.shape)} (for 2-D mixtures use lightning_gans.metrics.MixtureModeCoverage)"
            )
        with torch.autocast(device.type, enabled=False), torch.no_grad():
            fake_batches = [extractor.extract(to_uint8(chunk)) for chunk in fake.split(self.batch_size)]
            del fake
            if self._metrics is None:  # custom extractor without `num_features`: known after its first pass
                self._build_metrics(fake_batches[0][0].shape[1])
            metrics = {name: metric.to(device) for name, metric in self._metrics.items()}
            if not self._real_fed:
                real = self._real_features(trainer, device)[rank::world].to(device)  # rank r feeds its slice
                for name in ("fid", "kid", "pr"):
                    if name in metrics:
                        metrics[name].update(real, real=True)
                if "kid" in metrics:
                    num_real = self.provenance["num_real"]
                    metrics["kid"].subset_size = min(self.kid_subset_size, self.num_samples, num_real)
                self._real_fed = True
            for features, logits in fake_batches:
                for name, metric in metrics.items():
                    if name == "is":
                        metric.update(logits)
                    else:
                        metric.update(features, real=False)
            # KID subsets and IS splits draw from the global RNG: seed them, and leave training's stream untouched.
            with torch.random.fork_rng(devices=[]):
                torch.manual_seed(self.seed)
                raw = {name: metric.compute() for name, metric in metrics.items()}
        for metric in metrics.values():
            metric.reset()  # fake features only: real ones are kept
        values, spreads = {}, {}
        for name, value in raw.items():
            if name == "pr":
                parts = dict(zip(("precision", "recall"), value))
            else:  # KID and IS return (mean, std): the mean is logged, the std goes to evaluation.json
                parts = {name: value[0] if isinstance(value, tuple) else value}
                if isinstance(value, tuple):
                    spreads[f"{self.names[name]}_std"] = float(value[1])
            values.update({self.names[k]: float(v) for k, v in parts.items()})
        self._log(trainer, pl_module, values, spreads, time.perf_counter() - start)
        return values

    def _build_metrics(self, num_features: int) -> None:
        with warnings.catch_warnings():  # "will save all extracted features in buffer": that is the point
            warnings.filterwarnings("ignore", message=".*will save all extracted features.*")
            builders = {
                "fid": lambda: FrechetInceptionDistance(feature=_Precomputed(num_features), reset_real_features=False),
                "kid": lambda: KernelInceptionDistance(
                    feature=_Precomputed(num_features),
                    subsets=_KID_SUBSETS,
                    subset_size=min(self.kid_subset_size, self.num_samples),
                    reset_real_features=False,
                ),
                "is": lambda: InceptionScore(feature=_Precomputed(num_features), splits=_IS_SPLITS),
                "pr": lambda: KnnPrecisionRecall(_PR_NEIGHBORHOOD),
            }
            self._metrics = {name: builders[name]() for name in self.metrics}

    # ------------------------------------------------------------------------------------------- real data
    def _real_features(self, trainer: Trainer, device: torch.device) -> Tensor:
        """Features ``(N_real, D)`` of the first ``num_samples`` real images: memory, then disk, then computed."""
        loader = trainer.train_dataloader
        if not isinstance(loader, DataLoader):
            raise TypeError(
                f"EvaluationCallback reads real images from a single train DataLoader, got {type(loader).__name__}"
            )
        batches = self._real_batches(loader)
        first = next(batches)
        shape = tuple(images_of(first).shape[1:])
        extractor = self._extractor
        dataset = self.dataset_name or id(loader.dataset)
        key = (dataset, extractor.name, extractor.weights_sha256, self.num_samples, shape)
        path = self._cache_path(extractor, shape)
        if key not in self._real_memory and path is not None and path.is_file():
            stored = torch.load(path, map_location="cpu", weights_only=True)
            self._real_memory[key] = stored["features"]
        if key not in self._real_memory:
            chunks, count = [], 0
            for batch in itertools.chain([first], batches):
                images = to_uint8(images_of(batch)[: self.num_samples - count].to(device))
                chunks.append(extractor.extract(images)[0].float().cpu())
                count += len(images)
                if count >= self.num_samples:
                    break
            self._real_memory[key] = torch.cat(chunks)
            if path is not None and trainer.is_global_zero:
                path.parent.mkdir(parents=True, exist_ok=True)
                tmp = path.with_suffix(f".tmp{os.getpid()}")
                torch.save({"features": self._real_memory[key], "key": [str(k) for k in key]}, tmp)
                os.replace(tmp, path)  # atomic: a reader never sees half a file
        features = self._real_memory[key]
        if len(features) < self.num_samples:
            warnings.warn(f"only {len(features)} real images available for {self.num_samples} requested", stacklevel=2)
        self.provenance.update(num_real=len(features), image_shape=list(shape), real_cache_file=path and str(path))
        return features

    def _real_batches(self, loader: DataLoader) -> Iterable:
        dataset = loader.dataset
        if isinstance(dataset, IterableDataset) or not hasattr(dataset, "__len__"):
            return iter(loader)  # no random access: the loader's own first batches
        subset = Subset(dataset, range(min(self.num_samples, len(dataset))))  # fixed: the first N items, in order
        return iter(
            DataLoader(subset, batch_size=self.batch_size, num_workers=loader.num_workers, collate_fn=loader.collate_fn)
        )

    def _cache_path(self, extractor: FeatureExtractor, shape: tuple[int, ...]) -> Path | None:
        if self.real_cache_dir is None:
            return None
        parts = [self.dataset_name, extractor.name, (extractor.weights_sha256 or "none")[:16], str(self.num_samples)]
        name = "_".join([*parts, "x".join(map(str, shape))])
        return self.real_cache_dir / (re.sub(r"[^A-Za-z0-9_.-]", "-", f"real_{name}") + ".pt")

    # ----------------------------------------------------------------------------------------------- logging
    def _log(
        self,
        trainer: Trainer,
        pl_module: LightningModule,
        values: dict[str, float],
        spreads: dict[str, float],
        seconds: float,
    ) -> None:
        # Logged through the loggers directly: `pl_module.log` from a batch hook only reaches the loggers on
        # `log_every_n_steps` boundaries. The step is the one Lightning uses for the module's own logs.
        step = getattr(trainer.fit_loop.epoch_loop, "_batches_that_stepped", trainer.global_step)
        trainer.callback_metrics.update({k: torch.tensor(v) for k, v in values.items()})  # for ModelCheckpoint
        first = not self.history
        entry = {"epoch": trainer.current_epoch, "step": _step_count(trainer, pl_module), "seconds": round(seconds, 3)}
        self.history.append({**entry, **values, **spreads})
        if first:
            ema = getattr(pl_module, "ema_generator", None) is not None
            self.provenance.update(
                **self._extractor.provenance(),
                metrics=list(self.names.values()),
                num_fake=self.num_samples,
                seed=self.seed,
                fake_seeds=[self.seed + r for r in range(trainer.world_size)],
                world_size=trainer.world_size,
                uses_ema=ema,
                dataset_name=self.dataset_name,
                class_balanced_labels=bool(getattr(pl_module, "num_classes", None)),
                kid_subsets=_KID_SUBSETS,
                kid_subset_size=getattr(self._metrics.get("kid"), "subset_size", None),
                is_splits=_IS_SPLITS,
                pr_neighborhood=_PR_NEIGHBORHOOD,
                implementation="torchmetrics",
            )
            flat = {
                f"eval/{k}": v if isinstance(v, (int, float, str, bool)) else str(v) for k, v in self.provenance.items()
            }
            for logger in trainer.loggers:
                logger.log_hyperparams(flat)
        for logger in trainer.loggers:
            logger.log_metrics(values, step=step)
        log_dir = trainer.log_dir or trainer.default_root_dir  # a collective under DDP: every rank asks
        if trainer.is_global_zero:
            path = Path(log_dir) / "evaluation.json"
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_text(json.dumps({"provenance": self.provenance, "evaluations": self.history}, indent=2))
