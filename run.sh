#!/usr/bin/env bash
# Set up (first time only) and start the web app on http://127.0.0.1:8000 over the bundled corpus.
set -euo pipefail
cd "$(dirname "$0")"
scripts/setup.sh
exec .venv/bin/qa serve "$@"
