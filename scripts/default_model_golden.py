#!/usr/bin/env python3
"""Writes tests/golden/default_model.json, the values tests/golden/default_model_test.cpp checks the shipped model
against: its shape, the held-out loss on the first --windows windows of the trainer's split (and, for the README,
the full split's), the prompt's ids and the greedy continuation's ids. Run it again after retraining the model.

usage: scripts/default_model_golden.py [--exe build/release/tokenscope] [--model assets/models/default.gguf]
                                       [--corpus FILE] [-o tests/golden/default_model.json]
The corpus defaults to a fresh scripts/kjv_corpus.sh output (needs `bible`, from Debian's bible-kjv).
"""
import argparse
import json
import os
import re
import subprocess
import sys
import tempfile

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from plot_loss import read_gguf_metadata  # noqa: E402

PROMPT = "And God said"


def run(cmd):
    r = subprocess.run(cmd, capture_output=True, text=True)
    if r.returncode != 0:
        sys.exit(f"error: {' '.join(cmd)} exited {r.returncode}: {r.stderr.strip()}")
    return r.stdout


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--exe", default="build/release/tokenscope")
    ap.add_argument("--model", default="assets/models/default.gguf")
    ap.add_argument("--corpus", help="the training text (default: scripts/kjv_corpus.sh into a temp dir)")
    ap.add_argument("--windows", type=int, default=32, help="validation windows the test scores (the trainer's 32)")
    ap.add_argument("-n", type=int, default=32, help="greedy tokens to record")
    ap.add_argument("-t", "--threads", type=int, default=2)
    ap.add_argument("-o", "--output", default="tests/golden/default_model.json")
    args = ap.parse_args()

    kv = read_gguf_metadata(args.model)
    info = run([args.exe, "info", "-m", args.model])
    m = re.search(r"^parameters\s+.*\((\d+)\)", info, re.M)
    if not m:
        sys.exit("error: `tokenscope info` shows no parameter count")
    n_params = int(m.group(1))

    with tempfile.TemporaryDirectory() as tmp:
        corpus = args.corpus
        if not corpus:
            corpus = os.path.join(tmp, "kjv.txt")
            here = os.path.dirname(os.path.abspath(__file__))
            run(["bash", os.path.join(here, "kjv_corpus.sh"), corpus])
        base = [args.exe, "eval", "-m", args.model, "--corpus", corpus, "-t", str(args.threads), "--json"]
        sub = json.loads(run(base + ["--windows", str(args.windows)]))
        full = json.loads(run(base))

    prompt_ids = [int(x) for x in run([args.exe, "tokenize", "-m", args.model, "-p", PROMPT, "--ids"]).split()]
    greedy, text = [], ""
    for line in run([args.exe, "run", "-m", args.model, "-p", PROMPT, "-n", str(args.n), "--temp", "0",
                     "--json"]).splitlines():
        obj = json.loads(line)
        if "id" in obj:
            greedy.append(obj["id"])
            text += obj["text"]

    def ids(v):
        return "[" + ", ".join(str(x) for x in v) + "]"

    fields = [
        ("model", json.dumps(args.model)),
        ("n_vocab", kv["llama.vocab_size"]),
        ("n_ctx", kv["llama.context_length"]),
        ("n_embd", kv["llama.embedding_length"]),
        ("n_layer", kv["llama.block_count"]),
        ("n_head", kv["llama.attention.head_count"]),
        ("n_head_kv", kv["llama.attention.head_count_kv"]),
        ("n_ff", kv["llama.feed_forward_length"]),
        ("n_params", n_params),
        ("corpus_bytes", sub["corpus_bytes"]),
        ("corpus_tokens", sub["corpus_tokens"]),
        ("val_frac", round(kv["tokenscope.train.val_frac"], 6)),
        ("val_tokens", sub["val_tokens"]),
        ("val_windows", sub["windows"]),
        ("val_loss", round(sub["model_loss"]["nats_per_token"], 4)),
        ("val_bits_per_byte", round(sub["model_loss"]["bits_per_byte"], 4)),
        ("full_val_windows", full["windows"]),
        ("full_val_loss", round(full["model_loss"]["nats_per_token"], 4)),
        ("full_val_bits_per_byte", round(full["model_loss"]["bits_per_byte"], 4)),
        ("full_unigram_bits_per_byte", round(full["unigram"]["bits_per_byte"], 4)),
        ("full_bigram_bits_per_byte", round(full["bigram"]["bits_per_byte"], 4)),
        ("prompt", json.dumps(PROMPT)),
        ("prompt_ids", ids(prompt_ids)),
        ("greedy_ids", ids(greedy)),
        ("greedy_text", json.dumps(text)),
    ]
    with open(args.output, "w", encoding="utf-8") as f:
        f.write("{\n" + ",\n".join(f'  "{k}": {v}' for k, v in fields) + "\n}\n")
    print(f"wrote {args.output}: val loss {sub['model_loss']['nats_per_token']:.4f} on {sub['windows']} windows, "
          f"{full['model_loss']['nats_per_token']:.4f} on all {full['windows']}; greedy: {text!r}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
