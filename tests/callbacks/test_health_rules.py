"""The diagnosis rules of the health monitor, fed planted signal sequences (no training)."""

from __future__ import annotations

from lightning_gans.callbacks.health.rules import HealthRules
from lightning_gans.callbacks.health.thresholds import HealthThresholds


def rules(**overrides) -> HealthRules:
    return HealthRules(HealthThresholds(**(dict(patience=2, reference_checks=2) | overrides)))


def feed(r: HealthRules, sequence: list[dict]) -> list[tuple[str, int]]:
    found = []
    for i, signals in enumerate(sequence, 1):
        found += [(f.kind, f.step) for f in r.update(100 * i, signals)]
    return found


def test_generator_gradient_falling_far_below_its_early_reference_while_d_wins_is_vanishing():
    norms = [1.0, 3.0, 0.5, 0.01, 0.005, 0.004, 0.003]  # reference = median(1, 3) = 2; 0.01 / 2 = 0.005 < 0.01
    r = rules()
    assert feed(r, [{"g_grad_norm": g, "d_auc": 0.99} for g in norms]) == [("vanishing_gradients", 500)]
    assert r.g_grad_reference == 2.0
    # The same fall with a discriminator that cannot tell real from fake is the equilibrium, not a failure.
    assert feed(rules(), [{"g_grad_norm": g, "d_auc": 0.55} for g in norms]) == []


def test_noisy_but_healthy_gradients_and_diversity_raise_nothing():
    norms, ratios = [1, 2, 0.5, 3, 0.05, 1, 0.2], [0.3, 1.4, 0.9, 0.6, 1.1, 0.95, 0.7]
    sequence = [{"g_grad_norm": g, "diversity_ratio": d} for g, d in zip(norms, ratios)]
    assert feed(rules(), sequence) == []


def test_saturation_needs_a_sigmoid_loss_and_a_winning_discriminator():
    saturated = {"d_real_prob": 0.999, "d_fake_prob": 0.001, "d_real_fake_gap": 14.0}
    assert feed(rules(), [saturated | {"loss_d": 0.01, "loss_g": -1e-4}] * 3) == [("vanishing_gradients", 200)]
    assert feed(rules(), [saturated | {"loss_d": 1.2, "loss_g": -1e-4}] * 3) == []  # D is not winning
    assert feed(rules(), [saturated | {"loss_d": 0.01, "loss_g": g} for g in (0.5, 3.0, 0.2)]) == []  # G still moves
    # A wide logit gap counts only while the fakes are rejected (what scales the minimax gradient), losses unknown.
    assert feed(rules(), [{"d_real_prob": 0.9, "d_fake_prob": 0.01, "d_real_fake_gap": 12.0}] * 2) != []
    assert feed(rules(), [{"d_real_prob": 0.9, "d_fake_prob": 0.3, "d_real_fake_gap": 12.0}] * 3) == []
    critic = HealthRules(HealthThresholds(patience=2), saturation_route=False)  # e.g. Wasserstein
    assert feed(critic, [saturated] * 3) == []


def test_sudden_drop_of_diversity_or_classes_is_collapse_even_above_the_absolute_threshold():
    drops = [{"diversity_ratio": v} for v in (0.9, 1.0, 0.4, 0.35)]  # 0.4 < 0.5 x 1.0, yet > 0.2
    assert feed(rules(), drops) == [("mode_collapse", 400)]
    history = ((10, 2.2), (10, 2.25), (4, 1.3), (3, 1.0))
    classes = [{"modes_seen": m, "class_entropy": e, "real_class_entropy": 2.3} for m, e in history]
    assert feed(rules(), classes) == [("mode_collapse", 400)]
    few_classes = [{"class_entropy": 0.5, "real_class_entropy": 2.3}] * 2  # entropy ratio 0.22 < 0.5
    assert feed(rules(), few_classes) == [("mode_collapse", 200)]


def test_within_class_diversity_below_its_threshold_is_collapse_within_classes_and_nothing_else():
    one_per_class = {"within_class_diversity_ratio": 0.05, "within_class_diversity_min": 0.01, "classes_measured": 10}
    r = rules()
    assert feed(r, [one_per_class | {"diversity_ratio": 0.95}] * 3) == [("mode_collapse_within_classes", 200)]
    assert r.diagnosed == {"mode_collapse_within_classes"}  # across classes the fakes were as varied as the data
    # Two images per class (0.43-0.66 on real digits) or a healthy model (~1) stay below the radar.
    assert feed(rules(), [{"within_class_diversity_ratio": v} for v in (0.9, 0.45, 1.1, 0.5)]) == []


def test_patience_and_a_single_diagnosis_per_kind():
    r = rules()
    collapsed = {"diversity_ratio": 0.01}
    # 100 starts a streak; 200 breaks it; 300, 400 confirm; 500, 600 stay silent.
    sequence = [collapsed, {"diversity_ratio": 0.9}, collapsed, collapsed, collapsed, collapsed]
    assert feed(r, sequence) == [("mode_collapse", 400)]
    restored = rules()
    restored.load_state_dict(r.state_dict())
    assert restored.diagnosed == {"mode_collapse"} and restored.update(900, collapsed) == []


def test_the_final_verdict_flags_fakes_off_the_data_only_for_vector_data_and_only_once():
    r = rules(precision_threshold=0.5)
    (found,) = r.final(900, {"precision": 0.14}, vector_data=True)
    assert (found.kind, found.step, found.first_step) == ("samples_off_data", 900, 900)
    assert "only 14% of the fixed-noise fakes lie on the data" in found.reasons[0] and "0.14 < 0.5" in found.reasons[0]
    assert r.final(1000, {"precision": 0.1}, vector_data=True) == []  # once per run
    assert rules().final(900, {"precision": 0.14}, vector_data=False) == []  # pixel-space balls: images not judged
    assert rules().final(900, {"precision": 0.75}, vector_data=True) == []  # wgangp_grid's end: on the data
    assert rules().final(900, {"diversity_ratio": 1.0}, vector_data=True) == []  # no precision measured


def test_a_run_already_diagnosed_gets_no_final_verdict():
    r = rules()
    assert feed(r, [{"diversity_ratio": 0.01}] * 2) == [("mode_collapse", 200)]
    assert r.final(300, {"precision": 0.0}, vector_data=True) == []  # the collapse explains the samples
