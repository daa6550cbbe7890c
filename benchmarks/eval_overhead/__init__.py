"""Evaluation overhead: the cost of EvaluationCallback against training time, every epoch and under a budget.

Run ``python -m benchmarks.eval_overhead --help``.
"""
