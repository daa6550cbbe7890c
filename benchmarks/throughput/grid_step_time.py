"""Wall time per 1,000 generator steps of a shipped 2-D recipe, for one or more checkouts of the library.

Each checkout trains its *own* copy of the shipped recipe ``--recipe`` (default ``grid_fast``; every checkout must
ship it), built by its own CLI so that each side uses its own API, for ``--steps`` generator steps with the recipe's trainer settings, without the evaluation callbacks (they cost the same
on both sides and are not the step). Runs alternate between checkouts (``--repeats`` rounds), each in a fresh
process with one torch thread, so that a busy shared machine slows all sides alike; the median is reported.

    python -m benchmarks.throughput.grid_step_time --checkout before=/path/to/old/checkout --checkout after=.

Writes ``benchmarks/results/grid_step_time.json`` and prints a markdown table.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
from pathlib import Path

RESULTS = Path(__file__).resolve().parents[1] / "results" / "grid_step_time.json"

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


def run_once(checkout: Path, steps: int, recipe: str) -> dict:
    env = {**os.environ, "PYTHONPATH": str(checkout), "OMP_NUM_THREADS": "1"}
    out = subprocess.run(
        [sys.executable, "-c", CHILD, str(steps), recipe],
        cwd=checkout,
        env=env,
        capture_output=True,
        text=True,
        check=True,
    )
    return json.loads(out.stdout.strip().splitlines()[-1])


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--checkout", action="append", required=True, help="LABEL=PATH of a checkout (repeatable)")
    parser.add_argument("--steps", type=int, default=1000, help="generator steps per run")
    parser.add_argument("--recipe", default="grid_fast", help="shipped 2-D recipe that every checkout trains")
    parser.add_argument("--repeats", type=int, default=3, help="rounds; each round runs every checkout once")
    args = parser.parse_args(argv)
    checkouts = {label: Path(path).resolve() for label, path in (c.split("=", 1) for c in args.checkout)}
    walls: dict[str, list[float]] = {label: [] for label in checkouts}
    for round_ in range(args.repeats):
        for label, path in checkouts.items():
            result = run_once(path, args.steps, args.recipe)
            assert result["generator_steps"] == args.steps, result
            walls[label].append(result["wall_s"] * 1000 / args.steps)
            print(f"round {round_ + 1}: {label} {walls[label][-1]:.1f} s per 1,000 generator steps", flush=True)
    summary = {label: {"median_s_per_1000_g_steps": statistics.median(w), "runs": w} for label, w in walls.items()}
    RESULTS.parent.mkdir(parents=True, exist_ok=True)
    RESULTS.write_text(
        json.dumps(
            {
                "recipe": args.recipe,
                "steps": args.steps,
                "checkouts": {k: str(v) for k, v in checkouts.items()},
                "results": summary,
            },
            indent=2,
        )
        + "\n"
    )
    print("\n| checkout | s per 1,000 generator steps (median) | runs |\n|---|---:|---|")
    for label, row in summary.items():
        print(f"| {label} | {row['median_s_per_1000_g_steps']:.1f} | {', '.join(f'{w:.1f}' for w in row['runs'])} |")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
