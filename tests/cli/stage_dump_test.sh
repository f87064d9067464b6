#!/bin/sh
# ts_stage_dump (tools/stage_dump.cpp, tools/llama_trace/README.md) on a tiny random gpt2 file: every layer's stages
# written with one row per position, the files the size the index says, and a bad id list an error: line.
# Usage: stage_dump_test.sh TS_MKMODEL TS_STAGE_DUMP (exit 77, skipped, where they are not built).
set -eu
mk=$1 dump=$2
[ -x "$mk" ] && [ -x "$dump" ] || { echo "SKIP: the tools are not built"; exit 77; }
dir=$(mktemp -d)
trap 'rm -rf "$dir"' EXIT
"$mk" random "$dir/m.gguf" --arch gpt2 --layers 2 --dim 64 --heads 4 --ffn 128 --vocab 300 --type q8_0 --seed 3 >/dev/null
mkdir "$dir/out"
"$dump" -m "$dir/m.gguf" --prompt-ids 1,2,3,4,5 -o "$dir/out"
for want in "resid_ffn-0 64 5" "resid_ffn-1 64 5" "attn_norm-1 64 5" "ffn_act-0 128 5" "attn_probs-1 20 5"; do
    grep -qx "$want" "$dir/out/index.txt" || { echo "FAIL: index.txt lacks '$want'"; cat "$dir/out/index.txt"; exit 1; }
done
size=$(wc -c < "$dir/out/resid_ffn-1.bin")
[ "$size" -eq $((64 * 5 * 4)) ] || { echo "FAIL: resid_ffn-1.bin has $size bytes"; exit 1; }
if "$dump" -m "$dir/m.gguf" --prompt-ids 1,x -o "$dir/out" 2>"$dir/err"; then echo "FAIL: a bad id list was accepted"; exit 1; fi
grep -q "^error: .*--prompt-ids" "$dir/err" || { echo "FAIL: no error line"; cat "$dir/err"; exit 1; }
if "$dump" -m "$dir/m.gguf" --prompt-ids 1,300 -o "$dir/out" 2>"$dir/err"; then echo "FAIL: id 300 was accepted"; exit 1; fi
grep -q "^error: token id 300 is outside the vocabulary" "$dir/err" || { echo "FAIL: no error line"; cat "$dir/err"; exit 1; }
echo "ok"
