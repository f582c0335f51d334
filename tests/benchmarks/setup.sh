#!/usr/bin/env bash
# The benchmarks' own environment: diffcli plus the peers it is compared with.
# Usage: bash tests/benchmarks/setup.sh [VENV]   (default .bench-venv); then run the
# scripts with VENV/bin/python. PyTorch and JAX are optional: skipped when absent.
set -euo pipefail
root=$(cd "$(dirname "$0")/../.." && pwd)
venv=${1:-$root/.bench-venv}
python3 -m venv "$venv"
"$venv/bin/pip" install -q "$root" dezero matplotlib micrograd autograd
# PyTorch: this pin takes the CPU build kept on these machines (a plain `torch` pulls a
# multi-GB CUDA build). JAX runs on the CPU from PyPI. Either may be missing: rows skipped.
"$venv/bin/pip" install -q "torch==2.13.0" 2>/dev/null || echo "PyTorch not installed: its rows are skipped"
"$venv/bin/pip" install -q jax jaxlib 2>/dev/null || echo "JAX not installed: its rows are skipped"
echo "benchmark environment ready: $venv/bin/python tests/benchmarks/run_all.py"
