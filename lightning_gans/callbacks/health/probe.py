"""The measuring half of :class:`~lightning_gans.callbacks.GANHealthMonitor`: probe a GAN with real and fixed-noise
fake samples and return its health signals.

:class:`HealthProbe` keeps the first ``probe_size`` real samples of training, then, on demand, samples the same
fixed-noise fakes and measures their spread (diversity), their classes (with a classifier) and how the
discriminator judges real and fake samples. It changes nothing in the module it probes.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager

import torch
from lightning.pytorch.utilities.rank_zero import rank_zero_warn
from torch import Tensor, nn

from lightning_gans.callbacks.health.signals import (
    class_histogram,
    histogram_entropy,
    mean_pairwise_distance,
    modes_seen,
    saturation,
    separation_auc,
)
from lightning_gans.checks import check_int
from lightning_gans.data.batches import class_labels, unpack_batch
from lightning_gans.evaluation.features import get_feature_extractor
from lightning_gans.metrics.conditional import within_class_std
from lightning_gans.metrics.precision_recall import NEIGHBORHOOD, knn_precision_recall
from lightning_gans.sampling import sample_from

#: The largest probe: its pairwise distances hold probe_size^2 values (4096: 134 MB in float64; 100,000 would ask
#: for 80 GB and fail deep inside torch).
MAX_PROBE_SIZE = 4096


class HealthProbe:
    """Collect a real probe batch from training batches and measure a GAN on it and on fixed-noise fakes.

    :meth:`collect` takes the first ``probe_size`` samples of the training batches (a tensor, or the first
    element of a tuple/list, with 1-d integer labels as the second). :meth:`measure` returns, as floats:

    - ``diversity_ratio``: mean pairwise distance of ``probe_size`` fakes (noise seeded by ``seed``, so the same
      latents every time) / that of the real probe; ``feature_diversity_ratio`` the same in
      ``feature_extractor`` space;
    - ``precision``: the share of those fakes inside a real probe sample's 3-NN ball (improved precision,
      :func:`~lightning_gans.metrics.knn_precision_recall`); ``feature_precision`` the same in
      ``feature_extractor`` space (both need ``probe_size >= 4``);
    - for a conditional module (``num_classes`` set; the fakes' classes cycle ``0, 1, ..., num_classes - 1``, each
      class with its own fixed noise): ``within_class_diversity_ratio``, the per-class ratio of
      :func:`~lightning_gans.metrics.conditional.within_class_std` of the fakes to that of the real probe's samples
      of the class, averaged over the ``classes_measured`` classes with at least two of each, and its minimum
      ``within_class_diversity_min``;
    - ``class_entropy``, ``real_class_entropy`` (nats) and ``modes_seen`` of the predicted classes under
      ``classifier``;
    - ``d_real_prob``, ``d_fake_prob`` (mean ``sigmoid(D)``), ``d_real_fake_gap`` (mean logit difference),
      ``d_saturation`` (fraction judged with confidence ``> 1 - saturation_prob``) and ``d_auc``.

    Probes run without gradients and with autocast disabled; the generator samples in eval mode (as
    :func:`~lightning_gans.sampling.sample_from` does), classifier and extractor in eval mode (modes restored
    afterwards), the discriminator as training sees it, in its current mode, with its buffers (BatchNorm
    statistics, spectral-norm vectors) restored afterwards.

    Args:
        probe_size: real and fake samples per probe (2 to :data:`MAX_PROBE_SIZE`).
        seed: seed of the fixed noise of the fakes.
        classifier: optional ``nn.Module`` (or method of one) mapping samples to class logits ``(N, K)``.
        feature_extractor: optional feature extractor spec, as ``EvaluationCallback`` takes it (a registered name such
            as ``"inception"``, or an ``nn.Module`` / method of one mapping samples to features).
        saturation_prob: the confidence margin of ``d_saturation``.

    >>> from lightning_gans import NetworkOptions, VanillaGAN
    >>> probe = HealthProbe(probe_size=64)
    >>> probe.collect(torch.randn(100, 2))
    >>> signals = probe.measure(VanillaGAN(data_dim=2, latent_dim=4, networks=NetworkOptions(hidden_dim=16)))
    >>> sorted(signals)[:3], 0.0 <= signals["d_auc"] <= 1.0
    (['d_auc', 'd_fake_prob', 'd_real_fake_gap'], True)
    """

    def __init__(
        self,
        probe_size: int = 256,
        seed: int = 0,
        classifier: nn.Module | Callable[[Tensor], Tensor] | None = None,
        feature_extractor: str | nn.Module | Callable[[Tensor], Tensor] | None = None,
        saturation_prob: float = 0.02,
    ) -> None:
        check_int("probe_size", probe_size, minimum=2, maximum=MAX_PROBE_SIZE)
        check_int("seed", seed)
        if classifier is not None and not callable(classifier):
            raise TypeError(
                f"classifier must be an nn.Module (or a method of one) or None, got {type(classifier).__name__}"
            )
        self.probe_size, self.seed, self.saturation_prob = probe_size, seed, saturation_prob
        # The same spec as EvaluationCallback(feature_extractor=...): a registered name, a module or a method of one.
        self.classifier = classifier
        self.feature_extractor = None if feature_extractor is None else get_feature_extractor(feature_extractor)
        self.real: Tensor | None = None
        self.real_labels: Tensor | None = None
        self._real_stats: dict[str, Tensor] = {}
        self._warned: set[str] = set()

    @property
    def extra_modules(self) -> list[nn.Module]:
        """The networks behind ``classifier`` / ``feature_extractor`` (a module, or the owner of a bound method)."""
        owners = [getattr(fn, "__self__", fn) for fn in (self.classifier, self.feature_extractor) if fn is not None]
        return [owner for owner in owners if isinstance(owner, nn.Module)]

    def reset_statistics(self) -> None:
        """Forget the real probe's cached statistics (e.g. after the extractor moved to another device)."""
        self._real_stats = {}

    def collect(self, batch: object) -> None:
        """Add samples (and integer labels) of a training ``batch`` until the probe holds ``probe_size``."""
        have = 0 if self.real is None else len(self.real)
        if have >= self.probe_size or "batch" in self._warned:
            return
        x, labels = _split_batch(batch)
        if x is None:
            self._warn_once(
                "batch",
                f"GANHealthMonitor cannot read samples from a {type(batch).__name__} batch; "
                "give batches as a tensor or (samples, labels): real-data probes are off",
            )
            return
        take = self.probe_size - have
        x = x[:take].detach().clone()
        labels = None if labels is None else labels[:take].detach().clone()
        self.real = x if self.real is None else torch.cat([self.real, x])
        if labels is not None:
            self.real_labels = labels if self.real_labels is None else torch.cat([self.real_labels, labels])
        self._real_stats = {}  # the real probe changed: its statistics are recomputed at the next measurement

    @torch.no_grad()
    def measure(self, pl_module: nn.Module, pack: int = 1) -> dict[str, float]:
        """The signals of ``pl_module`` (needs ``generator``, ``discriminator``, sampling); ``{}`` without reals.

        ``pack`` is the number of samples a packed discriminator judges at once.
        """
        if self.real is None or len(self.real) < 2:
            return {}
        device = next(pl_module.discriminator.parameters()).device
        real = self.real.to(device)
        num_classes = getattr(pl_module, "num_classes", None)
        fake_labels = torch.arange(self.probe_size, device=device) % num_classes if num_classes else None
        out: dict[str, Tensor] = {}
        # D runs in training mode, as the generator's gradients see it (BatchNorm on batch statistics); its
        # buffers (running statistics, spectral-norm vectors) are restored, so the probe leaves no trace.
        d_untouched = _restored_buffers(pl_module.discriminator)
        with torch.autocast(device.type, enabled=False), _eval_mode(*self.extra_modules), d_untouched:
            fake = sample_from(pl_module, self.probe_size, seed=self.seed, labels=fake_labels).to(real.dtype)
            if not self._real_stats:
                self._real_stats = self._statistics(real, self._labels_for(num_classes, device), num_classes)
            fake_stats = self._statistics(fake, fake_labels if "class_std" in self._real_stats else None, num_classes)
            for key in ("diversity", "feature_diversity"):
                if key in fake_stats:  # (a real probe without spread gives a huge ratio: never "collapsed")
                    out[f"{key}_ratio"] = fake_stats[key] / self._real_stats[key].clamp_min(1e-12)
            if min(len(real), len(fake)) > NEIGHBORHOOD:
                out["precision"] = torch.tensor(knn_precision_recall(fake, real)[0])
                if "features" in fake_stats:
                    features = fake_stats["features"], self._real_stats["features"]
                    out["feature_precision"] = torch.tensor(knn_precision_recall(*features)[0])
            if "class_counts" in fake_stats:
                out["class_entropy"] = histogram_entropy(fake_stats["class_counts"])
                out["real_class_entropy"] = histogram_entropy(self._real_stats["class_counts"])
                out["modes_seen"] = modes_seen(fake_stats["class_counts"]).float()
            if "class_std" in fake_stats:
                within = _within_class_ratios(fake_stats["class_std"], self._real_stats["class_std"])
                if not within:
                    self._warn_once(
                        "within",
                        f"GANHealthMonitor: no class has 2 real and 2 fake probe samples (probe_size={self.probe_size},"
                        f" num_classes={num_classes}): within-class diversity is off; raise probe_size",
                    )
                out |= within
            out |= self._discriminator_signals(pl_module, real, fake, fake_labels, pack)
        values = torch.stack([v.float().to(device) for v in out.values()]).tolist() if out else []  # one sync
        return dict(zip(out, values))

    def _labels_for(self, num_classes: int | None, device: torch.device) -> Tensor | None:
        """The real probe's labels when the module is conditional and every probe sample has one."""
        if not num_classes or self.real_labels is None or len(self.real_labels) != len(self.real):
            return None
        return self.real_labels.to(device)

    def _statistics(self, x: Tensor, labels: Tensor | None = None, num_classes: int | None = None) -> dict[str, Tensor]:
        stats = {"diversity": mean_pairwise_distance(x)}
        if labels is not None and num_classes:
            stats["class_std"] = within_class_std(x, labels, num_classes)  # (num_classes,), nan for < 2 samples
        if self.feature_extractor is not None:
            stats["features"] = self.feature_extractor(x)
            stats["feature_diversity"] = mean_pairwise_distance(stats["features"])
        if self.classifier is not None:
            stats["class_counts"] = class_histogram(self.classifier(x))
        return stats

    def _discriminator_signals(
        self, pl_module: nn.Module, real: Tensor, fake: Tensor, fake_labels: Tensor | None, pack: int
    ) -> dict[str, Tensor]:
        conditional = bool(getattr(pl_module, "num_classes", None))
        if conditional and self.real_labels is None:
            self._warn_once(
                "labels",
                "GANHealthMonitor: conditional module but the batches carry no labels: discriminator and within-class "
                "diversity probes are off",
            )
            return {}
        n = min(len(real), len(fake)) // pack * pack  # packed discriminators need whole groups
        if n == 0:
            return {}
        d = pl_module.discriminator
        dtype = next(d.parameters()).dtype
        if conditional:
            real_logits = d(real[:n].to(dtype), self.real_labels[:n].to(real.device))
            fake_logits = d(fake[:n].to(dtype), fake_labels[:n])
        else:
            real_logits, fake_logits = d(real[:n].to(dtype)), d(fake[:n].to(dtype))
        real_logits, fake_logits = real_logits.float().flatten(), fake_logits.float().flatten()
        return {
            "d_real_prob": torch.sigmoid(real_logits).mean(),
            "d_fake_prob": torch.sigmoid(fake_logits).mean(),
            "d_real_fake_gap": real_logits.mean() - fake_logits.mean(),
            "d_saturation": saturation(real_logits, fake_logits, self.saturation_prob),
            "d_auc": separation_auc(real_logits, fake_logits),
        }

    def _warn_once(self, key: str, message: str) -> None:
        if key not in self._warned:
            self._warned.add(key)
            rank_zero_warn(message)


def _within_class_ratios(fake_std: Tensor, real_std: Tensor) -> dict[str, Tensor]:
    """Per-class fake / real within-class standard deviation, summarised over the classes where both exist."""
    # Classes with < 2 samples on either side are nan; a class whose real samples do not vary cannot be compared.
    ratio = fake_std / real_std.clamp_min(1e-12)  # (num_classes,)
    valid = torch.isfinite(ratio) & (real_std > 0)
    if not bool(valid.any()):
        return {}
    return {
        "within_class_diversity_ratio": ratio[valid].mean(),
        "within_class_diversity_min": ratio[valid].min(),
        "classes_measured": valid.sum().float(),
    }


def _split_batch(batch: object) -> tuple[Tensor | None, Tensor | None]:
    """``batch`` -> (samples, integer labels or None); (None, None) when the layout is not understood."""
    try:
        samples, labels = unpack_batch(batch)
    except TypeError:
        return None, None
    return samples, class_labels(labels)


@contextmanager
def _restored_buffers(module: nn.Module) -> Iterator[None]:
    """Run the block, then put every buffer of ``module`` back to its value before the block."""
    saved = [(buffer, buffer.detach().clone()) for buffer in module.buffers()]
    try:
        yield
    finally:
        with torch.no_grad():
            for buffer, value in saved:
                buffer.copy_(value)


@contextmanager
def _eval_mode(*modules: nn.Module) -> Iterator[None]:
    """Put ``modules`` in eval mode, restoring every sub-module's own mode afterwards."""
    saved = [(m, m.training) for module in modules for m in module.modules()]
    for module in modules:
        module.eval()
    try:
        yield
    finally:
        for m, training in saved:
            m.training = training
