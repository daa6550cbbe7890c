"""GANHealthMonitor: notice that GAN training goes wrong, name the failure, show the evidence, offer remedies."""

from __future__ import annotations

from collections.abc import Callable

import lightning.pytorch as pl
import torch
from lightning.pytorch.callbacks import Callback
from lightning.pytorch.utilities.rank_zero import rank_zero_warn
from torch import Tensor, nn

from lightning_gans.callbacks.health import watched
from lightning_gans.callbacks.health.diagnosis import (
    VANISHING_GRADIENTS,
    Diagnosis,
    GANHealthWarning,
    format_message,
)
from lightning_gans.callbacks.health.probe import HealthProbe
from lightning_gans.callbacks.health.remedies import module_settings, remedies_for
from lightning_gans.callbacks.health.rules import HealthRules
from lightning_gans.callbacks.health.signals import GradNormTracker
from lightning_gans.callbacks.health.thresholds import HealthThresholds
from lightning_gans.checks import check_int
from lightning_gans.sampling import check_can_sample

DEFAULT_THRESHOLDS = HealthThresholds()  # frozen, so one shared default instance is safe


class GANHealthMonitor(Callback):
    """Watch a GAN for **mode collapse** (also within classes) and **vanishing gradients**, and judge at the end
    whether its samples lie **on the data** or smear between its modes; log the signals, warn once per failure with
    remedies.

    Works with any LightningModule that has ``generator`` and ``discriminator`` modules (the discriminator returns
    logits, higher = more real; ``D(x, labels)`` when the module's ``num_classes`` is set) and can be sampled by
    :func:`lightning_gans.sampling.sample_from`. Steps are *generator optimizer steps*, counted by this callback
    (an optimizer step over the generator's parameters), whatever the module: ``trainer.global_step`` counts every
    optimizer step (G and D: 2 per batch for a plain GAN, ``n_critic + 1`` for WGAN-GP).

    Every ``check_every_n_steps`` generator steps it logs, under ``health/``:

    - ``g_grad_norm``, ``d_grad_norm`` and ``*_min_layer`` (the weakest layer): mean L2 gradient norms over the
      last ``grad_window`` generator steps (and the discriminator steps between them), taken after AMP
      unscaling; ``g_grad_ratio``: generator norm / its early reference;
    - ``d_real_prob``, ``d_fake_prob`` (mean ``sigmoid(D)``), ``d_real_fake_gap`` (mean logit difference),
      ``d_saturation`` (fraction of samples judged with confidence ``> 1 - saturation_prob``) and ``d_auc``
      (probability that D scores a real sample above a fake one) on a real probe batch and on ``probe_size``
      fixed-noise fakes;
    - ``diversity_ratio``: mean pairwise distance of the fakes / that of the real probe (1 = as spread as the
      data, 0 = one point); ``feature_diversity_ratio``: the same in ``feature_extractor`` space;
    - for a conditional module, ``within_class_diversity_ratio`` (and ``within_class_diversity_min``,
      ``classes_measured``): diversity of fixed-noise fakes within each class relative to real samples of the class;
    - ``class_entropy`` (nats) and ``modes_seen`` of the fakes' predicted classes when a ``classifier`` is given;
    - ``precision``: the share of the fakes inside a real probe sample's 3-NN ball (improved precision, in the
      data's space), ``feature_precision`` the same in ``feature_extractor`` space.

    The real probe is the first ``probe_size`` samples of the training batches (a tensor, or the first element of
    a tuple/list, with integer labels as the second); :class:`~lightning_gans.callbacks.health.probe.HealthProbe`
    (:attr:`probe`) measures without gradients and leaves no trace on the networks. The losses are read from
    ``trainer.callback_metrics`` under ``d_loss_key`` / ``g_loss_key`` (a warning says so once when they are
    missing). The rules are those of :class:`~lightning_gans.callbacks.health.rules.HealthRules` with
    ``thresholds``: nothing is diagnosed during ``warmup_steps`` and a failure needs ``thresholds.patience``
    consecutive checks of evidence. Then a single :class:`GANHealthWarning` per failure names it, gives the figures
    and the remedies (tailored to the module, see :mod:`~lightning_gans.callbacks.health.remedies`), a
    :class:`~lightning_gans.callbacks.health.diagnosis.Diagnosis` is appended to :attr:`diagnoses`, and with
    ``stop_on_diagnosis=True`` training stops. When training ends (after the warm-up), one last probe judges the
    final samples of vector data: fakes mostly off the data (``precision`` below ``thresholds.precision_threshold``)
    are diagnosed as ``samples_off_data``, the failure of a run that covers the modes but never sharpens them.

    Args:
        check_every_n_steps: generator steps between checks.
        warmup_steps: generator steps during which nothing is diagnosed. Every GAN starts with low diversity and a
            discriminator that wins easily (healthy 2-D runs showed diversity ratios of 0.1-0.5 before step 500),
            hence the default 500.
        thresholds: the rules' thresholds, :class:`~lightning_gans.callbacks.health.thresholds.HealthThresholds`
            (its docstring gives the measurement behind each default).
        probe_size: real and fake samples per probe (2 to 4096: the probe holds their pairwise distances).
        seed: seed of the fixed noise of the fake probe.
        classifier: optional ``nn.Module`` (or method of one) mapping samples to class logits ``(N, K)``.
        feature_extractor: optional feature extractor spec, exactly as ``EvaluationCallback`` takes it: a registered
            name (``"inception"``, ``"mnist_classifier"``) or an ``nn.Module`` / method of one mapping samples to
            features, e.g. the ``features`` method of :class:`~lightning_gans.metrics.classifier.MNISTClassifier`.
        stop_on_diagnosis: set ``trainer.should_stop`` on a diagnosis.
        log_layer_norms: also log every layer's gradient norm (``health/g_grad_norm/<layer>``).
        grad_window: generator steps before each check whose gradient norms are averaged, at most
            ``check_every_n_steps`` (default: 4, or ``check_every_n_steps`` when that is smaller).
        d_loss_key: ``trainer.callback_metrics`` key of the discriminator loss.
        g_loss_key: ``trainer.callback_metrics`` key of the generator loss.

    >>> monitor = GANHealthMonitor(check_every_n_steps=50, warmup_steps=200, thresholds=HealthThresholds(patience=2))
    >>> monitor.diagnoses, monitor.thresholds.patience, monitor.thresholds.diversity_threshold
    ([], 2, 0.2)
    >>> GANHealthMonitor(probe_size=100_000)
    Traceback (most recent call last):
    ...
    ValueError: probe_size must be an int in [2, 4096], got 100000
    >>> GANHealthMonitor(check_every_n_steps=2).grad_window  # the default window fits a short interval
    2
    """

    def __init__(
        self,
        check_every_n_steps: int = 100,
        warmup_steps: int = 500,
        thresholds: HealthThresholds = DEFAULT_THRESHOLDS,
        probe_size: int = 256,
        seed: int = 0,
        classifier: nn.Module | Callable[[Tensor], Tensor] | None = None,
        feature_extractor: str | nn.Module | Callable[[Tensor], Tensor] | None = None,
        stop_on_diagnosis: bool = False,
        log_layer_norms: bool = False,
        grad_window: int | None = None,
        d_loss_key: str = "loss/d",
        g_loss_key: str = "loss/g",
    ) -> None:
        super().__init__()
        self.check_every_n_steps = check_int("check_every_n_steps", check_every_n_steps, minimum=1)
        self.warmup_steps = check_int("warmup_steps", warmup_steps, minimum=0)
        if grad_window is None:  # the default follows a short check interval instead of refusing it
            grad_window = min(4, self.check_every_n_steps)
        elif check_int("grad_window", grad_window, minimum=1) > self.check_every_n_steps:
            raise ValueError(
                f"grad_window must be an int in [1, check_every_n_steps={self.check_every_n_steps}] (the steps before "
                f"each check whose gradient norms are averaged), got {grad_window}"
            )
        self.grad_window = grad_window
        if not isinstance(thresholds, HealthThresholds):
            raise TypeError(f"thresholds must be a HealthThresholds, got {type(thresholds).__name__}")
        for name, flag in (("stop_on_diagnosis", stop_on_diagnosis), ("log_layer_norms", log_layer_norms)):
            if not isinstance(flag, bool):
                raise TypeError(f"{name} must be a bool, got {type(flag).__name__}")
        for name, key in (("d_loss_key", d_loss_key), ("g_loss_key", g_loss_key)):
            if not isinstance(key, str) or not key:
                raise TypeError(f"{name} must be a non-empty metric name (str), got {key!r}")
        self.thresholds, self.probe_size = thresholds, probe_size
        self.probe = HealthProbe(probe_size, seed, classifier, feature_extractor, thresholds.saturation_prob)
        self.stop_on_diagnosis, self.log_layer_norms = stop_on_diagnosis, log_layer_norms
        self.loss_keys = {"loss_d": d_loss_key, "loss_g": g_loss_key}
        self.rules = HealthRules(self.thresholds)
        self.diagnoses: list[Diagnosis] = []
        self.generator_steps = 0
        self._weakest: dict[str, str] = {}  # network -> name of its layer with the smallest gradient norm
        self._last_check = -1
        self._loss_keys_seen: set[str] = set()
        self._warned_loss_keys = False

    # ------------------------------------------------------------------ hooks
    def on_fit_start(self, trainer: pl.Trainer, pl_module: pl.LightningModule) -> None:
        for name in ("generator", "discriminator"):
            if not isinstance(getattr(pl_module, name, None), nn.Module):
                raise TypeError(
                    f"GANHealthMonitor needs `{name}` (an nn.Module) on the LightningModule, "
                    f"got {type(getattr(pl_module, name, None)).__name__} on {type(pl_module).__name__}"
                )
        check_can_sample(pl_module, "GANHealthMonitor")
        self._trackers = {net: GradNormTracker(getattr(pl_module, net)) for net in ("generator", "discriminator")}
        self._settings = module_settings(pl_module)
        self.rules.saturation_route = watched.loss_is_sigmoid(pl_module)
        for extra in self.probe.extra_modules:
            extra.to(pl_module.device)
        self.probe.reset_statistics()

    def on_before_optimizer_step(
        self, trainer: pl.Trainer, pl_module: pl.LightningModule, optimizer: torch.optim.Optimizer
    ) -> None:
        net = watched.network_of(pl_module, optimizer)
        if net is None:
            return  # an optimizer of neither network
        # Only the last `grad_window` generator steps before a check (and the D steps among them) are measured.
        if self.generator_steps % self.check_every_n_steps >= self.check_every_n_steps - self.grad_window:
            self._trackers[net].accumulate()
        if net == "generator":
            self.generator_steps += 1

    def on_train_batch_end(
        self, trainer: pl.Trainer, pl_module: pl.LightningModule, outputs: object, batch: object, batch_idx: int
    ) -> None:
        self.probe.collect(batch)
        step = self.generator_steps
        if step == 0 or step % self.check_every_n_steps or step == self._last_check:
            return
        self._last_check = step
        self._check(trainer, pl_module, step)

    def on_train_end(self, trainer: pl.Trainer, pl_module: pl.LightningModule) -> None:
        # Only the end can tell a smeared run from a slow one: early samples are always between the modes.
        step = self.generator_steps
        if step <= self.warmup_steps or self.probe.real is None:
            return
        signals = self.probe.measure(pl_module, pack=self._settings.get("pack") or 1)
        findings = self.rules.final(step, signals, vector_data=self.probe.real.ndim == 2)
        for finding in trainer.strategy.broadcast(findings, src=0):  # rank 0 decides, as at every check
            self._diagnose(trainer, finding)

    # ------------------------------------------------------------------ the check
    def _check(self, trainer: pl.Trainer, pl_module: pl.LightningModule, step: int) -> None:
        signals: dict[str, float] = {}
        layer_norms: dict[str, float] = {}
        for net, short in (("generator", "g"), ("discriminator", "d")):  # logged as health/g_..., health/d_...
            summary = self._trackers[net].read_and_reset()
            if summary is None:
                continue
            name, weakest = summary.min_layer
            signals[f"{short}_grad_norm"], signals[f"{short}_grad_norm_min_layer"] = summary.total, weakest
            self._weakest[net] = name
            layer_norms |= {f"{short}_grad_norm/{layer}": v for layer, v in summary.layers.items()}
        signals |= self.probe.measure(pl_module, pack=self._settings.get("pack") or 1)
        signals |= self._losses(trainer, pl_module, step)
        findings = self.rules.update(step, signals) if step > self.warmup_steps else []
        if self.rules.g_grad_reference and "g_grad_norm" in signals:
            signals["g_grad_ratio"] = signals["g_grad_norm"] / self.rules.g_grad_reference
        logged = {k: v for k, v in signals.items() if k not in self.loss_keys}
        if self.log_layer_norms:
            logged |= layer_norms
        for key, value in logged.items():
            pl_module.log(f"health/{key}", value, on_step=True, on_epoch=False, batch_size=1)
        if step <= self.warmup_steps:
            return
        # Ranks see different real batches: rank 0 decides, so all ranks record and stop alike.
        findings = trainer.strategy.broadcast(findings, src=0)
        for finding in findings:
            self._diagnose(trainer, finding)
        if findings and self.stop_on_diagnosis:
            trainer.should_stop = True

    def _losses(self, trainer: pl.Trainer, pl_module: pl.LightningModule, step: int) -> dict[str, float]:
        """The losses under the configured keys; warn once if, at the first check after warm-up, one never showed."""
        out = {}
        for signal, key in self.loss_keys.items():
            value = watched.step_value(pl_module, key)
            if value is None:
                value = trainer.callback_metrics.get(key, trainer.callback_metrics.get(f"{key}_step"))
            if value is not None:
                out[signal] = float(value)
                self._loss_keys_seen.add(key)
        missing = [key for key in self.loss_keys.values() if key not in self._loss_keys_seen]
        if missing and step > self.warmup_steps and not self._warned_loss_keys:
            self._warned_loss_keys = True
            logged = sorted(k for k in trainer.callback_metrics if not k.startswith("health/"))
            rank_zero_warn(
                f"GANHealthMonitor: no {' / '.join(repr(k) for k in missing)} in trainer.callback_metrics by generator "
                f"step {step}, so the loss-based evidence (discriminator loss near 0, flat generator loss) is off. "
                f"Logged metrics: {logged or 'none'}; name your losses with d_loss_key= / g_loss_key=."
            )
        return out

    def _diagnose(self, trainer: pl.Trainer, diagnosis: Diagnosis) -> None:
        images = self.probe.real is not None and self.probe.real.ndim >= 4
        diagnosis.remedies = remedies_for(diagnosis.kind, self._settings, images=images)
        evidence = diagnosis.evidence
        deep = len(self._trackers["generator"].layer_names) > 1
        if diagnosis.kind == VANISHING_GRADIENTS and "g_grad_norm" in evidence and deep:
            diagnosis.reasons = [
                *diagnosis.reasons,
                f"weakest generator layer '{self._weakest['generator']}': gradient norm "
                f"{evidence['g_grad_norm_min_layer']:.3g} (whole generator {evidence['g_grad_norm']:.3g})",
            ]
        diagnosis.evidence = dict(evidence)
        diagnosis.message = format_message(diagnosis, global_step=trainer.global_step)
        self.diagnoses.append(diagnosis)
        rank_zero_warn(diagnosis.message, category=GANHealthWarning)

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
