"""Evaluation overhead: the cost of EvaluationCallback against training time, every epoch and under a budget.

:mod:`~benchmarks.eval_overhead.run` (one run), :mod:`~benchmarks.eval_overhead.report` (the tables),
:mod:`~benchmarks.eval_overhead.suite` (the command line). Run ``python -m benchmarks.eval_overhead --help``.
"""
