// Multiply-add counts with and without the KV cache, and the cache's bytes per position.
#include "app/ui/view_kv.hpp"

#include <algorithm>

namespace ts::app {
namespace {

// Per token, every layer with its own sizes (gemma4's heads, kv heads and MLP width differ per layer; its KV-sharing
// layers project no K or V): the projections and the MLP, independent of the position. A recurrent layer (qwen35's
// gated DeltaNet) has its own projections: q | k | v, the gate z, α and β, and the output.
MacCounts per_token(const core::Hparams& hp) {
    const uint64_t e = uint64_t(hp.n_embd);
    MacCounts m;
    for (int il = 0; il < hp.n_layer; ++il) {
        if (hp.is_recurrent(il)) {
            m.projections +=
                e * (uint64_t(hp.ssm_conv_dim()) + 2 * uint64_t(hp.ssm_d_inner) + 2 * uint64_t(hp.ssm_dt_rank));
        } else {
            const uint64_t q = uint64_t(hp.q_dim_of(il)), kv = hp.has_own_kv(il) ? uint64_t(hp.kv_dim_of(il)) : 0;
            m.projections += e * q + 2 * e * kv + q * e;  // wq, wk, wv, wo
        }
        m.mlp += 3 * e * uint64_t(hp.n_ff_of(il));  // w_gate, w_up, w_down
    }
    return m;
}

// The keys a query at `pos` reads in layer il: every earlier position and its own, or the last `window` of them.
uint64_t keys_at(const core::Hparams& hp, int il, uint64_t pos) {
    const uint64_t n = pos + 1, w = uint64_t(hp.window(il));
    return w > 0 && n > w ? w : n;
}

// Attention of one token at `pos`, every attention layer: scores (head_dim per key per head) and the weighted sum.
uint64_t attention_macs(const core::Hparams& hp, uint64_t pos) {
    uint64_t m = 0;
    for (int il = 0; il < hp.n_layer; ++il)
        if (!hp.is_recurrent(il)) m += 2 * uint64_t(hp.n_head) * uint64_t(hp.head_dim_of(il)) * keys_at(hp, il, pos);
    return m;
}

// One token's state update in every recurrent layer, the same at every position: per value head S^T·k, the
// correction written into S (d_state × head_v each) and the read S^T·q (the decay's multiply not counted).
uint64_t recurrent_macs(const core::Hparams& hp) {
    return uint64_t(hp.n_recurrent()) * 3 * uint64_t(hp.ssm_dt_rank) * uint64_t(hp.ssm_d_state) *
           uint64_t(hp.ssm_head_v());
}

}  // namespace

MacCounts step_macs_with_cache(const core::Hparams& hp, int pos) {
    MacCounts m = per_token(hp);
    m.attention = attention_macs(hp, uint64_t(pos)) + recurrent_macs(hp);
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
    m.attention += recurrent_macs(hp) * n;                                  // the state rebuilt from position 0
    m.output = uint64_t(hp.n_embd) * uint64_t(hp.n_vocab);
    return m;
}

std::vector<KvGridRow> kv_grid_rows(const core::Hparams& hp, int n_pos, uint64_t elem_bytes) {
    std::vector<KvGridRow> rows;
    for (int l = 0; l < hp.n_layer; ++l) {
        if (hp.is_recurrent(l))
            rows.push_back({l, KvRowKind::State, uint64_t(hp.recurrent_floats() * sizeof(float))});
        else
            rows.push_back(
                {l, KvRowKind::Cache, 2 * uint64_t(hp.kv_dim()) * elem_bytes * uint64_t(std::max(n_pos, 0))});
    }
    return rows;
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
