"""The MNIST FID benchmark package on a tiny setting: runs, stored JSONs, resuming, the cached real features, the
report built from the stored records."""

from __future__ import annotations

import gzip

import numpy as np
import pytest
import torch

from benchmarks.harness import DEFAULT_RESULTS, ResultStore, RunKey
from benchmarks.mnist_fid.suite import main

PNG_MAGIC = b"\x89PNG\r\n\x1a\n"
TINY = "1epochs_128train_12eval"  # the protocol of the tiny runs below


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


def test_tiny_runs_store_one_json_each_skip_when_stored_and_report(
    tmp_path, tiny_mnist, inception_weights, capsys
) -> None:
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
    assert main(args) == 0
    store = ResultStore(results)
    records = {r["key"]["recipe"]: r for r in store.records("mnist_fid")}
    assert set(records) == {"ns", "wgan_gp"}
    assert sorted(p.relative_to(results).as_posix() for p in results.rglob("*.json")) == [
        f"mnist_fid/{TINY}/ns/seed0.json",
        f"mnist_fid/{TINY}/wgan_gp/seed0.json",
    ]
    for record in records.values():
        assert record["key"]["protocol"] == TINY and record["key"]["seed"] == 0
        assert record["fid"] > 0 and record["num_fake"] == record["num_real"] == 12
        assert not record["full_protocol"] and "_samples" not in record
        assert record["train_seconds"] > 0 and record["extractor"]["extractor"] == "inception-v3-compat"
        assert record["resumed_at_epoch"] is None and "commit" in record["environment"]["git"]
        assert record["run_wall_s"] > record["train_seconds"] and record["run_cpu_s"] > 0
        assert record["environment"]["torch_threads"] == 1
    assert not (tmp_path / "work" / TINY / "ns_seed0").exists()  # a finished run's checkpoints are removed
    picture = store.path(RunKey("mnist_fid", TINY, "ns", 0)).with_suffix(".png")
    assert picture.read_bytes()[:8] == PNG_MAGIC  # the first 64 generated images, beside the JSON
    assert records["wgan_gp"]["settings"]["gp_weight"] == 10.0
    # 128 images / 64 per batch = 2 batches; each discriminator step takes a batch (n_critic = 5 for WGAN-GP).
    assert (records["ns"]["generator_steps"], records["wgan_gp"]["generator_steps"]) == (2, 0)
    assert len(list(cache.glob("*.pt"))) == 1  # the test images' features, once for both rows
    stored = {p: p.read_text() for p in results.rglob("*.json")}
    capsys.readouterr()
    assert main(args) == 0  # cumulative: nothing is re-run
    assert capsys.readouterr().out.count("skipped") == 2
    assert {p: p.read_text() for p in results.rglob("*.json")} == stored
    report = (results / "mnist_fid.md").read_text()  # a store of its own gets its report beside it
    # Tiny runs are a short signal: never in the paper's table, which lists its five losses as not run.
    main_table, signals = report.split("## Short signals: not comparable with the paper's column")
    assert "| LSGAN | `lsgan` | not run |" in main_table and "6.8 ± 0.5" in main_table
    assert "| non-saturating GAN | `ns` | not run |" in main_table
    fid = records["ns"]["fid"]
    assert f"### `{TINY}`: 1 epochs of 128 training images; FID of 12 generated vs 12 test images" in signals
    assert f"| non-saturating GAN | `ns` | {fid:.1f} | 0 |" in signals  # one seed: its value, no spread
    assert f"[`ns` seed 0](mnist_fid/{TINY}/ns/seed0.png)" in signals


def test_the_report_averages_seeds_with_their_standard_error(tmp_path) -> None:
    # The report comes from the stored records alone: a full-protocol row over two seeds and a short signal.
    store = ResultStore(tmp_path / "runs")
    base = dict(settings={"epochs": 20, "train_images": 60000, "num_eval": 10000}, train_seconds=600.0)
    for seed, fid in ((0, 7.0), (1, 9.0)):
        store.save(
            RunKey("mnist_fid", "lucic_20epochs", "lsgan", seed),
            dict(base, row="lsgan", seed=seed, fid=fid, eval_seconds=120.0),
        )
    signal = dict(base, settings={"epochs": 2, "train_images": 60000, "num_eval": 2000}, eval_seconds=60.0)
    store.save(
        RunKey("mnist_fid", "2epochs_60000train_2000eval", "wgan_gp", 0), dict(signal, row="wgan_gp", seed=0, fid=300.0)
    )
    assert main(["--report-only", "--results", str(store.root), "--out", str(tmp_path)]) == 0
    report = (tmp_path / "mnist_fid.md").read_text()
    assert "| model | row | ours: FID, mean ± s.e. over seeds | seeds |" in report
    assert "| Lucic et al. 2018: FID, mean ± std over seeds |" in report
    assert "| LSGAN | `lsgan` | 8.0 ± 1.0 | 0, 1 | 10 | 2 | 7.8 ± 0.6 |" in report  # s.e. = std 1.41 / sqrt 2
    assert "| WGAN-GP | `wgan_gp` | not run |" in report  # the paper's row, not the short signal
    main_part, signals = report.split("## Short signals")
    assert "300.0" not in main_part and "| WGAN-GP | `wgan_gp` | 300.0 | 0 | 10 | 1 |" in signals
    assert "### `2epochs_60000train_2000eval`: 2 epochs of 60,000 training images" in signals


def test_the_runs_converted_from_the_old_files_keep_their_values(tmp_path) -> None:
    # The committed runs came from the benchmark's own files (benchmarks/mnist_fid/results/<row>_seed<k>.json); the
    # committed report is compared line by line with a rebuilt one in tests/test_benchmark_smoke.py.
    records = ResultStore(DEFAULT_RESULTS).records("mnist_fid", "lucic_20epochs")
    converted = {r["row"]: r for r in records if "converted_from" in r}
    assert {"ns", "lsgan", "wgan_gp", "ns_ours"} <= set(converted)
    assert converted["lsgan"]["converted_from"].startswith("benchmarks/mnist_fid/results/lsgan_seed0.json")
    assert converted["lsgan"]["fid"] == 7.123693986815397 and converted["lsgan"]["train_seconds"] == 6368.9
    assert main(["--report-only", "--out", str(tmp_path)]) == 0
    assert "| LSGAN | `lsgan` | 7.1 | 0 | 106 | 31 | 7.8 ± 0.6 |" in (tmp_path / "mnist_fid.md").read_text()


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
