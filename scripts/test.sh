#!/usr/bin/env bash
# Installs dependencies, builds and runs every test. This is the README's test command; .ci/run runs exactly this.
#   1. Release (g++): every test, the GUI ones included, under Xvfb with Mesa's software OpenGL (no GPU needed).
#   2. ASan + UBSan (clang): every test that needs no display.
#   3. libFuzzer (clang): the GGUF, tokenizer, model-loading, llama2.c and exploration fuzzers replay their seed corpora, then run
#      60 s each.
#   4. ThreadSanitizer (clang): the threaded tests only (thread pool, matvec/matmul on the pool, session, engine
#      worker, the explorer's bridge and headless frames over a running engine), to keep CI well under its budget.
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
    cmake --build --preset fuzz --target fuzz_gguf fuzz_tokenizer fuzz_load_model fuzz_llama2c fuzz_exploration
    ctest --test-dir build/fuzz -L fuzz --output-on-failure -j2  # the five 60 s campaigns two at a time

    cmake --preset tsan
    cmake --build --preset tsan --target thread_pool_test matvec_test session_test worker_test ui_frames_test \
        gui_frame_test
    ctest --preset tsan -E "_NOT_BUILT"  # the targets above only
fi
