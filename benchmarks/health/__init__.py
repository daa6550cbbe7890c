"""Health-monitor benchmark: failing GANs are diagnosed, their remedies and healthy runs are not.

python -m benchmarks.health --help
"""
