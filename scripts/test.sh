#!/usr/bin/env bash
# Installs dependencies, builds (Release) and runs every test, GUI tests included (under Xvfb + Mesa llvmpipe).
# This is the README's test command; .ci/run runs exactly this.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/install-deps.sh
cmake --preset release
cmake --build --preset release
# A virtual X server for the GUI tests; Mesa's software OpenGL renders there (no GPU needed).
xvfb-run -a -s "-screen 0 1920x1200x24" ctest --preset release
