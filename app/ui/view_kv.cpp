// Multiply-add counts with and without the KV cache, and the cache's bytes per position.
#include "app/ui/view_kv.hpp"

#include <algorithm>

namespace ts::app {
namespace {

// Per token: the projections and the MLP of every layer (independent of the position). A recurrent layer (qwen35's
// gated DeltaNet) has its own projections: q | k | v, the gate z, α and β, and the output.
MacCounts per_token(const core::Hparams& hp) {
    const uint64_t e = uint64_t(hp.n_embd), kv = uint64_t(hp.kv_dim()), ff = uint64_t(hp.n_ff);
    const uint64_t n_rec = uint64_t(hp.n_recurrent()), n_att = uint64_t(hp.n_layer) - n_rec;
    MacCounts m;
    m.projections = n_att * (e * e + 2 * e * kv + e * e);  // wq, wk, wv, wo
    m.projections +=
        n_rec * e * (uint64_t(hp.ssm_conv_dim()) + 2 * uint64_t(hp.ssm_d_inner) + 2 * uint64_t(hp.ssm_dt_rank));
    m.mlp = uint64_t(hp.n_layer) * 3 * e * ff;  // w_gate, w_up, w_down
    return m;
}

// Attention of one token over n_keys keys, every attention layer: scores (head_dim per key per head) and the
// weighted sum.
uint64_t attention_macs(const core::Hparams& hp, uint64_t n_keys) {
    const uint64_t n_att = uint64_t(hp.n_layer - hp.n_recurrent());
    return n_att * 2 * uint64_t(hp.n_head) * uint64_t(hp.head_dim) * n_keys;
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
    m.attention = attention_macs(hp, uint64_t(pos) + 1) + recurrent_macs(hp);
    m.output    = uint64_t(hp.n_embd) * uint64_t(hp.n_vocab);
    return m;
}

MacCounts step_macs_without_cache(const core::Hparams& hp, int pos) {
    const uint64_t n = uint64_t(pos) + 1;  // tokens recomputed
    MacCounts one    = per_token(hp);
    MacCounts m;
    m.projections = one.projections * n;
    m.mlp         = one.mlp * n;
    m.attention   = attention_macs(hp, 1) * (n * (n + 1) / 2)  // token t sees t + 1 keys: Σ (t + 1) for t < n
                  + recurrent_macs(hp) * n;                    // the state rebuilt from position 0
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
    return uint64_t(hp.kv_bytes(1, size_t(elem_bytes)));  // the attention layers' (qwen35: not its DeltaNet ones)
}

}  // namespace ts::app
