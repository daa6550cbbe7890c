"""Real DDP: two CPU processes (gloo), a variant with a gradient penalty, identical weights on both ranks; plain DDP
(what ``Trainer(devices=2)`` picks) set up for a GAN by the engine."""

import lightning as L
import pytest
import torch
from lightning.pytorch.callbacks import Callback
from torch.utils.data import DataLoader, TensorDataset

from lightning_gans import DCGAN, WGANGP, NetworkOptions, Optimization, VanillaGAN, gan_ddp_strategy

H16 = NetworkOptions(hidden_dim=16)


class SaveRankWeights(Callback):
    """Each rank writes its final weights (only rank 0's come back from a forked fit)."""

    def __init__(self, folder):
        self.folder = folder

    def on_train_end(self, trainer, pl_module):
        torch.save(
            {k: v.detach().clone() for k, v in pl_module.state_dict().items()},
            self.folder / f"rank{trainer.global_rank}.pt",
        )


def test_ddp_two_processes_keep_identical_weights(tmp_path):
    L.seed_everything(0)
    model = WGANGP(data_dim=2, networks=H16, ema_decay=0.9, noise_seed=0)
    data = DataLoader(TensorDataset(torch.randn(256, 2)), batch_size=16)
    trainer = L.Trainer(
        accelerator="cpu",
        devices=2,
        strategy=gan_ddp_strategy("fork"),
        max_steps=12,
        logger=False,
        enable_checkpointing=False,
        enable_progress_bar=False,
        enable_model_summary=False,
        callbacks=[SaveRankWeights(tmp_path)],
    )
    trainer.fit(model, data)
    rank0, rank1 = torch.load(tmp_path / "rank0.pt"), torch.load(tmp_path / "rank1.pt")
    assert rank0.keys() == rank1.keys()
    for key in rank0:
        assert torch.equal(rank0[key], rank1[key]), key
    # Both networks trained: the critic and the generator moved away from their initial weights.
    initial = WGANGP(data_dim=2, networks=H16, noise_seed=0)
    assert not torch.equal(rank0["discriminator.head.weight"], initial.discriminator.head.weight)
    assert rank0["ema_generator.n_averaged"] == 2  # 12 optimizer steps = 2 x (5 D + 1 G), as on one process


def test_ddp_simultaneous_updates_keep_identical_weights(tmp_path):
    # One forward pass, two restricted backwards (D's keeps the graph), two steps: DDP must reduce both gradients.
    L.seed_everything(0)
    model = VanillaGAN(data_dim=2, networks=H16, optimization=Optimization(update="simultaneous"), ema_decay=0.9)
    trainer = L.Trainer(
        accelerator="cpu",
        devices=2,
        strategy=gan_ddp_strategy("fork"),
        max_steps=8,
        logger=False,
        enable_checkpointing=False,
        enable_progress_bar=False,
        enable_model_summary=False,
        callbacks=[SaveRankWeights(tmp_path)],
    )
    trainer.fit(model, DataLoader(TensorDataset(torch.randn(256, 2)), batch_size=16))
    rank0, rank1 = torch.load(tmp_path / "rank0.pt"), torch.load(tmp_path / "rank1.pt")
    for key in rank0:
        assert torch.equal(rank0[key], rank1[key]), key
    assert rank0["ema_generator.n_averaged"] == 4  # 8 optimizer steps = 4 x (1 D + 1 G)


@pytest.mark.parametrize("strategy", ["ddp_fork", "plain"])
def test_plain_ddp_as_trainer_devices_picks_it_is_set_up_for_a_gan_and_trains(tmp_path, strategy):
    # Trainer(devices=2) picks Lightning's DDP without find_unused_parameters, which raises at a GAN's first step
    # (each phase leaves one network without gradients): the engine sets it up before DDP wraps the module.
    L.seed_everything(0)
    model = WGANGP(data_dim=2, networks=H16, noise_seed=0)
    trainer = L.Trainer(
        accelerator="cpu",
        devices=2,
        strategy=L.pytorch.strategies.DDPStrategy(start_method="fork") if strategy == "plain" else strategy,
        max_steps=12,
        logger=False,
        enable_checkpointing=False,
        enable_progress_bar=False,
        enable_model_summary=False,
        callbacks=[SaveRankWeights(tmp_path)],
    )
    trainer.fit(model, DataLoader(TensorDataset(torch.randn(256, 2)), batch_size=16))
    assert trainer.state.finished
    rank0, rank1 = torch.load(tmp_path / "rank0.pt"), torch.load(tmp_path / "rank1.pt")
    for key in rank0:
        assert torch.equal(rank0[key], rank1[key]), key
    initial = WGANGP(data_dim=2, networks=H16, noise_seed=0)
    assert not torch.equal(rank0["generator.net.0.weight"], initial.generator.net[0].weight)


def test_ddp_ranks_hold_identical_batchnorm_statistics(tmp_path):
    # DCGAN nets have BatchNorm in G and D; each rank sees its own half of the data, so without the engine's
    # broadcast each rank's running statistics would follow its own batches.
    L.seed_everything(0)
    model = DCGAN(image_size=28, networks=NetworkOptions("dcgan", base_width=4), ema_decay=0.9, noise_seed=0)
    images = torch.rand(64, 1, 28, 28) * 2 - 1
    images[32:] = images[32:] * 0.1 + 0.5  # the second rank's half differs: its batch statistics differ
    trainer = L.Trainer(
        accelerator="cpu",
        devices=2,
        strategy=gan_ddp_strategy("fork"),
        max_steps=6,
        logger=False,
        enable_checkpointing=False,
        enable_progress_bar=False,
        enable_model_summary=False,
        callbacks=[SaveRankWeights(tmp_path)],
        use_distributed_sampler=False,  # rank r reads samples r, r + 2, ...: two different halves below
    )
    data = DataLoader(_RankHalves(images), batch_size=8)
    trainer.fit(model, data)
    rank0, rank1 = torch.load(tmp_path / "rank0.pt"), torch.load(tmp_path / "rank1.pt")
    buffers = [k for k in rank0 if "running_mean" in k or "running_var" in k or "num_batches_tracked" in k]
    assert any(k.startswith("generator.") for k in buffers) and any(k.startswith("discriminator.") for k in buffers)
    assert any(k.startswith("ema_generator.") for k in buffers)
    for key in rank0:  # the full state dict, buffers included, bit for bit
        assert torch.equal(rank0[key], rank1[key]), key


class _RankHalves(torch.utils.data.Dataset):
    """Rank 0 reads the first half of the images, rank 1 the second."""

    def __init__(self, images):
        self.images = images

    def __len__(self):
        return len(self.images) // 2

    def __getitem__(self, index):
        rank = torch.distributed.get_rank() if torch.distributed.is_initialized() else 0
        return (self.images[rank * len(self) + index],)


def test_keep_last_checkpoint_writes_within_epochs_under_ddp(tmp_path):
    # The ranks agree on the clock (a collective every 16th batch) and all take part in the write: no hang.
    from lightning.pytorch.callbacks import ModelCheckpoint

    from lightning_gans.callbacks.last_checkpoint import KeepLastCheckpoint

    class Writes(Callback):  # rank 0 notes the step last.ckpt holds when batches 1 and 17 start
        def on_train_batch_start(self, trainer, pl_module, batch, batch_idx):
            path = tmp_path / "ckpt" / "last.ckpt"
            if trainer.is_global_zero and batch_idx in (1, 17):
                with open(tmp_path / "seen.txt", "a") as seen:
                    seen.write(f"{torch.load(path, weights_only=True)['global_step']}\n")

    trainer = L.Trainer(
        accelerator="cpu",
        devices=2,
        strategy="ddp_fork",
        max_epochs=1,
        logger=False,
        enable_progress_bar=False,
        enable_model_summary=False,
        callbacks=[
            ModelCheckpoint(dirpath=tmp_path / "ckpt", save_last=True, save_top_k=0),
            KeepLastCheckpoint(every_minutes=1e-9),
            Writes(),
        ],
    )
    trainer.fit(VanillaGAN(data_dim=2, networks=H16), DataLoader(TensorDataset(torch.randn(640, 2)), batch_size=16))
    assert trainer.state.finished
    # Written after batches 0 and 16 (2 optimizer steps each), where the ranks looked at the clock together.
    assert (tmp_path / "seen.txt").read_text().split() == ["2", "34"]
    assert torch.load(tmp_path / "ckpt" / "last.ckpt", weights_only=True)["global_step"] == 40  # 20 batches per rank
