"""Smoke tests of the mode-collapse benchmark: tiny budgets, real Trainer runs, the files and their structure.

These check that the script runs end to end and writes sane tables, not the quality of the GANs (that is what the
full run in benchmarks/RESULTS.md is for).
"""

from __future__ import annotations

import gzip
import json
import math
import sys
from pathlib import Path

import pytest
import torch

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:  # `benchmarks` is a folder of scripts at the repository root, not an installed package
    sys.path.insert(0, str(ROOT))

from benchmarks.mode_collapse import main, parse_args, plan  # noqa: E402
from benchmarks.mode_collapse_run import RunSpec, build_model  # noqa: E402
from benchmarks.recipes import RECIPES, recipes_for  # noqa: E402

PNG_MAGIC = b"\x89PNG\r\n\x1a\n"


def _check_stat(stat: dict, values: list[float]) -> None:
    assert stat["n"] == len(values)
    assert stat["mean"] == pytest.approx(sum(values) / len(values))
    if len(values) == 2:  # standard error of two values: |a - b| / 2
        assert stat["se"] == pytest.approx(abs(values[0] - values[1]) / 2)


def test_quick_2d_run_writes_sane_tables_json_and_pictures(tmp_path: Path) -> None:
    argv = [
        "--quick",
        "--datasets",
        "ring,grid",
        "--variants",
        "gan,wgan_gp",
        "--seeds",
        "0,1",
        "--steps",
        "12",
        "--jobs",
        "1",
        "--out",
        str(tmp_path),
    ]
    assert main(argv) == 0
    payload = json.loads((tmp_path / "mode_collapse_quick.json").read_text())
    meta, summary, runs = payload["meta"], payload["summary"], payload["runs"]
    assert meta["seeds"] == {"ring": [0, 1], "grid": [0, 1]} and meta["steps"] == {"ring": 12, "grid": 12}
    assert meta["eval_samples"] == {"ring": 2500, "grid": 2500}
    assert meta["command"].endswith(" ".join(argv)) and meta["git_commit"] and meta["versions"]["lightning"]
    assert len(runs) == 8 and {(r["dataset"], r["recipe"]) for r in runs} == {
        (d, v) for d in ("ring", "grid") for v in ("gan", "wgan_gp")
    }
    for run in runs:
        assert run["error"] is None
        assert run["generator_steps"] == 12  # the budget is generator steps, also with 5 critic steps per G step
        modes, hq, rkl = (run["metrics"][k] for k in ("modes", "high_quality", "reverse_kl"))
        total = 8 if run["dataset"] == "ring" else 25
        assert isinstance(modes, int) and 0 <= modes <= total and 0.0 <= hq <= 1.0
        # rKL is NaN only when no sample is high quality; otherwise it lies in [0, log K].
        assert (math.isnan(rkl) and modes == 0) or 0.0 <= rkl <= math.log(total) + 1e-6  # float32 metric
        assert run["wall_s"] > 0 and run["cpu_s"] > 0 and run["g_params"] > 0 and run["d_params"] > 0
    assert len(summary) == 4
    for row in summary:
        seeds = [r for r in runs if r["dataset"] == row["dataset"] and r["recipe"] == row["recipe"]]
        assert row["runs"] == 2 and row["failed"] == 0 and row["seeds"] == [0, 1]
        _check_stat(row["metrics"]["modes"], [r["metrics"]["modes"] for r in seeds])
        _check_stat(row["metrics"]["high_quality"], [r["metrics"]["high_quality"] for r in seeds])
        assert (tmp_path / row["picture"]).read_bytes()[:8] == PNG_MAGIC  # first seed's scatter plot
    for dataset in ("ring", "grid"):
        assert (tmp_path / f"mode_collapse_quick_{dataset}.png").read_bytes()[:8] == PNG_MAGIC
    report = (tmp_path / "mode_collapse_quick.md").read_text()
    assert "| model | ring modes /8 | ring HQ | ring rKL | grid modes /25 |" in report
    assert "| WGAN-GP |" in report and "*GAN, PacGAN Table 1, 10 trials*" in report and "## Targets" in report
    assert not (tmp_path / "mode_collapse.json").exists()  # a quick run never overwrites the full results


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
    argv = [
        "--datasets",
        "stacked_mnist",
        "--variants",
        "gan_small_d,pacgan4_small_d",
        "--seeds",
        "3",
        "--steps",
        "2",
        "--eval-samples",
        "48",
        "--data-dir",
        str(tmp_path),
        "--classifier",
        str(classifier),
        "--jobs",
        "1",
        "--out",
        str(out),
    ]
    assert main(argv) == 0
    payload = json.loads((out / "mode_collapse.json").read_text())
    assert payload["meta"]["eval_samples"] == {"stacked_mnist": 48}
    assert "MNIST test set" in payload["meta"]["stacked_mnist_source"]
    for row in payload["summary"]:
        modes, kl = row["metrics"]["modes"]["mean"], row["metrics"]["kl"]["mean"]
        assert 1 <= modes <= 48 and 0.0 <= kl <= math.log(1000) + 1e-6  # float32 metric
        assert (out / row["picture"]).read_bytes()[:8] == PNG_MAGIC  # sample grid
    report = (out / "mode_collapse.md").read_text()
    assert "| PacDCGAN4, D 1/4 size |" in report and "667.4 / 1.81 (PacDCGAN4" in report


def test_hard_setting_discriminator_has_a_quarter_of_the_weights() -> None:
    normal = build_model(RunSpec("gan", "stacked_mnist", seed=0, steps=10, batch_size=64))
    small = build_model(RunSpec("gan_small_d", "stacked_mnist", seed=0, steps=10, batch_size=64))
    d_normal = sum(p.numel() for p in normal.discriminator.parameters())
    d_small = sum(p.numel() for p in small.discriminator.parameters())
    assert 0.2 < d_small / d_normal < 0.3  # half the width in every layer
    assert sum(p.numel() for p in small.generator.parameters()) == sum(p.numel() for p in normal.generator.parameters())


def test_plan_and_arguments() -> None:
    full = plan(parse_args([]))
    assert {s.dataset for s in full} == {"ring", "grid", "stacked_mnist"}
    grid = {s.recipe for s in full if s.dataset == "grid"}
    assert grid == {r.name for r in recipes_for("grid")} and "diffaugment" not in grid  # DiffAugment: images only
    assert all(s.steps == full[-1].steps for s in full if s.dataset == full[-1].dataset)  # one budget per dataset
    assert sum(1 for s in full if s.keep_samples) == len({(s.dataset, s.recipe) for s in full})  # 1st seed
    quick = plan(parse_args(["--quick"]))
    assert {s.dataset for s in quick} == {"ring", "grid"} and max(s.steps for s in quick) < min(s.steps for s in full)
    for bad in (["--variants", "nope"], ["--datasets", "cifar"], ["--seeds", "a"], ["--steps", "0"]):
        with pytest.raises(SystemExit):
            parse_args(bad)
    with pytest.raises(ValueError, match="runs on"):
        RECIPES["diffaugment"].engine_options("grid")
