"""``python -m lightning_gans.cli``: the same as the ``lightning-gans`` command."""

import sys

from lightning_gans.cli import main

if __name__ == "__main__":
    sys.exit(main())
