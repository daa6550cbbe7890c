"""The measured effect of the engine's opt-in speed options, ``compile`` and ``channels_last``, in one process.

Each run trains the same model with the option off, then on (same seed, same data); the first warm-up batches
(compilation included) are not timed. One JSON per (case, repeat) under ``--results``
(``throughput/speed_options_<device>_<threads>/<case>/seed<repeat>.json``; stored runs are skipped); the table
``speed_options.md`` (seconds per timed batch, median over repeats, and the ratio on / off as median and mean ±
standard error) is built from the stored JSON alone and written to ``--out``.

    python -m benchmarks.throughput.speed_options --repeats 2
    python -m benchmarks.throughput.speed_options --report-only
"""

from __future__ import annotations

import argparse
import shlex
import statistics
import sys
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import lightning as L
import torch
from torch.utils.data import DataLoader, TensorDataset

from benchmarks.harness import (
    ROOT,
    ResultStore,
    RunKey,
    add_runner_arguments,
    describe_environment,
    format_mean_se,
    mean_se,
    positive_int,
    publish,
    run_pending,
)
from lightning_gans import DCGAN, NetworkOptions, VanillaGAN


class Clock(L.Callback):
    """The time at the start of batch ``warmup``: the timed part of the fit begins there."""

    def __init__(self, warmup: int) -> None:
        self.warmup, self.began = warmup, None

    def on_train_batch_start(self, trainer, pl_module, batch, batch_idx):
        if batch_idx == self.warmup:
            self.began = time.perf_counter()


def seconds_per_batch(
    make_model: Callable[[], L.LightningModule], data: DataLoader, warmup: int, batches: int
) -> float:
    """Seconds per batch of ``batches`` timed batches after ``warmup`` untimed ones, in one ``Trainer.fit``."""
    L.seed_everything(0, verbose=False)
    clock = Clock(warmup)
    trainer = L.Trainer(
        accelerator="cpu",
        max_epochs=1,
        limit_train_batches=warmup + batches,
        logger=False,
        enable_checkpointing=False,
        enable_progress_bar=False,
        enable_model_summary=False,
        callbacks=[clock],
    )
    trainer.fit(make_model(), data)
    return (time.perf_counter() - clock.began) / batches


def _mlp(flag: bool) -> L.LightningModule:
    return VanillaGAN(data_dim=2, latent_dim=2, networks=NetworkOptions(hidden_dim=128), compile=flag)


def _mlp_data(n: int) -> DataLoader:
    return DataLoader(TensorDataset(torch.randn(n * 256, 2)), batch_size=256)


def _dcgan(flag: bool) -> L.LightningModule:
    return DCGAN(image_size=32, channels=3, channels_last=flag)


def _dcgan_data(n: int) -> DataLoader:
    return DataLoader(TensorDataset(torch.rand(n * 64, 3, 32, 32) * 2 - 1), batch_size=64)


@dataclass(frozen=True)
class SpeedCase:
    """An option on one model: ``make(flag)`` builds it, ``data(n)`` gives ``n`` batches."""

    name: str
    make: Callable[[bool], L.LightningModule]
    data: Callable[[int], DataLoader]
    warmup: int
    batches: int


CASES = {
    "compile_mlp_b256": SpeedCase("compile, 2-D grid MLP (hidden 128), batch 256", _mlp, _mlp_data, 30, 300),
    "channels_last_dcgan_b64": SpeedCase("channels_last, DCGAN 32 px, batch 64", _dcgan, _dcgan_data, 2, 6),
}


@dataclass(frozen=True)
class SpeedSpec:
    """``repeat`` of one case: the option off, then on.

    >>> SpeedSpec("compile_mlp_b256", 1).key.relative_path
    'throughput/speed_options_cpu_1thread/compile_mlp_b256/seed1.json'
    """

    case: str
    repeat: int
    threads: int = 1
    command: str = ""

    @property
    def key(self) -> RunKey:
        return RunKey(
            "throughput", f"speed_options_cpu_{self.threads}thread{'s' * (self.threads != 1)}", self.case, self.repeat
        )


def run(spec: SpeedSpec) -> dict[str, Any]:
    """The harness's entry point: seconds per timed batch with the option off and on."""
    case = CASES[spec.case]
    seconds = {
        flag: seconds_per_batch(
            lambda f=flag: case.make(f), case.data(case.warmup + case.batches), case.warmup, case.batches
        )
        for flag in (False, True)
    }
    return {
        "case": spec.case,
        "name": case.name,
        "repeat": spec.repeat,
        "warmup_batches": case.warmup,
        "timed_batches": case.batches,
        "off_s_per_batch": seconds[False],
        "on_s_per_batch": seconds[True],
        "command": spec.command,
    }


def markdown_report(records: Sequence[dict[str, Any]]) -> str:
    """``speed_options.md``: provenance and one row per case (medians over repeats; ratio also mean ± s.e.)."""
    commands = sorted({r["command"] for r in records if r.get("command")})
    lines = [
        "# Speed options: compile and channels_last",
        "",
        f"Commands: {', '.join(f'`{c}`' for c in commands) or 'unknown'}; {describe_environment(records)}. Option "
        "off and on in one process, compilation excluded by the untimed warm-up batches.",
        "",
        "| option, model | repeats | off s/batch | on s/batch | on / off: median | mean ± s.e. |",
        "|---|---:|---:|---:|---:|---:|",
    ]
    for case in [c for c in CASES if any(r["case"] == c for r in records)]:
        runs = [r for r in records if r["case"] == case]
        ratios = [r["on_s_per_batch"] / r["off_s_per_batch"] for r in runs]
        off = statistics.median(r["off_s_per_batch"] for r in runs)
        on = statistics.median(r["on_s_per_batch"] for r in runs)
        lines.append(
            f"| {runs[0]['name']} | {len(runs)} | {off:.4f} | {on:.4f} | {statistics.median(ratios):.3f} | "
            f"{format_mean_se(mean_se(ratios), 3)} |"
        )
    return "\n".join(lines) + "\n"


def _progress(spec: SpeedSpec, record: dict[str, Any]) -> None:
    off, on = record["off_s_per_batch"], record["on_s_per_batch"]
    print(f"  {spec.key.relative_path}: off {off:.4f} s, on {on:.4f} s", flush=True)


def main(argv: Sequence[str] | None = None) -> int:
    argv = list(sys.argv[1:] if argv is None else argv)
    parser = argparse.ArgumentParser(
        prog="python -m benchmarks.throughput.speed_options", description=__doc__.split("\n\n")[0]
    )
    parser.add_argument("--cases", nargs="+", choices=sorted(CASES), default=list(CASES))
    parser.add_argument("--repeats", type=positive_int, default=2)
    parser.add_argument("--out", type=Path, default=ROOT / "benchmarks" / "results", help="folder of the table")
    add_runner_arguments(parser, parallel=False)
    args = parser.parse_args(argv)
    command = shlex.join(["python", "-m", "benchmarks.throughput.speed_options", *argv])
    specs = [SpeedSpec(case, repeat, args.threads, command) for repeat in range(args.repeats) for case in args.cases]
    store = ResultStore(args.results)
    run_pending(specs, run, store, args, _progress)
    records = store.stored(specs)
    if not records:
        print("no stored results for this plan")
        return 1
    publish(args.out / "speed_options.md", markdown_report(records))
    return 0 if len(records) == len(specs) else 1


if __name__ == "__main__":
    sys.exit(main())
