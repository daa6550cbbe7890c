"""An exponential moving average of the generator, with a warm-up so the untrained initial weights fade quickly.

A fixed decay ``d`` keeps a share ``d^n`` of the initial weights after ``n`` updates (0.999^1000 = 37 %: a run of
1,000 generator steps would sample from a network a third untrained). The decay used at update ``n`` is therefore
``min(decay, (1 + n) / (10 + n))`` (the warm-up of TensorFlow's ``ExponentialMovingAverage(num_updates=...)``): small
at first, ``decay`` once ``n`` is large. Updates take the update count from the engine's host-side counter, so they
never wait for the device.

>>> warmup_decay(0.999, 0), round(warmup_decay(0.999, 90), 3), warmup_decay(0.999, 100_000)
(0.1, 0.91, 0.999)
"""

from __future__ import annotations

import torch
from torch import nn
from torch.optim.swa_utils import AveragedModel


def warmup_decay(decay: float, num_updates: int) -> float:
    """The decay of update number ``num_updates`` (0-based): ``min(decay, (1 + n) / (10 + n))``."""
    return min(decay, (1.0 + num_updates) / (10.0 + num_updates))


class GeneratorEMA(AveragedModel):
    """``AveragedModel`` of a generator (parameters and buffers), updated with :func:`warmup_decay`.

    >>> g = nn.Linear(2, 2)
    >>> ema = GeneratorEMA(g, decay=0.999)
    >>> ema.update(g, num_updates=0)  # the first update copies
    >>> bool(torch.equal(ema.module.weight, g.weight)), int(ema.n_averaged)
    (True, 1)
    """

    def __init__(self, generator: nn.Module, decay: float) -> None:
        super().__init__(generator, use_buffers=True)
        self.decay = float(decay)
        self.requires_grad_(False)  # never trained; DDP must not wait for its gradients

    @torch.no_grad()
    def update(self, generator: nn.Module, num_updates: int) -> None:
        """Move the average towards ``generator``; ``num_updates`` = updates before this one (host int, no sync)."""
        averaged = [*self.module.parameters(), *self.module.buffers()]
        current = [t.detach() for t in (*generator.parameters(), *generator.buffers())]
        floats = [(a, c) for a, c in zip(averaged, current) if a.is_floating_point()]
        others = [(a, c) for a, c in zip(averaged, current) if not a.is_floating_point()]  # BatchNorm step counts
        if num_updates == 0 and floats:
            torch._foreach_copy_([a for a, _ in floats], [c for _, c in floats])
        elif floats:
            weight = 1.0 - warmup_decay(self.decay, num_updates)  # ema += (1 - d) * (current - ema)
            torch._foreach_lerp_([a for a, _ in floats], [c for _, c in floats], weight)
        for a, c in others:
            a.copy_(c)
        self.n_averaged += 1
