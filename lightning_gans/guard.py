"""Divergence guard: decides what a non-finite loss or gradient means for the run; the engine acts on the verdict.

Two policies, two costs:

- ``"raise"`` (default) costs the step nothing: each update hands its loss (a detached device scalar it computes
  anyway) to :meth:`DivergenceGuard.record`, which only keeps a reference. The engine asks :meth:`first_bad` at
  logging steps, before a checkpoint is written and at the end of training (one stacked ``isfinite`` and one sync
  for all pending values), and then stops the run with a :class:`GANDivergenceError` naming the network and the
  first step that went non-finite. No checkpoint is ever written from diverged weights.
- ``"skip"`` looks at every update right away (one synchronisation per update) so the bad update can be dropped;
  after ``patience`` consecutive skipped updates of one network it raises anyway (a run that only skips is not
  training).

>>> guard = DivergenceGuard("skip", patience=3)
>>> guard.policy, guard.skipped_steps, guard.deferred
('skip', 0, False)
"""

from __future__ import annotations

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
        """``"ok"``, ``"skip"`` (drop this update) or ``"raise"`` (``"skip"`` ran out of patience, or ``"raise"``)."""
        if not bad:
            self._consecutive[network] = 0
            return "ok"
        self.skipped_steps += 1
        self._consecutive[network] += 1
        if self.policy == "raise" or self._consecutive[network] > self.patience:
            return "raise"
        return "skip"

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
