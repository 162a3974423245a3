#!/usr/bin/env bash
# Set up, build the demo archive from the sample productions in scans/ (read in place; data in
# index/), search it, and serve the reading room on http://127.0.0.1:8080 (Ctrl-C stops it).
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh
archive=".venv/bin/archive"
"$archive" add scans/ntsb-mu5735 || [ $? -eq 3 ]
"$archive" add scans/reconstructed-ice-email || [ $? -eq 3 ]
"$archive" stats
"$archive" search '"sally port"'
if "$archive" serve --help >/dev/null 2>&1; then
    exec "$archive" serve --host 127.0.0.1 --port "${PORT:-8080}"
fi
