"""Smoke tests of the mode-collapse benchmark: tiny budgets, real Trainer runs, stored JSON, tables from the JSON.

These check that the benchmark runs end to end, resumes from its stored runs and writes sane tables, not the quality
of the GANs (that is what the full runs in benchmarks/RESULTS.md are for).
"""

from __future__ import annotations

import gzip
import math
from pathlib import Path

import pytest
import torch

from benchmarks.harness import ResultStore
from benchmarks.mode_collapse.protocols import PROTOCOLS
from benchmarks.mode_collapse.recipes import RECIPES, recipes_for
from benchmarks.mode_collapse.run import RunSpec, build_model
from benchmarks.mode_collapse.suite import main, parse_args, plan

PNG_MAGIC = b"\x89PNG\r\n\x1a\n"
ROOT = Path(__file__).resolve().parents[1]


def _check_stat(stat: str, values: list[float]) -> None:
    mean = sum(values) / len(values)
    se = abs(values[0] - values[1]) / 2  # standard error of two values
    assert stat == (f"{mean:.1f} ± {se:.1f}" if se else f"{mean:.1f} ± 0.0")


def test_quick_2d_run_stores_one_json_per_run_resumes_and_writes_tables(tmp_path: Path) -> None:
    argv = ["--quick", "--datasets", "ring,grid", "--variants", "gan,wgan_gp", "--seeds", "0,1", "--steps", "12"]
    argv += ["--jobs", "1", "--out", str(tmp_path)]
    assert main(argv) == 0
    runs = ResultStore(tmp_path / "runs").records("mode_collapse")  # --quick keeps its JSON under --out
    assert len(runs) == 8 and {(r["dataset"], r["recipe"], r["seed"]) for r in runs} == {
        (d, v, s) for d in ("ring", "grid") for v in ("gan", "wgan_gp") for s in (0, 1)
    }
    for run in runs:
        assert run["error"] is None and run["protocol"] == "shared" and run["departures"] == []
        assert run["generator_steps"] == 12  # the budget is generator steps, also with 5 critic steps per G step
        modes, hq, rkl = (run["metrics"][k] for k in ("modes", "high_quality", "reverse_kl"))
        total = 8 if run["dataset"] == "ring" else 25
        assert isinstance(modes, int) and 0 <= modes <= total and 0.0 <= hq <= 1.0
        # rKL is NaN only when no sample is high quality; otherwise it lies in [0, log K].
        assert (math.isnan(rkl) and modes == 0) or 0.0 <= rkl <= math.log(total) + 1e-6  # float32 metric
        assert run["wall_s"] > 0 and run["cpu_s"] > 0 and run["run_cpu_s"] >= run["cpu_s"] and run["g_params"] > 0
        assert run["environment"]["git"]["commit"] and run["environment"]["torch_threads"] == 1
    for dataset in ("ring", "grid"):
        assert (tmp_path / f"mode_collapse_quick_{dataset}.png").read_bytes()[:8] == PNG_MAGIC
        assert (tmp_path / f"mode_collapse_quick_{dataset}_gan.png").read_bytes()[:8] == PNG_MAGIC  # first seed
    report = (tmp_path / "mode_collapse_quick.md").read_text()
    assert "| model | ring modes /8 | ring HQ | ring rKL | grid modes /25 |" in report
    assert "| *GAN, PacGAN Table 1, 10 trials* | *6.3 ± 0.5* | *98.2 ± 0.2%* |" in report
    gan = next(line for line in report.splitlines() if line.startswith("| GAN |"))
    ring = [r["metrics"]["modes"] for r in runs if r["dataset"] == "ring" and r["recipe"] == "gan"]
    _check_stat(gan.split(" | ")[1], ring)
    # A second invocation finds every run stored: nothing is trained, the files stay as they were.
    stored = {p: p.read_text() for p in (tmp_path / "runs").rglob("*.json")}
    (tmp_path / "mode_collapse_quick_ring.png").unlink()
    assert main(argv) == 0
    assert {p: p.read_text() for p in (tmp_path / "runs").rglob("*.json")} == stored
    assert not (tmp_path / "mode_collapse_quick_ring.png").exists()  # no fresh run, so nothing redrawn


def test_every_committed_table_row_comes_from_the_committed_json(tmp_path: Path) -> None:
    # The committed reports are rebuilt from the committed per-run JSON alone: every table row must come back.
    from benchmarks.conditional.suite import main as conditional_main
    from benchmarks.eval_overhead.suite import main as overhead_main
    from benchmarks.health.precision import main as precision_main
    from benchmarks.health.suite import main as health_main
    from benchmarks.mnist_fid.suite import main as mnist_fid_main
    from benchmarks.throughput.grid_step_time import main as step_time_main
    from benchmarks.throughput.suite import main as throughput_main

    table1 = [
        "--protocol",
        "pacgan_table1_grid",
        "--variants",
        "gan,pacgan2,pacgan4",
        "--seeds",
        "0",
        "--steps",
        "15000",
    ]
    for entry, argv, name in (  # the commands that wrote the committed tables, as benchmarks/RESULTS.md gives them
        (main, [], "mode_collapse.md"),
        (main, table1, "mode_collapse_pacgan_table1_grid_15000steps.md"),
        (main, table1[:-1] + ["5000"], "mode_collapse_pacgan_table1_grid_5000steps.md"),
        (main, ["--configs", SHIPPED_CONFIGS, "--seeds", "0,1,2,3,4"], "mode_collapse_shipped.md"),
        (health_main, [], "health.md"),
        (precision_main, [], "health_precision.md"),
        (conditional_main, [], "conditional/conditional.md"),
        (throughput_main, ["--no-memory"], "throughput.md"),
        (step_time_main, ["--recipe", "gan_grid"], "grid_step_time.md"),
        (overhead_main, [], "eval_overhead.md"),
        (mnist_fid_main, [], "mnist_fid.md"),
    ):
        out = tmp_path / Path(name).parent
        assert entry([*argv, "--report-only", "--out", str(out)]) == 0, name
        committed = [
            line for line in (ROOT / "benchmarks" / "results" / name).read_text().splitlines() if line[:1] == "|"
        ]
        rebuilt = [line for line in (tmp_path / name).read_text().splitlines() if line[:1] == "|"]
        assert len(committed) > 3 and committed == rebuilt, name


SHIPPED_CONFIGS = "ring_fast,grid_fast,gan_minimax_grid,lsgan_grid,wgangp_grid"


def test_protocol_runs_record_their_departures_and_sit_beside_the_published_rows(tmp_path: Path) -> None:
    argv = ["--protocol", "pacgan_table1_ring", "--variants", "gan,pacgan2", "--seeds", "0", "--steps", "3"]
    argv += ["--jobs", "1", "--out", str(tmp_path), "--results", str(tmp_path / "runs"), "--curve-every", "3"]
    assert main(argv) == 0
    runs = {
        r["recipe"]: r for r in ResultStore(tmp_path / "runs").records("mode_collapse", "pacgan_table1_ring_3steps")
    }
    assert runs["pacgan2"]["batch_size"] == 200  # PacGAN's batch of 100 counts packs: 100 packs of 2 samples
    assert runs["pacgan2"]["d_params"] > runs["gan"]["d_params"]  # the maxout D's first layer sees 2 samples
    assert [row["step"] for row in runs["gan"]["curve"]] == [3]
    assert runs["gan"]["departures"] == ["fresh mixture draws every batch (the paper: 100,000 points drawn once)"]
    assert runs["gan"]["discriminator_steps"] == runs["gan"]["generator_steps"] == 3  # one of each per batch
    report = (tmp_path / "mode_collapse_pacgan_table1_ring_3steps.md").read_text()
    assert "## PacGAN Table 1, ring (8 Gaussians)" in report
    assert (
        "| *PacGAN2, PacGAN Table 1, 10 trials* | *400000* | *10* | *7.9 ± 0.1* | *95.6 ± 2.0%* | *0.07 ± 0.03* | | |"
        in report
    )
    assert "| PacGAN2 | 3 | 1 |" in report and "not an engine option" not in report
    curves = (
        "mode_collapse_pacgan_table1_ring_3steps_ring_curves.png"  # drawn from the stored curves, linked in the report
    )
    assert (tmp_path / curves).stat().st_size > 0 and f"]({curves})" in report


def _write_idx_gz(path: Path, array: torch.Tensor) -> None:
    header = bytes([0, 0, 8, array.dim()]) + b"".join(s.to_bytes(4, "big") for s in array.shape)
    with gzip.open(path, "wb") as handle:
        handle.write(header + array.to(torch.uint8).numpy().tobytes())


def test_tiny_stacked_mnist_run(tmp_path: Path) -> None:
    from lightning_gans.metrics.classifier import train_mnist_classifier

    generator = torch.Generator().manual_seed(0)
    labels = torch.arange(60) % 10
    images = torch.randint(0, 255, (60, 28, 28), generator=generator, dtype=torch.uint8)
    _write_idx_gz(tmp_path / "t10k-images-idx3-ubyte.gz", images)
    _write_idx_gz(tmp_path / "t10k-labels-idx1-ubyte.gz", labels)
    classifier = tmp_path / "classifier.pt"
    train_mnist_classifier(tmp_path, classifier, epochs=1, holdout=10)
    out = tmp_path / "out"
    argv = ["--datasets", "stacked_mnist", "--variants", "gan_small_d,pacgan4_small_d", "--seeds", "3", "--steps", "2"]
    argv += ["--eval-samples", "48", "--data-dir", str(tmp_path), "--classifier", str(classifier), "--jobs", "1"]
    argv += ["--out", str(out), "--results", str(out / "runs")]
    assert main(argv) == 0
    runs = ResultStore(out / "runs").records("mode_collapse", "shared_stacked_mnist_2steps_eval48")
    assert {r["recipe"] for r in runs} == {"gan_small_d", "pacgan4_small_d"}
    for run in runs:
        assert 1 <= run["metrics"]["modes"] <= 48 and 0.0 <= run["metrics"]["kl"] <= math.log(1000) + 1e-6
    assert (out / "mode_collapse_stacked_mnist_gan_small_d.png").read_bytes()[:8] == PNG_MAGIC  # sample grid
    report = (out / "mode_collapse.md").read_text()
    assert "| PacDCGAN4, D 1/4 size |" in report and "667.4 ± 29.0 / 1.810 ± 0.150 (PacDCGAN4" in report


def test_hard_setting_discriminator_has_a_quarter_of_the_weights() -> None:
    normal, _ = build_model(RunSpec("gan", "stacked_mnist", seed=0, steps=10, batch_size=64))
    small, _ = build_model(RunSpec("gan_small_d", "stacked_mnist", seed=0, steps=10, batch_size=64))
    d_normal = sum(p.numel() for p in normal.discriminator.parameters())
    d_small = sum(p.numel() for p in small.discriminator.parameters())
    assert 0.2 < d_small / d_normal < 0.3  # half the width in every layer
    assert sum(p.numel() for p in small.generator.parameters()) == sum(p.numel() for p in normal.generator.parameters())


def test_plan_and_arguments() -> None:
    full = plan(parse_args([]))
    assert {s.dataset for s in full} == {"ring", "grid", "stacked_mnist"}
    grid = {s.recipe for s in full if s.dataset == "grid"}
    assert grid == {r.name for r in recipes_for("grid")} and "diffaugment" not in grid  # DiffAugment: images only
    assert sum(1 for s in full if s.keep_samples) == len({(s.dataset, s.recipe) for s in full})  # 1st seed
    assert len({s.key for s in full}) == len(full)  # every run has its own file
    quick = parse_args(["--quick"])
    assert {s.dataset for s in plan(quick)} == {"ring", "grid"} and quick.results.parent.name == "quick"
    table1 = plan(parse_args(["--protocol", "pacgan_table1_grid"]))
    assert {s.steps for s in table1} == {PROTOCOLS["pacgan_table1_grid"].published_generator_steps}
    assert {s.seed for s in table1} == {0, 1, 2, 3, 4}
    for bad in (["--variants", "nope"], ["--datasets", "cifar"], ["--seeds", "a"], ["--steps", "0"], ["--jobs", "0"]):
        with pytest.raises(SystemExit):
            parse_args(bad)
    with pytest.raises(SystemExit):
        parse_args(["--protocol", "pacgan_table2", "--datasets", "grid"])
    with pytest.raises(ValueError, match="runs on"):
        RECIPES["diffaugment"].engine_options("grid")
