"""One parallel runner for every benchmark: worker processes with one torch thread each, resumable results.

A benchmark describes each run by a picklable *spec* with a ``key`` (a :class:`RunKey`) and gives a module-level
function ``run(spec) -> dict`` that trains and evaluates it. :func:`run_all` skips the runs whose result file
already exists (unless ``force``), runs the others in ``jobs`` worker processes and writes each result as soon as it
arrives, with its wall and CPU time and the environment that produced it. Tables are then built from the stored
files alone (:meth:`ResultStore.records`, :meth:`ResultStore.stored`), so a table can be completed over several
invocations.

Keys starting with ``_`` in a returned record (e.g. ``"_samples"``, to draw a picture) are handed back to the
caller but never written.
"""

from __future__ import annotations

import argparse
import json
import logging
import os
import time
import warnings
from collections.abc import Callable, Iterator, Sequence
from concurrent.futures import ProcessPoolExecutor, as_completed
from dataclasses import dataclass
from multiprocessing import get_context
from pathlib import Path
from typing import Any, Protocol

from benchmarks.harness.environment import ROOT, environment

DEFAULT_RESULTS = ROOT / "benchmarks" / "results" / "runs"  # the committed per-run JSON files


@dataclass(frozen=True)
class RunKey:
    """What identifies one run: the benchmark, the protocol (or setting) it follows, the recipe (or case), the seed.

    ``protocol`` should name everything that changes the result besides the recipe and the seed (e.g.
    ``"shared_grid_1500steps"``), so that runs of different budgets never overwrite each other.

    >>> RunKey("mode_collapse", "pacgan_table1_grid", "pacgan4", 3).relative_path
    'mode_collapse/pacgan_table1_grid/pacgan4/seed3.json'
    """

    benchmark: str
    protocol: str
    recipe: str
    seed: int

    @property
    def relative_path(self) -> str:
        return f"{self.benchmark}/{self.protocol}/{self.recipe}/seed{self.seed}.json"


class RunSpec(Protocol):
    """Anything picklable with a :class:`RunKey` as ``key``."""

    @property
    def key(self) -> RunKey: ...


class ResultStore:
    """One JSON file per run under ``root`` (``<benchmark>/<protocol>/<recipe>/seed<k>.json``).

    >>> import tempfile
    >>> store = ResultStore(tempfile.mkdtemp())
    >>> key = RunKey("demo", "p", "r", 0)
    >>> store.has(key), store.save(key, {"metrics": {"modes": 3}}).name, store.has(key)
    (False, 'seed0.json', True)
    >>> [r["key"] for r in store.records("demo")]
    [{'benchmark': 'demo', 'protocol': 'p', 'recipe': 'r', 'seed': 0}]
    """

    def __init__(self, root: str | Path) -> None:
        self.root = Path(root)

    def path(self, key: RunKey) -> Path:
        return self.root / key.relative_path

    def has(self, key: RunKey) -> bool:
        return self.path(key).is_file()

    def load(self, key: RunKey) -> dict[str, Any]:
        return json.loads(self.path(key).read_text())

    def save(self, key: RunKey, record: dict[str, Any]) -> Path:
        """Write ``record`` (its ``_``-prefixed keys left out) with its key; returns the file."""
        path = self.path(key)
        path.parent.mkdir(parents=True, exist_ok=True)
        stored = {"key": vars(key).copy(), **{k: v for k, v in record.items() if not k.startswith("_")}}
        path.write_text(json.dumps(stored, indent=1, default=str, allow_nan=True) + "\n")
        return path

    def records(self, benchmark: str, protocol: str | None = None) -> list[dict[str, Any]]:
        """Every stored record of ``benchmark`` (optionally one protocol), sorted by file path."""
        base = self.root / benchmark if protocol is None else self.root / benchmark / protocol
        return [json.loads(p.read_text()) for p in sorted(base.glob("**/seed*.json"))]

    def stored(self, specs: Sequence[RunSpec]) -> list[dict[str, Any]]:
        """The stored records of ``specs``, in their order; specs not stored (yet) are left out."""
        return [self.load(spec.key) for spec in specs if self.has(spec.key)]


def quiet() -> None:
    """Silence Lightning's per-fit banners and expected single-process warnings (benchmarks print their own)."""
    for name in ("lightning", "lightning.pytorch", "lightning.fabric"):
        logging.getLogger(name).setLevel(logging.ERROR)
    warnings.filterwarnings("ignore", message=r".*(does not have many workers|GPU available|litlogger|LitLogger).*")
    warnings.filterwarnings("ignore", message=r".*isinstance\(treespec, LeafSpec\).*")  # lightning 2.6 + torch 2.14


def init_worker(threads: int) -> None:
    """Set up a process for benchmark runs: ``threads`` torch threads (1 is fastest for many small runs), quiet."""
    import torch

    torch.set_num_threads(threads)
    quiet()


def _timed(run: Callable[[Any], dict[str, Any]], spec: Any) -> dict[str, Any]:
    env = environment()  # the code and the machine's load as they were when the run started
    wall, cpu = time.perf_counter(), time.process_time()
    record = run(spec)
    record["run_wall_s"] = time.perf_counter() - wall
    record["run_cpu_s"] = time.process_time() - cpu  # this process only: one run per worker at a time
    record["environment"] = env
    return record


def run_all(
    specs: Sequence[RunSpec],
    run: Callable[[Any], dict[str, Any]],
    store: ResultStore | None,
    jobs: int = 1,
    threads: int = 1,
    force: bool = False,
) -> Iterator[tuple[RunSpec, dict[str, Any], bool]]:
    """Yield ``(spec, record, fresh)`` for every spec: stored ones first (``fresh=False``), then new runs as they end.

    ``run`` must be a module-level function (it is sent to spawned worker processes). Each new record gets
    ``run_wall_s``, ``run_cpu_s`` and ``environment`` (taken when the run starts) and is written to ``store`` at once
    (``store=None`` keeps nothing, e.g. for throw-away smoke runs). ``jobs=1`` runs in this process; timing
    benchmarks use it, so that runs do not compete for the cores. ``force=True`` runs stored specs again and
    overwrites their files.
    """
    pending = []
    for spec in specs:
        if store is not None and store.has(spec.key) and not force:
            yield spec, store.load(spec.key), False
        else:
            pending.append(spec)
    if not pending:
        return
    if jobs == 1:
        init_worker(threads)
        results: Iterator[tuple[RunSpec, dict[str, Any]]] = ((spec, _timed(run, spec)) for spec in pending)
        yield from _store_each(results, store)
        return
    # spawn: fresh interpreters, no inherited thread pools or Lightning state
    with ProcessPoolExecutor(
        jobs, mp_context=get_context("spawn"), initializer=init_worker, initargs=(threads,)
    ) as pool:
        futures = {pool.submit(_timed, run, spec): spec for spec in pending}
        yield from _store_each(((futures[f], f.result()) for f in as_completed(futures)), store)


def _store_each(
    results: Iterator[tuple[RunSpec, dict[str, Any]]], store: ResultStore | None
) -> Iterator[tuple[RunSpec, dict[str, Any], bool]]:
    for spec, record in results:
        if store is not None:
            store.save(spec.key, record)
        yield spec, record, True


def run_pending(
    specs: Sequence[RunSpec],
    run: Callable[[Any], dict[str, Any]],
    store: ResultStore,
    args: argparse.Namespace,
    on_fresh: Callable[[Any, dict[str, Any]], None],
) -> None:
    """A suite's run step: unless ``args.report_only``, :func:`run_all` with the shared options of
    :func:`add_runner_arguments` (``jobs``, ``threads``, ``force``), handing each new run to ``on_fresh(spec, record)``
    (to print it, or keep its ``_`` entries for a picture)."""
    if args.report_only:
        return
    for spec, record, fresh in run_all(specs, run, store, args.jobs, args.threads, args.force):
        if fresh:
            on_fresh(spec, record)


def publish(path: Path, text: str) -> Path:
    """Write a report built from the stored records (its folder made if needed), print it, return its path."""
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text)
    print(text)
    return path


def seed_list(text: str) -> tuple[int, ...]:
    """argparse type of ``--seeds``: comma-separated integers >= 0.

    >>> seed_list("0, 2,5")
    (0, 2, 5)
    """
    try:
        values = tuple(int(part) for part in text.split(",") if part.strip())
    except ValueError:
        values = ()
    if not values or min(values) < 0:
        raise argparse.ArgumentTypeError(f"must be comma-separated integers >= 0, got {text!r}")
    return values


def positive_int(text: str) -> int:
    """argparse type of ``--jobs`` / ``--threads``: an integer >= 1.

    >>> positive_int("3")
    3
    """
    try:
        value = int(text)
    except ValueError:
        value = 0
    if value < 1:
        raise argparse.ArgumentTypeError(f"must be an integer >= 1, got {text!r}")
    return value


def add_runner_arguments(parser: argparse.ArgumentParser, parallel: bool = True) -> None:
    """The options every benchmark shares: ``--jobs`` (default: every core), ``--threads``, ``--results``,
    ``--report-only`` and ``--force``.

    ``parallel=False`` (timing benchmarks, whose runs must not compete for the cores) leaves ``--jobs`` out and
    sets ``jobs=1``.

    >>> parser = argparse.ArgumentParser()
    >>> add_runner_arguments(parser, parallel=False)
    >>> args = parser.parse_args(["--report-only"])
    >>> args.jobs, args.threads, args.report_only, args.force, args.results.name
    (1, 1, True, False, 'runs')
    """
    cores = os.cpu_count() or 1
    if parallel:
        parser.add_argument("--jobs", type=positive_int, default=cores, help=f"worker processes (default {cores})")
    else:
        parser.set_defaults(jobs=1)
    parser.add_argument("--threads", type=positive_int, default=1, help="torch threads per process (default 1)")
    parser.add_argument(
        "--results",
        type=Path,
        default=DEFAULT_RESULTS,
        help="folder of the per-run JSON files; runs already there are skipped (default: benchmarks/results/runs)",
    )
    parser.add_argument("--report-only", action="store_true", help="run nothing: rebuild the tables from the JSON")
    parser.add_argument("--force", action="store_true", help="run again the runs whose JSON file exists")
