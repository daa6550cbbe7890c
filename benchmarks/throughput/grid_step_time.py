"""Wall time per 1,000 generator steps of a shipped 2-D recipe, for one or more checkouts of the library.

Each checkout trains its *own* copy of the shipped recipe ``--recipe`` (default ``grid_fast``; every checkout must
ship it), built by its own CLI so that each side uses its own API, for ``--steps`` generator steps with the recipe's
trainer settings, without the evaluation callbacks (they cost the same on both sides and are not the step). Runs
alternate between checkouts (``--repeats`` rounds), each in a fresh process with one torch thread, so that a busy
shared machine slows all sides alike.

One JSON per (checkout label, round) under ``--results``
(``throughput/grid_step_time_<recipe>_<steps>steps/<label>/seed<round>.json``, with the checkout's path and git
state); a stored run is skipped, so a label names one version of the code: give a new label (or ``--force``) after
changing a checkout. The table ``grid_step_time.md`` (median, mean ± standard error and every run, per label) is
built from the stored JSON alone and written to ``--out``.

    python -m benchmarks.throughput.grid_step_time --checkout before=/path/to/old/checkout --checkout after=.
    python -m benchmarks.throughput.grid_step_time --recipe gan_grid --report-only    # the committed runs
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from benchmarks.harness import (
    ROOT,
    ResultStore,
    RunKey,
    add_runner_arguments,
    describe_commit,
    describe_load,
    format_mean_se,
    git_state,
    mean_se,
    positive_int,
    publish,
    run_pending,
)

CHILD = r"""
import json, logging, sys, tempfile, time, warnings
import torch
torch.set_num_threads(1)
warnings.filterwarnings("ignore")
logging.getLogger("lightning.pytorch").setLevel(logging.WARNING)
from lightning import Trainer
from lightning_gans.cli import GANCLI, resolve_config
steps, recipe = int(sys.argv[1]), sys.argv[2]
cli = GANCLI(args=["--config", resolve_config(recipe), "--trainer.logger=false"], run=False)
model, data = cli.model, cli.datamodule
with tempfile.TemporaryDirectory() as root:
    trainer = Trainer(accelerator="cpu", devices=1, max_steps=2 * steps, log_every_n_steps=20, logger=False,
                      enable_checkpointing=False, enable_progress_bar=False, enable_model_summary=False,
                      default_root_dir=root)
    began = time.perf_counter()
    trainer.fit(model, data)
    wall = time.perf_counter() - began
print(json.dumps({"generator_steps": model.generator_steps, "wall_s": wall}))
"""


@dataclass(frozen=True)
class StepTimeSpec:
    """Round ``round`` of checkout ``label`` (at ``checkout``): ``steps`` generator steps of ``recipe``.

    >>> StepTimeSpec("after", ".", "grid_fast", 1000, 2).key.relative_path
    'throughput/grid_step_time_grid_fast_1000steps/after/seed2.json'
    """

    label: str
    checkout: str
    recipe: str
    steps: int
    round: int

    @property
    def key(self) -> RunKey:
        return RunKey("throughput", protocol_name(self.recipe, self.steps), self.label, self.round)


def protocol_name(recipe: str, steps: int) -> str:
    """The protocol part of the run keys: the recipe and the budget."""
    return f"grid_step_time_{recipe}_{steps}steps"


def run(spec: StepTimeSpec) -> dict[str, Any]:
    """The harness's entry point: one fresh process in the checkout, timed."""
    env = {**os.environ, "PYTHONPATH": spec.checkout, "OMP_NUM_THREADS": "1"}
    done = subprocess.run(
        [sys.executable, "-c", CHILD, str(spec.steps), spec.recipe],
        cwd=spec.checkout,
        env=env,
        capture_output=True,
        text=True,
        check=True,
    )
    result = json.loads(done.stdout.strip().splitlines()[-1])
    if result["generator_steps"] != spec.steps:
        raise RuntimeError(f"{spec.label}: {result['generator_steps']} generator steps, expected {spec.steps}")
    return {
        "label": spec.label,
        "checkout": spec.checkout,
        "checkout_git": git_state(Path(spec.checkout)),
        "recipe": spec.recipe,
        "steps": spec.steps,
        "round": spec.round,
        "wall_s": result["wall_s"],
        "s_per_1000_g_steps": result["wall_s"] * 1000 / spec.steps,
    }


def markdown_report(records: Sequence[dict[str, Any]]) -> str:
    """``grid_step_time.md``: one row per checkout label, in the order of first appearance."""
    recipes = sorted({f"`{r['recipe']}`, {r['steps']} generator steps" for r in records})
    lines = [
        "# Wall time per 1,000 generator steps of a shipped 2-D recipe",
        "",
        f"{'; '.join(recipes)}; one fresh process with one torch thread per run, checkouts alternating; load average "
        f"at start {describe_load(records)}.",
        "",
        "| checkout | code | s per 1,000 generator steps: median | mean ± s.e. | runs |",
        "|---|---|---:|---:|---|",
    ]
    for label in dict.fromkeys(r["label"] for r in records):
        runs = sorted((r for r in records if r["label"] == label), key=lambda r: r["round"])
        times = [r["s_per_1000_g_steps"] for r in runs]
        code = sorted({describe_commit(r["checkout_git"]) if r.get("checkout_git") else r["checkout"] for r in runs})
        lines.append(
            f"| {label} | {', '.join(code)} | {statistics.median(times):.1f} | {format_mean_se(mean_se(times), 1)} | "
            f"{', '.join(f'{t:.1f}' for t in times)} |"
        )
    return "\n".join(lines) + "\n"


def _progress(spec: StepTimeSpec, record: dict[str, Any]) -> None:
    print(f"round {spec.round + 1}: {spec.label} {record['s_per_1000_g_steps']:.1f} s", flush=True)


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m benchmarks.throughput.grid_step_time", description=__doc__.split("\n\n")[0]
    )
    parser.add_argument(
        "--checkout", action="append", default=[], help="LABEL=PATH of a checkout (repeatable; not with --report-only)"
    )
    parser.add_argument("--steps", type=positive_int, default=1000, help="generator steps per run")
    parser.add_argument("--recipe", default="grid_fast", help="shipped 2-D recipe that every checkout trains")
    parser.add_argument("--repeats", type=positive_int, default=3, help="rounds; each round runs every checkout once")
    parser.add_argument("--out", type=Path, default=ROOT / "benchmarks" / "results", help="folder of the table")
    add_runner_arguments(parser, parallel=False)
    args = parser.parse_args(argv)
    if any("=" not in c for c in args.checkout) or not (args.checkout or args.report_only):
        parser.error(f"--checkout takes LABEL=PATH and is needed to run, got {args.checkout}")
    checkouts = {label: str(Path(path).resolve()) for label, path in (c.split("=", 1) for c in args.checkout)}
    specs = [
        StepTimeSpec(label, path, args.recipe, args.steps, round_)
        for round_ in range(args.repeats)
        for label, path in checkouts.items()
    ]
    store = ResultStore(args.results)
    run_pending(specs, run, store, args, _progress)
    # --report-only without --checkout: every stored run of the recipe and budget.
    records = store.stored(specs) if specs else store.records("throughput", protocol_name(args.recipe, args.steps))
    if not records:
        print("no stored results for this plan")
        return 1
    publish(args.out / "grid_step_time.md", markdown_report(records))
    return 0 if len(records) == len(specs) or not specs else 1


if __name__ == "__main__":
    sys.exit(main())
