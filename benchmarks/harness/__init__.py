"""The shared benchmark harness: what every benchmark in ``benchmarks/`` records and runs the same way.

- **Environment** — :func:`environment` (versions, CPU, torch threads, load average, and :func:`git_state`: the
  commit and whether the code in ``lightning_gans/`` / ``benchmarks/`` / ``pyproject.toml`` differs from it), stored
  with every run; :func:`describe_environment` (or its parts :func:`describe_machines`, :func:`describe_versions`,
  :func:`describe_commits`, :func:`describe_load`) reads it back for a report's provenance line.
- **Runner** — :func:`run_all` runs picklable specs (each with a :class:`RunKey`) through a module-level function
  in ``--jobs`` spawned processes of ``--threads`` torch threads each, skips runs whose JSON is already in the
  :class:`ResultStore` (unless ``--force``), and stores each new result at once with its wall and CPU time. Tables
  are built from :meth:`ResultStore.records` / :meth:`ResultStore.stored` alone (``--report-only``).
  :func:`add_runner_arguments` adds the shared command-line options (``parallel=False`` for timing benchmarks),
  :func:`run_pending` is a suite's run step with them, :func:`publish` writes and prints a report, :func:`seed_list`
  parses ``--seeds``.
- **Training** — :func:`fit_generator_steps`: a CPU ``Trainer`` fit that stops after N *generator* steps.
- **Coverage** — :func:`evaluate_mixture` (modes / high-quality share / reverse KL on the ring or grid),
  :func:`evaluate_stacked_mnist` (modes / KL), :class:`CoverageCurve` (the 2-D metrics every N steps).
- **Statistics** — :func:`mean_se`, :func:`format_mean_se`.

A new benchmark ``benchmarks/<name>/``: a spec dataclass with ``key`` (``run.py``), a ``run(spec) -> dict`` function,
a ``report.py`` that builds its tables from stored records, and a ``suite.py`` whose ``main`` plans the specs, calls
:func:`run_all` and writes the tables from the store. Every benchmark in ``benchmarks/`` is built this way.
"""

from benchmarks.harness.coverage import (
    EVAL_SEED_OFFSET,
    CoverageCurve,
    evaluate_mixture,
    evaluate_stacked_mnist,
    mixture_coverage,
)
from benchmarks.harness.environment import (
    ROOT,
    describe_commit,
    describe_commits,
    describe_environment,
    describe_load,
    describe_machines,
    describe_versions,
    environment,
    git_state,
)
from benchmarks.harness.runner import (
    DEFAULT_RESULTS,
    ResultStore,
    RunKey,
    add_runner_arguments,
    init_worker,
    positive_int,
    publish,
    quiet,
    run_all,
    run_pending,
    seed_list,
)
from benchmarks.harness.stats import format_mean_se, mean_se
from benchmarks.harness.training import StopAfterGeneratorSteps, fit_generator_steps

__all__ = [
    "DEFAULT_RESULTS",
    "EVAL_SEED_OFFSET",
    "ROOT",
    "CoverageCurve",
    "ResultStore",
    "RunKey",
    "StopAfterGeneratorSteps",
    "add_runner_arguments",
    "describe_commit",
    "describe_commits",
    "describe_environment",
    "describe_load",
    "describe_machines",
    "describe_versions",
    "environment",
    "evaluate_mixture",
    "evaluate_stacked_mnist",
    "fit_generator_steps",
    "format_mean_se",
    "git_state",
    "init_worker",
    "mean_se",
    "mixture_coverage",
    "positive_int",
    "publish",
    "quiet",
    "run_all",
    "run_pending",
    "seed_list",
]
