#!/usr/bin/env bash
# Builds dump_llama against the llama.cpp reference package that ../shared/tools/setup_ref.sh installs (its prebuilt
# libraries, and the headers of the source it was built from, read out of its gitRelease.bundle). A developer tool:
# the product never needs it. Usage: bash tools/llama_trace/build.sh [REF_DIR] -> build/llama_trace/dump_llama
set -euo pipefail
cd "$(dirname "$0")/../.."
ref=${1:-$HOME/.cache/tokenscope-ref}
bins=$ref/node_modules/@node-llama-cpp/linux-x64/bins/linux-x64
bundle=$ref/node_modules/node-llama-cpp/llama/gitRelease.bundle
[ -d "$bins" ] && [ -f "$bundle" ] || { echo "error: no reference package in $ref (run ../shared/tools/setup_ref.sh)" >&2; exit 1; }
out=build/llama_trace
mkdir -p "$out"
[ -d "$out/src" ] || git clone -q "$bundle" "$out/src"
g++ -O1 -std=c++17 tools/llama_trace/dump_llama.cpp -I"$out/src/include" -I"$out/src/ggml/include" -L"$bins" \
    -l:libllama.v0.5.0.so -l:libggml.v0.5.0.so -l:libggml-base.so -Wl,-rpath,"$bins" -o "$out/dump_llama"
echo "built $out/dump_llama (CPU variants in $bins)"
