"""What the engine keeps in a checkpoint beside the weights, and how a resumed fit restores it.

:class:`CheckpointedRun` is a mixin of :class:`~lightning_gans.gan.GAN`: its counters (generator and discriminator
steps, images seen, skipped updates) and the global RNG state (data order) go into ``checkpoint["lightning_gans"]``
with the class that wrote it; loading refuses another variant's checkpoint, and a resumed fit checks that the
settings it was given agree with the checkpoint's (:mod:`lightning_gans.engine.resume`).
"""

from __future__ import annotations

from typing import Any

from lightning.pytorch.utilities import rank_zero_info

from lightning_gans.engine import checkpoints
from lightning_gans.engine.resume import ResumeSettingsError, check_resume_settings
from lightning_gans.engine.rng import global_rng_state, restore_global_rng


class CheckpointedRun:
    """The checkpoint hooks of :class:`~lightning_gans.gan.GAN` (needs its counters, ``guard``, ``hparams``,
    ``noise_seed_given`` and ``check_divergence``)."""

    @classmethod
    def load_from_checkpoint(
        cls,
        checkpoint_path: Any,
        map_location: Any = None,
        hparams_file: Any = None,
        strict: bool | None = None,
        weights_only: bool | None = None,
        **kwargs: Any,  # LightningModule's signature: hyperparameters that override the saved ones
    ) -> Any:
        """``LightningModule.load_from_checkpoint``, with clear errors for a broken file or a checkpoint of another
        variant (see :mod:`lightning_gans.engine.checkpoints`)."""
        try:
            return super().load_from_checkpoint(
                checkpoint_path, map_location, hparams_file, strict, weights_only=weights_only, **kwargs
            )
        except Exception as err:
            clearer = checkpoints.explain_load_failure(cls, checkpoint_path, err)
            if clearer is None:
                raise
            raise clearer from err

    def on_save_checkpoint(self, checkpoint: dict[str, Any]) -> None:
        if self._trainer is not None and self.trainer.training:
            self.check_divergence()  # never write diverged weights: raises before the file exists
        checkpoint["lightning_gans"] = {
            **checkpoints.class_record(self),  # loading as another variant is refused (check_checkpoint_class)
            "generator_steps": self.generator_steps,
            "discriminator_steps": self.discriminator_steps,
            "images_seen": self.images_seen,
            "skipped_steps": self.guard.skipped_steps,
            "global_rng": global_rng_state(),
        }

    def on_load_checkpoint(self, checkpoint: dict[str, Any]) -> None:
        checkpoints.check_checkpoint_class(type(self), checkpoint)
        resuming = self._trainer is not None and self.trainer.state.fn == "fit"
        if resuming:
            # Resuming with other settings: new rates and betas go into the optimizer state about to be restored
            # (else the checkpoint's would win, unseen); a setting that defines the run raises, naming each one.
            applied = check_resume_settings(checkpoint, self.hparams)
            if applied:
                rank_zero_info(applied)
        state = checkpoint.get("lightning_gans", {})
        self.generator_steps = state.get("generator_steps", 0)
        self.discriminator_steps = state.get("discriminator_steps", 0)
        self.images_seen = state.get("images_seen", 0)
        self.guard.skipped_steps = state.get("skipped_steps", 0)
        saved_seed = checkpoint.get("hyper_parameters", {}).get("noise_seed")
        if saved_seed is not None:  # the run's noise, not this process's draw
            if resuming and self.noise_seed_given and self.hparams.noise_seed != saved_seed:
                raise ResumeSettingsError(
                    f"noise_seed={self.hparams.noise_seed} differs from the checkpoint's noise_seed={saved_seed}: a "
                    "resumed run continues the checkpoint's noise; drop noise_seed to resume, or start a new run "
                    "(without ckpt_path) for another seed"
                )
            self.hparams.noise_seed = saved_seed
        if self._trainer is not None and "global_rng" in state:
            # Resuming a fit: data order continues as in the uninterrupted run. Plain loading leaves the RNG alone.
            restore_global_rng(state["global_rng"])
