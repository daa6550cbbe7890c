"""The engine: one LightningModule that trains any GAN by alternating discriminator and generator updates.

Every variant in :mod:`lightning_gans.variants` is this class with other defaults; ``GAN.training_step`` is the only
place where the generator (G) and the discriminator (D) are updated.

What one ``training_step`` does (manual optimization, one real batch per call):

1. one D update on that batch;
2. every ``n_critic``-th call, one G update as well.

``trainer.global_step`` counts *every* optimizer step, so ``Trainer(max_steps=N)`` means N optimizer steps of D and
G together: with ``n_critic=5``, ``max_steps=600`` gives 500 D steps and 100 G steps. The engine's own counters
``generator_steps``, ``discriminator_steps`` and ``images_seen`` (real images through D, all ranks) are checkpointed
and drive schedules, EMA and lazy regularization.
"""

from __future__ import annotations

from typing import Any, ClassVar

import torch
from lightning import LightningModule
from torch import Tensor, nn
from torch.optim.swa_utils import AveragedModel, get_ema_multi_avg_fn

from lightning_gans.augment import DiffAugment
from lightning_gans.guard import DivergenceGuard
from lightning_gans.hparams import resolve_hparams
from lightning_gans.losses import get_loss
from lightning_gans.nets.factory import build_networks
from lightning_gans.noise import add_instance_noise, instance_noise_std
from lightning_gans.regularizers import gradient_penalty, r1_penalty
from lightning_gans.rng import global_rng_state, restore_global_rng, step_seed
from lightning_gans.sampling import check_num_samples
from lightning_gans.strategies import check_strategy


class GAN(LightningModule):
    """A GAN trained with alternating D / G updates; the vanilla GAN with the non-saturating loss by default.

    Give either your own ``generator`` and ``discriminator`` or the data shape (``data_dim`` for vectors,
    ``image_size`` + ``channels`` for images) and a default architecture is built. Arguments left at ``None`` take
    the defaults of the class (``GAN.DEFAULTS``, overridden by each variant with its paper's values).

    Args:
        generator: ``G(z)`` or ``G(z, labels)`` mapping ``(N, latent_dim)`` noise to samples.
        discriminator: ``D(x)`` or ``D(x, labels)`` returning logits ``(N,)`` (``(N // pack,)`` when packing).
        latent_dim: size of ``z ~ N(0, I)``.
        data_dim / image_size / channels: data shape for the default networks.
        num_classes: makes the model conditional; batches must then be ``(x, labels)``.
        architecture: ``"auto"``, ``"mlp"``, ``"dcgan"`` or ``"resnet"`` (default networks only).
        base_width / hidden_dim / num_layers: width of the default conv nets / width and depth of the MLPs.
        d_norm: normalisation in the default conv discriminator (``"batch"``, ``"layer"``, ``"instance"``, ``"none"``).
        minibatch_stddev / spectral_norm / pack: anti-collapse options of the default discriminator.
        loss: ``"non_saturating"``, ``"minimax"``, ``"least_squares"``, ``"wasserstein"``, ``"hinge"``.
        n_critic: D updates per G update (each on its own real batch).
        optimizer: ``"adam"`` or ``"rmsprop"``; lr_g / lr_d / betas_g / betas_d: separate settings (TTUR).
        gp_weight: λ of the WGAN-GP gradient penalty (0 = off); r1_weight / r1_interval: γ of R1 and its lazy interval.
        weight_clip: clip D's weights to ``[-c, c]`` after each step (original WGAN).
        grad_clip_norm: clip each network's gradient norm (after AMP unscaling).
        ema_decay: keep an exponential moving average of G (used by :meth:`sample`); ``None`` = off.
        label_smoothing: one-sided: real targets become ``1 - label_smoothing``.
        instance_noise / instance_noise_steps: Gaussian noise std on D's inputs, annealed to 0 over that many G steps.
        augment: DiffAugment policy applied to real and fake D inputs, e.g. ``"color,translation,cutout"``.
        lr_decay / lr_decay_steps: ``"linear"`` or ``"cosine"`` decay of both learning rates over G steps.
        on_nonfinite: ``"raise"`` stops with a :class:`~lightning_gans.guard.GANDivergenceError`, ``"skip"`` skips the step.
        noise_seed: seed of the noise the engine draws (latents, penalties, augmentation); drawn from the global RNG if None.

    >>> model = GAN(data_dim=2, latent_dim=8, hidden_dim=32)
    >>> model.sample(5).shape
    torch.Size([5, 2])
    """

    DEFAULTS: ClassVar[dict[str, Any]] = dict(
        latent_dim=64,
        architecture="auto",
        base_width=64,
        hidden_dim=128,
        num_layers=3,
        d_norm="batch",
        minibatch_stddev=False,
        spectral_norm=False,
        pack=1,
        loss="non_saturating",
        n_critic=1,
        optimizer="adam",
        lr_g=2e-4,
        lr_d=2e-4,
        betas_g=(0.5, 0.999),
        betas_d=(0.5, 0.999),
        gp_weight=0.0,
        weight_clip=None,
        ema_decay=None,
    )
    REQUIRES_NUM_CLASSES: ClassVar[bool] = False  # conditional variants set it: batches carry labels

    def __init_subclass__(cls) -> None:
        # A DEFAULTS key only works for an argument whose signature default is None ("take the class default").
        super().__init_subclass__()
        unusable = sorted(set(cls.DEFAULTS) - set(GAN.DEFAULTS))
        if unusable:
            raise TypeError(
                f"{cls.__name__}.DEFAULTS sets {unusable}, which are not among GAN's overridable defaults {sorted(GAN.DEFAULTS)}"
            )

    def __init__(
        self,
        generator: nn.Module | None = None,
        discriminator: nn.Module | None = None,
        latent_dim: int | None = None,
        data_dim: int | None = None,
        image_size: int | None = None,
        channels: int = 1,
        num_classes: int | None = None,
        architecture: str | None = None,
        base_width: int | None = None,
        hidden_dim: int | None = None,
        num_layers: int | None = None,
        d_norm: str | None = None,
        minibatch_stddev: bool | None = None,
        spectral_norm: bool | None = None,
        pack: int | None = None,
        loss: str | None = None,
        n_critic: int | None = None,
        optimizer: str | None = None,
        lr_g: float | None = None,
        lr_d: float | None = None,
        betas_g: tuple[float, float] | None = None,
        betas_d: tuple[float, float] | None = None,
        gp_weight: float | None = None,
        r1_weight: float = 0.0,
        r1_interval: int = 1,
        weight_clip: float | None = None,
        grad_clip_norm: float | None = None,
        ema_decay: float | None = None,
        label_smoothing: float = 0.0,
        instance_noise: float = 0.0,
        instance_noise_steps: int = 0,
        augment: str | None = None,
        lr_decay: str | None = None,
        lr_decay_steps: int | None = None,
        on_nonfinite: str = "raise",
        noise_seed: int | None = None,
    ) -> None:
        super().__init__()
        if self.REQUIRES_NUM_CLASSES and num_classes is None:
            raise ValueError(f"{type(self).__name__} needs num_classes (the number of classes in the data), got None")
        self.save_hyperparameters(ignore=["generator", "discriminator"])
        hp = resolve_hparams(type(self), self.hparams, custom_networks=generator is not None)
        self.hparams.update(hp)  # checkpoints hold the resolved values, so loading never depends on class defaults
        if (generator is None) != (discriminator is None):
            raise ValueError("pass both generator and discriminator, or neither (to build the default networks)")
        if generator is None:
            generator, discriminator = build_networks(
                hp["architecture"],
                hp["latent_dim"],
                data_dim,
                image_size,
                channels,
                num_classes,
                hp["base_width"],
                hp["hidden_dim"],
                hp["num_layers"],
                hp["d_norm"],
                hp["pack"],
                hp["minibatch_stddev"],
                hp["spectral_norm"],
            )
        for name, module in (("generator", generator), ("discriminator", discriminator)):
            if not isinstance(module, nn.Module):
                raise TypeError(f"{name} must be an nn.Module, got {type(module).__name__}")
        self.generator, self.discriminator = generator, discriminator
        self.latent_dim, self.num_classes = hp["latent_dim"], num_classes
        self.adversarial_loss = get_loss(hp["loss"])
        self.augment = DiffAugment(augment) if augment else None
        self.ema_generator = None
        if hp["ema_decay"]:
            self.ema_generator = AveragedModel(
                generator, multi_avg_fn=get_ema_multi_avg_fn(hp["ema_decay"]), use_buffers=True
            )
            self.ema_generator.requires_grad_(False)  # never trained; DDP must not wait for its gradients
        self.guard = DivergenceGuard(on_nonfinite)
        self.automatic_optimization = False
        self.generator_steps = self.discriminator_steps = self.images_seen = 0
        self._noise: torch.Generator | None = None
        self._pending_fake: tuple[Tensor, Tensor | None] | None = None

    # ----------------------------------------------------------------------------------------------- sampling
    @property
    def sampling_generator(self) -> nn.Module:
        """The network used for sampling: the EMA generator when enabled, else the trained one."""
        return self.generator if self.ema_generator is None else self.ema_generator.module

    def forward(self, z: Tensor, labels: Tensor | None = None) -> Tensor:
        """Apply the sampling network (EMA if enabled) to latent codes ``z`` of shape ``(N, latent_dim)``."""
        return self._generate(self.sampling_generator, z, labels)

    @torch.no_grad()
    def sample(self, n: int, labels: Tensor | None = None) -> Tensor:
        """Draw ``n`` samples with the sampling network in eval mode (global RNG; see ``sampling.sample_from``).

        For a conditional model, ``labels`` (``(n,)`` ints in ``[0, num_classes)``) pick the classes; without them
        the classes cycle ``0, 1, ..., num_classes - 1, 0, ...``.
        """
        check_num_samples(n)
        if self.num_classes is not None and labels is None:
            labels = torch.arange(n, device=self.device) % self.num_classes
        network = self.sampling_generator
        was_training = network.training
        network.eval()
        try:
            z = torch.randn(n, self.latent_dim, device=self.device)
            return self._generate(network, z, None if labels is None else labels.to(self.device))
        finally:
            network.train(was_training)

    def _generate(self, network: nn.Module, z: Tensor, labels: Tensor | None) -> Tensor:
        if self.num_classes is None:
            if labels is not None:
                raise ValueError("labels were given but this model is unconditional (num_classes is None)")
            return network(z)
        if labels is None:
            raise ValueError(f"this model is conditional (num_classes={self.num_classes}): labels are required")
        if labels.dtype in (torch.float16, torch.bfloat16, torch.float32, torch.float64) or labels.shape != (
            z.shape[0],
        ):
            raise ValueError(
                f"labels must be integer class ids of shape ({z.shape[0]},), got {labels.dtype} of shape {tuple(labels.shape)}"
            )
        if labels.numel() and (int(labels.min()) < 0 or int(labels.max()) >= self.num_classes):
            raise ValueError(
                f"labels must lie in [0, {self.num_classes - 1}] (num_classes={self.num_classes}), "
                f"got values in [{int(labels.min())}, {int(labels.max())}]"
            )
        return network(z, labels)

    # ---------------------------------------------------------------------------------------------- training
    def configure_optimizers(self) -> Any:
        hp = self.hparams
        opt_g = self._make_optimizer(self.generator, hp.lr_g, hp.betas_g)
        opt_d = self._make_optimizer(self.discriminator, hp.lr_d, hp.betas_d)
        if hp.lr_decay is None:
            return [opt_g, opt_d]
        return [opt_g, opt_d], [self._make_scheduler(opt_g), self._make_scheduler(opt_d)]

    def _make_optimizer(self, network: nn.Module, lr: float, betas: tuple[float, float]) -> torch.optim.Optimizer:
        if self.hparams.optimizer == "rmsprop":
            return torch.optim.RMSprop(network.parameters(), lr=lr)
        return torch.optim.Adam(network.parameters(), lr=lr, betas=tuple(betas))

    def _make_scheduler(self, optimizer: torch.optim.Optimizer) -> torch.optim.lr_scheduler.LRScheduler:
        steps = self.hparams.lr_decay_steps
        if self.hparams.lr_decay == "linear":
            return torch.optim.lr_scheduler.LinearLR(optimizer, start_factor=1.0, end_factor=0.0, total_iters=steps)
        return torch.optim.lr_scheduler.CosineAnnealingLR(optimizer, T_max=steps)

    def on_fit_start(self) -> None:
        check_strategy(self)
        self._noise = torch.Generator(device=self.device)
        if self.augment is not None:
            self.augment.generator = self._noise

    def training_step(self, batch: Any, batch_idx: int) -> None:
        real, labels = self._unpack_batch(batch)
        if real.shape[0] == 0:
            return
        # Re-seed the engine's noise from (seed, rank, step): latents, penalties and augmentation are then a pure
        # function of the step, so a resumed run draws exactly what the uninterrupted run drew.
        self._noise.manual_seed(step_seed(self.hparams.noise_seed, self.global_rank, self.discriminator_steps))
        opt_g, opt_d = self.optimizers()
        self._discriminator_step(opt_d, real, labels)
        self.images_seen += real.shape[0] * self.trainer.world_size
        if self.discriminator_steps % self.hparams.n_critic == 0:
            self._generator_step(opt_g, real.shape[0], labels)

    def _unpack_batch(self, batch: Any) -> tuple[Tensor, Tensor | None]:
        real, labels = (
            (batch[0], batch[1] if len(batch) > 1 else None) if isinstance(batch, (tuple, list)) else (batch, None)
        )
        if not isinstance(real, Tensor):
            raise TypeError(f"batches must be a tensor or a (samples, labels) pair, got {type(real).__name__}")
        if self.num_classes is not None and labels is None:
            raise ValueError(
                f"{type(self).__name__} is conditional (num_classes={self.num_classes}): batches must be (samples, labels), "
                "but the dataloader yields samples only"
            )
        if self.num_classes is None:
            labels = None  # unconditional models ignore the dataset's labels
        pack = self.hparams.pack
        usable = real.shape[0] - real.shape[0] % pack  # a packed D needs whole groups: drop the remainder
        return real[:usable], None if labels is None else labels[:usable]

    def _noise_latents(self, n: int) -> Tensor:
        return torch.randn(n, self.latent_dim, device=self.device, generator=self._noise)

    def _d_inputs(self, x: Tensor) -> Tensor:
        """What D sees: DiffAugment and annealed instance noise, applied identically to real and fake."""
        if self.augment is not None:
            x = self.augment(x)
        std = instance_noise_std(self.generator_steps, self.hparams.instance_noise, self.hparams.instance_noise_steps)
        return add_instance_noise(x, std, self._noise)

    def _critic(self, x: Tensor, labels: Tensor | None) -> Tensor:
        logits = self.discriminator(x) if labels is None else self.discriminator(x, labels)
        return logits.float().reshape(-1)  # losses and penalties in fp32 whatever the autocast dtype

    def _discriminator_step(self, opt_d: Any, real: Tensor, labels: Tensor | None) -> None:
        hp = self.hparams
        z = self._noise_latents(real.shape[0])
        reuse = hp.n_critic == 1  # this fake feeds the G step too: one G forward per iteration instead of two
        with torch.set_grad_enabled(reuse):
            fake = self._generate(self.generator, z, labels)
        if fake.shape[1:] != real.shape[1:]:
            raise ValueError(
                f"the data have sample shape {tuple(real.shape[1:])} but the generator produces {tuple(fake.shape[1:])}; "
                "match image_size / channels / data_dim to the data (or resize the data)"
            )
        self._pending_fake = (fake, labels) if reuse else None
        with self.toggled_optimizer(opt_d):
            real_in, fake_in = self._d_inputs(real), self._d_inputs(fake.detach())
            real_logits, fake_logits = self._critic(real_in, labels), self._critic(fake_in, labels)
            real_target = 1.0 - hp.label_smoothing
            loss = self.adversarial_loss.d_loss(real_logits, fake_logits, real_target)
            logs = {
                "loss/d": loss.detach(),
                "d/real_logit": real_logits.detach().mean(),
                "d/fake_logit": fake_logits.detach().mean(),
            }
            scale = self._grad_scale()
            if hp.gp_weight:
                gp = gradient_penalty(lambda x: self._critic(x, labels), real_in, fake_in, scale, self._noise)
                loss = loss + hp.gp_weight * gp
                logs["reg/gp"] = gp.detach()
            if hp.r1_weight and self.discriminator_steps % hp.r1_interval == 0:
                r1 = r1_penalty(lambda x: self._critic(x, labels), real_in, scale)
                # γ/2 · R1, times the interval so lazy regularization keeps the same strength (StyleGAN2, sec. B).
                loss = loss + 0.5 * hp.r1_weight * hp.r1_interval * r1
                logs["reg/r1"] = r1.detach()
            self._optimizer_step(opt_d, loss, "discriminator", logs["loss/d"])
        if hp.weight_clip is not None:
            with torch.no_grad():
                for p in self.discriminator.parameters():
                    p.clamp_(-hp.weight_clip, hp.weight_clip)
        self.discriminator_steps += 1
        self.log_dict(logs, on_step=True, on_epoch=False)

    def _generator_step(self, opt_g: Any, batch_size: int, labels: Tensor | None) -> None:
        with self.toggled_optimizer(opt_g):
            if self._pending_fake is not None:
                fake, labels = self._pending_fake
            else:
                fake = self._generate(self.generator, self._noise_latents(batch_size), labels)
            self._pending_fake = None
            # D is re-run on the fake after its update (the graph from before opt_d.step() is stale).
            loss = self.adversarial_loss.g_loss(self._critic(self._d_inputs(fake), labels))
            self._optimizer_step(opt_g, loss, "generator", loss.detach())
        self.generator_steps += 1
        if self.ema_generator is not None:
            self.ema_generator.update_parameters(self.generator)
        if self.hparams.lr_decay is not None:
            for scheduler in self.lr_schedulers():
                scheduler.step()
        self.log("loss/g", loss.detach(), on_step=True, on_epoch=False)

    def _optimizer_step(self, optimizer: Any, loss: Tensor, network: str, reported_loss: Tensor) -> None:
        # Under the fp16 GradScaler a penalty may overflow at a high scale: that is the scaler's business (it skips
        # the step and lowers the scale), so only the adversarial loss is checked there.
        checked = reported_loss if self._grad_scale() is not None else loss
        if self.guard.loss_is_bad(self, checked, network, reported_loss):
            return  # skipped: no backward, no update
        optimizer.zero_grad(set_to_none=True)
        self.manual_backward(loss)
        optimizer.step()

    def _grad_scale(self) -> float | None:
        """The fp16 GradScaler's current scale (penalties need it), or None without a scaler."""
        scaler = getattr(self.trainer.precision_plugin, "scaler", None)
        return None if scaler is None or not scaler.is_enabled() else float(scaler.get_scale())

    def on_before_optimizer_step(self, optimizer: torch.optim.Optimizer) -> None:
        # Called after AMP unscaling, right before the update: the place to measure and clip gradients.
        is_generator = optimizer.param_groups[0]["params"][0] is next(self.generator.parameters())
        network = self.generator if is_generator else self.discriminator
        grads = [p.grad for p in network.parameters() if p.grad is not None]
        if not grads:
            return
        if self.hparams.grad_clip_norm is not None:
            norm = torch.nn.utils.clip_grad_norm_(network.parameters(), self.hparams.grad_clip_norm)
        else:
            norm = torch.nn.utils.get_total_norm(grads)
        self.log("grad/g_norm" if is_generator else "grad/d_norm", norm, on_step=True, on_epoch=False)
        if self._grad_scale() is None:  # with a scaler, inf gradients are overflow, which the scaler skips
            self.guard.check_gradients(self, network, "generator" if is_generator else "discriminator", norm)

    # -------------------------------------------------------------------------------------------- checkpoint
    def on_save_checkpoint(self, checkpoint: dict[str, Any]) -> None:
        checkpoint["lightning_gans"] = {
            "generator_steps": self.generator_steps,
            "discriminator_steps": self.discriminator_steps,
            "images_seen": self.images_seen,
            "skipped_steps": self.guard.skipped_steps,
            "global_rng": global_rng_state(),
        }

    def on_load_checkpoint(self, checkpoint: dict[str, Any]) -> None:
        state = checkpoint.get("lightning_gans", {})
        self.generator_steps = state.get("generator_steps", 0)
        self.discriminator_steps = state.get("discriminator_steps", 0)
        self.images_seen = state.get("images_seen", 0)
        self.guard.skipped_steps = state.get("skipped_steps", 0)
        if "noise_seed" in checkpoint.get("hyper_parameters", {}):
            self.hparams.noise_seed = checkpoint["hyper_parameters"][
                "noise_seed"
            ]  # the run's noise, not this process's draw
        if self._trainer is not None and "global_rng" in state:
            # Resuming a fit: data order continues as in the uninterrupted run. Plain loading leaves the RNG alone.
            restore_global_rng(state["global_rng"])
