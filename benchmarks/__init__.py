"""The benchmark suite of lightning_gans: a shared harness (:mod:`benchmarks.harness`) and one package per benchmark.

python -m benchmarks.mode_collapse --quick
python -m benchmarks.health --quick
python -m benchmarks.throughput --quick
"""
