"""``python -m benchmarks.mnist_fid``: see :mod:`benchmarks.mnist_fid`."""

from benchmarks.mnist_fid.run import main

if __name__ == "__main__":
    main()
