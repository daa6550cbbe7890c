"""Smoke test of the health-monitor benchmark: one tiny real run, its row, the table and the figure.

It checks the plumbing, not the findings (those are the full run's, in benchmarks/RESULTS.md).
"""

from __future__ import annotations

from pathlib import Path

from benchmarks.harness import environment
from benchmarks.health.cases import CASES
from benchmarks.health.report import markdown_report, save_figure
from benchmarks.health.run import run_case
from benchmarks.health.suite import plan
from lightning_gans.callbacks import HealthThresholds

ROW_KEYS = {
    "case",
    "label",
    "loss",
    "role",
    "data",
    "seed",
    "generator_steps",
    "options",
    "variant",
    "diagnosis",
    "diagnosis_step",
    "evidence_since",
    "diagnoses",
    "modes",
    "high_quality",
    "reverse_kl",
    "final_diversity_ratio",
    "wall_s",
    "cpu_s",
    "trace",
    "as_expected",
    "_samples",
}


def test_tiny_grid_run_returns_a_complete_row_and_renders(tmp_path: Path) -> None:
    # A monitor that checks every 4 steps with no warm-up and patience 1 diagnoses the minimax GAN at once: it starts
    # on one mode (the fixed-noise fakes are ~50x closer together than the data).
    patience = HealthThresholds(patience=1)
    monitor = dict(check_every_n_steps=4, warmup_steps=0, thresholds=patience, grad_window=1, probe_size=64)
    row = run_case("grid_minimax", seed=0, steps=8, monitor_options=monitor)
    assert set(row) == ROW_KEYS
    assert row["generator_steps"] == 8 and [t["step"] for t in row["trace"]] == [4, 8]
    assert {"diversity_ratio", "g_grad_norm", "modes", "high_quality"} <= set(row["trace"][0])
    assert 0 <= row["modes"] <= 25 and 0.0 <= row["high_quality"] <= 1.0
    assert row["diagnosis"] == "mode_collapse" and row["diagnosis_step"] == 4 and row["as_expected"]
    assert "Remedies in lightning_gans" in row["diagnoses"][0]["message"]
    samples = row.pop("_samples")  # handed to the figure, never stored
    assert samples.shape == (2500, 2)

    row["environment"] = environment()  # what the runner adds to every stored run
    report = markdown_report([row], ["health_grid.png"])
    assert "| GAN, strong D | minimax | 0 | 8 | mode collapse | 4 (4) |" in report
    assert "Diagnosis of `grid_minimax` (seed 0)" in report
    assert save_figure([row], {"grid_minimax": samples}, "grid", tmp_path / "f.png", real=None)
    assert (tmp_path / "f.png").read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"


def test_plan_covers_every_case_and_seed() -> None:
    runs = plan(quick=False, seeds=(0, 1), cases=None)
    assert sorted((run.case, run.seed) for run in runs) == sorted((c, s) for c in CASES for s in (0, 1))
    assert runs[0].case == "grid_wgangp"  # the most expensive first, so parallel workers end together
    assert len({run.key for run in runs}) == len(runs)  # one stored file per run


def test_main_stores_runs_draws_and_tables_them(tmp_path: Path, monkeypatch) -> None:
    from benchmarks.harness import ResultStore
    from benchmarks.health import suite

    monkeypatch.setattr(suite, "QUICK_STEPS", {"grid_minimax": 4})  # too short for the monitor's 500-step warm-up
    argv = ["--quick", "--cases", "grid_minimax", "--jobs", "1", "--out", str(tmp_path)]
    assert suite.main(argv) == 1  # the failing case is not diagnosed within 4 steps: reported as a surprise
    (row,) = ResultStore(tmp_path / "runs").records("health")
    assert row["case"] == "grid_minimax" and row["generator_steps"] == 4 and row["as_expected"] is False
    assert "_samples" not in row and row["environment"]["git"]["commit"]
    assert (tmp_path / "health_quick_grid.png").read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    assert "| GAN, strong D | minimax | 0 | 4 | none |" in (tmp_path / "health_quick.md").read_text()


def test_precision_trace_of_a_short_recipe_run_is_tabled_and_drawn(tmp_path: Path) -> None:
    from benchmarks.health.precision import Spec, markdown_report, run_case, save_figure

    budget = ("--trainer.max_epochs=1", "--data.init_args.num_batches_per_epoch=20")
    record = run_case(Spec("grid_fast_pack2", 0, points=2, budget=budget))
    assert [row["progress"] for row in record["trace"]] == [0.5, 1.0]  # measured at each half of the run
    assert [row["generator_steps"] for row in record["trace"]] == [10, 20]
    assert record["overrides"] == ["--model.init_args.networks.pack=2"]
    end = record["trace"][-1]
    assert 0.0 <= end["precision"] <= 1.0 and {"modes", "high_quality", "reverse_kl"} <= set(end)
    # 20 steps: the samples are noise between the modes, which the verdict names.
    assert end["precision"] < HealthThresholds().precision_threshold
    report = markdown_report([record], save_figure([record], tmp_path))
    assert "| grid_fast_pack2 | --model.init_args.networks.pack=2 | 0 |" in report and "samples off the data" in report
    assert (tmp_path / "health_precision.png").stat().st_size > 0
