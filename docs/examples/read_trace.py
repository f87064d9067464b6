#!/usr/bin/env python3
"""Reads the trace `tokenscope run --trace FILE` writes, with NumPy alone, and prints what the model chose and how.

    tokenscope run -p "And God said" -n 8 --trace trace.json
    python3 read_trace.py trace.json [--layer L] [--head H] [--top K]

1. Each generated token with its probability and the K best candidates of the sampler's final stage.
2. The last step's sampler, stage by stage: entropy, candidates kept, probability mass kept.
3. The last position's raw logits (STEM.logits.npy) turned into probabilities here, which must equal the trace's own
   "logits" stage: the numbers in the files are the numbers the engine sampled from.
4. How alike one head's queries are across positions (STEM.q.npy; arrays.q.stage names the stage it holds): cosine
   similarity. That is the query side of the attention heatmap; the attention itself also needs the keys, which stay
   in the KV cache and are not written by `run` (see "The trace file" in core/trace/README.md for the format).
"""
import argparse
import json
import pathlib
import sys

import numpy as np


def text_of(trace, token_id):
    return trace["vocab"].get(str(token_id), f"<{token_id}>")


def fmt(x, spec=".3f"):
    return "-" if x is None else format(x, spec)  # non-finite numbers are written as null


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("trace", type=pathlib.Path, help="the JSON file of `tokenscope run --trace`")
    ap.add_argument("--layer", type=int, default=0, help="layer of the query similarity (default 0)")
    ap.add_argument("--head", type=int, default=0, help="head of the query similarity (default 0)")
    ap.add_argument("--top", type=int, default=5, help="candidates shown per token (default 5)")
    args = ap.parse_args()

    t = json.loads(args.trace.read_text())
    if t.get("format") != "tokenscope.trace":
        sys.exit(f"{args.trace}: not a tokenscope trace")
    arrays = {name: args.trace.parent / a["file"] for name, a in t["arrays"].items()}  # relative to the JSON
    m, steps = t["model"], t["steps"]
    print(f"{m['name']}: {m['arch']}, {m['n_layer']} layers x {m['n_head']} heads of {m['head_dim']}, "
          f"{m['n_vocab']} tokens; {t['n_pos']} positions, {t['n_prompt']} of them the prompt")
    print("prompt:", repr("".join(text_of(t, s["token"]) for s in steps[: t["n_prompt"]])))

    # 1. the generated tokens: each step's "next" is the token sampled from that position's logits
    print(f"\nchosen tokens (p in the final stage) and the top {args.top} candidates:")
    for s in steps:
        nxt = s["next"]
        if nxt is None:
            continue
        top = nxt["stages"][-1]["top"][: args.top]  # [[id, logit, p], ...], best first
        alts = "  ".join(f"{text_of(t, i)!r} {fmt(p)}" for i, _, p in top)
        print(f"  pos {s['pos'] + 1:3d}  {text_of(t, nxt['token'])!r:>12} p={fmt(nxt['p'])}   {alts}")

    # 2. the sampler of the last step, stage by stage
    last = steps[-1]["next"]
    print("\nthe last step's sampler:  stage, entropy (nats), candidates kept, mass kept")
    for st in last["stages"]:
        print(f"  {st['kind']:12} {fmt(st['entropy']):>7} {st['n_kept']:6d} {fmt(st['mass_kept'], '.4f'):>8}")

    # 3. raw logits of the last position -> softmax here, against the trace's "logits" stage
    logits = np.load(arrays["logits"]).astype(np.float64)  # [n_vocab]
    p = np.exp(logits - logits.max())
    p /= p.sum()
    stage = next(st for st in last["stages"] if st["kind"] == "logits")
    ids = np.array([i for i, _, _ in stage["top"]])
    agree = np.allclose(p[ids], [q for _, _, q in stage["top"]], atol=1e-5) and np.array_equal(
        np.sort(p)[::-1][: len(ids)], np.sort(p[ids])[::-1])
    best = np.argsort(-logits, kind="stable")[: args.top]
    print("\nsoftmax of the last position's logits.npy:",
          "  ".join(f"{text_of(t, int(i))!r} {p[i]:.3f}" for i in best))
    print("logits.npy", "agrees" if agree else "DISAGREES", "with the trace's logits stage")

    # 4. one head's queries: cosine similarity between recorded positions
    q = np.load(arrays["q"])  # [R, n_layer, n_head, head_dim], R recorded positions
    positions = t["arrays"]["q"]["positions"]
    if not 0 <= args.layer < m["n_layer"] or not 0 <= args.head < m["n_head"]:
        sys.exit(f"--layer must be in [0, {m['n_layer']}) and --head in [0, {m['n_head']})")
    qh = q[:, args.layer, args.head, :].astype(np.float64)  # [R, head_dim]
    qh /= np.maximum(np.linalg.norm(qh, axis=1, keepdims=True), 1e-12)
    sim = qh @ qh.T  # [R][R]
    shown = slice(max(0, len(positions) - 10), len(positions))  # the newest 10 positions
    stage = t["arrays"]["q"]["stage"]  # the architecture's stage these rows were taken from
    print(f"\ncosine similarity of layer {args.layer} head {args.head}'s queries, stage {stage['key']} "
          f"({stage['title']}) (rows, columns: positions):")
    print("      " + "".join(f"{p:>6d}" for p in positions[shown]))
    for r in range(len(positions))[shown]:
        print(f"{positions[r]:>6d}" + "".join(f"{v:6.2f}" for v in sim[r, shown]))
    return 0 if agree else 1


if __name__ == "__main__":
    sys.exit(main())
