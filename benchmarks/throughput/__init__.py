"""Training throughput of the engine against a bare PyTorch loop, and the speed options and step time beside it.

One concept per module: :mod:`~benchmarks.throughput.cases` (the settings), :mod:`~benchmarks.throughput.bare` (the
bare loop), :mod:`~benchmarks.throughput.paired` (the engine, timed batch by batch against it),
:mod:`~benchmarks.throughput.memory` (peak memory), :mod:`~benchmarks.throughput.run` (one run),
:mod:`~benchmarks.throughput.report` (the table) and :mod:`~benchmarks.throughput.suite` (the command line);
:mod:`~benchmarks.throughput.speed_options` and :mod:`~benchmarks.throughput.grid_step_time` are measurements of
their own. All of them store one JSON per run through :mod:`benchmarks.harness`.

python -m benchmarks.throughput --help
"""
