// GPT-2 (GGUF `gpt2`): its stage list and the block function that runs it, read top to bottom like the math:
//
//   token → embedding row;  + row `pos` of the learned position matrix (no RoPE anywhere)
//   per layer: LayerNorm (+ bias) → one fused matrix gives Q | K | V (+ bias) → store K, V in the cache
//            → scores = q·k/√head_dim → softmax → Σ probs·v → output projection (+ bias) → residual add
//            → LayerNorm (+ bias) → up (+ bias) → GELU → down (+ bias) → residual add
//   → final LayerNorm (+ bias) → logits
//
// As in arch/llama.cpp, a batch of n tokens goes through each stage together, and after each stage the observer
// sees that stage's rows (when it asked for them), so what it sees is what the next stage reads. The attention
// itself (scores, softmax, weighted sum over the KV cache) is the one every family shares (forward.cpp).
#include <cstdint>
#include <cstring>

#include "core/model/arch/arch.hpp"
#include "core/model/forward.hpp"
#include "core/model/layers.hpp"
#include "core/tensor/quant.hpp"

namespace ts::core {
namespace {

// ---- the description -----------------------------------------------------------------------------------------

constexpr std::string_view kLayerNormExplain =
    "LayerNorm looks at the features of this one position: it subtracts their mean, divides by their standard "
    "deviation (√(variance + ε)), then scales each feature by a learned weight and adds a learned bias, so the "
    "next projections see vectors of a steady size and centre.";

constexpr StageDesc kBefore[] = {
    {Stage::Embed,
     "Embedding row",
     "The token id selects one row of the embedding matrix: what the token is, before anything says where it is.",
     Dims::Embd,
     {"token_embd.weight"}},
    {Stage::PosEmbed,
     "+ position embedding",
     "GPT-2 learned one vector per position (position_embd, one row for each of the context's positions): row "
     "`pos` is added to the token's embedding, and this sum is the residual stream that enters layer 0. There is no "
     "RoPE: attention only knows the order through these added vectors.",
     Dims::Embd,
     {"position_embd.weight"}},
};

constexpr StageDesc kBlock[] = {
    {Stage::AttnNorm,
     "LayerNorm (mean and variance over the features of one position)",
     kLayerNormExplain,
     Dims::Embd,
     {"attn_norm.weight", "attn_norm.bias"}},
    {Stage::QProj,
     "Query projection",
     "One fused matrix (attn_qkv) maps the normed vector to queries, keys and values at once; its first third, plus "
     "a bias, is one query per head: what this token is looking for.",
     Dims::QHeads,
     {"attn_qkv.weight", "attn_qkv.bias"}},
    {Stage::KProj,
     "Key projection",
     "The second third of attn_qkv: one key per head, what this token offers to later queries. Without RoPE it goes "
     "into the KV cache as it is.",
     Dims::KvHeads,
     {"attn_qkv.weight", "attn_qkv.bias"}},
    {Stage::V,
     "Value projection",
     "The last third of attn_qkv: one value per head, what this token passes on to the positions that attend to it.",
     Dims::KvHeads,
     {"attn_qkv.weight", "attn_qkv.bias"}},
    {Stage::AttnScores,
     "Scores q·k/√d",
     "The query of each head is compared with the key of every position up to this one: the dot product divided by "
     "√head_dim. Later positions are masked (causal).",
     Dims::HeadKeys,
     {}},
    {Stage::AttnProbs,
     "Softmax",
     "Softmax turns a head's scores into weights that are positive and sum to 1 (the maximum is subtracted first so "
     "nothing overflows).",
     Dims::HeadKeys,
     {}},
    {Stage::AttnOut,
     "Weighted sum of V",
     "Each head mixes the value vectors of the positions it attends to, weighted by the softmax; the heads' outputs "
     "lie side by side.",
     Dims::QHeads,
     {}},
    {Stage::AttnProj,
     "Heads combined (wo + bias)",
     "The output matrix maps the heads' outputs back to the residual stream's width, plus a learned bias.",
     Dims::Embd,
     {"attn_output.weight", "attn_output.bias"}},
    {Stage::ResidAttn,
     "Residual add",
     "The attention block's result is added to the residual stream: the block writes a correction, it does not "
     "replace the vector.",
     Dims::Embd,
     {}},
    {Stage::FfnNorm,
     "LayerNorm (mean and variance over the features of one position)",
     kLayerNormExplain,
     Dims::Embd,
     {"ffn_norm.weight", "ffn_norm.bias"}},
    {Stage::FfnUp,
     "Up projection",
     "W_up (plus a bias) widens the vector to the MLP's hidden size, four times the residual stream's width.",
     Dims::Ff,
     {"ffn_up.weight", "ffn_up.bias"}},
    {Stage::FfnAct,
     "GELU",
     "GELU(u) = u·Φ(u), unit by unit (tanh approximation): a large positive unit passes almost unchanged, a negative "
     "one is squashed towards 0 (slightly below it near -0.75). There is no gate: the unit's own value decides. The "
     "MLP mixes no positions, only the features of this token.",
     Dims::Ff,
     {}},
    {Stage::FfnOut,
     "Down projection",
     "W_down (plus a bias) maps the hidden units back to the residual stream's width: the MLP's output.",
     Dims::Embd,
     {"ffn_down.weight", "ffn_down.bias"}},
    {Stage::ResidFfn,
     "Residual add (layer output)",
     "The MLP's result is added to the residual stream: this is the layer's output and the next layer's input.",
     Dims::Embd,
     {}},
};

constexpr StageDesc kAfter[] = {
    {Stage::FinalNorm,
     "Final LayerNorm",
     "After the last layer a final LayerNorm (mean and variance over the features, weight and bias) prepares the "
     "residual stream for the output matrix.",
     Dims::Embd,
     {"output_norm.weight", "output_norm.bias"}},
    {Stage::Logits,
     "Logits",
     "The output matrix (the embedding matrix itself when the model ties them, as GPT-2 does) scores every "
     "vocabulary entry against the final vector: one logit per token.",
     Dims::Vocab,
     {"output.weight"}},
};

constexpr ArchDesc kGpt2 = {
    "gpt2",          "decoder-only transformer: LayerNorm, learned absolute positions, fused QKV, GELU MLP, biases",
    kBefore,         kBlock,
    kAfter,          NormKind::Layer,
    Stage::PosEmbed, Stage::QProj,
    Stage::KProj};

}  // namespace

const ArchDesc& gpt2_desc() {
    return kGpt2;
}

// ---- the block function ---------------------------------------------------------------------------------------

void Forward::eval_gpt2(const KvCache& cache, KvCache* store, const int32_t* tokens, int n, int pos0, float* logits,
                        LogitRows rows, ThreadPool& pool, Observer* observer) {
    const Hparams& hp    = model_.hp;
    const Weights& w     = model_.w;
    const ArchDesc& arch = kGpt2;
    const int n_embd = hp.n_embd, q_dim = hp.q_dim(), kv_dim = hp.kv_dim(), n_ff = hp.n_ff, head_dim = hp.head_dim;
    float* x        = x_.data();    // [n][n_embd] residual stream
    float* xb       = xb_.data();   // [n][n_embd] normed input of a block, then its projected output
    float* qkv      = qkv_.data();  // [n][q_dim + 2 kv_dim] the fused projection, rows q | k | v
    float* q        = q_.data();    // [n][n_head][head_dim]
    float* k        = k_.data();    // [n][n_head_kv][head_dim]
    float* v        = v_.data();    // [n][n_head_kv][head_dim]
    float* att      = att_.data();  // [n][n_head][head_dim] attention output, heads side by side
    float* hb       = hb_.data();   // [n][n_ff] up, then GELU(up)
    auto row        = [](float* buf, int t, int dim) { return buf + size_t(t) * size_t(dim); };
    const int first = rows == LogitRows::All ? 0 : n - 1;  // the tokens whose logits are computed

    // Where each stage's output lies for token t, and its shape: what the observer is shown.
    auto view = [&](Stage s, int t) -> TensorView {
        switch (s) {
            case Stage::Embed:
            case Stage::PosEmbed:
            case Stage::ResidAttn:
            case Stage::ResidFfn:
                return {row(x, t, n_embd), 1, n_embd};
            case Stage::AttnNorm:
            case Stage::AttnProj:
            case Stage::FfnNorm:
            case Stage::FfnOut:
            case Stage::FinalNorm:
                return {row(xb, t, n_embd), 1, n_embd};
            case Stage::QProj:
                return {row(q, t, q_dim), hp.n_head, head_dim};
            case Stage::KProj:
                return {row(k, t, kv_dim), hp.n_head_kv, head_dim};
            case Stage::V:
                return {row(v, t, kv_dim), hp.n_head_kv, head_dim};
            case Stage::AttnOut:
                return {row(att, t, q_dim), hp.n_head, head_dim};
            case Stage::FfnUp:
            case Stage::FfnAct:
                return {row(hb, t, n_ff), 1, n_ff};
            case Stage::Logits:
                return {row(logits, t - first, hp.n_vocab), 1, hp.n_vocab};
            default:  // the scores and probs are shown from inside the attention loop
                return {};
        }
    };
    auto show = [&](Stage s, int layer, StageMask mask, int t0) {
        if (!mask.has(s) || s == Stage::AttnScores || s == Stage::AttnProbs) return;
        for (int t = t0; t < n; ++t) observer->observe(s, layer, pos0 + t, view(s, t));
    };

    // The stages before the layers.
    for (const StageDesc& sd : arch.before) {
        switch (sd.id) {
            case Stage::Embed:  // row `token` of token_embd, dequantised from the file's type
                for (int t = 0; t < n; ++t)
                    dequantize_row(w.token_embd.type, w.token_embd.row(tokens[t]), row(x, t, n_embd), n_embd);
                break;
            case Stage::PosEmbed:  // x += row `pos` of position_embd (dequantised into xb, free until the first norm)
                for (int t = 0; t < n; ++t) {
                    float* p_t = row(xb, t, n_embd);
                    dequantize_row(w.pos_embd.type, w.pos_embd.row(pos0 + t), p_t, n_embd);
                    float* x_t = row(x, t, n_embd);
                    for (int i = 0; i < n_embd; ++i) x_t[i] += p_t[i];
                }
                break;
            default:
                break;
        }
        show(sd.id, -1, wants_[0], 0);
    }

    for (int il = 0; il < hp.n_layer; ++il) {
        const LayerWeights& L = w.layers[size_t(il)];
        const StageMask mask  = wants_[size_t(il) + 1];
        for (const StageDesc& sd : arch.block) {
            switch (sd.id) {
                case Stage::AttnNorm:  // xb = LayerNorm(x) · attn_norm + attn_norm_b
                    for (int t = 0; t < n; ++t)
                        layer_norm(row(x, t, n_embd), L.attn_norm.f32(), L.attn_norm_b.f32(), hp.norm_eps, n_embd,
                                   row(xb, t, n_embd));
                    break;
                case Stage::QProj:  // qkv = Wqkv · xb + bqkv, then split into q | k | v
                    fused_qkv(L, hp, xb, n, qkv, q, k, v, pool);
                    break;
                case Stage::KProj:  // computed with q, above
                case Stage::V:
                    break;
                case Stage::AttnScores:  // K, V into the cache; scores, softmax and Σ probs·v (forward.cpp)
                    attend(cache, store, il, pos0, n, q, k, v, att, pool, observer, mask);
                    break;
                case Stage::AttnProbs:  // computed with the scores, above
                case Stage::AttnOut:
                    break;
                case Stage::AttnProj:  // xb = Wo · att + bo
                    linear(L.wo, att, n, xb, pool);
                    add_bias(L.bo, n, n_embd, xb);
                    break;
                case Stage::ResidAttn:
                case Stage::ResidFfn:  // x = x + the block's output
                    for (int t = 0; t < n; ++t) {
                        float* x_t        = row(x, t, n_embd);
                        const float* xb_t = row(xb, t, n_embd);
                        for (int i = 0; i < n_embd; ++i) x_t[i] += xb_t[i];
                    }
                    break;
                case Stage::FfnNorm:  // xb = LayerNorm(x) · ffn_norm + ffn_norm_b
                    for (int t = 0; t < n; ++t)
                        layer_norm(row(x, t, n_embd), L.ffn_norm.f32(), L.ffn_norm_b.f32(), hp.norm_eps, n_embd,
                                   row(xb, t, n_embd));
                    break;
                case Stage::FfnUp:  // hb = W_up · xb + b_up
                    linear(L.w_up, xb, n, hb, pool);
                    add_bias(L.b_up, n, n_ff, hb);
                    break;
                case Stage::FfnAct:  // hb = GELU(hb)
                    gelu(hb, int64_t(n) * n_ff);
                    break;
                case Stage::FfnOut:  // xb = W_down · hb + b_down
                    linear(L.w_down, hb, n, xb, pool);
                    add_bias(L.b_down, n, n_embd, xb);
                    break;
                default:
                    break;
            }
            show(sd.id, il, mask, 0);
        }
    }
    if (rows == LogitRows::None) return;

    // The stages after the layers, for the tokens whose logits are wanted.                logits: [m][n_vocab]
    const StageMask top = wants_[0];
    for (const StageDesc& sd : arch.after) {
        switch (sd.id) {
            case Stage::FinalNorm:  // xb = LayerNorm(x) · output_norm + output_norm_b
                for (int t = first; t < n; ++t) output_norm(model_, row(x, t, n_embd), row(xb, t, n_embd));
                break;
            case Stage::Logits:
                linear(w.output, row(xb, first, n_embd), n - first, logits, pool);
                break;
            default:
                break;
        }
        show(sd.id, -1, top, first);
    }
}

}  // namespace ts::core
