"""Peak memory of one side (the engine or the bare loop) training one case.

On CUDA, ``torch.cuda.max_memory_allocated`` during the run, minus what was allocated before it (tensors only). On
CPU, the increase of the process's peak resident set size (``VmHWM`` on Linux) over its value just before training,
in a fresh child process per measurement (``python -m benchmarks.throughput.memory CASE IMPL``), since the peak of a
process never goes down.
"""

from __future__ import annotations

import argparse
import resource
import subprocess
import sys
from collections.abc import Sequence
from pathlib import Path

import torch

from benchmarks.harness import ROOT
from benchmarks.throughput.cases import CASES, case_loader, case_networks
from benchmarks.throughput.paired import run_alone

IMPLS = ("engine", "bare")


def describe(device: torch.device, batches: int) -> str:
    """What the peak-memory columns measure on ``device``, for the report."""
    if device.type == "cuda":
        return "torch.cuda.max_memory_allocated during one run, minus what was allocated before it (tensors only)."
    return (
        "increase of the peak resident set size (VmHWM of /proc/self/status) of a fresh process over its value just "
        "before training (networks, optimizer state, activations, allocator caches; the same process imports "
        f"everything first), {batches} batches."
    )


def peak_rss_mib() -> float:
    """Peak resident set size of this process in MiB.

    Linux: ``VmHWM`` of ``/proc/self/status``, the peak of this process image only (``getrusage``'s ``ru_maxrss``
    carries the parent's peak over ``fork`` + ``exec``, which would hide a child's smaller peak). Elsewhere
    ``ru_maxrss`` (KiB on Linux, bytes on macOS).
    """
    try:
        for line in Path("/proc/self/status").read_text().splitlines():
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) / 1024
    except OSError:
        pass
    scale = 1 if sys.platform == "darwin" else 1024
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * scale / 2**20


def peak_memory(case_key: str, impl: str, warmup: int, steps: int, device: torch.device) -> float:
    """Peak memory of one run in MiB (see the module docstring for what is measured on CPU and CUDA)."""
    case = CASES[case_key]
    if device.type == "cuda":
        torch.cuda.empty_cache()
        torch.cuda.reset_peak_memory_stats(device)
        before = torch.cuda.memory_allocated(device)
        run_alone(case, impl, warmup, steps, device)
        return (torch.cuda.max_memory_allocated(device) - before) / 2**20
    command = [sys.executable, "-m", "benchmarks.throughput.memory", case_key, impl]
    command += ["--warmup", str(warmup), "--steps", str(steps), "--threads", str(torch.get_num_threads())]
    output = subprocess.run(command, check=True, capture_output=True, text=True, cwd=ROOT).stdout
    return float(output.strip().splitlines()[-1])


def main(argv: Sequence[str] | None = None) -> int:
    """The child process of a CPU measurement: prints the peak's increase in MiB."""
    parser = argparse.ArgumentParser(prog="python -m benchmarks.throughput.memory", description=__doc__.split("\n")[0])
    parser.add_argument("case", choices=sorted(CASES))
    parser.add_argument("impl", choices=IMPLS)
    parser.add_argument("--warmup", type=int, required=True)
    parser.add_argument("--steps", type=int, required=True)
    parser.add_argument("--threads", type=int, default=1)
    args = parser.parse_args(argv)
    from benchmarks.harness import init_worker

    init_worker(args.threads)
    case = CASES[args.case]
    case_networks(case), case_loader(case, 1)  # touch the allocator and import paths before the baseline
    before = peak_rss_mib()
    run_alone(case, args.impl, args.warmup, args.steps, torch.device("cpu"))
    print(f"{peak_rss_mib() - before:.1f}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
