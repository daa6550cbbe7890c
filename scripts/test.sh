#!/usr/bin/env bash
# Set up from nothing, lint and format-check, and run the whole test suite (unit tests, tiny real Trainer runs, doctests).
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh
.venv/bin/ruff check .
.venv/bin/ruff format --check .
.venv/bin/python -m pytest -q "$@"
