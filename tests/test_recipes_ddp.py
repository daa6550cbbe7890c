"""Every shipped recipe, callbacks included, trains under 2-process DDP on the CPU from the command line with
``--trainer.devices=2`` and no strategy flag; an error every rank raises is reported once, in one line.

Each recipe is a real ``lightning-gans fit`` in a subprocess (Lightning's DDP launcher re-runs the command for the
second rank), with the budget of ``test_configs.py``: two batches of 16 per rank and epoch, just enough epochs for
the recipe's sample pictures (and the 2-D recipes' mode counts) to come once; the stacked-MNIST mode count (26,000
samples) is left out. A launch costs two interpreter starts one after the other (about 10 s each on a busy 2-core
CPU), so the recipes run three at a time, started together by a module fixture; each test waits for its own.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import time
from concurrent.futures import Future, ThreadPoolExecutor
from pathlib import Path

import pytest
from test_configs import _callback, _load, _tiny_mnist

from lightning_gans.cli import list_configs
from lightning_gans.data.cifar import missing_cifar10_files

RECIPES = sorted(list_configs())
_CLI = Path(sys.executable).with_name("lightning-gans")  # the installed command itself


def _command(name: str, config: dict) -> list[str]:
    samples = _callback(config, "SampleGridCallback") or {}
    epochs = samples.get("every_n_epochs") or 1  # (the 2-D recipes' mode counts come at the same epoch)
    launcher = [str(_CLI)] if _CLI.is_file() else [sys.executable, "-m", "lightning_gans.cli"]
    return [
        *launcher,
        "fit",
        "--config",
        name,
        "--trainer.devices=2",
        "--trainer.accelerator=cpu",  # (a machine with one GPU would otherwise pick it and fail on devices=2)
        f"--trainer.max_epochs={epochs}",
        "--trainer.max_steps=-1",
        "--trainer.limit_train_batches=2",
        "--trainer.log_every_n_steps=1",
        "--trainer.enable_progress_bar=false",
        "--trainer.enable_model_summary=false",
        "--data.init_args.batch_size=16",
        "--data.init_args.num_workers=0",
    ]


def _prepare(name: str, config: dict, work: Path, digits_classifier: Path) -> None:
    """The data and classifiers a recipe reads, as ``test_configs.py`` makes them (tiny and offline)."""
    data = config["data"]["init_args"]
    if config["data"]["class_path"].rsplit(".", 1)[-1] in ("MNISTDataModule", "StackedMNISTDataModule"):
        _tiny_mnist(work / data["data_dir"])
    coverage = _callback(config, "ModeCoverageCallback")
    if coverage and coverage["metric"] == "stacked_mnist":
        from lightning_gans.metrics.classifier import train_mnist_classifier

        train_mnist_classifier(work / data["data_dir"], work / coverage["classifier"], epochs=1, holdout=8)
    if _callback(config, "DigitsQualityCallback") is not None:
        target = work / config["trainer"]["default_root_dir"] / "digits_classifier.pt"
        target.parent.mkdir(parents=True, exist_ok=True)
        shutil.copy(digits_classifier, target)


def _run(command: list[str], work: Path) -> tuple[subprocess.CompletedProcess, float, Path]:
    env = {**os.environ, "OMP_NUM_THREADS": "1"}
    for name in ("MASTER_ADDR", "MASTER_PORT", "WORLD_SIZE", "LOCAL_RANK", "NODE_RANK", "RANK"):
        env.pop(name, None)  # a fresh launch: Lightning's launcher picks a free port
    started = time.monotonic()
    done = subprocess.run(command, cwd=work, env=env, capture_output=True, text=True, timeout=900)
    return done, time.monotonic() - started, work


@pytest.fixture(scope="module")
def launches(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> dict[str, Future]:
    from lightning_gans.callbacks.digits_quality import digits_classifier

    here = request.node.path  # only the recipes whose tests were selected (pytest -k)
    chosen = [i.callspec.params["name"] for i in request.session.items if i.path == here and hasattr(i, "callspec")]
    root = tmp_path_factory.mktemp("ddp_recipes")
    classifier = digits_classifier(root / "digits_classifier.pt", epochs=1)
    pool = ThreadPoolExecutor(max_workers=3)
    futures = {}
    for name in chosen:
        config, work = _load(name), root / name
        work.mkdir()
        _prepare(name, config, work, classifier)
        futures[name] = pool.submit(_run, _command(name, config), work)
    yield futures
    pool.shutdown(wait=True)


@pytest.mark.parametrize("name", RECIPES)
def test_recipe_trains_under_two_process_ddp_from_the_command_line(name, launches):
    done, seconds, work = launches[name].result()
    config = _load(name)
    data = config["data"]["init_args"]
    print(f"{name}: {seconds:.0f} s")
    if config["data"]["class_path"].endswith("CIFAR10DataModule") and missing_cifar10_files(work / data["data_dir"]):
        # Both ranks raise the same error: one line, once, no traceback.
        errors = [line for line in done.stderr.splitlines() if "error" in line.lower()]
        assert done.returncode != 0 and "Traceback" not in done.stderr, done.stderr[-3000:]
        assert len(errors) == 1 and errors[0].startswith("lightning-gans: error: FileNotFoundError: CIFAR-10"), errors
        return
    assert done.returncode == 0, done.stderr[-3000:]
    assert "Traceback" not in done.stderr
    assert done.stdout.count("Finished: ") == 1  # rank zero's summary only
    run = work / config["trainer"]["default_root_dir"] / "version_0"
    assert (run / "checkpoints" / "last.ckpt").is_file() and (run / "metrics.csv").is_file()
    samples = _callback(config, "SampleGridCallback") or {}
    if samples.get("every_n_epochs"):
        assert list((run / "samples").glob("*.png"))
    coverage = _callback(config, "ModeCoverageCallback")
    if coverage and coverage["metric"] == "mixture":
        assert "val/modes" in (run / "metrics.csv").read_text().splitlines()[0]
    if _callback(config, "DigitsQualityCallback") is not None:  # measured at the end, on rank zero, no collective
        assert json.loads((run / "quality.json").read_text())["generated_vs_real"] > 0
