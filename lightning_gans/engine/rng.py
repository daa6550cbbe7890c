"""Random state that makes runs reproducible and resumes exact."""

from __future__ import annotations

import random
from typing import Any

import numpy as np
import torch

_MIX = 0x9E3779B97F4A7C15  # 64-bit golden-ratio constant: spreads nearby (seed, rank, step) triples apart


def step_seed(seed: int, rank: int, step: int) -> int:
    """A seed that depends only on (run seed, process rank, step): the engine re-seeds its noise with it each step.

    >>> step_seed(0, 0, 1) != step_seed(0, 1, 0) != step_seed(1, 0, 0)
    True
    """
    value = (int(seed) * _MIX + int(rank) * 0x100000001B3 + int(step)) % (2**63 - 1)
    return value ^ (value >> 31)


def global_rng_state() -> dict[str, Any]:
    """The process's global random states (torch CPU and CUDA, NumPy, Python), for a checkpoint."""
    name, keys, pos, has_gauss, cached = np.random.get_state()
    # Plain types and tensors only, so checkpoints load with torch.load(weights_only=True).
    numpy_state = {
        "name": name,
        "keys": torch.from_numpy(keys.astype(np.int64)),
        "pos": int(pos),
        "has_gauss": int(has_gauss),
        "cached": float(cached),
    }
    state = {"torch": torch.get_rng_state(), "numpy": numpy_state, "python": random.getstate()}
    if torch.cuda.is_available() and torch.cuda.is_initialized():
        state["cuda"] = torch.cuda.get_rng_state_all()
    return state


def restore_global_rng(state: dict[str, Any]) -> None:
    """Restore what :func:`global_rng_state` saved (CUDA states only where the same devices exist)."""
    torch.set_rng_state(state["torch"])
    numpy_state = state["numpy"]
    keys = numpy_state["keys"].numpy().astype(np.uint32)
    np.random.set_state(
        (numpy_state["name"], keys, numpy_state["pos"], numpy_state["has_gauss"], numpy_state["cached"])
    )
    random.setstate(state["python"])
    if "cuda" in state and torch.cuda.is_available() and len(state["cuda"]) == torch.cuda.device_count():
        torch.cuda.set_rng_state_all(state["cuda"])
