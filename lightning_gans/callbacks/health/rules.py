"""Turning health signals into a diagnosis: the rules.

:class:`HealthRules` sees one dictionary of signals per check after the warm-up (see
:class:`~lightning_gans.callbacks.GANHealthMonitor` for how they are measured) and reports a failure only when its
evidence persists for ``patience`` consecutive checks. The thresholds are
:class:`~lightning_gans.callbacks.health.thresholds.HealthThresholds`; the fixes offered for a diagnosis are in
:mod:`lightning_gans.callbacks.health.remedies`.
"""

from __future__ import annotations

import statistics
from collections import deque

from lightning_gans.callbacks.health.diagnosis import (
    KINDS,
    MODE_COLLAPSE,
    OFF_DATA,
    VANISHING_GRADIENTS,
    WITHIN_CLASS_COLLAPSE,
    Diagnosis,
)
from lightning_gans.callbacks.health.thresholds import HealthThresholds


class HealthRules:
    """The diagnosis rules, fed one check at a time by :meth:`update`.

    Vanishing gradients, at a check, when either
      * the generator's gradient norm is below ``grad_ratio_threshold`` x its early reference (the median of the
        first ``reference_checks`` checks after warm-up) while the discriminator wins (``d_auc >= d_win_auc``;
        small generator gradients with a confused discriminator are the equilibrium, not a failure), or
      * the discriminator is saturated - mean ``sigmoid(D(fake)) < saturation_prob`` and either mean
        ``sigmoid(D(real)) > 1 - saturation_prob`` or a real-fake logit gap above ``saturation_logit_gap`` - while the
        discriminator loss is near 0 (``|loss_d| <= d_loss_eps``) and the generator loss is flat over the last
        ``patience`` checks (spread <= ``g_loss_plateau_tol`` x max(1, |mean|)); a loss that is not logged does not
        veto. Only for sigmoid losses (``saturation_route=True``; a Wasserstein critic's logits are not
        probabilities).

    Mode collapse, at a check, when the pixel or feature diversity ratio (fake spread / real spread) is below
    ``diversity_threshold``, when the class entropy of fakes is below ``entropy_ratio_threshold`` x that of real
    data, or when a diversity ratio (capped at 1), the class entropy or the modes seen fall below
    ``drop_fraction`` x their running maximum since the warm-up (a sudden drop).

    Mode collapse within classes, for a conditional model, when the fakes' within-class diversity (per-pixel
    standard deviation among samples of one class, over that of real samples of the class, averaged over classes:
    ``within_class_diversity_ratio``) is below ``within_class_diversity_threshold``. Diversity across classes hides
    this failure, so it is its own kind. (No drop rule here: an early generator noisier than the data scores above
    1 and may settle lower without collapsing.)

    A failure is confirmed once its evidence is present at ``patience`` consecutive checks, and only once per kind.
    The monitor feeds only checks after its warm-up.

    Samples off the data, judged once by :meth:`final` at the end of training: the data-space ``precision`` (the
    share of fakes inside a real sample's k-NN ball) below ``precision_threshold`` for vector data
    (``vector_data=True``; in pixel space k-NN balls do not follow the data, so images are not judged), unless
    another failure was diagnosed already. Early samples are always smeared, and recipes that decay their learning
    rate sharpen late, so only the end counts.

    >>> rules = HealthRules(HealthThresholds(patience=2))
    >>> rules.update(100, {"diversity_ratio": 0.9})
    []
    >>> rules.update(200, {"diversity_ratio": 0.05})
    []
    >>> [f.kind for f in rules.update(300, {"diversity_ratio": 0.04})]
    ['mode_collapse']
    >>> [f.kind for f in HealthRules(HealthThresholds()).final(300, {"precision": 0.1}, vector_data=True)]
    ['samples_off_data']
    """

    def __init__(self, thresholds: HealthThresholds, saturation_route: bool = True) -> None:
        self.thresholds = thresholds
        self.saturation_route = saturation_route
        self.g_grad_reference: float | None = None
        self._reference_samples: list[float] = []
        self._running_max: dict[str, float] = {}
        self._g_loss_history: deque[float] = deque(maxlen=thresholds.patience)
        self._streaks: dict[str, list[tuple[int, list[str]]]] = {kind: [] for kind in KINDS}
        self.diagnosed: set[str] = set()

    def update(self, step: int, signals: dict[str, float]) -> list[Diagnosis]:
        """Feed the signals of the check at generator ``step``; return the failures confirmed by this check."""
        t = self.thresholds
        signals = dict(signals)
        reasons = {
            VANISHING_GRADIENTS: self._vanishing_reasons(signals),
            MODE_COLLAPSE: self._collapse_reasons(signals),
            WITHIN_CLASS_COLLAPSE: self._within_class_reasons(signals),
        }
        findings = []
        for kind, found in reasons.items():
            streak = self._streaks[kind]
            if not found:
                streak.clear()
                continue
            streak.append((step, found))
            if len(streak) >= t.patience and kind not in self.diagnosed:
                self.diagnosed.add(kind)
                findings.append(Diagnosis(kind, step, streak[0][0], signals, found))
        return findings

    def final(self, step: int, signals: dict[str, float], vector_data: bool) -> list[Diagnosis]:
        """Judge the signals of the end of training (generator ``step``); return the failures found there."""
        precision = signals.get("precision")
        # A run already diagnosed (collapsed, or starved of gradient) has its explanation; this verdict adds none.
        if not vector_data or precision is None or self.diagnosed:
            return []
        threshold = self.thresholds.precision_threshold
        if precision >= threshold:
            return []
        self.diagnosed.add(OFF_DATA)
        reason = (
            f"only {precision:.0%} of the fixed-noise fakes lie on the data (inside a real probe sample's 3-NN ball: "
            f"improved precision {precision:.3g} < {threshold:g}); the rest fall between the data's modes"
        )
        return [Diagnosis(OFF_DATA, step, step, dict(signals), [reason])]

    def _vanishing_reasons(self, s: dict[str, float]) -> list[str]:
        t, reasons = self.thresholds, []
        g = s.get("g_grad_norm")
        if g is not None and len(self._reference_samples) < t.reference_checks:
            self._reference_samples.append(g)
            if len(self._reference_samples) == t.reference_checks:
                self.g_grad_reference = statistics.median(self._reference_samples)
        if g is not None and self.g_grad_reference:
            s["g_grad_ratio"] = ratio = g / self.g_grad_reference
            auc = s.get("d_auc")
            # Small G gradients alone are also the equilibrium (D at 1/2 everywhere): D must be winning as well.
            if ratio < t.grad_ratio_threshold and auc is not None and auc >= t.d_win_auc:
                reasons.append(
                    f"generator gradient norm {g:.3g} is {ratio:.2g}x its early reference {self.g_grad_reference:.3g}"
                    f" (threshold {t.grad_ratio_threshold:g}x) while the discriminator separates real from fake"
                    f" (AUC {auc:.3f} >= {t.d_win_auc:g})"
                )
        loss_g = s.get("loss_g")
        if loss_g is not None:
            self._g_loss_history.append(loss_g)
        p_real, p_fake, gap = s.get("d_real_prob"), s.get("d_fake_prob"), s.get("d_real_fake_gap")
        if not self.saturation_route or p_real is None or p_fake is None or gap is None:
            return reasons
        # The minimax generator's gradient is scaled by sigmoid(D(G(z))): the fake side must be stuck near 0; the
        # real side near 1 too, or far above the fakes (a real mode the fakes sit on keeps its mean below 1).
        saturated = p_fake < t.saturation_prob and (p_real > 1 - t.saturation_prob or gap > t.saturation_logit_gap)
        loss_d = s.get("loss_d")
        d_wins = loss_d is None or abs(loss_d) <= t.d_loss_eps
        history = self._g_loss_history
        # Judged once `patience` values exist, i.e. over the whole streak at the check that would confirm it.
        flat = (
            loss_g is None
            or len(history) < t.patience
            or (max(history) - min(history) <= t.g_loss_plateau_tol * max(1.0, abs(statistics.fmean(history))))
        )
        if saturated and d_wins and flat:
            text = (
                f"the discriminator is saturated: mean sigmoid(D(real)) = {p_real:.4f}, mean sigmoid(D(fake)) = "
                f"{p_fake:.4g}, real-fake logit gap {gap:.3g}"
            )
            if loss_d is not None:
                text += f"; loss/d = {loss_d:.3g} (near 0)"
            if g is not None:
                text += f"; generator gradient norm {g:.3g}"
            if loss_g is not None and len(history) == t.patience:
                text += f"; loss/g flat at {loss_g:.3g} over the last {t.patience} checks"
            reasons.append(text)
        return reasons

    def _collapse_reasons(self, s: dict[str, float]) -> list[str]:
        t, reasons = self.thresholds, []
        for key, label in (("diversity_ratio", "pixel"), ("feature_diversity_ratio", "feature")):
            value = s.get(key)
            if value is None:
                continue
            if value < t.diversity_threshold:
                closer = "(nearly) identical" if value < 1e-3 else f"{1 / value:.3g}x closer together than real data"
                reasons.append(
                    f"{label}-space diversity ratio {value:.3g} < {t.diversity_threshold:g}: "
                    f"the fixed-noise fakes are {closer}"
                )
            # Capped at 1: a generator that starts wider than the data and then tightens is not collapsing.
            self._check_drop(key, min(value, 1.0), f"{label}-space diversity ratio", reasons)
        entropy, real_entropy = s.get("class_entropy"), s.get("real_class_entropy")
        if entropy is not None and real_entropy:
            if entropy < t.entropy_ratio_threshold * real_entropy:
                reasons.append(
                    f"class entropy of fakes {entropy:.3g} nats < {t.entropy_ratio_threshold:g} x real data's "
                    f"{real_entropy:.3g} nats"
                )
        for key, label in (("class_entropy", "class entropy"), ("modes_seen", "modes seen")):
            if s.get(key) is not None:
                self._check_drop(key, s[key], label, reasons)
        return reasons

    def _within_class_reasons(self, s: dict[str, float]) -> list[str]:
        t, ratio = self.thresholds, s.get("within_class_diversity_ratio")
        if ratio is None or ratio >= t.within_class_diversity_threshold:
            return []
        worst = s.get("within_class_diversity_min", ratio)
        return [
            f"within-class diversity ratio {ratio:.3g} < {t.within_class_diversity_threshold:g}: the fixed-noise fakes"
            f" of one class vary {1 / max(ratio, 1e-12):.3g}x less than real samples of that class (per-pixel standard"
            f" deviation, averaged over {s.get('classes_measured', 0):.0f} classes; worst class {worst:.3g})"
        ]

    def _check_drop(self, key: str, value: float, label: str, reasons: list[str]) -> None:
        best = self._running_max.get(key)
        if best is not None and value < self.thresholds.drop_fraction * best:
            fraction = self.thresholds.drop_fraction
            reasons.append(f"{label} dropped to {value:.3g} from its best {best:.3g} (< {fraction:g}x)")
        self._running_max[key] = value if best is None else max(best, value)

    def state_dict(self) -> dict:
        """Plain-data state (references, running maxima, streaks), so a resumed run keeps its memory."""
        return {
            "reference_samples": list(self._reference_samples),
            "g_grad_reference": self.g_grad_reference,
            "running_max": dict(self._running_max),
            "g_loss_history": list(self._g_loss_history),
            "streaks": {kind: [list(item) for item in streak] for kind, streak in self._streaks.items()},
            "diagnosed": sorted(self.diagnosed),
        }

    def load_state_dict(self, state: dict) -> None:
        """Restore what :meth:`state_dict` returned."""
        self._reference_samples = list(state["reference_samples"])
        self.g_grad_reference = state["g_grad_reference"]
        self._running_max = dict(state["running_max"])
        self._g_loss_history = deque(state["g_loss_history"], maxlen=self.thresholds.patience)
        self._streaks = {kind: [(int(step), list(r)) for step, r in state["streaks"].get(kind, [])] for kind in KINDS}
        self.diagnosed = set(state["diagnosed"])
