"""Conditional GAN benchmark.

python -m benchmarks.conditional --help
"""

from benchmarks.conditional.suite import main

raise SystemExit(main())
