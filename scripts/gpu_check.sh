#!/usr/bin/env bash
# Every CUDA check the project has, one command, a short report (see scripts/gpu_check.py).
#   scripts/gpu_check.sh          on a CUDA machine (bf16, every GPU present)
#   scripts/gpu_check.sh --cpu    the CPU part (CI runs it)
set -euo pipefail
cd "$(dirname "$0")/.."
PY=${PYTHON:-.venv/bin/python}
[ -x "$PY" ] || PY=python3
exec "$PY" scripts/gpu_check.py "$@"
