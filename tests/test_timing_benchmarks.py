"""Smoke tests of the timing benchmarks (throughput, speed options, grid step time, evaluation overhead): tiny real
runs stored one JSON per run by the harness, resumed by skipping, tables rebuilt from the JSON alone.

They check the plumbing, not the figures (those are the full runs', in benchmarks/RESULTS.md).
"""

from __future__ import annotations

from pathlib import Path

import pytest

from benchmarks.harness import ResultStore


def test_throughput_stores_each_repeat_and_memory_run_and_builds_the_table(tmp_path: Path) -> None:
    from benchmarks.throughput.suite import main

    argv = ["--cases", "mlp_b256", "--steps", "1", "--warmup", "1", "--repeats", "2", "--out", str(tmp_path)]
    argv += ["--results", str(tmp_path / "runs")]
    assert main(argv) == 0
    store = ResultStore(tmp_path / "runs")
    runs = store.records("throughput", "cpu_1thread_1steps_1warmup")
    assert [(r["case"], r["repeat"], r["timed_batches"]) for r in runs] == [("mlp_b256", 0, 40), ("mlp_b256", 1, 40)]
    assert all(r["engine_s"] > 0 and r["bare_s"] > 0 and r["environment"]["git"]["commit"] for r in runs)
    assert "benchmarks.throughput --cases mlp_b256" in runs[0]["command"]
    (memory,) = store.records("throughput", "memory_cpu_1thread_2batches")  # measured in a fresh child process
    assert memory["engine_peak_mib"] >= 0 and memory["bare_peak_mib"] >= 0
    table = (tmp_path / "throughput.md").read_text()
    row = next(line for line in table.splitlines() if line.startswith("| overhead probe"))
    assert " ± " in row and "—" not in row  # two repeats: a standard error; memory measured
    stored = {p: p.read_text() for p in (tmp_path / "runs").rglob("*.json")}
    assert main(argv) == 0  # everything stored: nothing runs again
    assert {p: p.read_text() for p in (tmp_path / "runs").rglob("*.json")} == stored


def test_throughput_quick_writes_under_quick_and_rejects_bad_arguments() -> None:
    from benchmarks.throughput.suite import parse_args

    args = parse_args(["--quick"])
    assert args.out.name == "quick" and args.results == args.out / "runs" and args.jobs == 1
    for bad in (["--steps", "0"], ["--cases", "nope"], ["--jobs", "2"]):  # timings never run in parallel
        with pytest.raises(SystemExit):
            parse_args(bad)


def test_speed_options_table_from_records() -> None:
    from benchmarks.throughput.speed_options import SpeedSpec, markdown_report

    records = [
        {"case": "compile_mlp_b256", "name": "compile, MLP", "off_s_per_batch": 0.02, "on_s_per_batch": on}
        for on in (0.01, 0.02)
    ]
    assert "| compile, MLP | 2 | 0.0200 | 0.0150 | 0.750 | 0.750 ± 0.250 |" in markdown_report(records)
    assert SpeedSpec("compile_mlp_b256", 0, threads=2).key.protocol == "speed_options_cpu_2threads"


def test_grid_step_time_of_one_checkout(tmp_path: Path) -> None:
    from benchmarks.throughput.grid_step_time import main

    argv = ["--checkout", "here=.", "--steps", "2", "--repeats", "1", "--recipe", "ring_fast"]
    argv += ["--out", str(tmp_path), "--results", str(tmp_path / "runs")]
    assert main(argv) == 0
    (run,) = ResultStore(tmp_path / "runs").records("throughput", "grid_step_time_ring_fast_2steps")
    assert run["label"] == "here" and run["s_per_1000_g_steps"] > 0 and run["checkout_git"]["commit"]
    assert "| here |" in (tmp_path / "grid_step_time.md").read_text()


def test_eval_overhead_tiny_run(tmp_path: Path) -> None:
    from benchmarks.eval_overhead.suite import main

    argv = ["--epochs", "1", "--num-samples", "64", "--no-every-epoch", "--out", str(tmp_path)]
    argv += ["--results", str(tmp_path / "runs")]
    assert main(argv) == 0
    store = ResultStore(tmp_path / "runs")
    (run,) = store.records("eval_overhead", "digits_1epochs_64samples")
    assert run["key"]["recipe"] == "budget0.1" and run["evaluations"] >= 1  # at least the final evaluation
    # Both timings are recorded (their order is the benchmark's finding, not a test: the machine may be busy).
    assert run["generator_steps"] == 28 and run["train_seconds"] > 0 and run["train_seconds_without_callback"] > 0
    (kid,) = store.records("eval_overhead", "kid_64x128d")
    assert kid["batched_seconds"] > 0 and kid["torch_fidelity_seconds"] > 0
    report = (tmp_path / "eval_overhead.md").read_text()
    assert "| within 10% of training time, and at the end of fit | 1 | 0 |" in report
    assert "| 64 x 64, 128-d | 100 of 64 | 1 |" in report
