"""A killed run is not lost: ``last.ckpt`` is at most an epoch (or a few minutes) old, written atomically, and
``lightning-gans fit ... --ckpt_path last`` after a SIGKILL continues from it."""

from __future__ import annotations

import csv
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import lightning as L
import pytest
import torch
from lightning.pytorch.callbacks import ModelCheckpoint
from lightning.pytorch.plugins import TorchCheckpointIO
from torch.utils.data import DataLoader, TensorDataset

from lightning_gans import NetworkOptions, VanillaGAN
from lightning_gans.callbacks.last_checkpoint import KeepLastCheckpoint
from lightning_gans.engine.checkpoints import CheckedCheckpointIO, checkpoint_file_problem


def _fit(tmp_path, callbacks, batches=4, epochs=2):
    L.seed_everything(0)
    model = VanillaGAN(data_dim=2, networks=NetworkOptions(hidden_dim=8), noise_seed=0)
    trainer = L.Trainer(
        accelerator="cpu",
        max_epochs=epochs,
        logger=False,
        enable_progress_bar=False,
        enable_model_summary=False,
        default_root_dir=tmp_path,
        callbacks=callbacks,
    )
    trainer.fit(model, DataLoader(TensorDataset(torch.randn(16 * batches, 2)), batch_size=16))
    return trainer


class SeenLast(L.Callback):
    """The global step held by ``last.ckpt`` when each batch and each epoch starts (None: no file yet)."""

    def __init__(self, folder):
        self.path, self.at_batch, self.at_epoch = Path(folder) / "last.ckpt", [], []

    def _step(self):
        return torch.load(self.path, weights_only=True)["global_step"] if self.path.is_file() else None

    def on_train_batch_start(self, trainer, pl_module, batch, batch_idx):
        self.at_batch.append((trainer.global_step, self._step()))

    def on_train_epoch_start(self, trainer, pl_module):
        self.at_epoch.append((trainer.current_epoch, self._step()))


def test_save_top_k_0_alone_writes_last_only_at_the_end_and_keep_last_writes_every_epoch(tmp_path):
    # Lightning's ModelCheckpoint(save_last=True, save_top_k=0), as the recipes had it: nothing while training.
    seen = SeenLast(tmp_path / "a")
    _fit(tmp_path, [ModelCheckpoint(dirpath=tmp_path / "a", save_last=True, save_top_k=0), seen], epochs=3)
    assert seen.at_epoch == [(0, None), (1, None), (2, None)]
    # With KeepLastCheckpoint: the state of the end of each epoch (4 batches = 8 optimizer steps).
    seen = SeenLast(tmp_path / "b")
    checkpoint = ModelCheckpoint(dirpath=tmp_path / "b", save_last=True, save_top_k=0)
    trainer = _fit(tmp_path, [checkpoint, KeepLastCheckpoint(every_minutes=None), seen], epochs=3)
    assert seen.at_epoch == [(0, None), (1, 8), (2, 16)]
    assert checkpoint.last_model_path == str(tmp_path / "b" / "last.ckpt")
    assert torch.load(checkpoint.last_model_path, weights_only=True)["global_step"] == trainer.global_step == 24
    assert sorted(p.name for p in (tmp_path / "b").iterdir()) == ["last.ckpt"]  # no leftover temporary file


def test_keep_last_writes_within_an_epoch_under_manual_optimization(tmp_path):
    # ModelCheckpoint's train_time_interval is not looked at under manual optimization; every_minutes is.
    seen = SeenLast(tmp_path / "c")
    checkpoint = ModelCheckpoint(dirpath=tmp_path / "c", save_last=True, save_top_k=0)
    _fit(tmp_path, [checkpoint, KeepLastCheckpoint(every_minutes=1e-9), seen], epochs=1)
    assert seen.at_batch == [(0, None), (2, 2), (4, 4), (6, 6)]  # written after every batch (2 optimizer steps)


def test_checkpoint_writes_are_atomic(tmp_path):
    target = tmp_path / "last.ckpt"
    torch.save({"epoch": 3}, target)

    class CutShort(TorchCheckpointIO):  # a write that dies halfway (a kill, a full disk)
        def save_checkpoint(self, checkpoint, path, storage_options=None):
            Path(path).write_bytes(b"PK\x03\x04 half of a zip")
            raise OSError("killed mid-write")

    with pytest.raises(OSError, match="killed mid-write"):
        CheckedCheckpointIO(CutShort()).save_checkpoint({"epoch": 4}, target)
    assert torch.load(target, weights_only=True) == {"epoch": 3}  # the previous checkpoint is whole
    assert sorted(tmp_path.iterdir()) == [target]
    CheckedCheckpointIO(TorchCheckpointIO()).save_checkpoint({"epoch": 4}, target)
    assert torch.load(target, weights_only=True) == {"epoch": 4} and sorted(tmp_path.iterdir()) == [target]


# ------------------------------------------------------------------------------------------ SIGKILL, then resume
EPOCHS, BATCHES = 12, 20  # 20 batches of 8 digits per epoch: about half a second each on a busy 2-core CPU
RUN = Path("outputs/dcgan_digits")


def _command(*extra):
    return [
        sys.executable,
        "-m",
        "lightning_gans.cli",
        "fit",
        "--config",
        "dcgan_digits",
        f"--trainer.max_epochs={EPOCHS}",
        f"--trainer.limit_train_batches={BATCHES}",
        "--trainer.log_every_n_steps=1",
        "--trainer.enable_progress_bar=false",
        "--trainer.enable_model_summary=false",
        "--data.init_args.batch_size=8",
        "--model.init_args.networks.base_width=4",
        *extra,
    ]


def _epochs_logged(run: Path) -> set[int]:
    with open(run / "metrics.csv", newline="") as f:
        return {int(float(row["epoch"])) for row in csv.DictReader(f) if row.get("epoch")}


def _saved_epoch(path: Path) -> int | None:
    try:
        return torch.load(path, map_location="cpu", weights_only=True)["epoch"]
    except (FileNotFoundError, RuntimeError, EOFError):
        return None


def test_sigkilled_fit_resumes_with_ckpt_path_last_losing_at_most_one_epoch(tmp_path, monkeypatch, capsys):
    from lightning_gans.callbacks.digits_quality import digits_classifier

    monkeypatch.chdir(tmp_path)
    digits_classifier(RUN / "digits_classifier.pt", epochs=1)  # the recipe's end-of-fit number, made cheaply once
    env = {**os.environ, "OMP_NUM_THREADS": "1", "PYTHONPATH": str(Path(__file__).resolve().parents[1])}
    for name in ("MASTER_ADDR", "MASTER_PORT", "WORLD_SIZE", "LOCAL_RANK", "NODE_RANK", "RANK"):
        env.pop(name, None)
    last = RUN / "version_0" / "checkpoints" / "last.ckpt"
    log = tmp_path / "killed.log"
    with open(log, "w") as out:
        killed = subprocess.Popen(_command(), env=env, stdout=out, stderr=subprocess.STDOUT)
    try:
        deadline = time.monotonic() + 240
        while (_saved_epoch(last) or 0) < 1:  # the checkpoint of at least one finished epoch (two, here)
            assert killed.poll() is None, f"the run ended before it could be killed:\n{log.read_text()[-3000:]}"
            assert time.monotonic() < deadline, "no last.ckpt after 240 s"
            time.sleep(0.05)
        assert _saved_epoch(last) < EPOCHS, "the only last.ckpt is the end's: nothing was saved while training"
        time.sleep(0.25)  # into the next epoch
        killed.send_signal(signal.SIGKILL)
        killed.wait(timeout=60)
    finally:
        if killed.poll() is None:
            killed.kill()
    assert killed.returncode == -signal.SIGKILL

    assert checkpoint_file_problem(last) is None  # whole, whatever the moment of the kill
    logged = _epochs_logged(RUN / "version_0")  # the killed run's metrics survive, up to the epoch it was in
    in_progress = max(logged)
    resumed_from = _saved_epoch(last) + 1  # a checkpoint written at the end of epoch e resumes at epoch e + 1
    assert logged == set(range(in_progress + 1))
    assert resumed_from >= in_progress, f"epoch {in_progress} was running, the checkpoint resumes at {resumed_from}"

    done = subprocess.run(_command("--ckpt_path", "last"), env=env, capture_output=True, text=True, timeout=600)
    assert done.returncode == 0, done.stderr[-3000:]
    assert f"--ckpt_path last: resuming from {last}" in done.stdout
    final = torch.load(RUN / "version_1" / "checkpoints" / "last.ckpt", weights_only=True)
    assert final["epoch"] == EPOCHS and final["lightning_gans"]["generator_steps"] == EPOCHS * BATCHES
    assert min(_epochs_logged(RUN / "version_1")) == resumed_from
    assert (RUN / "version_1" / "quality.json").is_file()
    with capsys.disabled():  # the numbers for the record (pytest -s shows them anyway)
        print(
            f"\nSIGKILL during epoch {in_progress} ({in_progress} of {EPOCHS} epochs done); "
            f"resumed at epoch {resumed_from}"
        )
