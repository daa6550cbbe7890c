#!/usr/bin/env bash
# Set up from nothing and run the main job: DCGAN on scikit-learn's digits (no download), a few minutes on a CPU.
# Writes sample grids (PNG), metrics (CSV), a checkpoint and a quality number under outputs/dcgan_digits/ and ends by
# printing where they are. Extra arguments go to `lightning-gans fit`, e.g. `--ckpt_path last` to continue the last run.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh
# One thread per process: the demo's small convolutions run faster without thread hand-offs on a busy CPU.
OMP_NUM_THREADS=${OMP_NUM_THREADS:-1} .venv/bin/lightning-gans fit --config configs/dcgan_digits.yaml "$@"
