"""GANHealthMonitor: notice that GAN training goes wrong, name the failure, show the evidence, offer remedies."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

import lightning.pytorch as pl
import torch
from lightning.pytorch.callbacks import Callback
from lightning.pytorch.utilities.rank_zero import rank_zero_warn
from torch import Tensor, nn

from lightning_gans.callbacks.diagnosis import (
    SIGMOID_LOSSES,
    Diagnosis,
    GANHealthWarning,
    HealthRules,
    HealthThresholds,
    format_message,
    module_settings,
    remedies_for,
)
from lightning_gans.callbacks.health_signals import (
    GradNormTracker,
    class_histogram,
    histogram_entropy,
    mean_pairwise_distance,
    modes_seen,
    saturation,
    separation_auc,
)
from lightning_gans.sampling import sample_from, supports_sampling


class GANHealthMonitor(Callback):
    """Watch a GAN for **mode collapse** and **vanishing gradients**; log the signals, warn once with remedies.

    Works with any LightningModule that has ``generator`` and ``discriminator`` modules (the discriminator returns
    logits, higher = more real; ``D(x, labels)`` when the module's ``num_classes`` is set) and can be sampled by
    :func:`lightning_gans.sampling.sample_from`. Steps are *generator* optimizer steps, counted by this callback.

    Every ``check_every_n_steps`` generator steps it logs, under ``health/``:

    - ``g_grad_norm``, ``d_grad_norm`` and ``*_min_layer`` (the weakest layer): mean L2 gradient norms over the
      last ``grad_window`` generator steps (and the discriminator steps between them), taken after AMP
      unscaling; ``g_grad_ratio``: generator norm / its early reference;
    - ``d_real_prob``, ``d_fake_prob`` (mean ``sigmoid(D)``), ``d_real_fake_gap`` (mean logit difference) and
      ``d_saturation`` (fraction of samples judged with confidence ``> 1 - saturation_prob``) and ``d_auc``
      (probability that D scores a real sample above a fake one) on a real probe batch and on ``probe_size``
      fixed-noise fakes;
    - ``diversity_ratio``: mean pairwise distance of the fakes / that of the real probe (1 = as spread as the
      data, 0 = one point); ``feature_diversity_ratio``: the same in ``feature_extractor`` space;
    - ``class_entropy`` (nats) and ``modes_seen`` of the fakes' predicted classes when a ``classifier`` is given.

    The real probe is the first ``probe_size`` samples of the training batches (a tensor, or the first element of
    a tuple/list, with integer labels as the second). Probes run without gradients and with autocast disabled;
    the generator samples in eval mode (as :func:`~lightning_gans.sampling.sample_from` does), the classifier and
    extractor run in eval mode (modes restored afterwards), and the discriminator runs as training sees it, in its
    current mode, with its buffers (BatchNorm statistics, spectral-norm vectors) restored afterwards. The
    diagnosis rules and thresholds are those of :class:`~lightning_gans.callbacks.diagnosis.HealthRules`: nothing
    is diagnosed during ``warmup_steps`` and a failure needs ``patience`` consecutive checks of evidence. Then a
    single :class:`GANHealthWarning` per failure names it, gives the figures and the remedies (tailored to the
    module's hyperparameters), a :class:`~lightning_gans.callbacks.diagnosis.Diagnosis` is appended to
    :attr:`diagnoses`, and with ``stop_on_diagnosis=True`` training stops.

    Args:
        check_every_n_steps: generator steps between checks.
        warmup_steps: generator steps during which nothing is diagnosed (GANs look unhealthy at the start).
        patience: consecutive checks of evidence needed for a diagnosis.
        probe_size: real and fake samples per probe (>= 2).
        seed: seed of the fixed noise of the fake probe.
        classifier: optional ``nn.Module`` mapping samples to class logits ``(N, K)``.
        feature_extractor: optional ``nn.Module`` mapping samples to features (e.g. a classifier's ``features``).
        stop_on_diagnosis: set ``trainer.should_stop`` on a diagnosis.
        log_layer_norms: also log every layer's gradient norm (``health/g_grad_norm/<layer>``).
        grad_window: generator steps before each check whose gradient norms are averaged.
        reference_checks, grad_ratio_threshold, d_win_auc, saturation_prob, saturation_logit_gap, d_loss_eps,
        g_loss_plateau_tol, diversity_threshold, drop_fraction, entropy_ratio_threshold: the thresholds of
            :class:`~lightning_gans.callbacks.diagnosis.HealthThresholds`.
        d_loss_key, g_loss_key: ``trainer.callback_metrics`` keys of the discriminator and generator losses.

    >>> monitor = GANHealthMonitor(check_every_n_steps=50, warmup_steps=200, patience=3)
    >>> monitor.diagnoses, monitor.thresholds.diversity_threshold
    ([], 0.2)
    >>> GANHealthMonitor(probe_size=1)
    Traceback (most recent call last):
    ...
    ValueError: probe_size must be an int >= 2, got 1
    """

    def __init__(
        self,
        check_every_n_steps: int = 100,
        warmup_steps: int = 500,
        patience: int = 3,
        probe_size: int = 256,
        seed: int = 0,
        classifier: nn.Module | None = None,
        feature_extractor: nn.Module | None = None,
        stop_on_diagnosis: bool = False,
        log_layer_norms: bool = False,
        grad_window: int = 4,
        reference_checks: int = 3,
        grad_ratio_threshold: float = 0.01,
        d_win_auc: float = 0.9,
        saturation_prob: float = 0.02,
        saturation_logit_gap: float = 10.0,
        d_loss_eps: float = 0.1,
        g_loss_plateau_tol: float = 0.05,
        diversity_threshold: float = 0.2,
        drop_fraction: float = 0.5,
        entropy_ratio_threshold: float = 0.5,
        d_loss_key: str = "loss/d",
        g_loss_key: str = "loss/g",
    ) -> None:
        super().__init__()
        for name, value, low in (("check_every_n_steps", check_every_n_steps, 1), ("probe_size", probe_size, 2), ("grad_window", grad_window, 1)):
            if isinstance(value, bool) or not isinstance(value, int) or value < low:
                raise ValueError(f"{name} must be an int >= {low}, got {value!r}")
        if grad_window > check_every_n_steps:
            raise ValueError(f"grad_window must be <= check_every_n_steps ({check_every_n_steps}), got {grad_window}")
        for name, module in (("classifier", classifier), ("feature_extractor", feature_extractor)):
            if module is not None and not isinstance(module, nn.Module):
                raise TypeError(f"{name} must be an nn.Module or None, got {type(module).__name__}")
        for name, flag in (("stop_on_diagnosis", stop_on_diagnosis), ("log_layer_norms", log_layer_norms)):
            if not isinstance(flag, bool):
                raise TypeError(f"{name} must be a bool, got {type(flag).__name__}")
        if isinstance(seed, bool) or not isinstance(seed, int):
            raise TypeError(f"seed must be an int, got {type(seed).__name__}")
        self.thresholds = HealthThresholds(
            warmup_steps=warmup_steps, patience=patience, reference_checks=reference_checks,
            grad_ratio_threshold=grad_ratio_threshold, d_win_auc=d_win_auc, saturation_prob=saturation_prob,
            saturation_logit_gap=saturation_logit_gap, d_loss_eps=d_loss_eps, g_loss_plateau_tol=g_loss_plateau_tol,
            diversity_threshold=diversity_threshold, drop_fraction=drop_fraction,
            entropy_ratio_threshold=entropy_ratio_threshold,
        )  # fmt: skip
        self.check_every_n_steps, self.probe_size, self.seed, self.grad_window = check_every_n_steps, probe_size, seed, grad_window
        self.classifier, self.feature_extractor = classifier, feature_extractor
        self.stop_on_diagnosis, self.log_layer_norms = stop_on_diagnosis, log_layer_norms
        self.d_loss_key, self.g_loss_key = d_loss_key, g_loss_key
        self.rules = HealthRules(self.thresholds)
        self.diagnoses: list[Diagnosis] = []
        self.generator_steps = 0
        self._real: Tensor | None = None
        self._real_labels: Tensor | None = None
        self._real_stats: dict[str, Tensor] = {}
        self._warned: set[str] = set()
        self._weakest: dict[str, str] = {}  # network -> name of its layer with the smallest gradient norm
        self._last_check = -1

    # ------------------------------------------------------------------ hooks
    def on_fit_start(self, trainer: pl.Trainer, pl_module: pl.LightningModule) -> None:
        for name in ("generator", "discriminator"):
            if not isinstance(getattr(pl_module, name, None), nn.Module):
                raise TypeError(
                    f"GANHealthMonitor needs `{name}` (an nn.Module) on the LightningModule, "
                    f"got {type(getattr(pl_module, name, None)).__name__} on {type(pl_module).__name__}"
                )
        if not supports_sampling(pl_module):
            raise TypeError(f"GANHealthMonitor cannot sample {type(pl_module).__name__}: add `latent_dim` or `sample(n)`")
        self._trackers = {"g": GradNormTracker(pl_module.generator), "d": GradNormTracker(pl_module.discriminator)}
        self._param_ids = {
            "g": {id(p) for p in pl_module.generator.parameters()},
            "d": {id(p) for p in pl_module.discriminator.parameters()},
        }
        self._settings = module_settings(pl_module)
        loss = self._settings["loss"]
        self.rules.saturation_route = loss is None or loss in SIGMOID_LOSSES
        for extra in (self.classifier, self.feature_extractor):
            if extra is not None:
                extra.to(pl_module.device)
        self._real_stats = {}

    def on_before_optimizer_step(self, trainer: pl.Trainer, pl_module: pl.LightningModule, optimizer: torch.optim.Optimizer) -> None:
        first = optimizer.param_groups[0]["params"][0]
        net = next((key for key, ids in self._param_ids.items() if id(first) in ids), None)
        if net is None:
            return  # an optimizer of neither network
        # Only the last `grad_window` generator steps before a check (and the D steps among them) are measured.
        if self.generator_steps % self.check_every_n_steps >= self.check_every_n_steps - self.grad_window:
            self._trackers[net].accumulate()
        if net == "g":
            self.generator_steps += 1

    def on_train_batch_end(self, trainer: pl.Trainer, pl_module: pl.LightningModule, outputs, batch, batch_idx: int) -> None:
        self._collect_real(batch)
        step = self.generator_steps
        if step == 0 or step % self.check_every_n_steps or step == self._last_check:
            return
        self._last_check = step
        self._check(trainer, pl_module, step)

    # ------------------------------------------------------------------ the check
    def _check(self, trainer: pl.Trainer, pl_module: pl.LightningModule, step: int) -> None:
        signals: dict[str, float] = {}
        layer_norms: dict[str, float] = {}
        for net in ("g", "d"):
            summary = self._trackers[net].read_and_reset()
            if summary is None:
                continue
            name, weakest = summary.min_layer
            signals[f"{net}_grad_norm"], signals[f"{net}_grad_norm_min_layer"] = summary.total, weakest
            self._weakest[net] = name
            layer_norms |= {f"{net}_grad_norm/{layer}": v for layer, v in summary.layers.items()}
        signals |= self._probe(pl_module)
        for key, metric in (("loss_d", self.d_loss_key), ("loss_g", self.g_loss_key)):
            value = trainer.callback_metrics.get(metric, trainer.callback_metrics.get(f"{metric}_step"))
            if value is not None:
                signals[key] = float(value)
        findings = self.rules.update(step, signals)
        if self.rules.g_grad_reference and "g_grad_norm" in signals:
            signals["g_grad_ratio"] = signals["g_grad_norm"] / self.rules.g_grad_reference
        logged = {k: v for k, v in signals.items() if k not in ("loss_d", "loss_g")}
        if self.log_layer_norms:
            logged |= layer_norms
        for key, value in logged.items():
            pl_module.log(f"health/{key}", value, on_step=True, on_epoch=False, batch_size=1)
        if step <= self.thresholds.warmup_steps:
            return
        # Ranks see different real batches: rank 0 decides, so all ranks record and stop alike.
        findings = trainer.strategy.broadcast(findings, src=0)
        for finding in findings:
            self._diagnose(trainer, finding)
        if findings and self.stop_on_diagnosis:
            trainer.should_stop = True

    def _diagnose(self, trainer: pl.Trainer, finding) -> None:
        images = self._real is not None and self._real.ndim >= 4
        remedies = remedies_for(finding.kind, self._settings, images=images)
        reasons = list(finding.reasons)
        if finding.kind == "vanishing_gradients" and "g_grad_norm" in finding.evidence and len(self._trackers["g"].layer_names) > 1:
            reasons.append(
                f"weakest generator layer '{self._weakest['g']}': gradient norm "
                f"{finding.evidence['g_grad_norm_min_layer']:.3g} (whole generator {finding.evidence['g_grad_norm']:.3g})"
            )
        finding.reasons = reasons
        message = format_message(finding, remedies, global_step=trainer.global_step)
        self.diagnoses.append(
            Diagnosis(finding.kind, finding.step, finding.first_step, dict(finding.evidence), reasons, remedies, message)
        )
        rank_zero_warn(message, category=GANHealthWarning)

    # ------------------------------------------------------------------ probes
    def _collect_real(self, batch) -> None:
        have = 0 if self._real is None else len(self._real)
        if have >= self.probe_size or "batch" in self._warned:
            return
        x, labels = _split_batch(batch)
        if x is None:
            self._warn_once("batch", f"GANHealthMonitor cannot read samples from a {type(batch).__name__} batch; "
                            "give batches as a tensor or (samples, labels): real-data probes are off")  # fmt: skip
            return
        take = self.probe_size - have
        x = x[:take].detach().clone()
        labels = None if labels is None else labels[:take].detach().clone()
        self._real = x if self._real is None else torch.cat([self._real, x])
        if labels is not None:
            self._real_labels = labels if self._real_labels is None else torch.cat([self._real_labels, labels])
        self._real_stats = {}  # the real probe changed: its statistics are recomputed at the next check

    @torch.no_grad()
    def _probe(self, pl_module: pl.LightningModule) -> dict[str, float]:
        if self._real is None or len(self._real) < 2:
            return {}
        device = pl_module.device
        real = self._real.to(device)
        num_classes = getattr(pl_module, "num_classes", None)
        fake_labels = torch.arange(self.probe_size, device=device) % num_classes if num_classes else None
        extras = [m for m in (self.classifier, self.feature_extractor) if m is not None]
        out: dict[str, Tensor] = {}
        # D runs in training mode, as the generator's gradients see it (BatchNorm on batch statistics); its
        # buffers (running statistics, spectral-norm vectors) are restored, so the probe leaves no trace.
        with torch.autocast(device.type, enabled=False), _eval_mode(*extras), _restored_buffers(pl_module.discriminator):
            fake = sample_from(pl_module, self.probe_size, seed=self.seed, labels=fake_labels).to(real.dtype)
            if not self._real_stats:
                self._real_stats = self._statistics(real)
            fake_stats = self._statistics(fake)
            for key in ("diversity", "feature_diversity"):
                if key in fake_stats and self._real_stats[key] > 0:
                    out[f"{key}_ratio"] = fake_stats[key] / self._real_stats[key]
            if "class_counts" in fake_stats:
                out["class_entropy"] = histogram_entropy(fake_stats["class_counts"])
                out["real_class_entropy"] = histogram_entropy(self._real_stats["class_counts"])
                out["modes_seen"] = modes_seen(fake_stats["class_counts"]).float()
            out |= self._discriminator_signals(pl_module, real, fake, fake_labels)
        values = torch.stack([v.float().to(device) for v in out.values()]).tolist() if out else []
        return dict(zip(out, values))

    def _statistics(self, x: Tensor) -> dict[str, Tensor]:
        stats = {"diversity": mean_pairwise_distance(x)}
        if self.feature_extractor is not None:
            stats["feature_diversity"] = mean_pairwise_distance(self.feature_extractor(x))
        if self.classifier is not None:
            stats["class_counts"] = class_histogram(self.classifier(x))
        return stats

    def _discriminator_signals(self, pl_module, real: Tensor, fake: Tensor, fake_labels: Tensor | None) -> dict[str, Tensor]:
        conditional = bool(getattr(pl_module, "num_classes", None))
        if conditional and self._real_labels is None:
            self._warn_once("labels", "GANHealthMonitor: conditional module but the batches carry no labels: "
                            "discriminator probes are off")  # fmt: skip
            return {}
        pack = self._settings.get("pack") or 1
        n = min(len(real), len(fake)) // pack * pack  # packed discriminators need whole groups
        if n == 0:
            return {}
        d = pl_module.discriminator
        dtype = next(d.parameters()).dtype
        if conditional:
            real_logits = d(real[:n].to(dtype), self._real_labels[:n].to(real.device))
            fake_logits = d(fake[:n].to(dtype), fake_labels[:n])
        else:
            real_logits, fake_logits = d(real[:n].to(dtype)), d(fake[:n].to(dtype))
        real_logits, fake_logits = real_logits.float().flatten(), fake_logits.float().flatten()
        return {
            "d_real_prob": torch.sigmoid(real_logits).mean(),
            "d_fake_prob": torch.sigmoid(fake_logits).mean(),
            "d_real_fake_gap": real_logits.mean() - fake_logits.mean(),
            "d_saturation": saturation(real_logits, fake_logits, self.thresholds.saturation_prob),
            "d_auc": separation_auc(real_logits, fake_logits),
        }

    def _warn_once(self, key: str, message: str) -> None:
        if key not in self._warned:
            self._warned.add(key)
            rank_zero_warn(message)

    # ------------------------------------------------------------------ checkpointing
    def state_dict(self) -> dict:
        return {
            "generator_steps": self.generator_steps,
            "rules": self.rules.state_dict(),
            "diagnoses": [d.to_dict() for d in self.diagnoses],
        }

    def load_state_dict(self, state_dict: dict) -> None:
        self.generator_steps = self._last_check = int(state_dict["generator_steps"])
        self.rules.load_state_dict(state_dict["rules"])
        self.diagnoses = [Diagnosis(**d) for d in state_dict["diagnoses"]]


def _split_batch(batch) -> tuple[Tensor | None, Tensor | None]:
    """``batch`` -> (samples, integer labels or None); (None, None) when the layout is not understood."""
    if isinstance(batch, Tensor):
        return batch, None
    if isinstance(batch, (list, tuple)) and batch and isinstance(batch[0], Tensor):
        second = batch[1] if len(batch) > 1 else None
        labels = second if isinstance(second, Tensor) and not second.is_floating_point() and second.ndim == 1 else None
        return batch[0], labels
    return None, None


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
