#!/usr/bin/env bash
# Set up from nothing and run the whole test suite (unit tests, tiny real Trainer runs, doctests).
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh
.venv/bin/python -m pytest -q "$@"
