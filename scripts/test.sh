#!/usr/bin/env bash
# Installs dependencies, builds and runs every test. This is the README's test command; .ci/run runs exactly this.
#   1. Release (g++): every test, the GUI ones included, under Xvfb with Mesa's software OpenGL (no GPU needed).
#   2. ASan + UBSan (clang): every test that needs no display.
#   3. libFuzzer (clang): the GGUF, tokenizer, model-loading and llama2.c fuzzers replay their seed corpora, then run
#      60 s each.
# TS_TEST_QUICK=1 runs step 1 only.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/install-deps.sh

cmake --preset release
cmake --build --preset release
xvfb-run -a -s "-screen 0 1920x1200x24" ctest --preset release

if [ "${TS_TEST_QUICK:-0}" != "1" ]; then
    cmake --preset asan
    cmake --build --preset asan
    ctest --preset asan

    cmake --preset fuzz
    cmake --build --preset fuzz --target fuzz_gguf fuzz_tokenizer fuzz_load_model fuzz_llama2c
    ctest --test-dir build/fuzz -L fuzz --output-on-failure
fi
