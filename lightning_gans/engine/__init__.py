"""The engine's internals: what :class:`~lightning_gans.gan.GAN` is built from, not what a user imports.

- :mod:`~lightning_gans.engine.batches`: the checks and splitting of a training batch (samples, labels, packing).
- :mod:`~lightning_gans.engine.guard`: the divergence guard (non-finite losses and gradients: raise or skip).
- :mod:`~lightning_gans.engine.ema`: the generator's exponential moving average.
- :mod:`~lightning_gans.engine.rng`: the engine's per-step noise seeds and the global RNG state in checkpoints.

The public names among them are re-exported where users look for them (``lightning_gans.GANDivergenceError``).
"""
