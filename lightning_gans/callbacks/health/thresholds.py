"""The thresholds of the diagnosis rules, each default with the measurement behind it."""

from __future__ import annotations

from dataclasses import dataclass

from lightning_gans.checks import check_int, check_number


@dataclass(frozen=True)
class HealthThresholds:
    """The documented, configurable thresholds of :class:`~lightning_gans.callbacks.health.rules.HealthRules`.

    Pass one to the monitor: ``GANHealthMonitor(thresholds=HealthThresholds(patience=5))``. A "check" happens every
    ``check_every_n_steps`` generator steps (an argument of the monitor, as is ``warmup_steps``). Each default has
    a one-line reason below; the measurements behind them are in ``docs/guide.md`` ("The measurements behind the
    thresholds").

    >>> HealthThresholds(patience=5).diversity_threshold
    0.2
    >>> HealthThresholds(drop_fraction=1.5)
    Traceback (most recent call last):
    ...
    ValueError: drop_fraction must be a number in (0.0, 1.0), got 1.5
    """

    patience: int = 3  # three checks in a row separate a failure from GAN training's oscillations
    reference_checks: int = 3  # G's gradient reference: the median of 3 checks after warm-up ignores one spike
    grad_ratio_threshold: float = 0.01  # healthy runs wander ~25x below their reference; a 100x fall is beyond it
    d_win_auc: float = 0.9  # D ranks a real above a fake 90 % of the time (0.5 at equilibrium); scale-free
    saturation_prob: float = 0.02  # sigmoid(D) beyond 0.98 / 0.02: the minimax G's gradient is 25x weaker
    saturation_logit_gap: float = 10.0  # healthy 2-D runs peaked near 10 without rejecting fakes so surely
    d_loss_eps: float = 0.1  # cross-entropy D loss is 1.39 at equilibrium; 0.1 means ~95 % sure of every sample
    g_loss_plateau_tol: float = 0.05  # G's loss moves < 5 % (of max(1, |mean|)) over patience checks
    diversity_threshold: float = 0.2  # one grid mode scores ~0.02, two ~0.21; healthy runs stay above 0.5
    within_class_diversity_threshold: float = 0.4  # two images per class score 0.43-0.66, healthy models >= 0.6
    drop_fraction: float = 0.5  # a signal halving from its best since warm-up is a sudden collapse
    entropy_ratio_threshold: float = 0.5  # class entropy of fakes below half the real data's
    precision_threshold: float = 0.5  # the grid's data scores 0.94, the shipped recipes 0.75-0.97, a smeared run 0.14

    def __post_init__(self) -> None:
        check_int("patience", self.patience, minimum=1)
        check_int("reference_checks", self.reference_checks, minimum=1)
        unit = (
            "grad_ratio_threshold",
            "d_win_auc",
            "diversity_threshold",
            "within_class_diversity_threshold",
            "drop_fraction",
            "entropy_ratio_threshold",
            "precision_threshold",
        )
        for name in unit:
            check_number(name, getattr(self, name), low=0.0, high=1.0, low_inclusive=False, high_inclusive=False)
        check_number(
            "saturation_prob", self.saturation_prob, low=0.0, high=0.5, low_inclusive=False, high_inclusive=False
        )
        for name in ("saturation_logit_gap", "d_loss_eps", "g_loss_plateau_tol"):
            check_number(name, getattr(self, name), low=0.0, low_inclusive=False)
