#!/usr/bin/env bash
# Install genotorch into ./.venv with everything it needs, from a fresh clone.
#   - Debian tools used by tests, demo and benchmarks (samtools, bcftools, tabix; bwa and art_illumina for
#     simulate-training-data; pbsim and minimap2 for its long reads), when missing and we are root;
#   - torch==2.13.0 first (the CPU wheel served on these machines; an unpinned torch pulls GBs of CUDA);
#   - then genotorch itself (editable) with its test extras.
set -euo pipefail
cd "$(dirname "$0")/.."

declare -A pkg=([samtools]=samtools [bcftools]=bcftools [tabix]=tabix [bwa]=bwa [art_illumina]=art-nextgen-simulation-tools [pbsim]=pbsim [minimap2]=minimap2)
need=()
for tool in "${!pkg[@]}"; do command -v "$tool" >/dev/null 2>&1 || need+=("${pkg[$tool]}"); done
if [ ${#need[@]} -gt 0 ]; then
  if [ "$(id -u)" = 0 ]; then
    echo "[install] apt-get install ${need[*]}"
    apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${need[@]}" >/dev/null
  else
    echo "[install] warning: ${need[*]} not found and not root; tests that compare with them will be skipped" >&2
  fi
fi

PY=${PYTHON:-python3}
[ -x .venv/bin/python ] || "$PY" -m venv .venv
.venv/bin/pip install -q --upgrade pip >/dev/null 2>&1 || true
.venv/bin/python -c "import torch" 2>/dev/null || .venv/bin/pip install -q torch==2.13.0
.venv/bin/pip install -q -e ".[test]"
echo "[install] genotorch $(.venv/bin/python -c 'import genotorch; print(genotorch.__version__)') ready in .venv"
