// Multiply-add counts with and without the KV cache, and the cache's bytes per position.
#include "app/ui/view_kv.hpp"

namespace ts::app {
namespace {

// Per token, every layer with its own sizes (gemma4's heads, kv heads and MLP width differ per layer; its KV-sharing
// layers project no K or V): the projections and the MLP, independent of the position.
MacCounts per_token(const core::Hparams& hp) {
    const uint64_t e = uint64_t(hp.n_embd);
    MacCounts m;
    for (int il = 0; il < hp.n_layer; ++il) {
        const uint64_t q = uint64_t(hp.q_dim_of(il)), kv = hp.has_own_kv(il) ? uint64_t(hp.kv_dim_of(il)) : 0;
        m.projections += e * q + 2 * e * kv + q * e;  // wq, wk, wv, wo
        m.mlp += 3 * e * uint64_t(hp.n_ff_of(il));    // w_gate, w_up, w_down
    }
    return m;
}

// The keys a query at `pos` reads in layer il: every earlier position and its own, or the last `window` of them.
uint64_t keys_at(const core::Hparams& hp, int il, uint64_t pos) {
    const uint64_t n = pos + 1, w = uint64_t(hp.window(il));
    return w > 0 && n > w ? w : n;
}

// Attention of one token at `pos`, every layer: scores (head_dim per key per head) and the weighted sum.
uint64_t attention_macs(const core::Hparams& hp, uint64_t pos) {
    uint64_t m = 0;
    for (int il = 0; il < hp.n_layer; ++il)
        m += 2 * uint64_t(hp.n_head) * uint64_t(hp.head_dim_of(il)) * keys_at(hp, il, pos);
    return m;
}

}  // namespace

MacCounts step_macs_with_cache(const core::Hparams& hp, int pos) {
    MacCounts m = per_token(hp);
    m.attention = attention_macs(hp, uint64_t(pos));
    m.output    = uint64_t(hp.n_embd) * uint64_t(hp.n_vocab);
    return m;
}

MacCounts step_macs_without_cache(const core::Hparams& hp, int pos) {
    const uint64_t n = uint64_t(pos) + 1;  // tokens recomputed
    MacCounts one    = per_token(hp);
    MacCounts m;
    m.projections = one.projections * n;
    m.mlp         = one.mlp * n;
    for (uint64_t t = 0; t < n; ++t) m.attention += attention_macs(hp, t);  // token t sees t + 1 keys (or a window)
    m.output = uint64_t(hp.n_embd) * uint64_t(hp.n_vocab);
    return m;
}

uint64_t kv_bytes_per_position(const core::Hparams& hp, uint64_t elem_bytes) {
    return uint64_t(hp.kv_bytes(1, size_t(elem_bytes)));  // each layer's own (none: KV-sharing, recurrent layers)
}

std::vector<KvLayerRow> kv_layer_rows(const core::Hparams& hp, uint64_t elem_bytes) {
    std::vector<KvLayerRow> rows;
    for (int il = 0; il < hp.n_layer; ++il)
        rows.push_back({il, hp.has_own_kv(il) ? -1 : hp.kv_source(il), core::describe_kv_layer(hp, il),
                        uint64_t(hp.kv_layer_bytes(il, 1, size_t(elem_bytes)))});
    return rows;
}

}  // namespace ts::app
