"""``python -m benchmarks.mnist_fid``: see :mod:`benchmarks.mnist_fid`."""

from benchmarks.mnist_fid.suite import main

raise SystemExit(main())
