"""The MNIST FID benchmark package on a tiny setting: runs, JSONs, resuming, the cached real features, the table."""

from __future__ import annotations

import gzip
import json

import numpy as np
import pytest
import torch

from benchmarks.mnist_fid.run import main


def _write_idx(path, array: np.ndarray) -> None:
    header = bytes([0, 0, 0x08, array.ndim]) + b"".join(int(d).to_bytes(4, "big") for d in array.shape)
    path.write_bytes(gzip.compress(header + np.ascontiguousarray(array, dtype=np.uint8).tobytes()))


@pytest.fixture
def tiny_mnist(tmp_path):
    rng = np.random.default_rng(0)
    for prefix, n in (("train", 128), ("t10k", 16)):
        _write_idx(tmp_path / f"{prefix}-images-idx3-ubyte.gz", rng.integers(0, 256, (n, 28, 28)))
        _write_idx(tmp_path / f"{prefix}-labels-idx1-ubyte.gz", np.arange(n) % 10)
    return tmp_path


def test_tiny_runs_write_one_json_each_resume_and_tabulate(tmp_path, tiny_mnist, inception_weights, capsys) -> None:
    results, cache = tmp_path / "results", tmp_path / "cache"
    args = [
        "--rows",
        "ns",
        "wgan_gp",
        "--epochs",
        "1",
        "--train-limit",
        "128",
        "--num-eval",
        "12",
        "--data-dir",
        str(tiny_mnist),
        "--results",
        str(results),
        "--cache-dir",
        str(cache),
        "--work-dir",
        str(tmp_path / "work"),
        "--extractor-weights",
        str(inception_weights),
    ]
    main(args)
    records = {path.stem: json.loads(path.read_text()) for path in results.glob("*.json")}
    assert set(records) == {"ns_seed0", "wgan_gp_seed0"}
    for record in records.values():
        assert record["fid"] > 0 and record["num_fake"] == record["num_real"] == 12
        assert not record["full_protocol"]
        assert record["train_seconds"] > 0 and record["extractor"]["extractor"] == "inception-v3-compat"
        assert record["resumed_at_epoch"] is None and "commit" in record["environment"]["git"]
    assert not (tmp_path / "work" / "ns_seed0").exists()  # a finished run's checkpoints are removed
    assert (results / "ns_seed0.png").stat().st_size > 0  # the first 64 generated images, to look at
    assert records["wgan_gp_seed0"]["settings"]["gp_weight"] == 10.0
    # 128 images / 64 per batch = 2 batches; each discriminator step takes a batch (n_critic = 5 for WGAN-GP).
    assert (records["ns_seed0"]["generator_steps"], records["wgan_gp_seed0"]["generator_steps"]) == (2, 0)
    assert len(list(cache.glob("*.pt"))) == 1  # the test images' features, once for both rows
    capsys.readouterr()
    main(args)  # cumulative: nothing is re-run
    out = capsys.readouterr().out
    assert out.count("skipped") == 2
    table = (results / "RESULTS.md").read_text()
    assert "| non-saturating GAN |" in table and "6.8 ± 0.5" in table and "| LSGAN | not run |" in table
    fid = records["ns_seed0"]["fid"]
    assert f"| non-saturating GAN | {fid:.1f} | 1 |" in table  # one seed: its value, no spread


def test_a_stopped_training_resumes_from_its_last_epoch(tmp_path, tiny_mnist, monkeypatch) -> None:
    from benchmarks.mnist_fid.run import _images, train
    from lightning_gans import GAN

    images = _images(tiny_mnist, "train", 128)  # 2 batches per epoch
    work = tmp_path / "work"
    step, calls = GAN.training_step, []

    def crash_in_the_second_epoch(self, batch, batch_idx):
        calls.append(batch_idx)
        if len(calls) == 3:
            raise RuntimeError("stopped")
        return step(self, batch, batch_idx)

    with monkeypatch.context() as patch:
        patch.setattr(GAN, "training_step", crash_in_the_second_epoch)
        with pytest.raises(RuntimeError, match="stopped"):
            train("ns", 0, images, epochs=3, work_dir=work)
    assert [p.name for p in work.iterdir()] == ["latest.ckpt"]  # written after the first epoch, before the crash
    # Pretend the first epoch took an hour: the resumed run must count that hour, carried in the checkpoint.
    checkpoint = torch.load(work / "latest.ckpt", weights_only=False)
    assert checkpoint["callbacks"]["TrainingClock"]["seconds"] > 0
    checkpoint["callbacks"]["TrainingClock"]["seconds"] = 3600.0
    torch.save(checkpoint, work / "latest.ckpt")
    resumed, info = train("ns", 0, images, epochs=3, work_dir=work)
    assert info["resumed_at_epoch"] == 1
    assert resumed.generator_steps == 3 * 2  # the first epoch's 2 steps come from the checkpoint
    assert 3600 < info["train_seconds"] < 3600 + 600
    # Stopped again after the last epoch (e.g. during evaluation): fit restores and skips training; the record still
    # says when the training was first resumed.
    again, info_again = train("ns", 0, images, epochs=3, work_dir=work)
    assert info_again["resumed_at_epoch"] == 1
    assert 3600 < info_again["train_seconds"] <= info["train_seconds"]  # as saved after the last epoch
    assert again.generator_steps == 3 * 2


@pytest.mark.parametrize("layers", ["torch", "compare_gan"])
def test_the_infogan_nets_map_noise_to_images_and_logits(layers) -> None:
    from benchmarks.mnist_fid.nets import InfoGANDiscriminator, InfoGANGenerator

    torch.manual_seed(0)
    generator, critic = InfoGANGenerator(64, layers=layers), InfoGANDiscriminator(batch_norm=False, layers=layers)
    images = generator(torch.randn(4, 64))
    assert images.shape == (4, 1, 28, 28) and images.abs().max() <= 1
    assert critic(images).shape == (4,)
    weights = generator.net[1].weight  # the first linear layer
    expected_std = 0.02 if layers == "compare_gan" else 1 / (3 * 64) ** 0.5  # N(0, 0.02) vs kaiming_uniform(a=sqrt 5)
    assert abs(float(weights.std()) - expected_std) < 0.1 * expected_std
    batch_norm = generator.net[2]
    assert (batch_norm.eps, batch_norm.momentum) == ((1e-3, 0.001) if layers == "compare_gan" else (1e-5, 0.1))
    # compare_gan's z is uniform in [-1, 1] (mapped from the engine's N(0, 1)) and G's activations are leaky.
    z = torch.tensor([[-30.0, 0.0, 30.0]])
    assert generator.net[0](z).tolist() == ([[-1.0, 0.0, 1.0]] if layers == "compare_gan" else z.tolist())
    assert float(generator.net[3](torch.tensor(-1.0))) == pytest.approx(-0.2 if layers == "compare_gan" else 0.0)


def test_the_infogan_nets_name_the_allowed_layers() -> None:
    from benchmarks.mnist_fid.nets import InfoGANGenerator

    with pytest.raises(ValueError, match=r"layers must be one of \('torch', 'compare_gan', 'cg_init', .*\), got 'tf'"):
        InfoGANGenerator(64, layers="tf")


def test_each_compare_gan_detail_alone_changes_only_its_layers() -> None:
    from torch import nn

    from benchmarks.mnist_fid.nets import InfoGANGenerator, UniformLatent

    def kinds(layers: str) -> set[str]:
        return {type(m).__name__ for m in InfoGANGenerator(8, layers=layers).modules()}

    assert "UniformLatent" in kinds("cg_uniform_z") and "LeakyReLU" not in kinds("cg_uniform_z")
    assert "LeakyReLU" in kinds("cg_leaky_g") and "UniformLatent" not in kinds("cg_leaky_g")
    bn = [m for m in InfoGANGenerator(8, layers="cg_bn_constants").modules() if isinstance(m, nn.BatchNorm1d)]
    assert bn and all(m.eps == 1e-3 and m.momentum == 1e-3 for m in bn)
    first = InfoGANGenerator(8, layers="cg_init").net[1]  # after the identity latent map
    assert isinstance(first, nn.Linear) and float(first.weight.std()) < 0.03 and float(first.bias.abs().max()) == 0.0
    assert float(InfoGANGenerator(8, layers="torch").net[1].bias.abs().max()) > 0.0
    assert UniformLatent()(torch.zeros(1)).item() == 0.0


def test_the_gpu_script_names_existing_rows() -> None:
    import re
    from pathlib import Path

    from benchmarks.mnist_fid.protocol import ROWS

    script = (Path(__file__).resolve().parents[1] / "scripts" / "gpu_checks.sh").read_text()
    rows = re.search(r"benchmarks\.mnist_fid --rows ([\w ]+?) --", script).group(1).split()
    assert rows and set(rows) <= set(ROWS), rows
