"""The engine's internals: what :class:`~lightning_gans.gan.GAN` is built from, not what a user imports.

- :mod:`~lightning_gans.engine.batches`: the checks of a training batch (dtype, range, labels, packing, shapes).
- :mod:`~lightning_gans.engine.guard`: the divergence guard (non-finite losses and gradients: raise or skip).
- :mod:`~lightning_gans.engine.ema`: the generator's exponential moving average.
- :mod:`~lightning_gans.engine.rng`: the engine's per-step noise seeds and the global RNG state in checkpoints.
- :mod:`~lightning_gans.engine.strategies`: DDP set up for a GAN (``find_unused_parameters``, no SyncBatchNorm).
- :mod:`~lightning_gans.engine.checkpoints`: checkpoint files (which class wrote them, atomic writes, ``last``).
- :mod:`~lightning_gans.engine.checkpointed`: what a checkpoint holds beside the weights; restoring it on resume.
- :mod:`~lightning_gans.engine.resume`: a resumed fit's settings against the checkpoint's (apply, or refuse).

The public names among them are re-exported where users look for them (``lightning_gans.GANDivergenceError``,
``lightning_gans.gan_ddp_strategy``).
"""
