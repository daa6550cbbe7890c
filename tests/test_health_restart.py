"""The restart experiment behind the remedies' timings, on a tiny budget: every arm trains from the right weights."""

from __future__ import annotations

from benchmarks.health.restart import ARMS, run, table


def test_every_arm_trains_on_and_is_traced_from_the_collapse_step() -> None:
    record = run(seed=0, collapse_steps=4, steps=4, every=2)
    assert list(record["arms"]) == list(ARMS)
    assert record["remedy"] == {"loss": "non_saturating", "lr_d": 1e-4}
    for arm, result in record["arms"].items():
        steps = [row["step"] for row in result["curve"]]
        assert steps == ([2, 4] if arm == "restart" else [6, 8]), (arm, steps)  # restart counts from 0
        assert 1 <= result["final"]["modes"] <= 25
    assert "| at the collapse |" in table(record)
