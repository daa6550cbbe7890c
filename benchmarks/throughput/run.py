"""One run of the throughput suite (:class:`ThroughputSpec`): a paired timing of one case, or the peak memory of both
sides of one case; picklable, with a :class:`~benchmarks.harness.RunKey`, run by the harness's
:func:`~benchmarks.harness.run_all` through :func:`run`.

The key's last field is the *repeat* index: every repeat trains the same networks from the same seed (the work is
identical, only the machine's state differs).
"""

from __future__ import annotations

from dataclasses import asdict, dataclass
from typing import Any

import torch

from benchmarks.harness import RunKey
from benchmarks.throughput.cases import CASES
from benchmarks.throughput.memory import IMPLS, peak_memory
from benchmarks.throughput.paired import run_paired

BENCHMARK = "throughput"
_WARMED: set[tuple[str, str]] = set()  # (case, device) that had their untimed first run in this process


@dataclass(frozen=True)
class ThroughputSpec:
    """Repeat ``repeat`` of ``case``: ``steps`` timed batches after ``warmup`` (times the case's scale), paired; or,
    with ``memory``, the peak memory of the engine and of the bare loop over ``warmup + steps`` batches.

    >>> ThroughputSpec("dcgan_b64", 2, warmup=2, steps=10).key.relative_path
    'throughput/cpu_1thread_10steps_2warmup/dcgan_b64/seed2.json'
    >>> ThroughputSpec("dcgan_b64", 0, warmup=2, steps=10, memory=True).key.protocol
    'memory_cpu_1thread_12batches'
    """

    case: str
    repeat: int
    warmup: int
    steps: int
    device: str = "cpu"
    threads: int = 1
    command: str = ""
    memory: bool = False

    @property
    def key(self) -> RunKey:
        threads = f"{self.threads}thread" + ("s" if self.threads != 1 else "")
        if self.memory:
            protocol = f"memory_{self.device}_{threads}_{self.warmup + self.steps}batches"
        else:
            protocol = f"{self.device}_{threads}_{self.steps}steps_{self.warmup}warmup"
        return RunKey(BENCHMARK, protocol, self.case, self.repeat)


def run(spec: ThroughputSpec) -> dict[str, Any]:
    """The harness's entry point: the record of one run (see the module docstring)."""
    case, device = CASES[spec.case], torch.device(spec.device)
    head = {"case": spec.case, **asdict(case), "device": spec.device, "command": spec.command, "repeat": spec.repeat}
    if spec.memory:
        peaks = {f"{impl}_peak_mib": peak_memory(spec.case, impl, spec.warmup, spec.steps, device) for impl in IMPLS}
        return {**head, "batches": spec.warmup + spec.steps, **peaks}
    warmup, steps = spec.warmup * case.scale, spec.steps * case.scale
    if (spec.case, spec.device) not in _WARMED:
        run_paired(case, warmup, 1, device)  # untimed: first-call kernel and allocator set-up
        _WARMED.add((spec.case, spec.device))
    times = run_paired(case, warmup, steps, device)
    return {**head, "timed_batches": steps, "warmup_batches": warmup, **times}
