"""MNISTClassifier: shapes, the training command on tiny synthetic IDX files, loading and its errors."""

from __future__ import annotations

import gzip
from pathlib import Path

import pytest
import torch

from lightning_gans.metrics.classifier import (
    MNISTClassifier,
    _fit,
    load_mnist_classifier,
    main,
    train_mnist_classifier,
    weights_sha256,
)


@pytest.fixture(autouse=True)
def _one_thread():
    """Tiny convolutions run faster on one thread; with two, a busy CPU made them ~100x slower (spin-waits)."""
    threads = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(threads)


def _synthetic_digits(n: int, seed: int = 0) -> tuple[torch.Tensor, torch.Tensor]:
    """Class ``d`` = a bright 5x8 block at one of 10 well separated places, plus noise: uint8 (n, 28, 28), (n,)."""
    generator = torch.Generator().manual_seed(seed)
    labels = torch.arange(n) % 10
    images = torch.randint(0, 40, (n, 28, 28), generator=generator, dtype=torch.uint8)
    for i, d in enumerate(labels.tolist()):
        row, col = 3 + 13 * (d // 5), 1 + 5 * (d % 5)
        images[i, row : row + 8, col : col + 4] = 255
    return images, labels


def _write_idx_gz(path: Path, array: torch.Tensor) -> None:
    header = bytes([0, 0, 8, array.dim()]) + b"".join(s.to_bytes(4, "big") for s in array.shape)
    with gzip.open(path, "wb") as handle:
        handle.write(header + array.to(torch.uint8).numpy().tobytes())


@pytest.fixture
def mnist_dir(tmp_path: Path) -> Path:
    """A folder holding only a tiny test split, like the offline folder of this project."""
    images, labels = _synthetic_digits(60)
    _write_idx_gz(tmp_path / "t10k-images-idx3-ubyte.gz", images)
    _write_idx_gz(tmp_path / "t10k-labels-idx1-ubyte.gz", labels)
    return tmp_path


def test_forward_and_features_shapes_with_resize() -> None:
    net = MNISTClassifier(width=4, feature_dim=16).eval()
    assert net(torch.zeros(3, 1, 28, 28)).shape == (3, 10)
    assert net.features(torch.zeros(2, 1, 28, 28)).shape == (2, 16)
    # Other sizes are resized (bilinear, no antialias) to 28x28 inside forward.
    x = torch.rand(2, 1, 28, 28) * 2 - 1
    up = torch.nn.functional.interpolate(x, size=(64, 64), mode="bilinear", align_corners=False)
    assert net(up).shape == (2, 10)
    resized = torch.nn.functional.interpolate(up, size=(28, 28), mode="bilinear", align_corners=False, antialias=False)
    assert torch.allclose(net(up), net(resized))
    with pytest.raises(ValueError, match=r"\(N, 1, H, W\)"):
        net(torch.zeros(2, 3, 28, 28))
    with pytest.raises(ValueError, match="`width`"):
        MNISTClassifier(width=0)


def test_training_learns_separable_digits() -> None:
    images, labels = _synthetic_digits(200, seed=1)
    rng_before = torch.get_rng_state()
    model, info = _fit(images, labels, epochs=1, holdout=50, seed=0, width=8, batch_size=10)
    assert info["num_train"] == 150 and info["num_holdout"] == 50
    assert info["accuracy"] >= 0.9  # chance is 0.1
    assert not model.training
    assert torch.equal(torch.get_rng_state(), rng_before)  # the caller's random state is left alone


def test_command_writes_a_loadable_file(mnist_dir: Path, tmp_path: Path, capsys: pytest.CaptureFixture) -> None:
    out = tmp_path / "weights" / "mnist.pt"
    metadata = main(["--data-dir", str(mnist_dir), "--out", str(out), "--epochs", "1", "--holdout", "20"])
    assert "held-out accuracy" in capsys.readouterr().out
    assert out.is_file()
    assert metadata["num_train"] == 40 and metadata["num_holdout"] == 20 and 0.0 <= metadata["accuracy"] <= 1.0
    assert "test split" in metadata["training_data"]
    model = load_mnist_classifier(out)
    assert isinstance(model, MNISTClassifier) and not model.training
    assert model.metadata["sha256"] == weights_sha256(model.state_dict()) == metadata["sha256"]
    assert model(torch.zeros(2, 1, 28, 28)).shape == (2, 10)
    # Same seed, same data -> bit-identical weights.
    again = train_mnist_classifier(mnist_dir, tmp_path / "again.pt", epochs=1, holdout=20, seed=0)
    assert again["sha256"] == metadata["sha256"]


def test_load_errors_name_the_path_and_the_command(tmp_path: Path) -> None:
    missing = tmp_path / "nowhere" / "mnist.pt"
    with pytest.raises(FileNotFoundError) as err:
        load_mnist_classifier(missing)
    assert str(missing) in str(err.value)
    assert f"python -m lightning_gans.metrics.classifier --data-dir DIR --out {missing}" in str(err.value)
    # A file whose weights do not match the stored hash is refused.
    net = MNISTClassifier(width=2, feature_dim=4)
    state = net.state_dict()
    meta = {"sha256": "0" * 64, "width": 2, "feature_dim": 4}
    torch.save({"state_dict": state, "metadata": meta}, tmp_path / "bad.pt")
    with pytest.raises(ValueError, match="sha256"):
        load_mnist_classifier(tmp_path / "bad.pt")


def test_bad_training_arguments(mnist_dir: Path, tmp_path: Path) -> None:
    with pytest.raises(ValueError, match="`epochs`"):
        train_mnist_classifier(mnist_dir, tmp_path / "x.pt", epochs=0)
    with pytest.raises(ValueError, match="`holdout`"):
        train_mnist_classifier(mnist_dir, tmp_path / "x.pt", epochs=1, holdout=60)
    with pytest.raises(FileNotFoundError, match="train-images-idx3-ubyte"):
        train_mnist_classifier(tmp_path / "empty", tmp_path / "x.pt", epochs=1)
