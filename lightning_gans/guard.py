"""Divergence guard: decides what a non-finite loss or gradient means for the run; the engine acts on the verdict.

Two policies, two costs:

- ``"raise"`` (default) keeps every check on the device: each update ORs "this loss is not finite" into a flag and
  remembers the first step where it happened, with no host-device synchronisation. The engine looks at the flags at
  logging steps, before a checkpoint is written and at the end of training, and then stops the run with a
  :class:`GANDivergenceError` naming the network and the step. No checkpoint is ever written from diverged weights.
- ``"skip"`` looks at every update right away (one synchronisation per update) so the bad update can be dropped;
  after ``patience`` consecutive skipped updates of one network it raises anyway (a run that only skips is not
  training).

>>> guard = DivergenceGuard("skip", patience=3)
>>> guard.policy, guard.skipped_steps, guard.deferred
('skip', 0, False)
"""

from __future__ import annotations

import torch
from torch import Tensor

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
        self._first_bad: dict[str, Tensor] = {}  # network -> device scalar: first bad step id, -1 while all finite

    @property
    def deferred(self) -> bool:
        """True when checks stay on the device until :meth:`first_bad_steps` is called."""
        return self.policy == "raise"

    # ---------------------------------------------------------------------------------------- raise: deferred
    def record(self, network: str, value: Tensor, step_id: int) -> None:
        """Remember, on ``value``'s device, whether ``value`` (a loss or a gradient norm) is non-finite at ``step_id``."""
        bad = ~torch.isfinite(value.detach())
        first = self._first_bad.get(network)
        if first is None or first.device != bad.device:
            first = torch.full((), -1, dtype=torch.long, device=bad.device)
        self._first_bad[network] = torch.where(bad & (first < 0), step_id, first)  # no sync: all on the device

    def first_bad_steps(self) -> dict[str, int]:
        """``network -> first step id with a non-finite value`` for each network that had one (one sync)."""
        if not self._first_bad:
            return {}
        names = list(self._first_bad)
        values = torch.stack([self._first_bad[n] for n in names]).tolist()
        return {name: step for name, step in zip(names, values) if step >= 0}

    def reset(self) -> None:
        self._first_bad.clear()

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
