"""The engine and the bare loop, timed in one process, batch by batch.

One ``Trainer.fit`` of the library's variant runs ``warmup + steps`` batches and, after each engine batch, a callback
runs one batch of the :class:`~benchmarks.throughput.bare.BareLoop` (its own nets, optimizers and data iterator).
Engine time per batch: from the end of the previous bare batch to the end of this ``training_step`` (Lightning's
loop, data fetching, hooks, logging, the step); bare time: the bare batch (fetch and step) right after. Alternating
at every batch means both sides see the same state of a busy shared machine, which separate runs do not. The first
``warmup`` batches are not timed; the Trainer's one-time setup is reported separately.
"""

from __future__ import annotations

import time

import lightning
import torch
from lightning import Callback, Trainer

from benchmarks.throughput.bare import BareLoop, sync
from benchmarks.throughput.cases import Case, case_loader, case_networks
from lightning_gans import DCGAN, GAN, WGANGP, VanillaGAN


class PairedClock(Callback):
    """After each engine batch, run one bare batch; clock both (wall and CPU) from the end of batch ``warmup - 1``.

    Engine time of batch ``i``: from the end of the bare batch after batch ``i - 1`` to the end of ``training_step``
    ``i``, i.e. the loop, data fetching, hooks and the step. Bare time: the bare batch (fetch and step) right after.
    """

    def __init__(self, bare: BareLoop, warmup: int) -> None:
        self.bare, self.warmup = bare, warmup
        self.engine, self.bare_times = [], []  # (wall, cpu) per timed batch
        self.mark: tuple[float, float] | None = None

    def _now(self) -> tuple[float, float]:
        sync(self.bare.device)
        return time.perf_counter(), time.process_time()

    def on_train_batch_end(
        self, trainer: Trainer, pl_module: lightning.LightningModule, outputs, batch, batch_idx: int
    ) -> None:
        engine_end = self._now()
        self.bare.step()
        bare_end = self._now()
        if batch_idx >= self.warmup:
            self.engine.append((engine_end[0] - self.mark[0], engine_end[1] - self.mark[1]))
            self.bare_times.append((bare_end[0] - engine_end[0], bare_end[1] - engine_end[1]))
        self.mark = bare_end


def build_engine(case: Case, seed: int = 0) -> lightning.LightningModule:
    """The library's variant wrapped around the same networks, with the same optimizer settings.

    >>> from benchmarks.throughput.cases import CASES
    >>> build_engine(CASES["mlp_b256"]).optimization.lr_d
    0.0002
    """
    generator, discriminator = case_networks(case, seed)
    variant = {"dcgan": DCGAN, "wgangp": WGANGP, "mlp": VanillaGAN}[case.variant]
    paper = variant.defaults()  # the variant's options
    model = GAN(
        generator,
        discriminator,
        latent_dim=case.latent_dim,
        loss=paper["loss"],
        optimization=paper["optimization"],
        regularization=paper["regularization"],
        noise_seed=seed,
    )
    opt = model.optimization  # the variants' defaults are the benchmark's settings; fail loudly if they ever drift
    assert (opt.lr_d, tuple(opt.betas_d), opt.n_critic) == (case.adam["lr"], case.adam["betas"], case.n_critic), opt
    return model


def trainer(batches: int, device: torch.device, callbacks: list[Callback]) -> Trainer:
    """A one-epoch ``Trainer`` of ``batches`` batches: no logger, checkpoint, progress bar or summary."""
    return Trainer(
        accelerator=device.type,
        devices=1,
        max_epochs=1,
        limit_train_batches=batches,
        logger=False,
        enable_checkpointing=False,
        enable_progress_bar=False,
        enable_model_summary=False,
        callbacks=callbacks,
    )


def run_paired(case: Case, warmup: int, steps: int, device: torch.device, seed: int = 0) -> dict[str, float]:
    """``Trainer.fit`` for ``warmup + steps`` batches, a bare batch after each; seconds of the last ``steps`` of each.

    Returns wall and CPU seconds of each side (``engine_s``, ``engine_cpu_s``, ``bare_s``, ``bare_cpu_s``) and the
    Trainer's one-time set-up (``setup_s``: the whole fit less the batches at the timed rate).
    """
    model, bare = build_engine(case, seed), BareLoop(case, warmup + steps, device, seed)
    paired = PairedClock(bare, warmup)
    began = time.perf_counter()
    trainer(warmup + steps, device, [paired]).fit(model, train_dataloaders=case_loader(case, warmup + steps, seed))
    total = time.perf_counter() - began
    assert model.discriminator_steps == bare.index == warmup + steps, (model.discriminator_steps, bare.index)
    (engine_s, engine_cpu), (bare_s, bare_cpu) = (map(sum, zip(*times)) for times in (paired.engine, paired.bare_times))
    per_batch = (engine_s + bare_s) / steps
    return {
        "engine_s": engine_s,
        "engine_cpu_s": engine_cpu,
        "bare_s": bare_s,
        "bare_cpu_s": bare_cpu,
        "setup_s": total - per_batch * (warmup + steps),
    }


def run_alone(case: Case, impl: str, warmup: int, steps: int, device: torch.device, seed: int = 0) -> None:
    """One side alone (for the memory probe): the bare loop or ``Trainer.fit``, ``warmup + steps`` batches."""
    if impl == "bare":
        bare = BareLoop(case, warmup + steps, device, seed)
        for _ in range(warmup + steps):
            bare.step()
    else:
        trainer(warmup + steps, device, []).fit(build_engine(case, seed), case_loader(case, warmup + steps, seed))
