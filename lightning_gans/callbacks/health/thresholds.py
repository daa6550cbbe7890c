"""The thresholds of the diagnosis rules, each default with the measurement behind it."""

from __future__ import annotations

from dataclasses import dataclass

from lightning_gans.checks import check_int, check_number


@dataclass(frozen=True)
class HealthThresholds:
    """The documented, configurable thresholds of :class:`~lightning_gans.callbacks.health.rules.HealthRules`.

    Pass one to the monitor: ``GANHealthMonitor(thresholds=HealthThresholds(patience=5))``. A "check" happens every
    ``check_every_n_steps`` generator steps (an argument of the monitor, as is ``warmup_steps``). Defaults and why:

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
    - ``within_class_diversity_threshold=0.4``: the fakes' mean per-pixel standard deviation within a class, over
      that of real samples of the class, averaged over classes. On scikit-learn's digits at 28 px (probe of 256,
      ~25 per class, 30 draws) real digits against other real digits scored 0.93-1.05; one image per class 0,
      one image per class plus pixel noise of std 0.05 0.16-0.17, two images per class 0.46-0.66, five 0.77-0.92.
      On MNIST (same protocol): real 0.98-1.06, two images per class 0.43-0.55, one plus noise 0.11. A healthy
      GAN: samples of the unconditional ``dcgan_digits`` recipe (30 epochs), put in classes by an SVM fitted on the
      8x8 digits, 1.15-1.20 (worst class 0.98-1.07; GAN samples are noisier than the data). The shipped
      ``conditional_digits`` recipe, whose generator draws one image per class, read 0.21-0.25 from generator step
      550 on (the monitor with ``check_every_n_steps=50, warmup_steps=500`` diagnosed it at step 650). A healthy
      conditional model is asked for at least 0.6, so 0.4 leaves room on both sides.
    - ``drop_fraction=0.5``: a signal halving from its best since warm-up is a sudden collapse even above the
      absolute thresholds (diversity ratios are capped at 1 first, so tightening to the data's spread is no drop).
    - ``entropy_ratio_threshold=0.5``: the class entropy of fakes below half that of real data (10 balanced
      classes: 2.30 nats; 3 balanced classes: 1.10).
    - ``precision_threshold=0.5``: at the end of training, fewer than half of the fixed-noise fakes inside a real
      probe sample's 3-NN ball (improved precision of 256 fakes against 256 real points; judged for vector data,
      where distances in the data space mean something). On the 25-mode grid (5 draws each): points from the data
      0.94, from modes 1.5x / 2x / 3x / 5x wider than the data 0.81 / 0.65 / 0.42 / 0.20 (high-quality share 86 /
      67 / 38 / 16 %). The shipped recipes at their end (seed 0, ``python -m benchmarks.health.precision``):
      ``grid_fast`` 0.97 (HQ 96 %), ``lsgan_grid`` 0.94 (96 %), ``gan_minimax_grid`` 0.87 (89 %), ``wgangp_grid``
      0.75 (78 %), ``ring_fast`` 0.97 (99 %); ``grid_fast`` with ``pack=2``, whose samples smear along the grid's
      rows, 0.14 (HQ 13 %). Not judged during training: recipes that decay their learning rate sharpen late
      (``wgangp_grid`` read 0.29 at half its run).

    >>> HealthThresholds(patience=5).diversity_threshold
    0.2
    >>> HealthThresholds(drop_fraction=1.5)
    Traceback (most recent call last):
    ...
    ValueError: drop_fraction must be a number in (0.0, 1.0), got 1.5
    """

    patience: int = 3
    reference_checks: int = 3
    grad_ratio_threshold: float = 0.01
    d_win_auc: float = 0.9
    saturation_prob: float = 0.02
    saturation_logit_gap: float = 10.0
    d_loss_eps: float = 0.1
    g_loss_plateau_tol: float = 0.05
    diversity_threshold: float = 0.2
    within_class_diversity_threshold: float = 0.4
    drop_fraction: float = 0.5
    entropy_ratio_threshold: float = 0.5
    precision_threshold: float = 0.5

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
