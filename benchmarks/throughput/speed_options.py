"""The measured effect of the engine's opt-in speed options, ``compile`` and ``channels_last``, in one process.

Each case trains the same model with the option off and on (same seed, same data), alternating ``--repeats`` times;
the first ``--warmup`` batches (compilation included) are not timed. Prints seconds per timed batch and the ratio.

    python -m benchmarks.throughput.speed_options --threads 1
"""

from __future__ import annotations

import argparse
import logging
import statistics
import time
import warnings

import lightning as L
import torch
from torch.utils.data import DataLoader, TensorDataset

from lightning_gans import DCGAN, NetworkOptions, VanillaGAN


class Clock(L.Callback):
    def __init__(self, warmup: int) -> None:
        self.warmup, self.began = warmup, None

    def on_train_batch_start(self, trainer, pl_module, batch, batch_idx):
        if batch_idx == self.warmup:
            self.began = time.perf_counter()


def seconds_per_batch(make_model, data, warmup: int, batches: int) -> float:
    L.seed_everything(0, verbose=False)
    clock = Clock(warmup)
    trainer = L.Trainer(
        accelerator="cpu",
        max_epochs=1,
        limit_train_batches=warmup + batches,
        logger=False,
        enable_checkpointing=False,
        enable_progress_bar=False,
        enable_model_summary=False,
        callbacks=[clock],
    )
    trainer.fit(make_model(), data)
    return (time.perf_counter() - clock.began) / batches


CASES = {
    "compile, 2-D grid MLP (hidden 128), batch 256": (
        lambda flag: VanillaGAN(data_dim=2, latent_dim=2, networks=NetworkOptions(hidden_dim=128), compile=flag),
        lambda n: DataLoader(TensorDataset(torch.randn(n * 256, 2)), batch_size=256),
        30,
        300,
    ),
    "channels_last, DCGAN 32 px, batch 64": (
        lambda flag: DCGAN(image_size=32, channels=3, channels_last=flag),
        lambda n: DataLoader(TensorDataset(torch.rand(n * 64, 3, 32, 32) * 2 - 1), batch_size=64),
        2,
        6,
    ),
}


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--threads", type=int, default=1)
    parser.add_argument("--repeats", type=int, default=2)
    args = parser.parse_args()
    torch.set_num_threads(args.threads)
    warnings.filterwarnings("ignore")
    logging.getLogger("lightning.pytorch").setLevel(logging.WARNING)
    print("| option, model | off s/batch | on s/batch | on / off |\n|---|---:|---:|---:|")
    for name, (make, data, warmup, batches) in CASES.items():
        times = {False: [], True: []}
        for _ in range(args.repeats):
            for flag in (False, True):
                times[flag].append(
                    seconds_per_batch(lambda f=flag, m=make: m(f), data(warmup + batches), warmup, batches)
                )
        off, on = statistics.median(times[False]), statistics.median(times[True])
        print(f"| {name} | {off:.4f} | {on:.4f} | {on / off:.3f} |", flush=True)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
