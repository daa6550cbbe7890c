"""Every shipped recipe trains for a few batches through ``lightning-gans fit`` and writes what it promises.

Each recipe runs in-process (``main(args=[...])``) in a temporary working directory, unmodified except for the
budget: two batches per epoch (``limit_train_batches=1`` on the command line parses as the float 1.0, i.e. 100%),
just enough epochs for its epoch-based sample callback to fire once, batch size 16,
no workers. MNIST-based recipes get tiny synthetic IDX files (and a tiny digit classifier) at the paths the recipes
name; CIFAR-10 cannot be faked (torchvision checks its MD5s), so without the real files that recipe must fail with
the message that says what is missing.
"""

from __future__ import annotations

import csv
import gzip
import json
import math
import struct
from pathlib import Path

import numpy as np
import pytest
import torch
import yaml

from lightning_gans import GAN
from lightning_gans.cli import list_configs, main
from lightning_gans.data.cifar import missing_cifar10_files

RECIPES = sorted(list_configs())


@pytest.fixture(autouse=True, scope="module")
def _one_thread():
    # A few tiny batches gain nothing from intra-op threads, and on a busy CPU the threads' spin-waits dominate.
    threads = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(threads)


def _load(name: str) -> dict:
    return yaml.safe_load(list_configs()[name].read_text())


def _callback(config: dict, class_name: str) -> dict | None:
    for callback in config["trainer"].get("callbacks") or []:
        if callback["class_path"].rsplit(".", 1)[-1] == class_name:
            return callback.get("init_args", {})
    return None


def _write_idx(path: Path, array: np.ndarray) -> None:
    # IDX: two zero bytes, type 0x08 (ubyte), number of dims, then each dim as a big-endian int32.
    header = bytes([0, 0, 8, array.ndim]) + struct.pack(f">{array.ndim}i", *array.shape)
    with gzip.open(path, "wb") as f:
        f.write(header + array.astype(np.uint8).tobytes())


def _tiny_mnist(folder: Path, n: int = 40) -> None:
    """``n`` synthetic 28x28 'digits' (a bright bar whose position is the label) as the t10k IDX files."""
    folder.mkdir(parents=True, exist_ok=True)
    labels = np.arange(n) % 10
    images = np.zeros((n, 28, 28), dtype=np.uint8)
    for i, label in enumerate(labels):
        images[i, 4:24, 2 + 2 * label : 4 + 2 * label] = 255
    _write_idx(folder / "t10k-images-idx3-ubyte.gz", images)
    _write_idx(folder / "t10k-labels-idx1-ubyte.gz", labels)


def _fit_args(name: str, config: dict) -> list[str]:
    samples = _callback(config, "SampleGridCallback") or {}
    epochs = samples.get("every_n_epochs") or 1  # the first epoch at which the recipe draws a sample picture
    # Two batches per epoch: `--trainer.limit_train_batches=1` would parse as the float 1.0 (the whole epoch).
    return [
        "fit",
        "--config",
        name,
        f"--trainer.max_epochs={epochs}",
        "--trainer.max_steps=-1",
        "--trainer.limit_train_batches=2",
        "--trainer.log_every_n_steps=1",
        "--trainer.accelerator=cpu",
        "--trainer.enable_progress_bar=false",
        "--trainer.enable_model_summary=false",
        "--data.init_args.batch_size=16",
        "--data.init_args.num_workers=0",
    ]


def _metrics(run_dir: Path) -> list[dict[str, str]]:
    with open(run_dir / "metrics.csv", newline="") as f:
        return list(csv.DictReader(f))


def _values(rows: list[dict[str, str]], key: str) -> list[float]:
    return [float(row[key]) for row in rows if row.get(key) not in (None, "")]


@pytest.mark.parametrize("name", RECIPES)
def test_recipe_is_consistent(name):
    config = _load(name)
    model, data = config["model"]["init_args"], config["data"]["init_args"]
    # Reproducible: global seed, engine noise seed and data seed are all fixed.
    assert isinstance(model["noise_seed"], int) and isinstance(data["seed"], int)
    assert "seed" not in model  # Lightning merges module and datamodule hparams: a shared key must not differ
    assert model.get("image_size") == data.get("image_size")
    assert isinstance(config["seed_everything"], int)
    assert config["trainer"]["logger"]["class_path"].endswith("CSVLogger")
    assert config["trainer"]["default_root_dir"] == f"outputs/{name}"
    assert _callback(config, "SampleGridCallback") is not None
    if "ToyDataModule" in config["data"]["class_path"]:
        assert _callback(config, "ModeCoverageCallback") == {"metric": "mixture", "every_n_epochs": 5}
    # Why-comments: every line that sets a value explains it.
    for number, line in enumerate(list_configs()[name].read_text().splitlines(), 1):
        if ":" in line and not line.lstrip().startswith("#") and line.split(":", 1)[1].strip():
            assert "#" in line, f"{name}.yaml line {number} sets a value without a comment: {line.strip()!r}"


@pytest.mark.parametrize("name", RECIPES)
def test_recipe_trains_through_the_cli(name, tmp_path, monkeypatch):
    config = _load(name)
    monkeypatch.chdir(tmp_path)  # the recipes write to (and read data from) paths relative to the working directory
    data_class = config["data"]["class_path"].rsplit(".", 1)[-1]
    args = _fit_args(name, config)
    if data_class in ("MNISTDataModule", "StackedMNISTDataModule"):
        _tiny_mnist(Path(config["data"]["init_args"]["data_dir"]))
    coverage = _callback(config, "ModeCoverageCallback")
    if coverage and coverage["metric"] == "stacked_mnist":
        from lightning_gans.metrics.classifier import train_mnist_classifier

        train_mnist_classifier(config["data"]["init_args"]["data_dir"], coverage["classifier"], epochs=1, holdout=8)
    if _callback(config, "DigitsQualityCallback") is not None:  # a 1-epoch classifier where the recipe trains one
        from lightning_gans.callbacks.digits_quality import digits_classifier

        digits_classifier(Path(config["trainer"]["default_root_dir"]) / "digits_classifier.pt", epochs=1)
    if data_class == "CIFAR10DataModule" and missing_cifar10_files(config["data"]["init_args"]["data_dir"]):
        with pytest.raises(FileNotFoundError, match="data_batch_1.*cifar-10-batches-py"):
            main(args)
        return

    assert main(args) == 0

    run_dir = tmp_path / "outputs" / name / "version_0"
    assert (run_dir / "config.yaml").is_file()  # the full resolved config, saved by the CLI
    saved = yaml.safe_load((run_dir / "config.yaml").read_text())
    assert saved["model"]["class_path"] == config["model"]["class_path"]
    rows = _metrics(run_dir)
    for key in ("loss/d", "d/real_logit", "d/fake_logit", "grad/d_norm", "loss/g", "grad/g_norm"):
        values = _values(rows, key)
        assert values and all(math.isfinite(v) for v in values), f"{name}: no finite {key} in metrics.csv"
    samples = _callback(config, "SampleGridCallback")
    pictures = sorted((run_dir / "samples").glob("*.png")) if (run_dir / "samples").is_dir() else []
    if samples.get("every_n_epochs"):
        assert len(pictures) == 1 and pictures[0].stat().st_size > 1000
    if coverage and coverage["metric"] == "mixture":
        modes = _values(rows, "val/modes")
        num_modes = 8 if config["data"]["init_args"]["dataset"] == "ring" else 25
        assert len(modes) == 1 and 0 <= modes[0] <= num_modes
    if _callback(config, "ModelCheckpoint") is not None:
        assert (run_dir / "checkpoints" / "last.ckpt").is_file()
    if _callback(config, "DigitsQualityCallback") is not None:
        quality = json.loads((run_dir / "quality.json").read_text())
        assert quality["generated_vs_real"] > quality["real_vs_real"] > 0  # 2 batches of training are not the data


def test_recipe_models_are_gan_subclasses():
    import importlib

    for name in RECIPES:
        module, _, cls = _load(name)["model"]["class_path"].rpartition(".")
        assert issubclass(getattr(importlib.import_module(module), cls), GAN), name
