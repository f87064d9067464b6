// The llama family (GGUF `llama`, `qwen2`, llama2.c checkpoints): its stage list and the block function that runs
// it, read top to bottom like the math:
//
//   token → embedding row;  position → RoPE angles
//   per layer: RMSNorm → Q, K, V projections (+ bias: qwen2) → RoPE on Q and K → store K, V in the cache
//            → scores = q·k/√head_dim → softmax → Σ probs·v → output projection → residual add
//            → RMSNorm → gate, up → silu(gate)·up → down → residual add
//   → final RMSNorm → logits
//
// A batch of n tokens goes through each stage together, so the projections are matmuls that read every weight row
// once for all n tokens; attention is per token and causal (token t sees positions <= pos0 + t). After each stage
// the observer sees that stage's rows (when it asked for them), so what it sees is what the next stage reads.
#include <cstdint>
#include <functional>

#include "core/model/forward.hpp"
#include "core/model/layers.hpp"
#include "core/tensor/ops.hpp"
#include "core/tensor/quant.hpp"

namespace ts::core {
namespace {

// ---- the description -----------------------------------------------------------------------------------------

constexpr std::string_view kNormExplain =
    "RMSNorm divides the residual stream by its root-mean-square and scales each dimension by a learned weight, so "
    "the next projections see vectors of a steady size.";

constexpr StageDesc kBefore[] = {
    {Stage::Embed,
     "Embedding row",
     "The token id selects one row of the embedding matrix: this vector is the token's starting point in the "
     "residual stream.",
     Dims::Embd,
     {"token_embd.weight"}},
    {Stage::Rope,
     "Position (RoPE angles)",
     "The position is not added to the vector: RoPE later rotates each pair of Q and K dimensions by an angle "
     "proportional to the position, fast for the first pairs, slow for the last.",
     Dims::Rope,
     {}},
};

#define TS_LLAMA_BLOCK(Q_EXPLAIN, Q_BIAS, K_BIAS, V_BIAS)                                                        \
    {Stage::AttnNorm, "Attention norm", kNormExplain, Dims::Embd, {"attn_norm.weight"}},                         \
        {Stage::QProj, "Query projection", Q_EXPLAIN, Dims::QHeads, {"attn_q.weight", Q_BIAS}},                  \
        {Stage::KProj,                                                                                           \
         "Key projection",                                                                                       \
         "Wk maps the normed vector to one key per kv head: what this token offers to later queries. Several "   \
         "query heads may share one kv head (grouped-query attention).",                                         \
         Dims::KvHeads,                                                                                          \
         {"attn_k.weight", K_BIAS}},                                                                             \
        {Stage::V,                                                                                               \
         "Value projection",                                                                                     \
         "Wv maps it to one value per kv head: what this token passes on to the positions that attend to it.",   \
         Dims::KvHeads,                                                                                          \
         {"attn_v.weight", V_BIAS}},                                                                             \
        {Stage::Q,                                                                                               \
         "RoPE on the queries",                                                                                  \
         "Each pair of query dimensions is rotated by an angle proportional to the position, so a query·key "   \
         "product depends on how far apart the two tokens are.",                                                 \
         Dims::QHeads,                                                                                           \
         {}},                                                                                                    \
        {Stage::K,                                                                                               \
         "RoPE on the keys",                                                                                     \
         "The keys are rotated the same way. K and V of this position then go into the KV cache, where later "   \
         "tokens read them without recomputing.",                                                                \
         Dims::KvHeads,                                                                                          \
         {}},                                                                                                    \
        {Stage::AttnScores,                                                                                      \
         "Scores q·k/√d",                                                                                        \
         "The query of each head is compared with the key of every position up to this one: the dot product "    \
         "divided by √head_dim. Later positions are masked (causal).",                                           \
         Dims::HeadKeys,                                                                                         \
         {}},                                                                                                    \
        {Stage::AttnProbs,                                                                                       \
         "Softmax",                                                                                              \
         "Softmax turns a head's scores into weights that are positive and sum to 1 (the maximum is subtracted " \
         "first so nothing overflows).",                                                                         \
         Dims::HeadKeys,                                                                                         \
         {}},                                                                                                    \
        {Stage::AttnOut,                                                                                         \
         "Weighted sum of V",                                                                                    \
         "Each head mixes the value vectors of the positions it attends to, weighted by the softmax; the "       \
         "heads' outputs lie side by side.",                                                                     \
         Dims::QHeads,                                                                                           \
         {}},                                                                                                    \
        {Stage::AttnProj,                                                                                        \
         "Heads combined (wo)",                                                                                  \
         "The output matrix wo maps the heads' outputs back to the residual stream's width.",                    \
         Dims::Embd,                                                                                             \
         {"attn_output.weight"}},                                                                                \
        {Stage::ResidAttn,                                                                                       \
         "Residual add",                                                                                         \
         "The attention block's result is added to the residual stream: the block writes a correction, it does " \
         "not replace the vector.",                                                                              \
         Dims::Embd,                                                                                             \
         {}},                                                                                                    \
        {Stage::FfnNorm, "MLP norm", kNormExplain, Dims::Embd, {"ffn_norm.weight"}},                             \
        {Stage::FfnGate,                                                                                         \
         "Gate projection",                                                                                      \
         "W_gate widens the vector to the MLP's hidden size: how far each hidden unit opens.",                   \
         Dims::Ff,                                                                                               \
         {"ffn_gate.weight"}},                                                                                   \
        {Stage::FfnUp,                                                                                           \
         "Up projection",                                                                                        \
         "W_up widens it a second time: the values that the open units let through.",                            \
         Dims::Ff,                                                                                               \
         {"ffn_up.weight"}},                                                                                     \
        {Stage::FfnAct,                                                                                          \
         "SwiGLU",                                                                                               \
         "silu(gate) × up, unit by unit: a unit whose gate is negative stays nearly closed. The MLP mixes no "  \
         "positions, only the features of this token.",                                                          \
         Dims::Ff,                                                                                               \
         {}},                                                                                                    \
        {Stage::FfnOut,                                                                                          \
         "Down projection",                                                                                      \
         "W_down maps the hidden units back to the residual stream's width: the MLP's output.",                  \
         Dims::Embd,                                                                                             \
         {"ffn_down.weight"}},                                                                                   \
        {Stage::ResidFfn,                                                                                        \
         "Residual add (layer output)",                                                                          \
         "The MLP's result is added to the residual stream: this is the layer's output and the next layer's "    \
         "input.",                                                                                               \
         Dims::Embd,                                                                                             \
         {}},

constexpr StageDesc kLlamaBlock[] = {
    TS_LLAMA_BLOCK("Wq maps the normed vector to one query per head: what this token is looking for.", "", "", "")};
constexpr StageDesc kQwen2Block[] = {
    TS_LLAMA_BLOCK("Wq maps the normed vector to one query per head (plus a learned bias, as in every qwen2 Q, K and "
                   "V projection): what this token is looking for.",
                   "attn_q.bias", "attn_k.bias", "attn_v.bias")};
#undef TS_LLAMA_BLOCK

constexpr StageDesc kAfter[] = {
    {Stage::FinalNorm,
     "Final norm",
     "After the last layer a final RMSNorm prepares the residual stream for the output matrix.",
     Dims::Embd,
     {"output_norm.weight"}},
    {Stage::Logits,
     "Logits",
     "The output matrix (the embedding matrix itself when the model ties them) scores every vocabulary entry "
     "against the final vector: one logit per token.",
     Dims::Vocab,
     {"output.weight"}},
};

constexpr ArchDesc kLlama = {"llama", "decoder-only transformer: RMSNorm, RoPE, grouped-query attention, SwiGLU MLP",
                             kBefore, kLlamaBlock, kAfter};
constexpr ArchDesc kQwen2 = {"qwen2", "the llama block with biases on the Q, K and V projections and NeoX RoPE",
                             kBefore, kQwen2Block, kAfter};

// ---- the block function ---------------------------------------------------------------------------------------

// Attention is spread over the threads (by head) once n_pos · n_embd reaches this, below it the hand-off costs more.
constexpr int64_t kParallelAttnWork = int64_t(1) << 15;

// out[t] = W · in[t] for the n tokens of a batch: matvec for one token, matmul (each weight row read once) for more.
void linear(const Tensor& w, const float* in, int n, float* out, ThreadPool& pool) {
    if (n == 1) {
        matvec(w, in, out, pool);
    } else {
        matmul(w, in, n, out, pool);
    }
}

}  // namespace

const ArchDesc& arch_desc(Arch arch) {
    return arch == Arch::Qwen2 ? kQwen2 : kLlama;
}

void Forward::eval_batch(const KvCache& cache, KvCache* store, const int32_t* tokens, int n, int pos0, float* logits,
                         LogitRows rows, ThreadPool& pool, Observer* observer) {
    const Hparams& hp    = model_.hp;
    const Weights& w     = model_.w;
    const ArchDesc& arch = arch_desc(hp.arch);
    const int n_embd = hp.n_embd, kv_dim = hp.kv_dim(), n_ff = hp.n_ff, head_dim = hp.head_dim;
    const int half_rot = hp.n_rot / 2;
    float* x           = x_.data();     // [n][n_embd] residual stream
    float* xb          = xb_.data();    // [n][n_embd] normed input of a block, then its projected output
    float* q           = q_.data();     // [n][n_head][head_dim]
    float* k           = k_.data();     // [n][n_head_kv][head_dim]
    float* v           = v_.data();     // [n][n_head_kv][head_dim]
    float* att         = att_.data();   // [n][n_head][head_dim] attention output, heads side by side
    float* hb          = hb_.data();    // [n][n_ff] gate, then silu(gate)·up
    float* hb2         = hb2_.data();   // [n][n_ff] up
    float* rope        = rope_.data();  // [n][2][n_rot/2] cos, sin
    auto row           = [](float* buf, int t, int dim) { return buf + size_t(t) * size_t(dim); };
    const int first    = rows == LogitRows::All ? 0 : n - 1;  // the tokens whose logits are computed

    // Where each stage's output lies for token t, and its shape: what the observer is shown.
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
            case Stage::FfnNorm:
            case Stage::FfnOut:
            case Stage::FinalNorm:
                return {row(xb, t, n_embd), 1, n_embd};
            case Stage::QProj:
            case Stage::Q:
                return {row(q, t, n_embd), hp.n_head, head_dim};
            case Stage::KProj:
            case Stage::K:
                return {row(k, t, kv_dim), hp.n_head_kv, head_dim};
            case Stage::V:
                return {row(v, t, kv_dim), hp.n_head_kv, head_dim};
            case Stage::AttnOut:
                return {row(att, t, n_embd), hp.n_head, head_dim};
            case Stage::FfnGate:
            case Stage::FfnAct:
                return {row(hb, t, n_ff), 1, n_ff};
            case Stage::FfnUp:
                return {row(hb2, t, n_ff), 1, n_ff};
            case Stage::Logits:
                return {row(logits, t - first, hp.n_vocab), 1, hp.n_vocab};
            default:  // the scores and probs are shown from inside the attention loop
                return {};
        }
    };
    // After a stage ran for the batch: its rows to the observer, when it asked for this stage.
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
            case Stage::Rope:  // the angles of each token's position, shared by every layer and head
                for (int t = 0; t < n; ++t) {
                    float* cs = row(rope, t, 2 * half_rot);
                    rope_angles(hp, pos0 + t, cs, cs + half_rot);
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
                case Stage::AttnNorm:  // xb = RMSNorm(x) · attn_norm
                    for (int t = 0; t < n; ++t)
                        rms_norm(row(x, t, n_embd), L.attn_norm.f32(), hp.norm_eps, n_embd, row(xb, t, n_embd));
                    break;
                case Stage::QProj:  // q = Wq · xb (+ bq)
                    linear(L.wq, xb, n, q, pool);
                    add_bias(L.bq, n, n_embd, q);
                    break;
                case Stage::KProj:
                    linear(L.wk, xb, n, k, pool);
                    add_bias(L.bk, n, kv_dim, k);
                    break;
                case Stage::V:
                    linear(L.wv, xb, n, v, pool);
                    add_bias(L.bv, n, kv_dim, v);
                    break;
                case Stage::Q:  // rotate each pair of every head by its position's angle (Normal or NeoX pairing)
                    for (int t = 0; t < n; ++t) {
                        const float* cs = row(rope, t, 2 * half_rot);
                        for (int h = 0; h < hp.n_head; ++h)
                            apply_rope(row(row(q, t, n_embd), h, head_dim), hp.n_rot, hp.rope_style, cs, cs + half_rot);
                    }
                    break;
                case Stage::K:
                    for (int t = 0; t < n; ++t) {
                        const float* cs = row(rope, t, 2 * half_rot);
                        for (int h = 0; h < hp.n_head_kv; ++h)
                            apply_rope(row(row(k, t, kv_dim), h, head_dim), hp.n_rot, hp.rope_style, cs, cs + half_rot);
                    }
                    break;
                case Stage::AttnScores:
                    // K and V of each position go into the cache (as the observer left them), then every token
                    // attends over the positions up to its own. Scores, softmax and the weighted sum run in one
                    // loop over tokens and heads: a token's score rows live only while it is processed. When
                    // nobody looks at the scores or probs, a batch goes head by head (one hand-off to the threads
                    // for all its tokens); otherwise token by token, so the observer sees every head at once.
                    if (store)
                        for (int t = 0; t < n; ++t) store->store(il, pos0 + t, row(k, t, kv_dim), row(v, t, kv_dim));
                    if (n > 1 && !mask.has(Stage::AttnScores) && !mask.has(Stage::AttnProbs)) {
                        attention_batch(cache, il, pos0, n, q, att, pool);
                    } else {
                        for (int t = 0; t < n; ++t)
                            attention(cache, il, pos0 + t, row(q, t, n_embd), row(att, t, n_embd), pool, observer,
                                      mask);
                    }
                    break;
                case Stage::AttnProbs:  // computed with the scores, above
                case Stage::AttnOut:
                    break;
                case Stage::AttnProj:  // xb = Wo · att
                    linear(L.wo, att, n, xb, pool);
                    break;
                case Stage::ResidAttn:
                case Stage::ResidFfn:  // x = x + the block's output
                    for (int t = 0; t < n; ++t) {
                        float* x_t        = row(x, t, n_embd);
                        const float* xb_t = row(xb, t, n_embd);
                        for (int i = 0; i < n_embd; ++i) x_t[i] += xb_t[i];
                    }
                    break;
                case Stage::FfnNorm:  // xb = RMSNorm(x) · ffn_norm
                    for (int t = 0; t < n; ++t)
                        rms_norm(row(x, t, n_embd), L.ffn_norm.f32(), hp.norm_eps, n_embd, row(xb, t, n_embd));
                    break;
                case Stage::FfnGate:
                    linear(L.w_gate, xb, n, hb, pool);
                    break;
                case Stage::FfnUp:
                    linear(L.w_up, xb, n, hb2, pool);
                    break;
                case Stage::FfnAct:  // hb = silu(gate) ⊙ up
                    swiglu(hb, hb2, int64_t(n) * n_ff);
                    break;
                case Stage::FfnOut:  // xb = W_down · hb
                    linear(L.w_down, hb, n, xb, pool);
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
            case Stage::FinalNorm:
                for (int t = first; t < n; ++t)
                    rms_norm(row(x, t, n_embd), w.output_norm.f32(), hp.norm_eps, n_embd, row(xb, t, n_embd));
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

void Forward::attention(const KvCache& cache, int layer, int pos, float* q, float* out, ThreadPool& pool,
                        Observer* observer, StageMask mask) {
    const Hparams& hp  = model_.hp;
    const int n_pos    = pos + 1;  // causal mask: keys 0 .. pos only
    const int head_dim = hp.head_dim;
    const int group    = hp.n_head / hp.n_head_kv;  // grouped-query attention: query head h reads kv head h / group
    float* scores      = scores_.data();            // [n_head][n_pos] q·k/√head_dim
    float* probs       = probs_.data();             // [n_head][n_pos] softmax(scores)
    auto at            = [n_pos](float* buf, int h) { return buf + size_t(h) * size_t(n_pos); };

    // Heads are independent: spread them over the threads when the context is long enough.
    const bool parallel = pool.n_threads() > 1 && int64_t(n_pos) * hp.n_embd >= kParallelAttnWork;
    auto for_heads      = [&](auto&& fn) {
        if (parallel) {
            pool.parallel_for(hp.n_head, [&](int64_t b, int64_t e) { fn(int(b), int(e)); });
        } else {
            fn(0, hp.n_head);
        }
    };

    // Scores: scores[h][j] = q_h · k_j / √head_dim for every key position j <= pos.
    for_heads([&](int h0, int h1) {
        for (int h = h0; h < h1; ++h)
            attn::scores_row(q + size_t(h) * size_t(head_dim), cache, layer, h / group, head_dim, n_pos, at(scores, h));
    });
    if (mask.has(Stage::AttnScores)) observer->observe(Stage::AttnScores, layer, pos, {scores, hp.n_head, n_pos});

    // Softmax over the key positions (the maximum subtracted first, so it cannot overflow).
    for_heads([&](int h0, int h1) {
        for (int h = h0; h < h1; ++h) attn::softmax_row(at(scores, h), at(probs, h), n_pos);
    });
    if (mask.has(Stage::AttnProbs)) observer->observe(Stage::AttnProbs, layer, pos, {probs, hp.n_head, n_pos});

    // Weighted sum of the values: out_h = Σ_j probs[h][j] · v_j.                      out: [n_head][head_dim]
    for_heads([&](int h0, int h1) {
        for (int h = h0; h < h1; ++h)
            attn::weighted_sum_row(at(probs, h), cache, layer, h / group, head_dim, n_pos,
                                   out + size_t(h) * size_t(head_dim));
    });
}

void Forward::attention_batch(const KvCache& cache, int layer, int pos0, int n, const float* q, float* out,
                              ThreadPool& pool) {
    const Hparams& hp  = model_.hp;
    const int head_dim = hp.head_dim;
    const int group    = hp.n_head / hp.n_head_kv;  // grouped-query attention: query head h reads kv head h / group
    const size_t ctx   = size_t(n_ctx_);

    // Each head is one thread's for every token of the batch; head h uses row h of scores_ and probs_.
    const auto heads = [&](int64_t h0, int64_t h1) {
        for (int h = int(h0); h < int(h1); ++h) {
            float* scores = scores_.data() + size_t(h) * ctx;  // [n_pos] q·k/√head_dim of one token
            float* probs  = probs_.data() + size_t(h) * ctx;   // [n_pos] softmax(scores)
            for (int t = 0; t < n; ++t) {
                const int n_pos   = pos0 + t + 1;  // causal mask: keys 0 .. pos only
                const size_t head = size_t(t) * size_t(hp.n_embd) + size_t(h) * size_t(head_dim);
                attn::scores_row(q + head, cache, layer, h / group, head_dim, n_pos, scores);
                attn::softmax_row(scores, probs, n_pos);
                attn::weighted_sum_row(probs, cache, layer, h / group, head_dim, n_pos, out + head);
            }
        }
    };
    pool.parallel_for(hp.n_head, std::cref(heads));  // by reference: the std::function does not allocate
}

}  // namespace ts::core
