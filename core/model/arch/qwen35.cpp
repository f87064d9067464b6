// qwen35 (Qwen3.5 dense): two kinds of layers in one stage list, read top to bottom like the math:
//
//   token → embedding row;  position → RoPE angles (interleaved M-RoPE on the first n_rot dims of a head)
//   per layer: RMSNorm →
//     attention layer (every full_attention_interval-th):  Q | gate, K, V projections → RMSNorm of each Q and K
//        head → RoPE → K, V into the KV cache → softmax attention → ⊙ sigmoid(gate) → output projection
//     DeltaNet layer (the others):  q | k | v mix and the gate z → causal convolution (its last d_conv - 1 inputs
//        are state) → L2-norm of q and k → decay gate g and write strength β → per value head: S ← exp(g)·S,
//        S ← S + k·β(v − Sᵀk)ᵀ, read Sᵀq/√d → RMSNorm ⊙ silu(z) → ssm_out
//   → residual add → RMSNorm (post_attention_norm) → SwiGLU MLP → residual add
//   → final RMSNorm → logits
//
// The DeltaNet state is KvCache::recurrent() (core/kv/recurrent_state.hpp); Forward::eval keeps it in step with
// the positions (rewind: the nearest checkpoint, then a recompute). Every DeltaNet stage runs token by token in
// the same order for a batch as for one token, so prefill and decode agree bit for bit.
#include <cmath>
#include <cstring>

#include "core/model/arch/arch.hpp"
#include "core/model/arch/deltanet.hpp"
#include "core/model/forward.hpp"
#include "core/tensor/quant.hpp"

namespace ts::core {
namespace {

constexpr std::string_view kNormExplain =
    "RMSNorm divides the residual stream by its root-mean-square and scales each dimension by a learned weight.";

constexpr StageDesc kBefore[] = {
    {Stage::Embed,
     "Embedding row",
     "The token id selects one row of the embedding matrix: this vector is the token's starting point in the "
     "residual stream.",
     Dims::Embd,
     {"token_embd.weight"}},
    {Stage::Rope,
     "Position (RoPE angles)",
     "Only the attention layers use positions: they rotate the first rope.dimension_count dimensions of each query "
     "and key head (the rest of the head is not rotated). The DeltaNet layers know order only through their state.",
     Dims::Rope,
     {}},
};

constexpr StageDesc kBlock[] = {
    {Stage::AttnNorm, "Layer norm", kNormExplain, Dims::Embd, {"attn_norm.weight"}},
    // ---- attention layers
    {Stage::QProj,
     "Query projection (+ gate)",
     "Attention layer. Wq gives each head a query and, beside it, a gate for the head's output (split off here).",
     Dims::QHeads,
     {"attn_q.weight"}},
    {Stage::KProj,
     "Key projection",
     "Attention layer. Wk maps the normed vector to one key per kv head.",
     Dims::KvHeads,
     {"attn_k.weight"}},
    {Stage::V,
     "Value projection",
     "Attention layer. Wv maps it to one value per kv head.",
     Dims::KvHeads,
     {"attn_v.weight"}},
    {Stage::QNorm,
     "Query norm (per head)",
     "Each query head is RMS-normed with attn_q_norm before RoPE.",
     Dims::QHeads,
     {"attn_q_norm.weight"}},
    {Stage::KNorm,
     "Key norm (per head)",
     "Each key head is RMS-normed with attn_k_norm before RoPE.",
     Dims::KvHeads,
     {"attn_k_norm.weight"}},
    {Stage::Q,
     "RoPE on the queries",
     "The first rope.dimension_count dimensions of each query head are rotated by the position's angles.",
     Dims::QHeads,
     {}},
    {Stage::K,
     "RoPE on the keys",
     "The keys are rotated the same way, then go into the KV cache: this memory grows by one row per position.",
     Dims::KvHeads,
     {}},
    {Stage::AttnScores,
     "Scores q·k/√d",
     "Each query head is compared with the key of every earlier position (causal).",
     Dims::HeadKeys,
     {}},
    {Stage::AttnProbs, "Softmax", "The scores of each head become weights that sum to 1.", Dims::HeadKeys, {}},
    {Stage::AttnOut,
     "Weighted sum of V",
     "Each head mixes the values of the positions it attends to.",
     Dims::QHeads,
     {}},
    {Stage::AttnGate,
     "Output gate",
     "Each head's output is multiplied, dimension by dimension, by sigmoid(gate): the head can close itself.",
     Dims::QHeads,
     {}},
    {Stage::AttnProj,
     "Heads combined (wo)",
     "The output matrix maps the gated heads back to the residual stream's width.",
     Dims::Embd,
     {"attn_output.weight"}},
    // ---- gated DeltaNet layers
    {Stage::LinQkv,
     "q | k | v projection",
     "Linear-attention layer. One matrix gives this token's query, key and value channels, before the convolution.",
     Dims::SsmConv,
     {"attn_qkv.weight"}},
    {Stage::LinZ,
     "Output gate z",
     "Linear-attention layer. A second matrix gives the gate that will scale the layer's output (through silu).",
     Dims::SsmHeads,
     {"attn_gate.weight"}},
    {Stage::LinConv,
     "Causal conv",
     "Each channel is mixed with its own last few values (ssm.conv_kernel taps, the older ones kept as state), "
     "then silu: a short look back before the long-range memory.",
     Dims::SsmConv,
     {"ssm_conv1d.weight"}},
    {Stage::LinQ,
     "Query (L2-normed)",
     "The convolved query of each q/k head, divided by its length.",
     Dims::SsmGroups,
     {}},
    {Stage::LinK,
     "Key (L2-normed)",
     "The convolved key of each q/k head, divided by its length: the address this token writes to.",
     Dims::SsmGroups,
     {}},
    {Stage::LinDecay,
     "Decay gate",
     "g = ssm_a · softplus(ssm_alpha·x + ssm_dt) ≤ 0 per value head: the state is multiplied by exp(g), forgetting "
     "a little (g near 0) or a lot.",
     Dims::SsmGates,
     {"ssm_alpha.weight", "ssm_dt.bias", "ssm_a"}},
    {Stage::LinBeta,
     "Write strength β",
     "β = sigmoid(ssm_beta·x) per value head: how much of the correction this token writes into the state.",
     Dims::SsmGates,
     {"ssm_beta.weight"}},
    {Stage::LinRead,
     "State update",
     "Per value head: the decayed state S is asked what it holds at key k (S^T·k), the difference to the value v "
     "times β is written at k, then the query reads the updated state (S^T·q/√d). The state has a fixed size: no "
     "cache grows.",
     Dims::SsmHeads,
     {}},
    {Stage::LinStateNorm,
     "State norm",
     "The size (Frobenius norm) of each head's state after this token: what the memory holds, not what it attends.",
     Dims::SsmGates,
     {}},
    {Stage::LinNorm,
     "Gated norm",
     "Each head's read-out is RMS-normed with ssm_norm and multiplied by silu(z).",
     Dims::SsmHeads,
     {"ssm_norm.weight"}},
    {Stage::LinOut,
     "Output projection",
     "ssm_out maps the gated heads back to the residual stream's width.",
     Dims::Embd,
     {"ssm_out.weight"}},
    // ---- every layer
    {Stage::ResidAttn,
     "Residual add",
     "The attention or DeltaNet block's result is added to the residual stream.",
     Dims::Embd,
     {}},
    {Stage::FfnNorm, "MLP norm", kNormExplain, Dims::Embd, {"post_attention_norm.weight"}},
    {Stage::FfnGate,
     "Gate projection",
     "W_gate widens the vector to the MLP's hidden size.",
     Dims::Ff,
     {"ffn_gate.weight"}},
    {Stage::FfnUp, "Up projection", "W_up widens it a second time.", Dims::Ff, {"ffn_up.weight"}},
    {Stage::FfnAct, "SwiGLU", "silu(gate) × up, unit by unit.", Dims::Ff, {}},
    {Stage::FfnOut,
     "Down projection",
     "W_down maps the hidden units back: the MLP's output.",
     Dims::Embd,
     {"ffn_down.weight"}},
    {Stage::ResidFfn,
     "Residual add (layer output)",
     "The MLP's result is added to the residual stream: the layer's output.",
     Dims::Embd,
     {}},
};

constexpr StageDesc kAfter[] = {
    {Stage::FinalNorm, "Final norm", kNormExplain, Dims::Embd, {"output_norm.weight"}},
    {Stage::Logits,
     "Logits",
     "The output matrix scores every vocabulary entry against the final vector.",
     Dims::Vocab,
     {"output.weight"}},
};

constexpr ArchDesc kQwen35 = {"qwen35",
                              "gated DeltaNet linear attention (a fixed-size recurrent state per layer) on three of "
                              "every four layers, gated softmax attention with a KV cache on the fourth",
                              kBefore, kBlock, kAfter};

}  // namespace

const ArchDesc& qwen35_desc() {
    return kQwen35;
}

// ---- the block function ---------------------------------------------------------------------------------------

void Forward::eval_qwen35(const KvCache& cache, KvCache* store, const int32_t* tokens, int n, int pos0, float* logits,
                          LogitRows rows, ThreadPool& pool, Observer* observer) {
    const Hparams& hp    = model_.hp;
    const Weights& w     = model_.w;
    const ArchDesc& arch = arch_desc(hp);
    const int n_embd = hp.n_embd, q_dim = hp.q_dim(), kv_dim = hp.kv_dim(), n_ff = hp.n_ff, head_dim = hp.head_dim;
    const int half_rot = hp.n_rot / 2;
    const int C = hp.ssm_conv_dim(), R = hp.ssm_dt_rank, G = hp.ssm_n_group, D = hp.ssm_d_state, DI = hp.ssm_d_inner;
    const int d_conv = hp.ssm_d_conv;
    float* x         = x_.data();
    float* xb        = xb_.data();
    float* q         = q_.data();
    float* k         = k_.data();
    float* v         = v_.data();
    float* att       = att_.data();
    float* hb        = hb_.data();
    float* hb2       = hb2_.data();
    float* rope      = rope_.data();
    float* qg        = qkv_.data();        // [n][n_head][2 head_dim]: each head's query, then its gate
    float* gate      = gate_.data();       // [n][q_dim] the attention gates
    float* mix       = lin_mix_.data();    // [n][C] q | k | v before the convolution
    float* conv      = lin_conv_.data();   // [n][C] after it (q, k then L2-normed in place)
    float* z         = lin_z_.data();      // [n][DI]
    float* decay     = lin_decay_.data();  // [n][R]
    float* beta      = lin_beta_.data();   // [n][R]
    float* read      = lin_read_.data();   // [n][DI]
    float* snorm     = lin_snorm_.data();  // [n][R]
    auto row         = [](float* buf, int t, int dim) { return buf + size_t(t) * size_t(dim); };
    const int first  = rows == LogitRows::All ? 0 : n - 1;

    auto view = [&](Stage s, int t) -> TensorView {
        switch (s) {
            case Stage::Embed:
            case Stage::ResidAttn:
            case Stage::ResidFfn:
                return {row(x, t, n_embd), 1, n_embd};
            case Stage::Rope:
                return {row(rope, t, 2 * half_rot), 2, half_rot};
            case Stage::AttnNorm:
            case Stage::AttnProj:
            case Stage::LinOut:
            case Stage::FfnNorm:
            case Stage::FfnOut:
            case Stage::FinalNorm:
                return {row(xb, t, n_embd), 1, n_embd};
            case Stage::QProj:
            case Stage::QNorm:
            case Stage::Q:
                return {row(q, t, q_dim), hp.n_head, head_dim};
            case Stage::KProj:
            case Stage::KNorm:
            case Stage::K:
                return {row(k, t, kv_dim), hp.n_head_kv, head_dim};
            case Stage::V:
                return {row(v, t, kv_dim), hp.n_head_kv, head_dim};
            case Stage::AttnOut:
            case Stage::AttnGate:
                return {row(att, t, q_dim), hp.n_head, head_dim};
            case Stage::LinQkv:
                return {row(mix, t, C), 1, C};
            case Stage::LinConv:
                return {row(conv, t, C), 1, C};
            case Stage::LinQ:
                return {row(conv, t, C), G, D};
            case Stage::LinK:
                return {row(conv, t, C) + size_t(G) * size_t(D), G, D};
            case Stage::LinZ:
                return {row(z, t, DI), R, D};
            case Stage::LinDecay:
                return {row(decay, t, R), 1, R};
            case Stage::LinBeta:
                return {row(beta, t, R), 1, R};
            case Stage::LinRead:
            case Stage::LinNorm:
                return {row(read, t, DI), R, D};
            case Stage::LinStateNorm:
                return {row(snorm, t, R), 1, R};
            case Stage::FfnGate:
            case Stage::FfnAct:
                return {row(hb, t, n_ff), 1, n_ff};
            case Stage::FfnUp:
                return {row(hb2, t, n_ff), 1, n_ff};
            case Stage::Logits:
                return {row(logits, t - first, hp.n_vocab), 1, hp.n_vocab};
            default:
                return {};
        }
    };
    auto show = [&](Stage s, int layer, StageMask mask, int t0) {
        if (!mask.has(s) || s == Stage::AttnScores || s == Stage::AttnProbs) return;
        for (int t = t0; t < n; ++t) observer->observe(s, layer, pos0 + t, view(s, t));
    };

    for (const StageDesc& sd : arch.before) {
        if (sd.id == Stage::Embed)
            for (int t = 0; t < n; ++t)
                dequantize_row(w.token_embd.type, w.token_embd.row(tokens[t]), row(x, t, n_embd), n_embd);
        if (sd.id == Stage::Rope)
            for (int t = 0; t < n; ++t) {
                float* cs = row(rope, t, 2 * half_rot);
                rope_angles(hp, pos0 + t, cs, cs + half_rot);
            }
        show(sd.id, -1, wants_[0], 0);
    }

    int rl = -1;  // index of the layer among the recurrent ones
    for (int il = 0; il < hp.n_layer; ++il) {
        const LayerWeights& L = w.layers[size_t(il)];
        const StageMask mask  = wants_[size_t(il) + 1];
        const bool rec        = hp.is_recurrent(il);
        if (rec) ++rl;
        float* state  = rec ? rec_state_ + size_t(rl) * hp.recurrent_floats() : nullptr;
        float* conv_s = state;                                           // [d_conv - 1][C]
        float* ssm_s  = rec ? state + hp.conv_state_floats() : nullptr;  // [R][D][D]
        for (const StageDesc& sd : arch.block) {
            if (!layer_has_stage(hp, il, sd.id)) continue;
            switch (sd.id) {
                case Stage::AttnNorm:
                    for (int t = 0; t < n; ++t)
                        rms_norm(row(x, t, n_embd), L.attn_norm.f32(), hp.norm_eps, n_embd, row(xb, t, n_embd));
                    break;
                case Stage::QProj:  // q | gate per head, split: q into q_, the gate into gate_
                    linear(L.wq, xb, n, qg, pool);
                    for (int t = 0; t < n; ++t)
                        for (int h = 0; h < hp.n_head; ++h) {
                            const float* src = row(qg, t, 2 * q_dim) + size_t(h) * 2 * size_t(head_dim);
                            std::memcpy(row(q, t, q_dim) + size_t(h) * size_t(head_dim), src,
                                        size_t(head_dim) * sizeof(float));
                            std::memcpy(row(gate, t, q_dim) + size_t(h) * size_t(head_dim), src + head_dim,
                                        size_t(head_dim) * sizeof(float));
                        }
                    break;
                case Stage::KProj:
                    linear(L.wk, xb, n, k, pool);
                    break;
                case Stage::V:
                    linear(L.wv, xb, n, v, pool);
                    break;
                case Stage::QNorm:
                    for (int64_t i = 0; i < int64_t(n) * hp.n_head; ++i)
                        rms_norm(row(q, int(i), head_dim), L.q_norm.f32(), hp.norm_eps, head_dim,
                                 row(q, int(i), head_dim));
                    break;
                case Stage::KNorm:
                    for (int64_t i = 0; i < int64_t(n) * hp.n_head_kv; ++i)
                        rms_norm(row(k, int(i), head_dim), L.k_norm.f32(), hp.norm_eps, head_dim,
                                 row(k, int(i), head_dim));
                    break;
                case Stage::Q:
                case Stage::K: {
                    const bool is_q = sd.id == Stage::Q;
                    const int heads = is_q ? hp.n_head : hp.n_head_kv, dim = is_q ? q_dim : kv_dim;
                    for (int t = 0; t < n; ++t) {
                        const float* cs = row(rope, t, 2 * half_rot);
                        for (int h = 0; h < heads; ++h)
                            apply_rope(row(row(is_q ? q : k, t, dim), h, head_dim), hp.n_rot, hp.rope_style, cs,
                                       cs + half_rot);
                    }
                    break;
                }
                case Stage::AttnScores:
                    attend(cache, store, il, pos0, n, q, k, v, att, pool, observer, mask);
                    break;
                case Stage::AttnGate:  // att ⊙ sigmoid(gate)
                    for (size_t i = 0; i < size_t(n) * size_t(q_dim); ++i) att[i] *= 1.0f / (1.0f + std::exp(-gate[i]));
                    break;
                case Stage::AttnProj:
                    linear(L.wo, att, n, xb, pool);
                    break;
                case Stage::LinQkv:
                    linear(L.wqkv, xb, n, mix, pool);
                    break;
                case Stage::LinZ:
                    linear(L.attn_gate, xb, n, z, pool);
                    break;
                case Stage::LinConv:  // token by token: each reads the state the previous one left
                    for (int t = 0; t < n; ++t)
                        deltanet::causal_conv(L.ssm_conv1d.f32(), d_conv, C, conv_s, row(mix, t, C), row(conv, t, C));
                    break;
                case Stage::LinQ:
                case Stage::LinK: {
                    const size_t off = sd.id == Stage::LinQ ? 0 : size_t(G) * size_t(D);
                    for (int t = 0; t < n; ++t)
                        for (int g = 0; g < G; ++g)
                            deltanet::l2_norm(row(conv, t, C) + off + size_t(g) * size_t(D), D, hp.norm_eps);
                    break;
                }
                case Stage::LinDecay:  // g = a · softplus(alpha + dt)
                    linear(L.ssm_alpha, xb, n, decay, pool);
                    for (int t = 0; t < n; ++t)
                        for (int h = 0; h < R; ++h) {
                            float& g = row(decay, t, R)[h];
                            g        = deltanet::softplus(g + L.ssm_dt.f32()[h]) * L.ssm_a.f32()[h];
                        }
                    break;
                case Stage::LinBeta:
                    linear(L.ssm_beta, xb, n, beta, pool);
                    for (size_t i = 0; i < size_t(n) * size_t(R); ++i) beta[i] = 1.0f / (1.0f + std::exp(-beta[i]));
                    break;
                case Stage::LinRead:  // value head h reads q/k head h % G (as llama.cpp tiles them)
                    for (int t = 0; t < n; ++t) {
                        const float* c_t = row(conv, t, C);
                        for (int h = 0; h < R; ++h) {
                            const float* qh     = c_t + size_t(h % G) * size_t(D);
                            const float* kh     = c_t + size_t(G + h % G) * size_t(D);
                            const float* vh     = c_t + size_t(2 * G) * size_t(D) + size_t(h) * size_t(D);
                            row(snorm, t, R)[h] = deltanet::delta_rule_step(
                                ssm_s + size_t(h) * size_t(D) * size_t(D), D, qh, kh, vh, row(decay, t, R)[h],
                                row(beta, t, R)[h], row(read, t, DI) + size_t(h) * size_t(D), lin_delta_.data());
                        }
                    }
                    break;
                case Stage::LinStateNorm:  // computed with the update, above
                    break;
                case Stage::LinNorm:  // RMSNorm(read) · ssm_norm ⊙ silu(z), per value head
                    for (int64_t i = 0; i < int64_t(n) * R; ++i) {
                        float* r        = row(read, int(i), D);
                        const float* zi = row(z, int(i), D);
                        rms_norm(r, L.ssm_norm.f32(), hp.norm_eps, D, r);
                        for (int j = 0; j < D; ++j) r[j] *= zi[j] / (1.0f + std::exp(-zi[j]));
                    }
                    break;
                case Stage::LinOut:
                    linear(L.ssm_out, read, n, xb, pool);
                    break;
                case Stage::ResidAttn:
                case Stage::ResidFfn:
                    for (int t = 0; t < n; ++t) {
                        float* x_t        = row(x, t, n_embd);
                        const float* xb_t = row(xb, t, n_embd);
                        for (int i = 0; i < n_embd; ++i) x_t[i] += xb_t[i];
                    }
                    break;
                case Stage::FfnNorm:
                    for (int t = 0; t < n; ++t)
                        rms_norm(row(x, t, n_embd), L.ffn_norm.f32(), hp.norm_eps, n_embd, row(xb, t, n_embd));
                    break;
                case Stage::FfnGate:
                    linear(L.w_gate, xb, n, hb, pool);
                    break;
                case Stage::FfnUp:
                    linear(L.w_up, xb, n, hb2, pool);
                    break;
                case Stage::FfnAct:
                    swiglu(hb, hb2, int64_t(n) * n_ff);
                    break;
                case Stage::FfnOut:
                    linear(L.w_down, hb, n, xb, pool);
                    break;
                default:
                    break;
            }
            show(sd.id, il, mask, 0);
        }
    }
    if (rows == LogitRows::None) return;

    const StageMask top = wants_[0];
    for (const StageDesc& sd : arch.after) {
        if (sd.id == Stage::FinalNorm)
            for (int t = first; t < n; ++t) output_norm(model_, row(x, t, n_embd), row(xb, t, n_embd));
        if (sd.id == Stage::Logits) linear(w.output, row(xb, first, n_embd), n - first, logits, pool);
        show(sd.id, -1, top, first);
    }
}

}  // namespace ts::core
