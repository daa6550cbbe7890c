"""FID, KID, IS and k-NN precision/recall during training, for any LightningModule that can draw samples.

The sampling protocol is :mod:`lightning_gans.sampling`; features, metrics and real-data handling are
:mod:`lightning_gans.evaluation`, shared with the offline :func:`~lightning_gans.evaluation.evaluate_generator`.
Conditional modules (``num_classes`` set) are evaluated on class-balanced labels ``0, 1, ..., K-1, 0, ...``.

Cost control: each sample goes through the feature network once (features and logits together); real features are
computed once per run (and cached on disk with ``real_cache_dir``); KID's subsets share one kernel evaluation; and
``max_overhead`` keeps evaluation within a share of the training time. The feature network and the metric states
live in the callback, never in the module, so no Inception weights end up in checkpoints.
"""

from __future__ import annotations

import json
import os
import time
import warnings
from collections.abc import Callable, Sequence
from pathlib import Path

import torch
from lightning import Callback, LightningModule, Trainer
from torch import Tensor, nn
from torch.utils.data import DataLoader

from lightning_gans.checks import check_int
from lightning_gans.evaluation.features import (
    FeatureExtractor,
    check_feature_extractor,
    extract_features,
    get_feature_extractor,
)
from lightning_gans.evaluation.metrics import (
    IS_SPLITS,
    KID_SUBSETS,
    METRICS,
    PR_NEIGHBORHOOD,
    FeatureMetrics,
    check_metrics,
    check_sample_counts,
)
from lightning_gans.evaluation.real import RealFeatureCache, real_batches, summarize_real
from lightning_gans.evaluation.schedule import Schedule, step_count
from lightning_gans.metrics.conditional import within_class_std
from lightning_gans.sampling import check_can_sample, rank_share, sample_from

__all__ = ["EvaluationCallback", "count_tag"]


def count_tag(n: int) -> str:
    """``5000 -> '5k'``, ``50000 -> '50k'``, ``64 -> '64'``: the sample count carried by metric names.

    >>> count_tag(5000), count_tag(2500), count_tag(64)
    ('5k', '2500', '64')
    """
    return f"{n // 1000}k" if n >= 1000 and n % 1000 == 0 else str(n)


class EvaluationCallback(Callback):
    """Log FID / KID / IS / precision / recall on a schedule, named with the sample count.

    Args:
        metrics: any of ``"fid"``, ``"kid"``, ``"is"``, ``"pr"``.
        num_samples: generated samples per evaluation (split over DDP ranks), and real images used (at most).
        every_n_epochs / every_n_steps / max_overhead: the schedule (see
            :class:`~lightning_gans.evaluation.Schedule`); give at most one (default: every epoch).
            ``max_overhead=0.1`` evaluates as often as keeps evaluation within 10% of the training time.
        at_end: evaluate once more at the end of fit (default: with ``max_overhead``).
        feature_extractor: a feature extractor spec (``"inception"``, ``"mnist_classifier"``, or an ``nn.Module`` /
            method mapping samples in ``[-1, 1]`` to features; see :mod:`lightning_gans.evaluation.features`);
            extractor_weights: its weights file.
        real_cache_dir: folder for the real-data features (keyed by dataset, extractor + weights hash, sample
            count and image size); requires ``dataset_name``.
        seed: rank ``r`` draws its samples with ``seed + r``; KID subsets and the IS shuffle use ``seed``.
        batch_size: samples per sampling / feature batch.
        kid_subset_size: KID subset size, capped at the sample counts.
        prefix: logged names are ``f"{prefix}{metric}_{count}"``, e.g. ``val/fid_5k``.

    Conditional modules (``num_classes`` set) also get ``intra_fid`` (FID within each class, averaged),
    ``within_class_std_ratio`` (pixel standard deviation within each class, generated / real: near 0 when the
    generator ignores its noise) and, when the feature extractor is a classifier over the same classes (e.g.
    ``"mnist_classifier"`` for digits), ``class_accuracy``; real labels come from the dataloader's ``(image, label)``
    items.

    Real images are the first ``num_samples`` items of the train dataloader's dataset (images in ``[-1, 1]``).
    Provenance (extractor, weights sha256, resize, counts, seeds, schedule) goes to the loggers' hyperparameters and,
    with every value logged (``step``: the schedule's step count), to ``evaluation.json`` in ``trainer.log_dir``.

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
        max_overhead: float | None = None,
        at_end: bool | None = None,
        feature_extractor: str | nn.Module | Callable[[Tensor], Tensor] = "inception",
        extractor_weights: str | os.PathLike | None = None,
        real_cache_dir: str | os.PathLike | None = None,
        dataset_name: str | None = None,
        seed: int = 0,
        batch_size: int = 128,
        kid_subset_size: int = 1000,
        prefix: str = "val/",
    ) -> None:
        self.metrics = check_metrics(metrics)
        check_sample_counts(self.metrics, num_samples, kid_subset_size)
        self.batch_size = check_int("batch_size", batch_size, minimum=1)
        self.schedule = Schedule(
            every_n_steps, every_n_epochs, max_overhead, at_end=bool(max_overhead) if at_end is None else at_end
        )
        check_feature_extractor(feature_extractor)
        if real_cache_dir is not None and not dataset_name:
            raise ValueError("dataset_name is required with real_cache_dir (it keys the cache), got None")
        self.num_samples, self.kid_subset_size, self.seed = num_samples, kid_subset_size, seed
        self.feature_extractor, self.extractor_weights = feature_extractor, extractor_weights
        self.dataset_name = dataset_name
        self._cache = RealFeatureCache(real_cache_dir)
        tag = count_tag(num_samples)
        keys = [k for m in self.metrics for k in (("precision", "recall") if m == "pr" else (m,))]
        self.names = {k: f"{prefix}{k}_{tag}" for k in keys}
        self.prefix, self.num_classes = prefix, None
        self.history: list[dict[str, float]] = []
        self.provenance: dict[str, object] = {}
        self._extractor: FeatureExtractor | None = None
        self._metric: FeatureMetrics | None = None
        self._real: dict[str, Tensor] | None = None

    # ------------------------------------------------------------------------------------------------ hooks
    def setup(self, trainer: Trainer, pl_module: LightningModule, stage: str) -> None:
        if stage != "fit":
            return
        check_can_sample(pl_module, "EvaluationCallback")
        if self._extractor is None:
            self._extractor = get_feature_extractor(self.feature_extractor, self.extractor_weights)
        if "is" in self.metrics and not self._extractor.provides_logits:
            raise ValueError(self._extractor.why_no_logits())
        self.num_classes = getattr(pl_module, "num_classes", None) or None
        # Class accuracy needs a classifier over the module's classes: the extractor's logits (e.g. MNIST's 10).
        accuracy = bool(self.num_classes) and self._extractor.num_classes == self.num_classes
        if self.num_classes:
            extra = ("intra_fid", "within_class_std_ratio") + (("class_accuracy",) if accuracy else ())
            self.names.update({k: f"{self.prefix}{k}_{count_tag(self.num_samples)}" for k in extra})
        # Metric states are made here, not in __init__: under ddp_spawn states made in __init__ stayed shared.
        self._metric = FeatureMetrics(
            self.metrics, self.kid_subset_size, self.seed, num_classes=self.num_classes, class_accuracy=accuracy
        )
        self.history, self.provenance = [], {}  # per run: the first evaluation logs the provenance
        self._real: dict[str, Tensor] | None = None

    def on_fit_start(self, trainer: Trainer, pl_module: LightningModule) -> None:
        # Fail now, not after an epoch: the module must give images, and the extractor must accept them.
        # A few samples suffice to check shapes; the budgeted schedule also times a pass over up to 16 of them.
        probe_size = min(self.batch_size, self.num_samples, 16 if self.schedule.max_overhead is not None else 2)
        probe = sample_from(pl_module, probe_size, seed=self.seed, batch_size=probe_size)
        if probe.dim() != 4:
            raise ValueError(
                f"EvaluationCallback needs image samples (N, C, H, W); {type(pl_module).__name__} gives "
                f"{tuple(probe.shape[1:])} per sample (for 2-D mixtures use ModeCoverageCallback('mixture'))"
            )
        extractor = self._extractor.to(pl_module.device)
        features = extract_features(extractor, probe, self.batch_size)[0]
        check_sample_counts(self.metrics, self.num_samples, self.kid_subset_size, features.shape[1])
        if self.schedule.max_overhead is not None:
            # The first evaluation's predicted cost, for the budgeted schedule: a second (warm) pass over the probe,
            # scaled to the generated and (the first time) real samples; later ones: the last measured cost.
            start = time.perf_counter()
            extract_features(extractor, probe, self.batch_size)
            self.schedule.predicted_seconds = (time.perf_counter() - start) / probe_size * 2 * self.num_samples
        self.schedule.start()

    def on_train_batch_end(self, trainer: Trainer, pl_module: LightningModule, *_: object) -> None:
        if self.schedule.due_after_batch(trainer, pl_module):
            self.evaluate(trainer, pl_module)

    def on_train_epoch_end(self, trainer: Trainer, pl_module: LightningModule) -> None:
        if self.schedule.due_after_epoch(trainer, pl_module):
            self.evaluate(trainer, pl_module)

    def on_train_end(self, trainer: Trainer, pl_module: LightningModule) -> None:
        if self.schedule.due_at_end(trainer, pl_module):
            self.evaluate(trainer, pl_module)

    # ------------------------------------------------------------------------------------------- evaluation
    def evaluate(self, trainer: Trainer, pl_module: LightningModule) -> dict[str, float]:
        """Compute, log and return the metrics now (every rank must call it: metrics sync across ranks)."""
        if trainer.sanity_checking or self._metric is None:
            return {}
        start = time.perf_counter()
        device, world, rank = pl_module.device, trainer.world_size, trainer.global_rank
        extractor = self._extractor.to(device)
        metric = self._metric.to(device)
        n_local = rank_share(self.num_samples, rank, world)
        labels = torch.arange(n_local) % self.num_classes if self.num_classes else None  # class-balanced
        spread = torch.tensor(float("nan"))
        if n_local > 0:
            fake = sample_from(pl_module, n_local, seed=self.seed + rank, labels=labels, batch_size=self.batch_size)
            features, logits = extract_features(extractor, fake, self.batch_size, device)
            metric.update(features, real=False, logits=logits, labels=labels)
            if self.num_classes:  # diversity within each class, in pixels, on this rank's share
                spread = within_class_std(fake, labels, self.num_classes).nanmean()
        if self._real is None:
            with torch.random.fork_rng(devices=[]):  # iterating a DataLoader draws a seed: keep training's stream
                self._real = self._real_summary(trainer, device)
        real = self._real
        if metric.num_real == 0:  # rank r feeds its slice
            real_labels = real.get("labels")
            metric.update(
                real["features"][rank::world].to(device),
                real=True,
                labels=None if real_labels is None else real_labels[rank::world],
            )
        values_all = metric.compute()
        if self.num_classes and "within_class_std" in real:
            if world > 1:
                spread = trainer.strategy.reduce(spread.to(device), reduce_op="mean").cpu()
            values_all["within_class_std_ratio"] = float(spread / real["within_class_std"].nanmean())
        metric.reset()  # generated features only: real ones are kept
        values = {self.names[k]: v for k, v in values_all.items() if k in self.names}
        spreads = {f"{self.names[k[:-4]]}_std": v for k, v in values_all.items() if k in ("kid_std", "is_std")}
        seconds = time.perf_counter() - start
        self.schedule.record(seconds, step_count(trainer, pl_module))
        self._log(trainer, pl_module, values, spreads, seconds)
        return values

    def _real_summary(self, trainer: Trainer, device: torch.device) -> dict[str, Tensor]:
        """Features (and labels, within-class spread) of the first ``num_samples`` real images: memory, then disk,
        then computed."""
        loader = trainer.train_dataloader
        if not isinstance(loader, DataLoader):
            raise TypeError(
                f"EvaluationCallback reads real images from a single train DataLoader, got {type(loader).__name__}"
            )
        batches = real_batches(loader, self.num_samples, self.batch_size)
        first = next(batches)
        shape = tuple(first[0].shape[1:])
        extractor = self._extractor
        dataset = self.dataset_name or id(loader.dataset)
        sha = (extractor.weights_sha256 or "none")[:16]
        key = (dataset, extractor.name, sha, self.num_samples, "x".join(map(str, shape)))

        def compute() -> dict[str, Tensor]:
            return summarize_real(extractor, [first, *batches], self.batch_size, device)

        summary = self._cache.get(key, compute, write=trainer.is_global_zero)
        count = len(summary["features"])
        if count < self.num_samples and "num_real" not in self.provenance:
            warnings.warn(f"only {count} real images available for {self.num_samples} requested", stacklevel=2)
        path = self._cache.last_file
        self.provenance.update(num_real=count, image_shape=list(shape), real_cache_file=path and str(path))
        return summary

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
        entry = {"epoch": trainer.current_epoch, "step": step_count(trainer, pl_module), "seconds": round(seconds, 3)}
        self.history.append({**entry, **values, **spreads})
        if first:
            self.provenance.update(
                **self._extractor.provenance(),
                metrics=list(self.names.values()),
                num_fake=self.num_samples,
                seed=self.seed,
                fake_seeds=[self.seed + r for r in range(trainer.world_size)],
                world_size=trainer.world_size,
                uses_ema=getattr(pl_module, "ema_generator", None) is not None,
                dataset_name=self.dataset_name,
                class_balanced_labels=bool(getattr(pl_module, "num_classes", None)),
                schedule=self.schedule.describe(),
                kid_subsets=KID_SUBSETS,
                kid_subset_size=min(self.kid_subset_size, self.num_samples, self.provenance.get("num_real", 0) or 0)
                if "kid" in self.metrics
                else None,
                is_splits=IS_SPLITS,
                pr_neighborhood=PR_NEIGHBORHOOD,
                implementation="lightning_gans.evaluation (torch-fidelity's FID/IS/PR functions, batched KID)",
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
            record = {"provenance": self.provenance, "evaluations": self.history}
            path.write_text(json.dumps(record, indent=2, default=str))
