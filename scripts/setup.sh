#!/usr/bin/env bash
# Creates .venv and installs the project (editable) once per version of pyproject.toml.
# Usage: scripts/setup.sh [EXTRAS]   e.g. scripts/setup.sh test
set -euo pipefail
cd "$(dirname "$0")/.."
extras="${1:-}"
py="${PYTHON:-$(command -v python3.11 || command -v python3)}"
if [ ! -x .venv/bin/python ]; then
  echo "setup: creating .venv with $py" >&2
  "$py" -m venv .venv
fi
stamp=".venv/.installed-$(cat pyproject.toml scripts/setup.sh | sha256sum | cut -c1-16)-${extras:-base}"
if [ ! -f "$stamp" ]; then
  echo "setup: installing dependencies (torch is pinned to the CPU build)" >&2
  .venv/bin/python -m pip install -q --upgrade pip
  # torch first and alone, pinned, so nothing resolves a CUDA build.
  .venv/bin/python -m pip install -q "torch==2.13.0"
  # The Milvus client and Milvus Lite come with every set-up (QA_STORE=milvus:… works on a fresh clone);
  # `pip install -e .` alone leaves them out.
  .venv/bin/python -m pip install -q -e ".[milvus${extras:+,$extras}]"
  touch "$stamp"
fi
