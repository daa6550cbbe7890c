"""Training throughput of the engine against a bare PyTorch loop.

python -m benchmarks.throughput --help
"""
