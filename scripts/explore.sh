#!/usr/bin/env bash
# Installs dependencies, builds (Release) and starts the explorer on the embedded default model.
# Extra arguments go to `tokenscope` (e.g. `scripts/explore.sh -m model.gguf`).
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/install-deps.sh
cmake --preset release
cmake --build --preset release
exec build/release/tokenscope "$@"
