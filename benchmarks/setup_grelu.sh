#!/usr/bin/env bash
# gReLU in its own virtual environment (.venv-grelu), for benchmarks/seq_vs_grelu.py only: it is not a genotorch
# dependency. torch is pinned first so pip keeps the CPU wheel.
set -euo pipefail
cd "$(dirname "$0")/.."
[ -x .venv-grelu/bin/python ] || python3 -m venv .venv-grelu
.venv-grelu/bin/pip install -q torch==2.13.0
.venv-grelu/bin/pip install -q grelu scikit-learn
.venv-grelu/bin/python -c "import grelu, torch; print('gReLU', grelu.__version__, 'torch', torch.__version__)"
