#!/usr/bin/python3
"""Stage by stage: TokenScope's dump (ts_stage_dump) against llama.cpp's (dump_llama), per layer, for the same
prompt. Prints, per pair of stages, the largest absolute difference and the positions that differ at all (0: the
same 32-bit floats). Run with Debian's python3 (python3-numpy).

  compare.py OURS_DIR LLAMA_DIR [--layers 0-3] [--pairs ours:theirs,...]

The default pairs name the stages both engines have in every family; add the MLP's activation with e.g.
ffn_act:ffn_gelu (gpt2), ffn_act:ffn_swiglu (llama, qwen) or ffn_act:ffn_geglu (gemma). attn_probs is compared with
llama.cpp's kq_soft_max (its rows padded to the KV cache's size, masked entries 0)."""
import sys

import numpy as np

DEFAULT_PAIRS = "attn_norm:attn_norm,attn_probs:kq_soft_max,attn_out:kqv_out,resid_attn:ffn_inp,ffn_norm:ffn_norm," \
                "resid_ffn:l_out"


def read_index(d):
    out = {}
    for line in open(d + "/index.txt"):
        p = line.split()
        out[p[0]] = [int(x) for x in p[1:5]]  # ours: width, positions; llama.cpp's: ne0..ne3 (then its op)
    return out


def main():
    args = sys.argv[1:]
    if len(args) < 2:
        print(__doc__)
        return 2
    ours_dir, ref_dir = args[0], args[1]
    pairs, layers = DEFAULT_PAIRS, None
    if "--pairs" in args:
        pairs = args[args.index("--pairs") + 1]
    if "--layers" in args:
        a, b = args[args.index("--layers") + 1].split("-")
        layers = range(int(a), int(b) + 1)
    ours, ref = read_index(ours_dir), read_index(ref_dir)
    n_layer = 1 + max(int(k.rsplit("-", 1)[1]) for k in ours if not k.endswith("--1"))
    for layer in layers or range(n_layer):
        for pair in pairs.split(","):
            o_name, r_name = (s + "-%d" % layer for s in pair.split(":"))
            if o_name not in ours or r_name not in ref:
                continue
            o = np.fromfile(ours_dir + "/" + o_name + ".bin", dtype=np.float32)
            r = np.fromfile(ref_dir + "/" + r_name + ".bin", dtype=np.float32)
            ne = ref[r_name]
            if pair.startswith("attn_probs"):  # ours: per position p, [n_head][p + 1]; theirs: [head][token][n_kv]
                n_head, n_tok, n_kv = ne[2], ne[1], ne[0]
                r = r.reshape(n_head, n_tok, n_kv)
                diffs, off = [], 0
                for p in range(n_tok):
                    row = o[off:off + n_head * (p + 1)].reshape(n_head, p + 1)
                    off += n_head * (p + 1)
                    diffs.append(np.abs(row - r[:, p, :p + 1]).max())
                d = np.array(diffs)
                print("layer %2d %-28s max %.3g  positions differing %s" % (layer, pair, d.max(),
                                                                            np.nonzero(d)[0].tolist()[:12]))
                continue
            width = ne[0]
            r = r.reshape(-1, width)
            o = o.reshape(-1, width)
            n = min(len(o), len(r))
            o, r = o[-n:], r[-n:]  # llama.cpp keeps only the last position in its last layer
            d = np.abs(o - r).max(axis=1)
            print("layer %2d %-28s max %.3g  positions differing %s" % (layer, pair, d.max(),
                                                                        np.nonzero(d)[0].tolist()[:12]))
    return 0


if __name__ == "__main__":
    sys.exit(main())
