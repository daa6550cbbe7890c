"""Mode-collapse benchmark: every variant on the ring, grid and stacked MNIST, and the published protocols.

python -m benchmarks.mode_collapse --help
"""
