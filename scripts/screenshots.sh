#!/usr/bin/env bash
# Regenerates the README's screenshots with `tokenscope shot` on the built-in default model (no display needed:
# it runs itself under xvfb-run when DISPLAY is unset). Run after scripts/explore.sh or scripts/test.sh has built
# build/release/tokenscope.
set -euo pipefail
cd "$(dirname "$0")/.."
exe=build/release/tokenscope
[ -x "$exe" ] || { echo "error: $exe is missing: build first (bash scripts/test.sh)" >&2; exit 1; }
if [ -z "${DISPLAY:-}" ]; then exec xvfb-run -a -s "-screen 0 1920x1200x24" bash "$0" "$@"; fi
mkdir -p docs/panels
prompt="And God said"
"$exe" shot -p "$prompt" -n 40 --panel all --layer 2 --head 0 --size 1600x1000 -o docs/screenshot.png
# The attention panel with the mouse on a cell, so its tooltip shows.
"$exe" shot -p "$prompt" -n 16 --panel attention --layer 1 --head 3 --size 1200x750 --hover 400,420 \
    -o docs/panels/attention.png
for panel in qk softmax logits kv layers geometry; do
    "$exe" shot -p "$prompt" -n 16 --panel "$panel" --layer 1 --head 3 --size 1200x750 -o "docs/panels/$panel.png"
done
"$exe" shot -p "$prompt" -n 16 --panel attention --attention heads --layer 1 --size 1200x750 -o docs/panels/heads.png
# The head atlas (the Heads panel), with the default model's previous-token head selected.
"$exe" shot -p "$prompt" -n 16 --panel heads --layer 3 --head 0 --size 1200x750 -o docs/panels/atlas.png
# Layer 1's head mean with its attention sink (position 0) hidden and the rows renormalised.
"$exe" shot -p "$prompt" -n 16 --panel attention --attention mean,nosinks --layer 1 --size 1200x750 \
    -o docs/panels/sinks.png
# Two branches of "And God said unto" (the sampled " him" and a forced " Moses", id 686) compared in Branches.
"$exe" shot -p "And God said unto" -n 16 --panel branches --branch 5:686 --layer 1 --size 1200x750 \
    -o docs/panels/branches.png
# qwen35 on a small random-weight file (6 gated DeltaNet layers, 2 attention layers): a recurrent layer's gates and
# state norm in the Attention panel (the mouse on a cell of the β strip), and the KV panel with both memories.
mk=build/release/ts_mkmodel
q35=$(mktemp --suffix=.gguf)
"$mk" random "$q35" --arch qwen35 --layers 8 --dim 256 --heads 4 --kv-heads 2 --ssm-state 32 --ssm-heads 8 \
    --ssm-groups 4 --ffn 512 --vocab 300 --type q8_0 --seed 3 >/dev/null
q35_prompt="the quick brown fox jumps over the lazy dog"
"$exe" shot -m "$q35" -p "$q35_prompt" -n 24 --panel attention --layer 1 --size 1200x750 --hover 700,420 \
    -o docs/qwen35-recurrent.png
"$exe" shot -m "$q35" -p "$q35_prompt" -n 24 --panel kv --size 1200x750 -o docs/qwen35-kv.png
rm -f "$q35"
# gemma4 with experts beside each MLP (16 experts, 4 per token) on a small random-weight file: the Experts panel with
# the mouse on layer 2, position 12 (the chosen experts, their weights and the router's whole distribution).
g4m=$(mktemp --suffix=.gguf)
"$mk" random "$g4m" --arch gemma4 --layers 8 --dim 128 --heads 4 --kv-heads 1 --head-dim 32 --head-dim-swa 16 --swa 8 \
    --ffn 256 --vocab 300 --experts 16 --experts-used 4 --ffn-exp 64 --type q8_0 --seed 3 >/dev/null
"$exe" shot -m "$g4m" -p "the quick brown fox jumps" -n 8 --panel experts --size 1200x750 --hover 520,175 \
    -o docs/gemma4-experts.png
rm -f "$g4m"
ls -l docs/screenshot.png docs/panels docs/qwen35-*.png docs/gemma4-experts.png
