"""Divergence guard: decides what a non-finite loss or gradient means for the run; the engine acts on the verdict.

Two policies, two costs:

- ``"raise"`` (default) costs the step nothing: each update hands its loss (a detached device scalar it computes
  anyway) to :meth:`DivergenceGuard.record`, which only keeps a reference. The engine asks :meth:`first_bad` at
  logging steps, before a checkpoint is written and at the end of training (one stacked ``isfinite`` and one sync
  for all pending values), and then stops the run with a :class:`GANDivergenceError` naming the network and the
  first step that went non-finite. No checkpoint is ever written from diverged weights.
- ``"skip"`` looks at every update right away (one synchronisation per update) so the bad update can be dropped;
  after ``patience`` consecutive skipped updates of one network it raises anyway (a run that only skips is not
  training). An update is skipped for a non-finite loss or, the loss being finite, for a non-finite gradient: both
  count, and only an update that went through resets the count (:meth:`DivergenceGuard.update_done`).

:class:`DivergenceGuard` decides; :class:`GuardedUpdates` (a part of :class:`~lightning_gans.gan.GAN`) acts: it
records or checks each update, drops a bad one, and raises with the message of :func:`divergence_message`.

>>> guard = DivergenceGuard("skip", patience=3)
>>> guard.policy, guard.skipped_steps, guard.deferred
('skip', 0, False)
>>> for _ in range(3):  # three updates, each with a finite loss and then a non-finite gradient: each one skipped
...     _ = guard.verdict("generator", False), guard.verdict("generator", True), guard.update_done("generator")
>>> guard.skipped_steps, guard.verdict("generator", True)  # a fourth in a row: more than patience=3
(3, 'raise')
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import torch
from torch import Tensor, nn

from lightning_gans.checks import check_choice, check_int

NETWORKS = ("discriminator", "generator")
NONFINITE_POLICIES = ("raise", "skip")


class GANDivergenceError(RuntimeError):
    """Raised when a GAN's loss or gradients become non-finite; the message names the network and the step."""


class DivergenceGuard:
    """Non-finite checks of a GAN's updates under a policy (``"raise"`` or ``"skip"``, see the module docstring)."""

    def __init__(self, policy: str = "raise", patience: int = 10) -> None:
        self.policy = check_choice("on_nonfinite", policy, NONFINITE_POLICIES)
        self.patience = check_int("patience", patience, minimum=1)
        self.skipped_steps = 0
        self._consecutive = dict.fromkeys(NETWORKS, 0)  # per network: one may fail while the other works
        self._skipped_now: set[str] = set()  # networks whose running update was skipped (see update_done)
        self.max_pending = 4096
        self._pending: list[tuple[str, int, Tensor]] = []  # (network, step id, value) not looked at yet
        self._first_bad: tuple[str, int] | None = None

    @property
    def deferred(self) -> bool:
        """True when checks stay on the device until :meth:`first_bad_steps` is called."""
        return self.policy == "raise"

    # ---------------------------------------------------------------------------------------- raise: deferred
    def record(self, network: str, value: Tensor, step_id: int) -> None:
        """Keep ``value`` (a detached device scalar: a loss, a gradient norm) to be looked at later; no device work."""
        self._pending.append((network, step_id, value))
        if len(self._pending) >= self.max_pending:  # without logging steps, look now and then anyway
            self._look()

    def first_bad(self) -> tuple[str, int] | None:
        """``(network, step id)`` of the first non-finite value recorded, or ``None`` (one sync when any is pending)."""
        self._look()
        return self._first_bad

    def _look(self) -> None:
        if not self._pending or self._first_bad is not None:
            self._pending.clear()
            return
        finite = torch.isfinite(torch.stack([v.float() for _, _, v in self._pending])).tolist()
        if not all(finite):
            network, step_id, _ = self._pending[finite.index(False)]
            self._first_bad = (network, step_id)
        self._pending.clear()

    # ------------------------------------------------------------------------------------ skip: immediate
    def verdict(self, network: str, bad: bool) -> str:
        """``"ok"``, ``"skip"`` (drop this update) or ``"raise"`` (``"skip"`` ran out of patience, or ``"raise"``).

        An update may be looked at twice (its loss, then its gradient): ``"ok"`` resets nothing, since the next look
        may still drop the update; :meth:`update_done` does, once the update is over.
        """
        if not bad:
            return "ok"
        self.skipped_steps += 1
        self._consecutive[network] += 1
        self._skipped_now.add(network)
        if self.policy == "raise" or self._consecutive[network] > self.patience:
            return "raise"
        return "skip"

    def update_done(self, network: str) -> None:
        """``network``'s update is over: its consecutive-skip count restarts unless the update was skipped."""
        if network in self._skipped_now:
            self._skipped_now.discard(network)
        else:
            self._consecutive[network] = 0

    def give_up_reason(self, network: str) -> str:
        """Why a ``"raise"`` verdict came from the skip policy (empty under ``"raise"``)."""
        if self.policy == "raise":
            return ""
        return f"{self._consecutive[network]} consecutive {network} updates skipped (patience={self.patience}); last: "


def divergence_message(
    network: str,
    generator_steps: int,
    discriminator_steps: int,
    global_step: int,
    what: str,
    nonfinite: str,
    applied: bool,
) -> str:
    """The guard's message: who diverged, at which step, what the weights are now, and what to try.

    ``network`` is ``"data"`` when the real batch itself held NaN or inf.
    """
    where = f"generator step {generator_steps}, discriminator step {discriminator_steps} (trainer.global_step {global_step})"
    if network == "data":
        return (
            f"the data hold non-finite values: the real batch of {where} contains NaN or inf, so the losses are not "
            "finite. The optimizer is not at fault: clean the data (e.g. keep rows where torch.isfinite(x).all(1)) or "
            "check the dataset's transforms"
        )
    state = (
        "The check runs without waiting for the device, so the update was applied and the weights in memory may be "
        "non-finite; no checkpoint was written from them, and checkpoints already written are intact."
        if applied
        else "The update was not applied, so the weights are those from before the divergence and checkpoints already "
        "written are intact."
    )
    return (
        f"the {network} diverged at {where}: {what}. Non-finite weights: {nonfinite}. {state} Remedies: lower lr_d / "
        "lr_g, set grad_clip_norm, add gp_weight or r1_weight, or try precision='bf16-mixed' instead of '16-mixed'."
    )


def counts_at(network: str, d_step: int, n_critic: int, g_steps: int = 1) -> tuple[int, int]:
    """``(generator steps, trainer.global_step)`` when ``network``'s update of iteration ``d_step`` ran (no skipped
    updates, as under the ``"raise"`` policy; with ``g_steps > 1``, the iteration's first G update).

    >>> counts_at("discriminator", 5, 1), counts_at("generator", 5, 1), counts_at("discriminator", 7, 5)
    ((5, 10), (5, 11), (1, 8))
    >>> counts_at("discriminator", 5, 1, g_steps=2), counts_at("generator", 5, 1, g_steps=2)
    ((10, 15), (10, 16))
    """
    if network == "generator":  # the G update follows D update d_step: d_step + 1 D updates done
        g = ((d_step + 1) // n_critic - 1) * g_steps
        return g, d_step + 1 + g
    g = (d_step // n_critic) * g_steps  # before D update d_step: g_steps G updates after every n_critic D updates
    return g, d_step + g


def nonfinite_networks(networks: dict[str, nn.Module]) -> str:
    """The names of the networks holding a non-finite weight, or ``"none"`` (one sync per network)."""
    names = [
        name
        for name, net in networks.items()
        if not bool(torch.stack([torch.isfinite(p).all() for p in net.parameters()]).all())
    ]
    return ", ".join(names) if names else "none"


class GuardedUpdates:
    """The engine's side of the guard, a part of :class:`~lightning_gans.gan.GAN`: every update's loss and gradient
    norm go through :attr:`guard` (kept on the device under ``"raise"``, looked at right away under ``"skip"``), and
    a verdict becomes a dropped update or a :class:`GANDivergenceError` with :func:`divergence_message`.

    Needs on the module: ``guard``, ``generator``, ``discriminator``, ``generator_steps``, ``discriminator_steps``,
    ``optimization``, ``step_stats``, ``_iteration`` (the running iteration's D-step index), ``_grad_scale()``,
    ``trainer`` and ``manual_backward``. The engine calls :meth:`_backward` for each update, :meth:`_check_gradient`
    from ``on_before_optimizer_step`` and ``guard.update_done(network)`` once the update is over.
    """

    guard: DivergenceGuard
    generator: nn.Module
    discriminator: nn.Module
    generator_steps: int
    discriminator_steps: int
    optimization: Any
    step_stats: dict[str, Tensor]
    trainer: Any
    _iteration: int
    _grad_scale: Callable[[], float | None]  # the engine's (methods of the module, not defined here:
    manual_backward: Callable[[Tensor], None]  # a definition here would shadow LightningModule's)

    def _backward(self, optimizer: Any, network: str, loss: Tensor, adversarial: Tensor, real: Tensor | None) -> bool:
        """``network``'s gradient of ``loss``; False when the update is skipped (the ``"skip"`` policy)."""
        # Under the fp16 GradScaler a penalty may overflow at a high scale: that is the scaler's business (it skips
        # the step and lowers the scale), so only the adversarial loss is checked there.
        checked = adversarial if self._grad_scale() is not None else loss
        if self.guard.deferred:
            if real is not None:  # a non-finite input is the data's fault, not the optimizer's: remember which batch
                self.guard.record("data", real.detach().sum(), self._iteration)
            self.guard.record(network, checked.detach(), self._iteration)
        elif self._skip_update(network, checked, real):
            return False  # skipped: no backward, no update
        optimizer.zero_grad(set_to_none=True)
        self.manual_backward(loss)
        return True

    def _skip_update(self, network: str, checked: Tensor, real: Tensor | None) -> bool:
        """The ``"skip"`` policy: look at this update now (one sync); True when it must be dropped."""
        bad = not bool(torch.isfinite(checked.detach()).item())
        if self.trainer.world_size > 1:  # every rank must take the same decision, or DDP hangs
            bad = self.trainer.strategy.reduce_boolean_decision(bad, all=False)
        verdict = self.guard.verdict(network, bad)
        if verdict == "ok":
            return False
        data_bad = real is not None and not bool(torch.isfinite(real).all())
        what = f"its loss is {float(checked.detach()):.4g}"
        self._act_on(verdict, network, what, blame="data" if data_bad else network)
        return True

    def _check_gradient(self, network: str, norm: Tensor, params: list[nn.Parameter]) -> None:
        """The guard's look at ``network``'s gradient norm (after AMP unscaling, right before the step): recorded
        under ``"raise"``; under ``"skip"`` a non-finite norm drops the update (the loss was finite)."""
        if self._grad_scale() is not None:
            return  # with a scaler, inf gradients are overflow, which the scaler skips
        if self.guard.deferred:
            self.guard.record(network, norm, self._iteration)
        elif not bool(torch.isfinite(norm).item()):
            verdict = self.guard.verdict(network, True)
            self._act_on(verdict, network, f"its gradient norm is {float(norm):.4g} (the loss was finite)")
            for p in params:
                p.grad = None  # the optimizer skips parameters without gradients: the update is dropped

    def _act_on(self, verdict: str, network: str, what: str, step: int | None = None, blame: str | None = None) -> None:
        d_step = self.discriminator_steps if step is None else step
        g_step, global_step = (
            counts_at(network, d_step, self.optimization.n_critic, self.optimization.g_steps)
            if step is not None
            else (None, None)
        )
        message = divergence_message(
            blame or network,
            self.generator_steps if g_step is None else g_step,
            d_step,
            self.trainer.global_step if global_step is None else global_step,
            what,
            nonfinite_networks({"discriminator": self.discriminator, "generator": self.generator}),
            applied=self.guard.deferred,
        )
        if verdict == "raise":
            raise GANDivergenceError(self.guard.give_up_reason(network) + message)
        self.step_stats["guard/skipped_steps"] = torch.tensor(float(self.guard.skipped_steps))

    def check_divergence(self) -> None:
        """Look at the guard's pending values (one sync); raise naming the first network and step that diverged."""
        if not self.guard.deferred:
            return
        first = self.guard.first_bad()
        if self.trainer.world_size > 1:  # all ranks stop together, or the others hang in the next collective
            if not self.trainer.strategy.reduce_boolean_decision(first is not None, all=False):
                return
            if first is None:
                raise GANDivergenceError("another rank diverged (see its message)")
        if first is None:
            return
        network, step = first
        what = (
            "the real batch holds non-finite values" if network == "data" else "its loss or gradient norm is not finite"
        )
        self._act_on("raise", network, what, step=step)
