"""GANHealthMonitor: notice that GAN training goes wrong, name the failure, show the evidence, offer remedies."""

from __future__ import annotations

from collections.abc import Callable

import lightning.pytorch as pl
import torch
from lightning.pytorch.callbacks import Callback
from lightning.pytorch.utilities.rank_zero import rank_zero_warn
from torch import Tensor, nn

from lightning_gans.callbacks.diagnosis import (
    SIGMOID_LOSSES,
    Diagnosis,
    Finding,
    GANHealthWarning,
    HealthRules,
    HealthThresholds,
)
from lightning_gans.callbacks.health_probe import HealthProbe
from lightning_gans.callbacks.health_signals import GradNormTracker
from lightning_gans.callbacks.remedies import format_message, module_settings, remedies_for
from lightning_gans.sampling import check_can_sample


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
    a tuple/list, with integer labels as the second); :class:`~lightning_gans.callbacks.health_probe.HealthProbe`
    (:attr:`probe`) measures without gradients and leaves no trace on the networks. The diagnosis rules and
    thresholds are those of :class:`~lightning_gans.callbacks.diagnosis.HealthRules`: nothing is diagnosed during
    ``warmup_steps`` and a failure needs ``patience`` consecutive checks of evidence. Then a single
    :class:`GANHealthWarning` per failure names it, gives the figures and the remedies (tailored to the module's
    hyperparameters, see :mod:`~lightning_gans.callbacks.remedies`), a
    :class:`~lightning_gans.callbacks.diagnosis.Diagnosis` is appended to
    :attr:`diagnoses`, and with ``stop_on_diagnosis=True`` training stops.

    Args:
        check_every_n_steps: generator steps between checks.
        warmup_steps: generator steps during which nothing is diagnosed (GANs look unhealthy at the start).
        patience: consecutive checks of evidence needed for a diagnosis.
        probe_size: real and fake samples per probe (>= 2).
        seed: seed of the fixed noise of the fake probe.
        classifier: optional ``nn.Module`` (or method of one) mapping samples to class logits ``(N, K)``.
        feature_extractor: optional ``nn.Module`` or method of one mapping samples to features, e.g. the
            ``features`` method of :class:`~lightning_gans.metrics.classifier.MNISTClassifier`.
        stop_on_diagnosis: set ``trainer.should_stop`` on a diagnosis.
        log_layer_norms: also log every layer's gradient norm (``health/g_grad_norm/<layer>``).
        grad_window: generator steps before each check whose gradient norms are averaged.
        reference_checks: checks whose median generator gradient norm is the reference.
        grad_ratio_threshold: generator gradient norm / reference below which gradients count as vanished.
        d_win_auc: real-vs-fake AUC of the discriminator from which it counts as winning.
        saturation_prob: confidence margin of a saturated sigmoid (``sigmoid(D) > 1 - saturation_prob``).
        saturation_logit_gap: real-fake mean logit gap that counts as saturated while fakes are rejected.
        d_loss_eps: discriminator loss below which the discriminator wins.
        g_loss_plateau_tol: relative spread below which the generator loss is flat.
        diversity_threshold: diversity ratio below which the fakes count as collapsed.
        drop_fraction: fall of a diversity or class signal from its best that counts as a sudden collapse.
        entropy_ratio_threshold: class entropy of fakes / of real data below which classes are missing.
        d_loss_key: ``trainer.callback_metrics`` key of the discriminator loss.
        g_loss_key: ``trainer.callback_metrics`` key of the generator loss.

    The thresholds and the reasons for their defaults are documented in
    :class:`~lightning_gans.callbacks.diagnosis.HealthThresholds`.

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
        classifier: nn.Module | Callable[[Tensor], Tensor] | None = None,
        feature_extractor: nn.Module | Callable[[Tensor], Tensor] | None = None,
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
        counts = (
            ("check_every_n_steps", check_every_n_steps, 1),
            ("probe_size", probe_size, 2),
            ("grad_window", grad_window, 1),
        )
        for name, value, low in counts:
            if isinstance(value, bool) or not isinstance(value, int) or value < low:
                raise ValueError(f"{name} must be an int >= {low}, got {value!r}")
        if grad_window > check_every_n_steps:
            raise ValueError(f"grad_window must be <= check_every_n_steps ({check_every_n_steps}), got {grad_window}")
        for name, flag in (("stop_on_diagnosis", stop_on_diagnosis), ("log_layer_norms", log_layer_norms)):
            if not isinstance(flag, bool):
                raise TypeError(f"{name} must be a bool, got {type(flag).__name__}")
        for name, key in (("d_loss_key", d_loss_key), ("g_loss_key", g_loss_key)):
            if not isinstance(key, str) or not key:
                raise TypeError(f"{name} must be a non-empty metric name (str), got {key!r}")
        self.thresholds = HealthThresholds(
            warmup_steps=warmup_steps,
            patience=patience,
            reference_checks=reference_checks,
            grad_ratio_threshold=grad_ratio_threshold,
            d_win_auc=d_win_auc,
            saturation_prob=saturation_prob,
            saturation_logit_gap=saturation_logit_gap,
            d_loss_eps=d_loss_eps,
            g_loss_plateau_tol=g_loss_plateau_tol,
            diversity_threshold=diversity_threshold,
            drop_fraction=drop_fraction,
            entropy_ratio_threshold=entropy_ratio_threshold,
        )
        self.check_every_n_steps, self.probe_size, self.grad_window = check_every_n_steps, probe_size, grad_window
        self.probe = HealthProbe(probe_size, seed, classifier, feature_extractor, saturation_prob)
        self.stop_on_diagnosis, self.log_layer_norms = stop_on_diagnosis, log_layer_norms
        self.d_loss_key, self.g_loss_key = d_loss_key, g_loss_key
        self.rules = HealthRules(self.thresholds)
        self.diagnoses: list[Diagnosis] = []
        self.generator_steps = 0
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
        check_can_sample(pl_module, "GANHealthMonitor")
        self._trackers = {"g": GradNormTracker(pl_module.generator), "d": GradNormTracker(pl_module.discriminator)}
        self._param_ids = {
            "g": {id(p) for p in pl_module.generator.parameters()},
            "d": {id(p) for p in pl_module.discriminator.parameters()},
        }
        self._settings = module_settings(pl_module)
        loss = self._settings["loss"]
        self.rules.saturation_route = loss is None or loss in SIGMOID_LOSSES
        for extra in self.probe.extra_modules:
            extra.to(pl_module.device)
        self.probe.reset_statistics()

    def on_before_optimizer_step(
        self, trainer: pl.Trainer, pl_module: pl.LightningModule, optimizer: torch.optim.Optimizer
    ) -> None:
        first = optimizer.param_groups[0]["params"][0]
        net = next((key for key, ids in self._param_ids.items() if id(first) in ids), None)
        if net is None:
            return  # an optimizer of neither network
        # Only the last `grad_window` generator steps before a check (and the D steps among them) are measured.
        if self.generator_steps % self.check_every_n_steps >= self.check_every_n_steps - self.grad_window:
            self._trackers[net].accumulate()
        if net == "g":
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
        signals |= self.probe.measure(pl_module, pack=self._settings.get("pack") or 1)
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

    def _diagnose(self, trainer: pl.Trainer, finding: Finding) -> None:
        images = self.probe.real is not None and self.probe.real.ndim >= 4
        remedies = remedies_for(finding.kind, self._settings, images=images)
        reasons = list(finding.reasons)
        evidence = finding.evidence
        deep = len(self._trackers["g"].layer_names) > 1
        if finding.kind == "vanishing_gradients" and "g_grad_norm" in evidence and deep:
            reasons.append(
                f"weakest generator layer '{self._weakest['g']}': gradient norm "
                f"{evidence['g_grad_norm_min_layer']:.3g} (whole generator {evidence['g_grad_norm']:.3g})"
            )
        finding.reasons = reasons
        message = format_message(finding, remedies, global_step=trainer.global_step)
        self.diagnoses.append(
            Diagnosis(finding.kind, finding.step, finding.first_step, dict(evidence), reasons, remedies, message)
        )
        rank_zero_warn(message, category=GANHealthWarning)

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
