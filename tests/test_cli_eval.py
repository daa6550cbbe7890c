"""``lightning-gans evaluate`` / ``sample`` on checkpoints of shipped recipes, trained for a few steps here."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
import torch
import yaml

from lightning_gans.cli import main, resolve_config
from lightning_gans.metrics.classifier import MNISTClassifier, weights_sha256


def _train(recipe: str, root: Path, *overrides: str) -> Path:
    args = [
        "fit",
        "--config",
        recipe,
        "--trainer.max_epochs=1",
        "--trainer.limit_train_batches=2",
        f"--trainer.default_root_dir={root}",
        f"--trainer.logger.init_args.save_dir={root}",
        "--trainer.enable_progress_bar=false",
        *overrides,
    ]
    assert main(args) == 0
    checkpoint = sorted(root.glob("version_*/checkpoints/*.ckpt"))[-1]
    assert (checkpoint.parent.parent / "config.yaml").is_file()  # where evaluate / sample find the run's settings
    return checkpoint


@pytest.fixture(scope="module")
def tiny_classifier(tmp_path_factory) -> Path:
    classifier = MNISTClassifier(width=2, feature_dim=6)
    state = classifier.state_dict()
    path = tmp_path_factory.mktemp("classifier") / "classifier.pt"
    torch.save({"state_dict": state, "metadata": {"sha256": weights_sha256(state), "width": 2, "feature_dim": 6}}, path)
    return path


def test_evaluate_an_image_recipe_checkpoint_prints_and_writes_json(tmp_path, tiny_classifier, capsys) -> None:
    checkpoint = _train("dcgan_digits", tmp_path)
    out = tmp_path / "eval.json"
    status = main(
        [
            "evaluate",
            str(checkpoint),
            "--num-samples",
            "64",
            "--metrics",
            "fid",
            "kid",
            "pr",
            "--kid-subset-size",
            "32",
            "--feature-extractor",
            "mnist_classifier",
            "--extractor-weights",
            str(tiny_classifier),
            "--json",
            str(out),
        ]
    )
    assert status == 0
    text = capsys.readouterr().out
    record = json.loads(out.read_text())
    assert set(record["values"]) == {"fid", "kid", "kid_std", "precision", "recall"}
    assert record["values"]["fid"] > 0 and f"{record['values']['fid']:.6g}" in text
    provenance = record["provenance"]
    assert provenance["model"] == "lightning_gans.variants.DCGAN" and provenance["generator_steps"] == 2
    assert provenance["extractor"] == "mnist_classifier" and provenance["num_fake"] == provenance["num_real"] == 64
    assert len(provenance["checkpoint_sha256"]) == 64 and provenance["config"].endswith("config.yaml")


def test_evaluate_a_mixture_recipe_gives_mode_metrics(tmp_path, capsys) -> None:
    checkpoint = _train("ring_fast", tmp_path)
    assert main(["evaluate", str(checkpoint), "--num-samples", "500", "--config", "ring_fast"]) == 0
    record = json.loads(checkpoint.with_suffix(".evaluation.json").read_text())
    assert {"modes", "high_quality", "reverse_kl"} <= set(record["values"])
    assert 0 <= record["values"]["modes"] <= 8 and "modes" in capsys.readouterr().out


def test_sample_a_conditional_recipe_to_png_and_tensor_with_labels(tmp_path) -> None:
    checkpoint = _train("conditional_digits", tmp_path)
    png, tensor = tmp_path / "grid.png", tmp_path / "samples.pt"
    assert main(["sample", str(checkpoint), "--out", str(png), "--num-samples", "20"]) == 0
    assert png.stat().st_size > 0
    assert main(["sample", str(checkpoint), "--out", str(tensor), "--num-samples", "6", "--labels", "7"]) == 0
    saved = torch.load(tensor, weights_only=True)
    assert saved["samples"].shape == (6, 1, 28, 28) and saved["labels"].tolist() == [7] * 6
    assert main(["sample", str(checkpoint), "--out", str(tensor), "--labels", "10"]) == 2  # class out of range
    assert main(["sample", str(checkpoint), "--out", str(tmp_path / "x.jpg")]) == 2


def test_evaluate_a_stacked_mnist_checkpoint_counts_its_modes(tmp_path, tiny_classifier) -> None:
    import gzip

    import numpy as np

    data = tmp_path / "mnist"
    data.mkdir()
    for kind, array in (("images-idx3", np.zeros((40, 28, 28))), ("labels-idx1", np.arange(40) % 10)):
        header = bytes([0, 0, 0x08, array.ndim]) + b"".join(int(d).to_bytes(4, "big") for d in array.shape)
        (data / f"t10k-{kind}-ubyte.gz").write_bytes(gzip.compress(header + array.astype(np.uint8).tobytes()))
    recipe = yaml.safe_load(Path(resolve_config("dcgan_stacked_mnist")).read_text())
    recipe["data"]["init_args"].update(data_dir=str(data), num_samples=128, num_workers=0)
    recipe["model"]["init_args"]["networks"]["base_width"] = 8
    for callback in recipe["trainer"]["callbacks"]:
        if callback["class_path"].endswith("ModeCoverageCallback"):
            callback["init_args"]["classifier"] = str(tiny_classifier)
    config = tmp_path / "stacked.yaml"
    config.write_text(yaml.safe_dump(recipe))
    checkpoint = _train(str(config), tmp_path)
    status = main(
        [
            "evaluate",
            str(checkpoint),
            "--num-samples",
            "64",
            "--metrics",
            "fid",
            "--feature-extractor",
            "mnist_classifier",
            "--extractor-weights",
            str(tiny_classifier),
        ]
    )
    assert status == 0
    record = json.loads(checkpoint.with_suffix(".evaluation.json").read_text())
    assert {"fid", "modes", "kl"} <= set(record["values"]) and 1 <= record["values"]["modes"] <= 64
    assert record["provenance"]["mode_classifier"] == str(tiny_classifier)  # read from the run's callback


# ------------------------------------------------------------------ mistakes and what a user sees before waiting
@pytest.fixture(scope="module")
def digits_run(tmp_path_factory) -> Path:
    return _train("dcgan_digits", tmp_path_factory.mktemp("digits"), "--model.init_args.networks.base_width=4")


@pytest.fixture(scope="module")
def ring_run(tmp_path_factory) -> Path:
    return _train("ring_fast", tmp_path_factory.mktemp("ring"), "--model.init_args.networks.hidden_dim=8")


def _evaluate_digits(checkpoint: Path, tiny_classifier: Path, *extra: str) -> int:
    args = ["evaluate", str(checkpoint), "--metrics", "kid", "--feature-extractor", "mnist_classifier"]
    return main([*args, "--extractor-weights", str(tiny_classifier), *extra])


def test_evaluate_says_how_long_it_will_take_and_keeps_kid_subsets_below_the_sample_count(
    digits_run, tiny_classifier, capsys
) -> None:
    assert _evaluate_digits(digits_run, tiny_classifier, "--num-samples", "64") == 0
    lines = capsys.readouterr().out.splitlines()
    said = [i for i, line in enumerate(lines) if line.startswith("evaluate: 64 generated and up to 64 real samples")]
    table = [i for i, line in enumerate(lines) if "DCGAN at generator step" in line]
    assert said and table and said[0] < table[0], lines  # said before the work starts, not with the results
    assert "through mnist_classifier on cpu: about " in lines[said[0]]
    record = json.loads(digits_run.with_suffix(".evaluation.json").read_text())
    # The default subset (1000) would have been capped at all 64 samples: every subset alike, kid_std ~1e-16.
    assert record["provenance"]["kid_subset_size"] == 32 and record["values"]["kid_std"] > 1e-10


def test_evaluate_refuses_a_kid_subset_as_large_as_the_samples(digits_run, tiny_classifier, capsys) -> None:
    assert _evaluate_digits(digits_run, tiny_classifier, "--num-samples", "64", "--kid-subset-size", "100") == 2
    error = capsys.readouterr().err
    assert "--kid-subset-size 100 must be smaller than --num-samples 64" in error and "--kid-subset-size 32" in error


def test_evaluate_of_a_file_that_is_no_checkpoint_says_so(tmp_path, capsys) -> None:
    garbage = tmp_path / "garbage.ckpt"
    garbage.write_bytes(b"not a checkpoint at all")
    assert main(["evaluate", str(garbage)]) == 2
    assert f"{garbage} is not a checkpoint: it is not a zip archive" in capsys.readouterr().err


def test_a_run_of_a_variant_that_cannot_be_imported_here_is_one_line(ring_run, tmp_path, capsys) -> None:
    # A user's own variant (my_gans.MyGAN) evaluated from another folder: not a raw ModuleNotFoundError.
    config = ring_run.parent.parent / "config.yaml"
    settings = yaml.safe_load(config.read_text())
    settings["model"]["class_path"] = "my_gans_not_on_the_path.MyGAN"
    moved = ring_run.parent.parent.parent / "own_variant.yaml"
    moved.write_text(yaml.safe_dump(settings))
    for command, *extra in (["evaluate"], ["sample", "--out", str(tmp_path / "samples.pt")]):
        assert main([command, str(ring_run), "--config", str(moved), *extra]) == 2
        error = capsys.readouterr().err.strip()
        assert "cannot import the model class 'my_gans_not_on_the_path.MyGAN'" in error and "PYTHONPATH" in error
        assert "Traceback" not in error and len(error.splitlines()) == 1


def test_sample_refuses_nrow_zero(tmp_path, capsys) -> None:
    assert main(["sample", str(tmp_path / "any.ckpt"), "--out", str(tmp_path / "grid.png"), "--nrow", "0"]) == 2
    assert "--nrow must be an int >= 1, got 0" in capsys.readouterr().err


def test_sample_writes_grids_enlarged_as_the_callbacks_do(digits_run, tmp_path) -> None:
    from PIL import Image

    png = tmp_path / "grid.png"
    assert main(["sample", str(digits_run), "--out", str(png), "--num-samples", "16"]) == 0
    assert Image.open(png).size == (138 * 5, 138 * 5)  # 4 x 4 digits of 32 px, 2 px apart: 138 px, enlarged x5


def test_sample_of_a_mixture_draws_its_mode_centres(ring_run, tmp_path, monkeypatch) -> None:
    import lightning_gans.callbacks.samples as samples_module

    drawn = []
    original = samples_module.scatter_figure
    monkeypatch.setattr(samples_module, "scatter_figure", lambda s, c, t: drawn.append(c) or original(s, c, t))
    assert main(["sample", str(ring_run), "--out", str(tmp_path / "ring.png"), "--num-samples", "100"]) == 0
    assert (tmp_path / "ring.png").is_file() and drawn[0].shape == (8, 2)  # the ring's 8 mode centres
