#!/usr/bin/env bash
# docs/examples/read_trace.py on a real trace: `tokenscope run --trace` on the default model (4 tokens), then the
# example must run, find the logits file equal to the trace's logits stage, and print each part it promises.
# Exit 77 (ctest: skipped) when no python3 with NumPy is installed.     usage: read_trace_test.sh EXE SCRIPT
set -euo pipefail
exe=$1 script=$2
# A build that made only some targets (the tsan stage of scripts/test.sh builds the threaded tests alone) has no exe.
[ -x "$exe" ] || { echo "SKIP: $exe is not built"; exit 77; }
python=""
for p in python3 /usr/bin/python3; do
    if command -v "$p" >/dev/null && "$p" -c "import numpy" 2>/dev/null; then python=$p; break; fi
done
[ -n "$python" ] || { echo "SKIP: no python3 with NumPy (Debian: python3-numpy)"; exit 77; }
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

(cd "$tmp" && TS_SIMD=scalar "$exe" run -p "And God said" -n 4 -t 1 --seed 7 --trace trace.json >run.out 2>&1) ||
    { cat "$tmp/run.out"; echo "FAIL: tokenscope run --trace"; exit 1; }
"$python" "$script" "$tmp/trace.json" --layer 1 --head 3 --top 3 >"$tmp/out" 2>&1 ||
    { cat "$tmp/out"; echo "FAIL: $script exited $?"; exit 1; }
cat "$tmp/out"
for want in "prompt: '" "chosen tokens" "  pos " "the last step's sampler" "  final " \
    "logits.npy agrees with the trace's logits stage" "cosine similarity of layer 1 head 3"; do
    grep -qF -- "$want" "$tmp/out" || { echo "FAIL: no '$want' in the output"; exit 1; }
done
[ "$(grep -c '^  pos ' "$tmp/out")" -eq 4 ] || { echo "FAIL: expected 4 generated tokens"; exit 1; }
echo "OK"
