// Gemma 2 and Gemma 3 (GGUF `gemma2`, `gemma3`): their stage lists and the block function that runs them (Gemma 4's
// too: arch/gemma4.cpp describes its stages, the sizes that differ per layer and what it adds), read top
// to bottom like the math (as llama.cpp's src/models/gemma2.cpp and gemma3.cpp compute it):
//
//   token → embedding row × √n_embd;  position → RoPE angles (global layers) and the local layers' own
//   per layer: RMSNorm → Q, K, V projections → RMSNorm of each Q and K head (gemma3) → NeoX RoPE (the local
//              layers' angles on a sliding-window layer) → store K, V in the cache
//            → scores = q·k · scale, keys outside the window masked (local layers) → soft-cap cap·tanh(s/cap)
//              (gemma2) → softmax → Σ probs·v → output projection → RMSNorm (post-attention) → residual add
//            → RMSNorm → gate, up → GELU(gate)·up → down → RMSNorm (post-MLP) → residual add
//   → final RMSNorm → logits → soft-cap (gemma2)
//
// The norms' weights are used as stored: llama.cpp's converter already wrote Gemma's (1 + w). As in arch/llama.cpp, a
// batch of n tokens goes through each stage together, and after each stage the observer sees its rows. The
// attention (scores, window, soft-cap, softmax, weighted sum) is the one every family shares (forward.cpp, with the
// layer's attn::params).
#include <algorithm>
#include <cmath>
#include <cstdint>
#include <cstring>

#include "core/model/arch/arch.hpp"
#include "core/model/forward.hpp"
#include "core/model/layers.hpp"
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
     "The token id selects one row of the embedding matrix (Gemma shares it with the output).",
     Dims::Embd,
     {"token_embd.weight"}},
    {Stage::EmbedScaled,
     "× √n_embd",
     "Gemma multiplies the embedding row by √n_embd: the rows are small because the same matrix also scores the "
     "output, and this scale gives the residual stream its working size. This is the input of layer 0.",
     Dims::Embd,
     {}},
    {Stage::Rope,
     "Position (RoPE angles, global layers)",
     "The position is not added to the vector: RoPE later rotates each pair of Q and K dimensions by an angle "
     "proportional to the position. These are the angles of the global layers.",
     Dims::Rope,
     {}},
    {Stage::RopeLocal,
     "Position (RoPE angles, sliding-window layers)",
     "The sliding-window (local) layers rotate with a base of their own (Gemma 3: 10000 where the global layers use "
     "1000000), so their angles turn faster: they only need to tell apart nearby positions.",
     Dims::RopeSwa,
     {}},
};

#define TS_GEMMA_QKV                                                                                            \
    {Stage::AttnNorm, "Attention norm", kNormExplain, Dims::Embd, {"attn_norm.weight"}},                        \
        {Stage::QProj,                                                                                          \
         "Query projection",                                                                                    \
         "Wq maps the normed vector to one query per head (heads of attention.key_length, 256 in Gemma).",      \
         Dims::QHeads,                                                                                          \
         {"attn_q.weight"}},                                                                                    \
        {Stage::KProj,                                                                                          \
         "Key projection",                                                                                      \
         "Wk maps it to one key per kv head; several query heads share one kv head (grouped-query attention).", \
         Dims::KvHeads,                                                                                         \
         {"attn_k.weight"}},                                                                                    \
        {Stage::V, "Value projection", "Wv maps it to one value per kv head.", Dims::KvHeads, {"attn_v.weight"}},

#define TS_GEMMA_ROPE                                                                                                 \
    {Stage::Q,                                                                                                        \
     "RoPE on the queries",                                                                                           \
     "Each pair (i, i + half) of query dimensions is rotated by an angle proportional to the position: the "          \
     "global angles on a global layer, the local ones on a sliding-window layer.",                                    \
     Dims::QHeads,                                                                                                    \
     {}},                                                                                                             \
        {Stage::K,                                                                                                    \
         "RoPE on the keys",                                                                                          \
         "The keys are rotated the same way, then K and V go into the KV cache.",                                     \
         Dims::KvHeads,                                                                                               \
         {}},                                                                                                         \
        {Stage::AttnScores,                                                                                           \
         "Scores q·k · scale",                                                                                        \
         "The query of each head is compared with the key of every position it may see, times the query scale "       \
         "(1/√head_dim). On a sliding-window layer only the last attention.sliding_window positions are seen: the " \
         "older ones are masked (-∞), like the future ones.",                                                         \
         Dims::HeadKeys,                                                                                              \
         {}},

#define TS_GEMMA_REST                                                                                                   \
    {Stage::AttnProbs,                                                                                                  \
     "Softmax",                                                                                                         \
     "Softmax turns a head's scores into weights that are positive and sum to 1; masked keys get weight 0.",            \
     Dims::HeadKeys,                                                                                                    \
     {}},                                                                                                               \
        {Stage::AttnOut,                                                                                                \
         "Weighted sum of V",                                                                                           \
         "Each head mixes the value vectors of the positions it attends to, weighted by the softmax.",                  \
         Dims::QHeads,                                                                                                  \
         {}},                                                                                                           \
        {Stage::AttnProj,                                                                                               \
         "Heads combined (wo)",                                                                                         \
         "The output matrix wo maps the heads' outputs back to the residual stream's width.",                           \
         Dims::Embd,                                                                                                    \
         {"attn_output.weight"}},                                                                                       \
        {Stage::AttnPostNorm,                                                                                           \
         "Post-attention norm",                                                                                         \
         "Gemma norms the block's output too (RMSNorm with post_attention_norm) before adding it: what the "            \
         "attention writes into the residual stream has a steady size.",                                                \
         Dims::Embd,                                                                                                    \
         {"post_attention_norm.weight"}},                                                                               \
        {Stage::ResidAttn,                                                                                              \
         "Residual add",                                                                                                \
         "The normed attention output is added to the residual stream.",                                                \
         Dims::Embd,                                                                                                    \
         {}},                                                                                                           \
        {Stage::FfnNorm, "MLP norm", kNormExplain, Dims::Embd, {"ffn_norm.weight"}},                                    \
        {Stage::FfnGate,                                                                                                \
         "Gate projection",                                                                                             \
         "W_gate widens the vector to the MLP's hidden size: how far each hidden unit opens.",                          \
         Dims::Ff,                                                                                                      \
         {"ffn_gate.weight"}},                                                                                          \
        {Stage::FfnUp,                                                                                                  \
         "Up projection",                                                                                               \
         "W_up widens it a second time: the values that the open units let through.",                                   \
         Dims::Ff,                                                                                                      \
         {"ffn_up.weight"}},                                                                                            \
        {Stage::FfnAct,                                                                                                 \
         "GELU-gated (GeGLU)",                                                                                          \
         "GELU(gate) × up, unit by unit (GELU in its tanh approximation): a unit whose gate is negative stays nearly " \
         "closed.",                                                                                                     \
         Dims::Ff,                                                                                                      \
         {}},                                                                                                           \
        {Stage::FfnOut,                                                                                                 \
         "Down projection",                                                                                             \
         "W_down maps the hidden units back to the residual stream's width.",                                           \
         Dims::Embd,                                                                                                    \
         {"ffn_down.weight"}},                                                                                          \
        {Stage::FfnPostNorm,                                                                                            \
         "Post-MLP norm",                                                                                               \
         "The MLP's output is RMS-normed too (post_ffw_norm) before it is added.",                                      \
         Dims::Embd,                                                                                                    \
         {"post_ffw_norm.weight"}},                                                                                     \
        {Stage::ResidFfn,                                                                                               \
         "Residual add (layer output)",                                                                                 \
         "The normed MLP output is added to the residual stream: this is the layer's output.",                          \
         Dims::Embd,                                                                                                    \
         {}},

constexpr StageDesc kGemma2Block[] = {
    TS_GEMMA_QKV TS_GEMMA_ROPE{
        Stage::AttnSoftcap,
        "Soft-cap of the scores",
        "Gemma 2 squashes every score into (−cap, cap) with cap·tanh(score/cap) (attn_logit_softcapping, 50): small "
        "scores pass almost unchanged, large ones are bounded, so no single key can take all the attention by a huge "
        "score.",
        Dims::HeadKeys,
        {}},
    TS_GEMMA_REST};

constexpr StageDesc kGemma3Block[] = {TS_GEMMA_QKV{Stage::QNorm,
                                                   "Query norm (per head)",
                                                   "Each query head is divided by its own root-mean-square and scaled "
                                                   "by attn_q_norm (shared by the heads), before RoPE.",
                                                   Dims::QHeads,
                                                   {"attn_q_norm.weight"}},
                                      {Stage::KNorm,
                                       "Key norm (per head)",
                                       "The same for each key head, with attn_k_norm.",
                                       Dims::KvHeads,
                                       {"attn_k_norm.weight"}},
                                      TS_GEMMA_ROPE TS_GEMMA_REST};
#undef TS_GEMMA_QKV
#undef TS_GEMMA_ROPE
#undef TS_GEMMA_REST

constexpr StageDesc kFinalNorm = {Stage::FinalNorm,
                                  "Final norm",
                                  "After the last layer a final RMSNorm prepares the residual stream for the output "
                                  "matrix.",
                                  Dims::Embd,
                                  {"output_norm.weight"}};

constexpr StageDesc kGemma2After[] = {
    kFinalNorm,
    {Stage::LogitsRaw,
     "Raw logits",
     "The embedding matrix (Gemma ties the output to it) scores every vocabulary entry against the final vector.",
     Dims::Vocab,
     {"token_embd.weight"}},
    {Stage::Logits,
     "Logits (soft-capped)",
     "Gemma 2 soft-caps the logits too: cap·tanh(logit/cap) with final_logit_softcapping (30), so no logit leaves "
     "(−30, 30). These are the logits the sampler reads.",
     Dims::Vocab,
     {}},
};

constexpr StageDesc kGemma3After[] = {
    kFinalNorm,
    {Stage::Logits,
     "Logits",
     "The output matrix (the embedding matrix itself when the file has no output.weight) scores every vocabulary "
     "entry against the final vector: one logit per token.",
     Dims::Vocab,
     {"output.weight"}},
};

constexpr ArchDesc kGemma2 = {"gemma2",
                              "embeddings × √n_embd, RMSNorm before and after each block, GELU-gated MLP, soft-capped "
                              "scores and logits, sliding-window attention on every other layer",
                              kBefore,
                              kGemma2Block,
                              kGemma2After,
                              NormKind::Rms,
                              Stage::EmbedScaled};
constexpr ArchDesc kGemma3 = {"gemma3",
                              "embeddings × √n_embd, RMSNorm before and after each block, per-head q/k norms, "
                              "GELU-gated MLP, sliding-window layers (5 local to 1 global) with their own RoPE base",
                              kBefore,
                              kGemma3Block,
                              kGemma3After,
                              NormKind::Rms,
                              Stage::EmbedScaled};

}  // namespace

const ArchDesc& gemma_desc(Arch arch) {
    return arch == Arch::Gemma2 ? kGemma2 : kGemma3;
}

// ---- the block function ---------------------------------------------------------------------------------------

void Forward::eval_gemma(const KvCache& cache, KvCache* store, const int32_t* tokens, int n, int pos0, float* logits,
                         LogitRows rows, ThreadPool& pool, Observer* observer) {
    const Hparams& hp    = model_.hp;
    const Weights& w     = model_.w;
    const ArchDesc& arch = arch_desc(hp);
    const int n_embd     = hp.n_embd;
    // The sizes of the layer being run (gemma4's differ per layer: heads, kv heads, MLP width, RoPE size); before
    // and after the layers, the largest.
    int q_dim = hp.q_dim(), kv_dim = hp.kv_dim(), n_ff = hp.n_ff, head_dim = hp.head_dim, n_head_kv = hp.n_head_kv;
    const int half_rot = hp.n_rot / 2, half_swa = hp.n_rot_swa > 0 ? hp.n_rot_swa / 2 : half_rot;
    int half_layer     = half_rot;
    const int n_pl     = hp.n_embd_per_layer;  // gemma4's per-layer embeddings (0: none)
    const int ple_dim  = hp.n_layer * n_pl;    // one token's per-layer inputs, [n_layer][n_pl]
    float* x           = x_.data();            // [n][n_embd] residual stream
    float* xb          = xb_.data();           // [n][n_embd] normed input of a block, then its (normed) output
    float* q           = q_.data();            // [n][n_head][head_dim]
    float* k           = k_.data();            // [n][n_head_kv][head_dim]
    float* v           = v_.data();            // [n][n_head_kv][head_dim]
    float* att         = att_.data();          // [n][n_head][head_dim] attention output, heads side by side
    float* hb          = hb_.data();           // [n][n_ff] gate, then GELU(gate)·up
    float* hb2         = hb2_.data();          // [n][n_ff] up
    float* rope        = rope_.data();         // [n][2][n_rot/2] global angles
    const int half_max = std::max(half_rot, hp.n_rot_swa / 2);
    float* rope_local  = rope_.data() + size_t(n_batch_) * size_t(2 * half_max);  // the same, local layers
    float* ple         = ple_.data();       // [n][n_layer][n_pl] gemma4's per-layer inputs
    float* ple_gate    = ple_gate_.data();  // [n][n_pl] one layer's gated per-layer input
    auto row           = [](float* buf, int t, int dim) { return buf + size_t(t) * size_t(dim); };
    const int first    = rows == LogitRows::All ? 0 : n - 1;  // the tokens whose logits are computed

    auto view = [&](Stage s, int t) -> TensorView {
        switch (s) {
            case Stage::Embed:
            case Stage::EmbedScaled:
            case Stage::ResidAttn:
            case Stage::ResidMlp:
            case Stage::ResidFfn:
                return {row(x, t, n_embd), 1, n_embd};
            case Stage::Rope:
                return {row(rope, t, 2 * half_rot), 2, half_rot};
            case Stage::RopeLocal:
                return {row(rope_local, t, 2 * half_swa), 2, half_swa};
            case Stage::PleEmbed:
            case Stage::PleInput:
                return {row(ple, t, ple_dim), hp.n_layer, n_pl};
            case Stage::PleGate:
                return {row(ple_gate, t, n_pl), 1, n_pl};
            case Stage::PleOut:
            case Stage::AttnNorm:
            case Stage::AttnProj:
            case Stage::AttnPostNorm:
            case Stage::FfnNorm:
            case Stage::FfnOut:
            case Stage::FfnPostNorm:
            case Stage::FinalNorm:
            case Stage::FfnNorm2:  // gemma4's experts (arch/moe.cpp)
            case Stage::FfnMoeOut:
            case Stage::FfnPostNorm2:
            case Stage::FfnMoeSum:
                return {row(xb, t, n_embd), 1, n_embd};
            case Stage::FfnPostNorm1:
                return {row(shexp_.data(), t, n_embd), 1, n_embd};
            case Stage::FfnRouter:
                return {row(router_.data(), t, hp.n_expert), 1, hp.n_expert};
            case Stage::FfnRouterProbs:
                return {row(router_p_.data(), t, hp.n_expert), 1, hp.n_expert};
            case Stage::FfnRoute:
                return {row(route_.data(), t, 2 * hp.n_expert_used), 2, hp.n_expert_used};
            case Stage::FfnExpGate:
            case Stage::FfnExpAct:
                return {row(hb, t, hp.n_expert_used * hp.expert_ff()), hp.n_expert_used, hp.expert_ff()};
            case Stage::FfnExpUp:
                return {row(hb2, t, hp.n_expert_used * hp.expert_ff()), hp.n_expert_used, hp.expert_ff()};
            case Stage::FfnExpertOut:
                return {row(expert_out_.data(), t, hp.n_expert_used * n_embd), hp.n_expert_used, n_embd};
            case Stage::QProj:
            case Stage::QNorm:
            case Stage::Q:
                return {row(q, t, q_dim), hp.n_head, head_dim};
            case Stage::KProj:
            case Stage::KNorm:
            case Stage::K:
                return {row(k, t, kv_dim), n_head_kv, head_dim};
            case Stage::V:
                return {row(v, t, kv_dim), n_head_kv, head_dim};
            case Stage::AttnOut:
                return {row(att, t, q_dim), hp.n_head, head_dim};
            case Stage::FfnGate:
            case Stage::FfnAct:
                return {row(hb, t, n_ff), 1, n_ff};
            case Stage::FfnUp:
                return {row(hb2, t, n_ff), 1, n_ff};
            case Stage::LogitsRaw:
            case Stage::Logits:
                return {row(logits, t - first, hp.n_vocab), 1, hp.n_vocab};
            default:  // the scores, soft-capped scores and probs are shown from inside the attention loop
                return {};
        }
    };
    // Not shown: the scores (shown from inside the attention), gemma4's K and V stages on a KV-sharing layer and its
    // per-layer embedding stages in a file without them (those stages do not run there).
    auto runs = [&](Stage s, int layer) {
        switch (s) {
            case Stage::KProj:
            case Stage::V:
            case Stage::KNorm:
            case Stage::K:
                return layer < 0 || hp.has_own_kv(layer);
            case Stage::PleEmbed:
            case Stage::PleInput:
            case Stage::PleGate:
            case Stage::PleOut:
                return n_pl > 0;
            default:
                return true;
        }
    };
    auto show = [&](Stage s, int layer, StageMask mask, int t0) {
        if (!mask.has(s) || s == Stage::AttnScores || s == Stage::AttnSoftcap || s == Stage::AttnProbs) return;
        if (!runs(s, layer)) return;
        for (int t = t0; t < n; ++t) observer->observe(s, layer, pos0 + t, view(s, t));
    };
    // RoPE of every head of one token's q or k, with the layer's angles.
    auto rotate = [&](float* heads, int n_heads, const float* cs) {
        for (int h = 0; h < n_heads; ++h)
            apply_rope(heads + size_t(h) * size_t(head_dim), 2 * half_layer, hp.rope_style, cs, cs + half_layer);
    };

    const float embd_scale = std::sqrt(float(n_embd));  // as llama.cpp: sqrtf(n_embd)
    for (const StageDesc& sd : arch.before) {
        switch (sd.id) {
            case Stage::Embed:
                for (int t = 0; t < n; ++t)
                    dequantize_row(w.token_embd.type, w.token_embd.row(tokens[t]), row(x, t, n_embd), n_embd);
                break;
            case Stage::EmbedScaled:
                for (int64_t i = 0; i < int64_t(n) * n_embd; ++i) x[i] *= embd_scale;
                break;
            case Stage::Rope:
            case Stage::RopeLocal: {
                const bool local = sd.id == Stage::RopeLocal;
                const int half   = local ? half_swa : half_rot;
                for (int t = 0; t < n; ++t) {
                    float* cs = row(local ? rope_local : rope, t, 2 * half);
                    rope_angles(hp, pos0 + t, cs, cs + half, local);
                }
                break;
            }
            case Stage::PleEmbed:
            case Stage::PleInput:
                if (n_pl > 0) per_layer_inputs(sd.id, tokens, n, pool);
                break;
            default:
                break;
        }
        show(sd.id, -1, wants_[0], 0);
    }

    for (int il = 0; il < hp.n_layer; ++il) {
        const LayerWeights& L = w.layers[size_t(il)];
        const StageMask mask  = wants_[size_t(il) + 1];
        float* angles         = hp.is_swa(il) ? rope_local : rope;
        q_dim                 = hp.q_dim_of(il);
        kv_dim                = hp.kv_dim_of(il);
        n_ff                  = hp.n_ff_of(il);
        head_dim              = hp.head_dim_of(il);
        n_head_kv             = hp.n_head_kv_of(il);
        half_layer            = hp.is_swa(il) ? half_swa : half_rot;
        for (const StageDesc& sd : arch.block) {
            if (!runs(sd.id, il)) continue;
            switch (sd.id) {
                case Stage::AttnNorm:
                    for (int t = 0; t < n; ++t)
                        rms_norm(row(x, t, n_embd), L.attn_norm.f32(), hp.norm_eps, n_embd, row(xb, t, n_embd));
                    break;
                case Stage::QProj:
                    linear(L.wq, xb, n, q, pool);
                    add_bias(L.bq, n, q_dim, q);
                    break;
                case Stage::KProj:
                    linear(L.wk, xb, n, k, pool);
                    add_bias(L.bk, n, kv_dim, k);
                    break;
                case Stage::V:
                    if (L.wv.data) {
                        linear(L.wv, xb, n, v, pool);
                        add_bias(L.bv, n, kv_dim, v);
                    } else {  // gemma4 without attn_v: the values are the keys (before their norm and RoPE)
                        std::memcpy(v, k, size_t(n) * size_t(kv_dim) * sizeof(float));
                    }
                    if (hp.arch == Arch::Gemma4)  // each value head RMS-normed, no weight
                        for (int64_t i = 0; i < int64_t(n) * n_head_kv; ++i)
                            rms_norm(row(v, int(i), head_dim), nullptr, hp.norm_eps, head_dim,
                                     row(v, int(i), head_dim));
                    break;
                case Stage::QNorm:  // gemma3: each head RMS-normed with attn_q_norm
                    for (int64_t i = 0; i < int64_t(n) * hp.n_head; ++i)
                        rms_norm(row(q, int(i), head_dim), L.q_norm.f32(), hp.norm_eps, head_dim,
                                 row(q, int(i), head_dim));
                    break;
                case Stage::KNorm:
                    for (int64_t i = 0; i < int64_t(n) * n_head_kv; ++i)
                        rms_norm(row(k, int(i), head_dim), L.k_norm.f32(), hp.norm_eps, head_dim,
                                 row(k, int(i), head_dim));
                    break;
                case Stage::Q:
                    for (int t = 0; t < n; ++t) rotate(row(q, t, q_dim), hp.n_head, row(angles, t, 2 * half_layer));
                    break;
                case Stage::K:
                    for (int t = 0; t < n; ++t) rotate(row(k, t, kv_dim), n_head_kv, row(angles, t, 2 * half_layer));
                    break;
                case Stage::AttnScores:  // K, V into the cache; scores, window, soft-cap, softmax, Σ probs·v
                    attend(cache, store, il, pos0, n, q, k, v, att, pool, observer, mask);
                    break;
                case Stage::AttnProj:
                    linear(L.wo, att, n, xb, pool);
                    break;
                case Stage::AttnPostNorm:
                case Stage::FfnPostNorm: {  // xb = RMSNorm(xb) · post norm, in place
                    const float* wt = sd.id == Stage::AttnPostNorm ? L.attn_post_norm.f32() : L.ffn_post_norm.f32();
                    for (int t = 0; t < n; ++t)
                        rms_norm(row(xb, t, n_embd), wt, hp.norm_eps, n_embd, row(xb, t, n_embd));
                    break;
                }
                case Stage::ResidAttn:
                case Stage::ResidMlp:
                    for (int64_t i = 0; i < int64_t(n) * n_embd; ++i) x[i] += xb[i];
                    break;
                case Stage::ResidFfn:  // gemma2/3: + the MLP; gemma4: + the per-layer embedding, × the output scale
                    if (hp.arch != Arch::Gemma4 || n_pl > 0)
                        for (int64_t i = 0; i < int64_t(n) * n_embd; ++i) x[i] += xb[i];
                    if (L.out_scale.data)
                        for (int64_t i = 0; i < int64_t(n) * n_embd; ++i) x[i] *= L.out_scale.f32()[0];
                    break;
                case Stage::PleGate: {  // GELU(inp_gate · x) ⊙ this layer's per-layer input
                    linear(L.ple_gate, x, n, ple_gate, pool);
                    gelu(ple_gate, int64_t(n) * n_pl);
                    for (int t = 0; t < n; ++t) {
                        const float* in = row(ple, t, ple_dim) + size_t(il) * size_t(n_pl);
                        for (int i = 0; i < n_pl; ++i) row(ple_gate, t, n_pl)[i] *= in[i];
                    }
                    break;
                }
                case Stage::PleOut:
                    linear(L.ple_proj, ple_gate, n, xb, pool);
                    for (int t = 0; t < n; ++t)
                        rms_norm(row(xb, t, n_embd), L.ple_post_norm.f32(), hp.norm_eps, n_embd, row(xb, t, n_embd));
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
                case Stage::FfnAct:  // hb = GELU(gate) ⊙ up
                    geglu(hb, hb2, int64_t(n) * n_ff);
                    break;
                case Stage::FfnOut:
                    linear(L.w_down, hb, n, xb, pool);
                    break;
                case Stage::FfnPostNorm1:  // gemma4's experts beside the MLP (arch/moe.cpp)
                case Stage::FfnNorm2:
                case Stage::FfnRouter:
                case Stage::FfnRouterProbs:
                case Stage::FfnRoute:
                case Stage::FfnExpGate:
                case Stage::FfnExpUp:
                case Stage::FfnExpAct:
                case Stage::FfnExpertOut:
                case Stage::FfnMoeOut:
                case Stage::FfnPostNorm2:
                case Stage::FfnMoeSum:
                    moe_stage(sd.id, L, n, pool);
                    break;
                default:  // the soft-cap, probs and weighted sum: computed with the scores, above
                    break;
            }
            show(sd.id, il, mask, 0);
        }
    }
    if (rows == LogitRows::None) return;

    const StageMask top = wants_[0];
    const int m         = n - first;
    for (const StageDesc& sd : arch.after) {
        switch (sd.id) {
            case Stage::FinalNorm:
                for (int t = first; t < n; ++t) output_norm(model_, row(x, t, n_embd), row(xb, t, n_embd));
                break;
            case Stage::LogitsRaw:  // gemma2: the product, capped at the next stage
                linear(w.output, row(xb, first, n_embd), m, logits, pool);
                break;
            case Stage::Logits:
                if (hp.final_softcap != 0.0f) {
                    softcap(logits, int64_t(m) * hp.n_vocab, hp.final_softcap);
                } else if (hp.arch != Arch::Gemma4) {  // gemma4's product is its logits_raw stage
                    linear(w.output, row(xb, first, n_embd), m, logits, pool);
                }
                break;
            default:
                break;
        }
        show(sd.id, -1, top, first);
    }
}

}  // namespace ts::core
