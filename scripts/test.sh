#!/usr/bin/env bash
# Set up, then run the whole test suite (real tesseract, real chromium).
# Extra arguments go to pytest, e.g. `scripts/test.sh -m "not browser" -x`.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh
exec .venv/bin/python -m pytest "$@"
