"""Turning health signals into a diagnosis: the thresholds and the rules.

:class:`HealthRules` sees one dictionary of signals per check (see :class:`~lightning_gans.callbacks.GANHealthMonitor`
for how they are measured) and reports a failure only when its evidence persists for ``patience`` consecutive
checks after the warm-up. The fixes offered for a diagnosis are in :mod:`lightning_gans.callbacks.remedies`.
"""

from __future__ import annotations

import statistics
from collections import deque
from dataclasses import asdict, dataclass, field

from lightning_gans.losses import LOSSES

VANISHING_GRADIENTS = "vanishing_gradients"
MODE_COLLAPSE = "mode_collapse"
KINDS = (VANISHING_GRADIENTS, MODE_COLLAPSE)
TITLES = {
    VANISHING_GRADIENTS: "vanishing gradients (the discriminator wins, the generator learns nothing)",
    MODE_COLLAPSE: "mode collapse (the generator covers few modes of the data)",
}
# Losses whose discriminator output passes through a sigmoid: only for them is a saturated sigmoid a problem.
SIGMOID_LOSSES = tuple(name for name, loss in LOSSES.items() if loss.sigmoid)  # read from the loss registry


class GANHealthWarning(UserWarning):
    """Warning category of a health diagnosis; filter it like any warning.

    >>> import warnings
    >>> with warnings.catch_warnings(record=True) as caught:
    ...     warnings.simplefilter("always")
    ...     warnings.warn("mode collapse", GANHealthWarning)
    >>> caught[0].category.__name__
    'GANHealthWarning'
    """


@dataclass
class Diagnosis:
    """One diagnosed failure: ``kind`` (``"mode_collapse"`` or ``"vanishing_gradients"``), the generator ``step``
    of the check that confirmed it, ``first_step`` where the evidence began, ``evidence`` (signal -> value at
    ``step``), the human-readable ``reasons``, ``remedies`` and the full warning ``message``.

    >>> Diagnosis("mode_collapse", step=900, first_step=700, evidence={"diversity_ratio": 0.01}).to_dict()["kind"]
    'mode_collapse'
    """

    kind: str
    step: int
    first_step: int
    evidence: dict[str, float]
    reasons: list[str] = field(default_factory=list)
    remedies: list[str] = field(default_factory=list)
    message: str = ""

    def to_dict(self) -> dict:
        """Plain-data form (for checkpoints and benchmark reports)."""
        return asdict(self)


@dataclass(frozen=True)
class HealthThresholds:
    """The documented, configurable thresholds of the diagnosis rules (names match ``GANHealthMonitor``'s).

    Steps are generator steps; a "check" happens every ``check_every_n_steps`` of them. Defaults and why:

    - ``warmup_steps=500``: every GAN starts with low diversity and a discriminator that wins easily (healthy
      2-D runs showed diversity ratios of 0.1-0.5 before step 500); nothing is diagnosed before.
    - ``patience=3``: three consecutive checks of evidence separate a failure from GAN training's oscillations.
    - ``reference_checks=3``: the generator-gradient reference is the median of the first 3 checks after warm-up
      (a median ignores one spike).
    - ``grad_ratio_threshold=0.01``: healthy runs' generator gradient norms wander ~25x below that reference near
      equilibrium; a 100x fall while the discriminator wins is beyond it.
    - ``d_win_auc=0.9``: "the discriminator wins" = it ranks a real sample above a fake one 90 % of the time
      (0.5 at equilibrium); scale-free, so it holds for critics too.
    - ``saturation_prob=0.02``: ``sigmoid(D) > 0.98`` on reals and ``< 0.02`` on fakes (|logit| > 3.9); the
      minimax generator's gradient is scaled by ``sigmoid(D(G(z)))``, 25x weaker than at equilibrium.
    - ``saturation_logit_gap=10``: with fakes rejected, mean real logits 10 above the fakes' count as saturated
      even when some real samples are doubted (healthy 2-D runs peaked near 10 but never rejected fakes so surely).
    - ``d_loss_eps=0.1``: the cross-entropy D loss is 2 log 2 = 1.39 at equilibrium; below 0.1 D is ~95 % sure of
      every sample.
    - ``g_loss_plateau_tol=0.05``: the generator loss moves less than 5 % (of max(1, |mean|)) over ``patience``
      checks.
    - ``diversity_threshold=0.2``: fakes 5x closer to each other than real samples; a generator on one mode of the
      25-mode grid scores ~0.02, on two neighbouring modes ~0.21 (ring: 0.01 and 0.31), while healthy runs stayed
      above 0.5 after warm-up.
    - ``drop_fraction=0.5``: a signal halving from its best since warm-up is a sudden collapse even above the
      absolute thresholds (diversity ratios are capped at 1 first, so tightening to the data's spread is no drop).
    - ``entropy_ratio_threshold=0.5``: the class entropy of fakes below half that of real data (10 balanced
      classes: 2.30 nats; 3 balanced classes: 1.10).

    >>> HealthThresholds(patience=5).diversity_threshold
    0.2
    >>> HealthThresholds(drop_fraction=1.5)
    Traceback (most recent call last):
    ...
    ValueError: drop_fraction must be a number in (0, 1), got 1.5
    """

    warmup_steps: int = 500
    patience: int = 3
    reference_checks: int = 3
    grad_ratio_threshold: float = 0.01
    d_win_auc: float = 0.9
    saturation_prob: float = 0.02
    saturation_logit_gap: float = 10.0
    d_loss_eps: float = 0.1
    g_loss_plateau_tol: float = 0.05
    diversity_threshold: float = 0.2
    drop_fraction: float = 0.5
    entropy_ratio_threshold: float = 0.5

    def __post_init__(self) -> None:
        for name, low in (("warmup_steps", 0), ("patience", 1), ("reference_checks", 1)):
            value = getattr(self, name)
            if isinstance(value, bool) or not isinstance(value, int) or value < low:
                raise ValueError(f"{name} must be an int >= {low}, got {value!r}")
        unit = ("grad_ratio_threshold", "d_win_auc", "diversity_threshold", "drop_fraction", "entropy_ratio_threshold")
        for name in unit:
            _check_number(name, getattr(self, name), 0.0, 1.0)
        _check_number("saturation_prob", self.saturation_prob, 0.0, 0.5)
        for name in ("saturation_logit_gap", "d_loss_eps", "g_loss_plateau_tol"):
            _check_number(name, getattr(self, name), 0.0, float("inf"))


def _check_number(name: str, value: object, low: float, high: float) -> None:
    if isinstance(value, bool) or not isinstance(value, (int, float)) or not low < value < high:
        interval = f"({low:g}, {high:g})" if high != float("inf") else f"> {low:g}"
        raise ValueError(f"{name} must be a number in {interval}, got {value!r}")


@dataclass
class Finding:
    """A failure the rules just confirmed: the monitor turns it into a :class:`Diagnosis` with remedies.

    >>> Finding("mode_collapse", step=900, first_step=700, evidence={}, reasons=["diversity ratio 0.01"]).kind
    'mode_collapse'
    """

    kind: str
    step: int
    first_step: int
    evidence: dict[str, float]
    reasons: list[str]


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

    A failure is confirmed once its evidence is present at ``patience`` consecutive checks after ``warmup_steps``,
    and only once per kind.

    >>> rules = HealthRules(HealthThresholds(warmup_steps=0, patience=2))
    >>> rules.update(100, {"diversity_ratio": 0.9})
    []
    >>> rules.update(200, {"diversity_ratio": 0.05})
    []
    >>> [f.kind for f in rules.update(300, {"diversity_ratio": 0.04})]
    ['mode_collapse']
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

    def update(self, step: int, signals: dict[str, float]) -> list[Finding]:
        """Feed the signals of the check at generator ``step``; return the failures confirmed by this check."""
        t = self.thresholds
        if step <= t.warmup_steps:
            return []
        signals = dict(signals)
        reasons = {
            VANISHING_GRADIENTS: self._vanishing_reasons(signals),
            MODE_COLLAPSE: self._collapse_reasons(signals),
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
                findings.append(Finding(kind, step, streak[0][0], signals, found))
        return findings

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
