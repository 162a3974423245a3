#!/usr/bin/env bash
# Set up everything the archive and its tests need on a Debian machine: system packages
# (tesseract with English, Latin script and orientation data; chromium for the browser tests;
# DejaVu and Liberation fonts, which the tests type and stamp pages with; redis-server and
# postgresql, whose servers the tests start on their own for the page workers and server
# mode), a virtualenv in .venv, and the project with its test extras. Safe to run again.
set -euo pipefail
cd "$(dirname "$0")/.."

APT_PACKAGES=(tesseract-ocr tesseract-ocr-eng tesseract-ocr-osd tesseract-ocr-script-latn
              chromium fonts-dejavu-core fonts-liberation redis-server postgresql)

missing=()
for pkg in "${APT_PACKAGES[@]}"; do
    dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null | grep -q "install ok installed" \
        || missing+=("$pkg")
done
if ! python3 -m venv --help >/dev/null 2>&1; then missing+=(python3-venv); fi
if [ "${#missing[@]}" -gt 0 ]; then
    if [ "$(id -u)" -eq 0 ]; then SUDO=""; elif command -v sudo >/dev/null; then SUDO="sudo";
    else
        echo "setup: missing system packages: ${missing[*]}" >&2
        echo "setup: install them with: apt-get install ${missing[*]}" >&2
        exit 1
    fi
    echo "setup: installing ${missing[*]}" >&2
    $SUDO apt-get update -q
    DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -q --no-install-recommends \
        "${missing[@]}"
fi

if [ ! -x .venv/bin/python ]; then python3 -m venv .venv; fi
.venv/bin/python -m pip install -q --upgrade pip
# setuptools' editable build ends with an information-only UserWarning ("be careful with
# folders named like your package"), which reads as a failure to a newcomer: silenced.
PYTHONWARNINGS=ignore::UserWarning .venv/bin/python -m pip install -q -e ".[test]"
echo "setup: ready (.venv; run commands as .venv/bin/archive ...)" >&2
