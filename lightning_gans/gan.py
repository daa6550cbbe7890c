"""The engine: one LightningModule that trains a given generator and discriminator.

``GAN.training_step`` is the only place where the generator (G) and the discriminator (D) are updated. One call
(manual optimization, one real batch) runs two phases:

1. the discriminator phase: one D update on the real batch and a fake batch, which it returns;
2. every ``n_critic``-th call, the generator phase (``g_steps`` times), given that fake batch when it can be reused.

``Optimization(update="alternating")`` (the default) steps D before G's gradient is taken, so G plays against the
updated D. ``update="simultaneous"`` defers D's step until G has its gradient against the same D on the same fakes,
then applies both (PacGAN's update).

``trainer.global_step`` counts *every* optimizer step, so ``Trainer(max_steps=N)`` means N optimizer steps of D and
G together: with ``n_critic=5``, ``max_steps=600`` gives 500 D steps and 100 G steps; with ``g_steps=2``,
``max_steps=300`` gives 100 D steps and 200 G steps. The engine's own counters
``generator_steps``, ``discriminator_steps`` and ``images_seen`` (real images through D, all ranks) are checkpointed
and drive schedules, EMA and lazy regularization.

The step never waits for the device: losses, logits, penalties and (when wanted) gradient norms are kept as detached
device tensors in :attr:`GAN.step_stats`, logged only on Lightning's logging steps (``log_every_n_steps``), and the
divergence guard looks at its on-device flags only at logging steps, before a checkpoint is written and at the end.
The file is over 300 lines because it is the one training loop: the two phases, the hooks around the optimizer
steps and the checkpointed counters belong together. Its internals live in :mod:`lightning_gans.engine` (batch
checks, the divergence guard with its acting on updates, the EMA, the noise seeds), sampling in ``sampling.py``, the
option groups in ``options.py``.
"""

from __future__ import annotations

import inspect
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any, NamedTuple

import torch
from lightning import LightningModule
from torch import Tensor, nn

from lightning_gans.augment import DiffAugment
from lightning_gans.checks import check_bool, check_choice, check_int, check_number
from lightning_gans.engine import checkpoints
from lightning_gans.engine.batches import (
    check_batches_seen,
    check_data_matches,
    check_first_batch,
    check_labels,
    check_logits,
    check_pack,
    split_batch,
)
from lightning_gans.engine.checkpointed import CheckpointedRun
from lightning_gans.engine.ema import GeneratorEMA
from lightning_gans.engine.guard import DivergenceGuard, GuardedUpdates
from lightning_gans.engine.rng import step_seed
from lightning_gans.engine.strategies import check_strategy, prepare_strategy
from lightning_gans.losses import LOSSES, AdversarialLoss, get_loss
from lightning_gans.noise import add_instance_noise, instance_noise_std
from lightning_gans.option_group import merged
from lightning_gans.options import Optimization, Regularization, options_as_dict
from lightning_gans.regularizers import discriminator_regularizers
from lightning_gans.sampling import GeneratorSampling

LATENT_DISTRIBUTIONS = ("normal", "uniform")


class GAN(GeneratorSampling, GuardedUpdates, CheckpointedRun, LightningModule):
    """Trains ``generator`` against ``discriminator``; the variants in
    :mod:`lightning_gans.variants` build the networks and set each paper's options.

    Args:
        generator: ``G(z)`` or ``G(z, labels)`` mapping ``(N, latent_dim)`` noise to samples.
        discriminator: ``D(x)`` or ``D(x, labels)`` returning logits ``(N,)``; a packed D (PacGAN) has an int
            attribute ``pack`` and returns ``(N // pack,)``.
        latent_dim: size of the latent ``z``.
        num_classes: makes the model conditional; batches must then be ``(x, labels)``.
        loss: a name in :data:`lightning_gans.losses.LOSSES` or your own :class:`~lightning_gans.losses.AdversarialLoss`.
        optimization / regularization: the option groups of :mod:`lightning_gans.options`.
        ema_decay: keep an exponential moving average of G (used by :meth:`sample`) with this decay, warmed up as
            ``min(decay, (1 + n) / (10 + n))`` over the first EMA updates; ``None`` = off.
        on_nonfinite: ``"raise"`` stops with a :class:`~lightning_gans.engine.guard.GANDivergenceError` (checked without
            syncing the device), ``"skip"`` skips the update (one sync per update).
        noise_seed: seed of the noise the engine draws (latents, penalties, augmentation); drawn from the global RNG
            if ``None``.
        compile: ``torch.compile`` G and D for the training forward passes (penalties use the plain D: compiled
            graphs have no double backward).
        channels_last: keep image networks and batches in the channels-last memory format (faster convolutions on
            recent GPUs).
        latent_distribution: ``"normal"`` (``z ~ N(0, I)``) or ``"uniform"`` (``z ~ U(-1, 1)``, the DCGAN code's and
            PacGAN's stacked-MNIST choice); training and :meth:`sample` both draw from it.

    >>> from lightning_gans.nets import MLPDiscriminator, MLPGenerator
    >>> model = GAN(MLPGenerator(latent_dim=8, data_dim=2), MLPDiscriminator(data_dim=2), latent_dim=8)
    >>> model.sample(5).shape
    torch.Size([5, 2])
    """

    REQUIRES_NUM_CLASSES = False  # conditional variants set it: batches carry labels

    def __init__(
        self,
        generator: nn.Module,
        discriminator: nn.Module,
        *,
        latent_dim: int = 64,
        num_classes: int | None = None,
        loss: str | AdversarialLoss = "non_saturating",
        optimization: Optimization = Optimization(),
        regularization: Regularization = Regularization(),
        ema_decay: float | None = None,
        on_nonfinite: str = "raise",
        noise_seed: int | None = None,
        compile: bool = False,
        channels_last: bool = False,
        latent_distribution: str = "normal",
    ) -> None:
        super().__init__()
        for name, module in (("generator", generator), ("discriminator", discriminator)):
            if not isinstance(module, nn.Module):
                raise TypeError(f"{name} must be an nn.Module, got {type(module).__name__}")
        if self.REQUIRES_NUM_CLASSES and num_classes is None:
            raise ValueError(f"{type(self).__name__} needs num_classes (the number of classes in the data), got None")
        self.latent_dim = check_int("latent_dim", latent_dim, minimum=1)
        self.latent_distribution = check_choice("latent_distribution", latent_distribution, LATENT_DISTRIBUTIONS)
        self.num_classes = None if num_classes is None else check_int("num_classes", num_classes, minimum=1)
        # A group's unset fields take this class's own defaults (a variant stays itself when one field changes).
        defaults = type(self).defaults()
        self.optimization = merged(defaults.get("optimization", Optimization()), optimization)
        self.regularization = reg = merged(defaults.get("regularization", Regularization()), regularization)
        self.loss = get_loss(loss)
        if reg.label_smoothing and not self.loss.smoothable:
            raise ValueError(f"label_smoothing applies to smoothable losses, not to loss={self.loss.name!r}")
        if ema_decay is not None:
            check_number("ema_decay", ema_decay, low=0.0, high=1.0, low_inclusive=False, high_inclusive=False)
        self.compile, self.channels_last = check_bool("compile", compile), check_bool("channels_last", channels_last)
        if noise_seed is not None:
            check_int("noise_seed", noise_seed, minimum=0)
        self.noise_seed_given = noise_seed is not None  # an explicit seed that differs on resume is refused
        if noise_seed is None:
            # Drawn from the global RNG, so `seed_everything` makes it reproducible; saved, so a resume reuses it.
            noise_seed = int(torch.randint(0, 2**31 - 1, ()).item())
        self.save_hyperparameters(ignore=["generator", "discriminator"])
        # Checkpoints hold plain values: the option groups as mappings, the drawn seed, a registered loss by name.
        self.hparams.update(options_as_dict(self.hparams), noise_seed=noise_seed)
        self.hparams.update(options_as_dict({"optimization": self.optimization, "regularization": reg}))
        if isinstance(loss, AdversarialLoss) and LOSSES.get(loss.name) is loss:
            self.hparams.loss = loss.name
        self.generator, self.discriminator = generator, discriminator
        self.pack = check_int("discriminator.pack", getattr(discriminator, "pack", 1), minimum=1)
        self.regularizers = discriminator_regularizers(reg.gp_weight, reg.r1_weight, reg.r1_interval)
        self.augment = DiffAugment(reg.augment) if reg.augment else None
        self.ema_generator = GeneratorEMA(generator, ema_decay) if ema_decay is not None else None
        self.guard = DivergenceGuard(on_nonfinite)
        self.automatic_optimization = False
        self.generator_steps = self.discriminator_steps = self.images_seen = 0
        self.step_stats: dict[str, Tensor] = {}  # the last step's detached device tensors (see the module docstring)
        # A callback sets it to get every key of step_stats on every step (logit means, gradient norms); otherwise
        # those are measured on logging steps only, and the losses and penalties on every step.
        self.track_step_stats = False
        self._noise: torch.Generator | None = None
        # The training forwards' networks, compiled in on_fit_start when compile=True. A dict, not attributes:
        # an nn.Module attribute would be registered and saved a second time in every checkpoint.
        self._train_nets: dict[str, nn.Module] = {"generator": generator, "discriminator": discriminator}
        self._checked_first_batch = False
        self._scaler: Any = None  # the fp16 GradScaler, read once at fit start
        self._world_size = 1
        self._detailed = False  # this step measures logit means and gradient norms
        self._d_params: list[nn.Parameter] = []
        self._iteration = 0  # the D-step index of the running iteration: the step both networks' records carry

    def __setattr__(self, name: str, value: Any) -> None:
        # Lightning sets plain attributes on every hook call (about 50 per batch) and nn.Module.__setattr__ checks
        # each against parameters, buffers and submodules. A name already in __dict__ is none of those (registering
        # one removes it from __dict__), so a plain value can skip the checks: a measurable share of a cheap step.
        if name in self.__dict__ and isinstance(value, (bool, int, float, str, type(None))):
            object.__setattr__(self, name, value)
        else:
            super().__setattr__(name, value)

    @classmethod
    def defaults(cls) -> dict[str, Any]:
        """The defaults in this class's signature (one home for them): what a group's unset fields take.

        >>> from lightning_gans import WGANGP
        >>> WGANGP.defaults()["optimization"].n_critic
        5
        """
        return {name: p.default for name, p in inspect.signature(cls).parameters.items() if p.default is not p.empty}

    # ------------------------------------------------------------------------------------ who is who
    def network_of(self, optimizer: torch.optim.Optimizer) -> str:
        """``"generator"`` or ``"discriminator"``: the network whose parameters ``optimizer`` updates."""
        first = optimizer.param_groups[0]["params"][0]
        for name in ("generator", "discriminator"):
            if any(first is p for p in getattr(self, name).parameters()):
                return name
        raise ValueError("the optimizer updates neither the generator nor the discriminator of this GAN")

    # -------------------------------------------------------------------------------------- set-up
    def configure_optimizers(self) -> Any:
        opt_g, opt_d = self.optimization.optimizers(self.generator, self.discriminator)
        if self.optimization.lr_decay is None:
            return [opt_g, opt_d]
        return [opt_g, opt_d], [self.optimization.scheduler(opt_g), self.optimization.scheduler(opt_d)]

    def on_fit_start(self) -> None:
        check_strategy(self)
        self._noise = torch.Generator(device=self.device)
        if self.augment is not None:
            self.augment.generator = self._noise
        if self.channels_last:
            self.to(memory_format=torch.channels_last)
        self._scaler = getattr(self.trainer.precision_plugin, "scaler", None)
        self._world_size = self.trainer.world_size
        self._d_params = [p for p in self.discriminator.parameters() if p.requires_grad]
        self._train_nets = {"generator": self.generator, "discriminator": self.discriminator}
        if self.compile:
            self._train_nets = {name: torch.compile(net) for name, net in self._train_nets.items()}

    # -------------------------------------------------------------------------------------- the step
    def training_step(self, batch: Any, batch_idx: int) -> None:
        real, labels = split_batch(batch, self.num_classes, type(self).__name__)
        if not self._checked_first_batch:  # one look at the data and the generator (a sync), on the first batch only
            weights = next(self.discriminator.parameters(), None)
            policy = None if self.augment is None else self.augment.policy
            check_first_batch(real, None if weights is None else weights.dtype, policy)
            if labels is not None:  # on a device, only here (see split_batch)
                check_labels(labels, self.num_classes)
            self._check_generator_input()
            self._checked_first_batch = True
        real, labels = check_pack(real, labels, self.pack)
        if self.channels_last and real.dim() == 4:
            real = real.contiguous(memory_format=torch.channels_last)
        # Re-seed the engine's noise from (seed, rank, step): latents, penalties and augmentation are then a pure
        # function of the step, so a resumed run draws exactly what the uninterrupted run drew.
        self._noise.manual_seed(step_seed(self.hparams.noise_seed, self.global_rank, self.discriminator_steps))
        logging = self._is_logging_step()
        self.step_stats = {}  # exactly this step's values: a key measured only on some steps is absent on the others
        self._detailed = logging or self.track_step_stats
        opt_g, opt_d = self.optimizers()
        self._iteration = self.discriminator_steps
        opt = self.optimization
        if opt.update == "simultaneous":  # both gradients at the same weights, then both steps
            # (Under the fp16 GradScaler, a scale change at D's step (growth, or an overflow) reaches G's gradients,
            # scaled before it, when they are unscaled: G's step then sees that factor once; Adam barely notices.)
            shared = self._discriminator_phase(opt_d, real, labels, step=False)
            stepped = self._generator_phase(opt_g, shared, real.shape[0], labels, step=False)
            self._step_discriminator(opt_d, shared.d_backward_done)
            self._step_generator(opt_g, stepped)
            self._share_buffers_and_average(generator_stepped=True)
        else:
            reused = self._discriminator_phase(opt_d, real, labels)
            generator_turn = self.discriminator_steps % opt.n_critic == 0
            for index in range(opt.g_steps if generator_turn else 0):  # the first G step reuses the D phase's fakes
                self._generator_phase(opt_g, reused if index == 0 else None, real.shape[0], labels)
                self._share_buffers_and_average(generator_stepped=True)
            if not generator_turn:
                self._share_buffers_and_average(generator_stepped=False)
        self.images_seen += real.shape[0] * self._world_size
        if logging:  # the step's one look at the device: the guard's pending values, then the metrics
            self.check_divergence()
            self.log_dict(self.step_stats, on_step=True, on_epoch=False, batch_size=real.shape[0])

    def _discriminator_phase(
        self, opt_d: Any, real: Tensor, labels: Tensor | None, step: bool = True
    ) -> ReusedFakes | None:
        """One D update; returns the fakes for the G phase when it can reuse them (``n_critic == 1``).

        ``step=False`` (simultaneous updates): D's gradient only; the step is left to :meth:`_step_discriminator`.
        """
        reg = self.regularization
        reuse = self.optimization.n_critic == 1  # one G forward per iteration instead of two
        with torch.set_grad_enabled(reuse):
            fake = self._generate(self._train_nets["generator"], self.draw_latents(real.shape[0], self._noise), labels)
        if fake.shape[1:] != real.shape[1:]:
            raise ValueError(
                f"the data have sample shape {tuple(real.shape[1:])} but the generator produces {tuple(fake.shape[1:])}; "
                "match image_size / channels / data_dim to the data (or resize the data)"
            )
        # No toggling here: G's output enters D detached, so D's loss reaches D's parameters only.
        real_in, fake_in = self._d_inputs(real), self._d_inputs(fake.detach())
        real_logits, fake_logits = self._critic(real_in, labels), self._critic(fake_in, labels)
        adversarial = self.loss.d_loss(real_logits, fake_logits, 1.0 - reg.label_smoothing)
        stats = {"loss/d": adversarial.detach()}
        if self._detailed:
            stats["d/real_logit"], stats["d/fake_logit"] = real_logits.detach().mean(), fake_logits.detach().mean()
        loss, scale = adversarial, self._grad_scale()
        for regularizer in self.regularizers:
            if regularizer.applies_at(self.discriminator_steps):
                critic = self._penalty_critic(labels)
                value, term = regularizer.penalty(critic, real_in, fake_in, scale, self._noise)
                loss, stats[regularizer.name] = loss + term, value.detach()
        self.step_stats.update(stats)
        backward_done = self._backward(opt_d, "discriminator", loss, adversarial, real)
        if step:
            self._step_discriminator(opt_d, backward_done)
        return ReusedFakes(fake, labels, backward_done) if reuse else None

    def _step_discriminator(self, opt_d: Any, backward_done: bool) -> None:
        if backward_done:  # False: the "skip" policy dropped this update
            opt_d.step()
        self.guard.update_done("discriminator")
        reg = self.regularization
        if reg.weight_clip is not None:
            with torch.no_grad():
                weights = list(self.discriminator.parameters())
                torch._foreach_clamp_min_(weights, -reg.weight_clip)
                torch._foreach_clamp_max_(weights, reg.weight_clip)
        self.discriminator_steps += 1

    def _generator_phase(
        self, opt_g: Any, reused: ReusedFakes | None, batch_size: int, labels: Tensor | None, step: bool = True
    ) -> bool:
        """One G update (``step=False``: its gradient only, the step is left to :meth:`_step_generator`); returns
        whether the gradient was taken (False when the "skip" policy dropped the update)."""
        with frozen(self._d_params):  # G's backward goes through D without computing D's gradients
            if reused is not None:
                fake, labels = reused.fake, reused.labels
            else:
                fake = self._generate(self._train_nets["generator"], self.draw_latents(batch_size, self._noise), labels)
            # D is re-run on the fake: alternating, after D's update (the graph from before opt_d.step() is stale);
            # simultaneous, before it, so G's gradient is the one of the D phase's forward pass (same D, same fakes;
            # one shared graph would save this forward, but then D's backward reaches G and DDP waits for G's grads).
            loss = self.loss.g_loss(self._critic(self._d_inputs(fake), labels))
            self.step_stats["loss/g"] = loss.detach()
            backward_done = self._backward(opt_g, "generator", loss, loss, None)
        if step:
            self._step_generator(opt_g, backward_done)
        return backward_done

    def _step_generator(self, opt_g: Any, backward_done: bool) -> None:
        if backward_done:
            opt_g.step()
        self.guard.update_done("generator")
        self.generator_steps += 1
        if self.optimization.lr_decay is not None:
            for scheduler in self.lr_schedulers():
                scheduler.step()

    def _share_buffers_and_average(self, generator_stepped: bool) -> None:
        """DDP: rank 0's buffers become everyone's; then, after a G step, the EMA follows G."""
        if self._world_size > 1:
            self._broadcast_buffers()
        if generator_stepped and self.ema_generator is not None:
            self.ema_generator.update(self.generator, self.generator_steps - 1)

    def _d_inputs(self, x: Tensor) -> Tensor:
        """What D sees: DiffAugment and annealed instance noise, applied identically to real and fake."""
        if self.augment is not None:
            x = self.augment(x)
        reg = self.regularization
        if not reg.instance_noise:
            return x
        std = instance_noise_std(self.generator_steps, reg.instance_noise, reg.instance_noise_steps)
        return add_instance_noise(x, std, self._noise)

    def _critic(self, x: Tensor, labels: Tensor | None, network: nn.Module | None = None) -> Tensor:
        network = self._train_nets["discriminator"] if network is None else network
        logits = network(x) if labels is None else network(x, labels)
        check_logits(logits, x.shape[0], self.pack)  # (N, 2) would train on 2N logits without a word
        return logits.float().reshape(-1)  # losses and penalties in fp32 whatever the autocast dtype

    def _penalty_critic(self, labels: Tensor | None) -> Any:
        return lambda x: self._critic(x, labels, self.discriminator)  # uncompiled: penalties need double backward

    def _grad_scale(self) -> float | None:
        """The fp16 GradScaler's current scale (penalties need it), or None without a scaler."""
        scaler = self._scaler
        return None if scaler is None or not scaler.is_enabled() else float(scaler.get_scale())

    def _is_logging_step(self) -> bool:
        # Lightning's own rule (log_every_n_steps, counted in batches): what is logged elsewhere is never written.
        return bool(self.trainer._logger_connector.should_update_logs or self.trainer.fast_dev_run)

    def _broadcast_buffers(self) -> None:
        """DDP: each rank's BatchNorm statistics follow its own batches; rank 0's become everyone's."""
        work = [torch.distributed.broadcast(b, src=0, async_op=True) for b in self.buffers()]
        for handle in work:
            handle.wait()

    def on_before_optimizer_step(self, optimizer: torch.optim.Optimizer) -> None:
        # After AMP unscaling, right before the update: the place to measure and clip gradients.
        clip = self.optimization.grad_clip_norm
        if not (self._detailed or clip is not None or not self.guard.deferred):
            return  # nobody reads the norm on this step: no per-parameter work
        network = self.network_of(optimizer)
        params = [p for p in getattr(self, network).parameters() if p.grad is not None]
        if not params:
            return
        if clip is not None:
            norm = torch.nn.utils.clip_grad_norm_(params, clip, foreach=True)
        else:
            norm = torch.nn.utils.get_total_norm([p.grad for p in params], foreach=True)
        self.step_stats["grad/g_norm" if network == "generator" else "grad/d_norm"] = norm.detach()
        self._check_gradient(network, norm, params)  # the divergence guard (guard.py)

    def on_train_end(self) -> None:
        self.check_divergence()

    def on_fit_end(self) -> None:
        check_batches_seen(self.trainer)  # an empty training set ends the fit without a single step: say so

    def setup(self, stage: str) -> None:
        checkpoints.check_reads_of(self.trainer.strategy)  # fit(ckpt_path=<broken file>) names the file
        if stage == "fit" and self.trainer.datamodule is not None:  # before Lightning merges (and refuses) hparams
            check_data_matches(self.hparams, self.trainer.datamodule.hparams)
        prepare_strategy(self.trainer)  # Trainer(devices=N): DDP set up for a GAN before it wraps the module


class ReusedFakes(NamedTuple):
    """What the D phase hands the G phase: the fakes (with G's graph) and whether D's gradient was taken (for the
    deferred step of simultaneous updates)."""

    fake: Tensor
    labels: Tensor | None
    d_backward_done: bool


@contextmanager
def frozen(trainable: list[nn.Parameter]) -> Iterator[None]:
    """``requires_grad=False`` on these trainable parameters for the block (what ``toggled_optimizer`` does for the
    other network, without its bookkeeping)."""
    for p in trainable:
        p.requires_grad_(False)
    try:
        yield
    finally:
        for p in trainable:
            p.requires_grad_(True)
