"""Does a remedy help from a collapsed state, or only from a restart? The evidence behind the monitor's timings.

``python -m benchmarks.health.restart [--seed 0] [--collapse-steps 800] [--steps 8000]``

The case ``grid_minimax`` of the health benchmark (the vanilla GAN with the minimax loss, a discriminator learning
20x faster than the generator) is trained until it has collapsed; from those weights four arms train on:

- ``continue``: nothing changed;
- ``loss``: the remedy's loss switch alone (minimax -> non-saturating), from the collapsed G and D;
- ``loss+lr+new_d``: the loss switch, lr_d lowered to lr_g and a re-initialised discriminator, from the collapsed G;
- ``restart``: the loss switch and lr_d = lr_g from fresh weights (what a restart with the remedy gives).

Every arm's mode coverage (VEEGAN / PacGAN protocol, 2,500 samples) is recorded every ``--every`` generator steps.
One run per seed is stored by the harness (``health_restart/<collapse>+<steps>steps/grid_minimax/seed<N>.json``
under ``--results``; a stored run is skipped) and the table is printed from the stored runs.
"""

from __future__ import annotations

import argparse
import time
from dataclasses import dataclass
from typing import Any

from lightning import Callback, seed_everything

from benchmarks.harness import (
    EVAL_SEED_OFFSET,
    ResultStore,
    RunKey,
    add_runner_arguments,
    fit_generator_steps,
    mixture_coverage,
    run_pending,
    seed_list,
)
from benchmarks.harness.variants import build_variant
from benchmarks.health.cases import BATCH_SIZE, CASES
from lightning_gans import GAN
from lightning_gans.data.toy import ToyDataModule
from lightning_gans.sampling import sample_from

EVAL_SAMPLES = 2500
ARMS = ("continue", "loss", "loss+lr+new_d", "restart")


@dataclass(frozen=True)
class RestartSpec:
    """One run: the seed, the generator steps to the collapse and after it, the evaluation period.

    >>> RestartSpec(0, 800, 8000, 2000).key.relative_path
    'health_restart/800+8000steps/grid_minimax/seed0.json'
    """

    seed: int
    collapse_steps: int
    steps: int
    every: int

    @property
    def key(self) -> RunKey:
        return RunKey("health_restart", f"{self.collapse_steps}+{self.steps}steps", "grid_minimax", self.seed)


class CoverageTrace(Callback):
    """Mode coverage of the grid every ``every`` generator steps."""

    def __init__(self, every: int, seed: int, offset: int = 0) -> None:
        self.every, self.seed, self.offset = every, seed, offset
        self.rows: list[dict[str, Any]] = []

    def on_train_batch_end(self, trainer: Any, pl_module: GAN, outputs: Any, batch: Any, batch_idx: int) -> None:
        step = pl_module.generator_steps
        if step % self.every == 0 and (not self.rows or self.rows[-1]["step"] != step + self.offset):
            coverage = mixture_coverage(sample_from(pl_module, EVAL_SAMPLES, seed=self.seed), "grid")
            self.rows.append({"step": step + self.offset, **coverage})


def _model(seed: int, **changes: Any) -> GAN:
    seed_everything(seed, verbose=False)
    return build_variant(CASES["grid_minimax"].variant, {**CASES["grid_minimax"].options, **changes})


def _data(seed: int, steps: int) -> ToyDataModule:
    return ToyDataModule("grid", BATCH_SIZE["grid"], num_batches_per_epoch=steps, seed=seed)


def run_spec(spec: RestartSpec) -> dict[str, Any]:
    """The runner's entry point."""
    return run(spec.seed, spec.collapse_steps, spec.steps, spec.every)


def run(seed: int, collapse_steps: int, steps: int, every: int) -> dict[str, Any]:
    eval_seed = seed + EVAL_SEED_OFFSET
    collapsed = _model(seed)
    fit_generator_steps(collapsed, _data(seed, collapse_steps), collapse_steps)
    at_collapse = mixture_coverage(sample_from(collapsed, EVAL_SAMPLES, seed=eval_seed), "grid")
    remedy = {"loss": "non_saturating", "lr_d": CASES["grid_minimax"].options["lr_g"]}
    arms: dict[str, Any] = {}
    for arm in ARMS:
        start = time.perf_counter()
        if arm == "restart":
            model, offset = _model(seed, **remedy), 0
        else:
            changes = {"continue": {}, "loss": {"loss": "non_saturating"}, "loss+lr+new_d": remedy}[arm]
            model = _model(seed, **changes)
            model.generator.load_state_dict(collapsed.generator.state_dict())
            if arm != "loss+lr+new_d":  # that arm keeps the freshly initialised discriminator
                model.discriminator.load_state_dict(collapsed.discriminator.state_dict())
            offset = collapse_steps
        trace = CoverageTrace(every, eval_seed, offset)
        fit_generator_steps(model, _data(seed + 100, steps), steps, callbacks=[trace])
        final = mixture_coverage(sample_from(model, EVAL_SAMPLES, seed=eval_seed), "grid")
        arms[arm] = {"curve": trace.rows, "final": final, "seconds": round(time.perf_counter() - start, 1)}
        print(f"{arm:>14}: {final['modes']:>2} modes, HQ {final['high_quality']:.0%} ({arms[arm]['seconds']} s)")
    return {
        "case": "grid_minimax",
        "options": dict(CASES["grid_minimax"].options),
        "remedy": remedy,
        "seed": seed,
        "collapse_steps": collapse_steps,
        "at_collapse": at_collapse,
        "steps": steps,
        "arms": arms,
    }


def table(record: dict[str, Any]) -> str:
    """A Markdown table of one run's arms.

    >>> arm = {"final": {"modes": 16, "high_quality": 0.5, "reverse_kl": 0.4}}
    >>> print(table({"collapse_steps": 800, "steps": 10, "at_collapse": arm["final"], "arms": {"loss": arm}}))
    | arm (from generator step 800, 10 more steps) | modes /25 | HQ | reverse KL |
    |---|---|---|---|
    | at the collapse | 16 | 50% | 0.40 |
    | loss | 16 | 50% | 0.40 |
    """
    lines = [
        f"| arm (from generator step {record['collapse_steps']}, {record['steps']} more steps) | modes /25 | HQ "
        "| reverse KL |",
        "|---|---|---|---|",
    ]
    rows = [("at the collapse", record["at_collapse"])] + [(a, v["final"]) for a, v in record["arms"].items()]
    for name, r in rows:
        lines.append(f"| {name} | {r['modes']} | {r['high_quality']:.0%} | {r['reverse_kl']:.2f} |")
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="python -m benchmarks.health.restart", description=__doc__.split("\n\n")[0])
    parser.add_argument("--seeds", type=seed_list, default=(0,), help="comma-separated seeds (default 0)")
    parser.add_argument("--collapse-steps", type=int, default=800)
    parser.add_argument("--steps", type=int, default=8000)
    parser.add_argument("--every", type=int, default=2000)
    add_runner_arguments(parser)
    args = parser.parse_args(argv)
    specs = [RestartSpec(seed, args.collapse_steps, args.steps, args.every) for seed in args.seeds]
    store = ResultStore(args.results)
    run_pending(specs, run_spec, store, args, on_fresh=lambda spec, record: None)
    for record in store.stored(specs):
        print(f"seed {record['seed']}:\n{table(record)}")


if __name__ == "__main__":
    main()
