// The llama family (GGUF `llama`, `qwen2`, `qwen3`, `phi3`, `qwen3moe`, `olmoe`, llama2.c checkpoints): its stage
// lists and the block function that runs them, read top to bottom like the math:
//
//   token → embedding row;  position → RoPE angles
//   per layer: RMSNorm → Q, K, V projections (+ bias: qwen2; phi3: one fused attn_qkv) → RMSNorm of each Q and K
//              head (qwen3, qwen3moe) or of the whole Q and K vectors (olmoe)
//            → RoPE on Q and K → store K, V in the cache
//            → scores = q·k/√head_dim → softmax → Σ probs·v → output projection → residual add
//            → RMSNorm → gate, up (phi3: one fused ffn_up, gate rows first) → silu(gate)·up → down → residual add
//              (qwen3moe, olmoe: a router and the chosen experts instead, arch/moe.cpp)
//   → final RMSNorm → logits
//
// A batch of n tokens goes through each stage together, so the projections are matmuls that read every weight row
// once for all n tokens; attention is per token and causal (token t sees positions <= pos0 + t). After each stage
// the observer sees that stage's rows (when it asked for them), so what it sees is what the next stage reads.
#include <cstdint>
#include <cstring>

#include "core/model/arch/arch.hpp"
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

// QK_NORM: nothing (llama, qwen2) or qwen3's two per-head norm stages, between the projections and RoPE.
// Q_W, K_W, V_W, GATE_W, UP_W: the matrices' names (phi3 fuses them into attn_qkv and ffn_up); the rest: the
// QK_NORM stages (a list with commas, so it comes last).
#define TS_LLAMA_ATTN_W(Q_EXPLAIN, Q_BIAS, K_BIAS, V_BIAS, Q_W, K_W, V_W, ...)                                    \
    {Stage::AttnNorm, "Attention norm", kNormExplain, Dims::Embd, {"attn_norm.weight"}},                          \
        {Stage::QProj, "Query projection", Q_EXPLAIN, Dims::QHeads, {Q_W, Q_BIAS}},                               \
        {Stage::KProj,                                                                                            \
         "Key projection",                                                                                        \
         "Wk maps the normed vector to one key per kv head: what this token offers to later queries. Several "    \
         "query heads may share one kv head (grouped-query attention).",                                          \
         Dims::KvHeads,                                                                                           \
         {K_W, K_BIAS}},                                                                                          \
        {Stage::V,                                                                                                \
         "Value projection",                                                                                      \
         "Wv maps it to one value per kv head: what this token passes on to the positions that attend to it.",    \
         Dims::KvHeads,                                                                                           \
         {V_W, V_BIAS}},                                                                                          \
        __VA_ARGS__{                                                                                              \
            Stage::Q,                                                                                             \
            "RoPE on the queries",                                                                                \
            "Each pair of query dimensions is rotated by an angle proportional to the position, so a query·key " \
            "product depends on how far apart the two tokens are.",                                               \
            Dims::QHeads,                                                                                         \
            {}},                                                                                                  \
        {Stage::K,                                                                                                \
         "RoPE on the keys",                                                                                      \
         "The keys are rotated the same way. K and V of this position then go into the KV cache, where later "    \
         "tokens read them without recomputing.",                                                                 \
         Dims::KvHeads,                                                                                           \
         {}},                                                                                                     \
        {Stage::AttnScores,                                                                                       \
         "Scores q·k/√d",                                                                                         \
         "The query of each head is compared with the key of every position up to this one: the dot product "     \
         "divided by √head_dim. Later positions are masked (causal).",                                            \
         Dims::HeadKeys,                                                                                          \
         {}},                                                                                                     \
        {Stage::AttnProbs,                                                                                        \
         "Softmax",                                                                                               \
         "Softmax turns a head's scores into weights that are positive and sum to 1 (the maximum is subtracted "  \
         "first so nothing overflows).",                                                                          \
         Dims::HeadKeys,                                                                                          \
         {}},                                                                                                     \
        {Stage::AttnOut,                                                                                          \
         "Weighted sum of V",                                                                                     \
         "Each head mixes the value vectors of the positions it attends to, weighted by the softmax; the "        \
         "heads' outputs lie side by side.",                                                                      \
         Dims::QHeads,                                                                                            \
         {}},                                                                                                     \
        {Stage::AttnProj,                                                                                         \
         "Heads combined (wo)",                                                                                   \
         "The output matrix wo maps the heads' outputs back to the residual stream's width.",                     \
         Dims::Embd,                                                                                              \
         {"attn_output.weight"}},                                                                                 \
        {Stage::ResidAttn,                                                                                        \
         "Residual add",                                                                                          \
         "The attention block's result is added to the residual stream: the block writes a correction, it does "  \
         "not replace the vector.",                                                                               \
         Dims::Embd,                                                                                              \
         {}},

#define TS_LLAMA_MLP(GATE_W, UP_W)                                                                              \
    {Stage::FfnNorm, "MLP norm", kNormExplain, Dims::Embd, {"ffn_norm.weight"}},                                \
        {Stage::FfnGate,                                                                                        \
         "Gate projection",                                                                                     \
         "W_gate widens the vector to the MLP's hidden size: how far each hidden unit opens.",                  \
         Dims::Ff,                                                                                              \
         {GATE_W}},                                                                                             \
        {Stage::FfnUp,                                                                                          \
         "Up projection",                                                                                       \
         "W_up widens it a second time: the values that the open units let through.",                           \
         Dims::Ff,                                                                                              \
         {UP_W}},                                                                                               \
        {Stage::FfnAct,                                                                                         \
         "SwiGLU",                                                                                              \
         "silu(gate) × up, unit by unit: a unit whose gate is negative stays nearly closed. The MLP mixes no " \
         "positions, only the features of this token.",                                                         \
         Dims::Ff,                                                                                              \
         {}},                                                                                                   \
        {Stage::FfnOut,                                                                                         \
         "Down projection",                                                                                     \
         "W_down maps the hidden units back to the residual stream's width: the MLP's output.",                 \
         Dims::Embd,                                                                                            \
         {"ffn_down.weight"}},                                                                                  \
        {Stage::ResidFfn,                                                                                       \
         "Residual add (layer output)",                                                                         \
         "The MLP's result is added to the residual stream: this is the layer's output and the next layer's "   \
         "input.",                                                                                              \
         Dims::Embd,                                                                                            \
         {}},

#define TS_LLAMA_BLOCK_W(Q_EXPLAIN, Q_BIAS, K_BIAS, V_BIAS, Q_W, K_W, V_W, GATE_W, UP_W, ...) \
    TS_LLAMA_ATTN_W(Q_EXPLAIN, Q_BIAS, K_BIAS, V_BIAS, Q_W, K_W, V_W, __VA_ARGS__) TS_LLAMA_MLP(GATE_W, UP_W)
#define TS_LLAMA_BLOCK(Q_EXPLAIN, Q_BIAS, K_BIAS, V_BIAS, QK_NORM)                                         \
    TS_LLAMA_BLOCK_W(Q_EXPLAIN, Q_BIAS, K_BIAS, V_BIAS, "attn_q.weight", "attn_k.weight", "attn_v.weight", \
                     "ffn_gate.weight", "ffn_up.weight", QK_NORM)

#define TS_NO_QK_NORM
#define TS_QK_NORM                                                                                               \
    {Stage::QNorm,                                                                                               \
     "Query norm (per head)",                                                                                    \
     "Each query head is divided by its own root-mean-square and scaled by attn_q_norm (one weight per head "    \
     "dimension, shared by the heads): every head's query has a steady size before RoPE, so no score can grow "  \
     "without bound.",                                                                                           \
     Dims::QHeads,                                                                                               \
     {"attn_q_norm.weight"}},                                                                                    \
        {Stage::KNorm,                                                                                           \
         "Key norm (per head)",                                                                                  \
         "The same for each key head, with attn_k_norm: the keys stored in the cache are normed, then rotated.", \
         Dims::KvHeads,                                                                                          \
         {"attn_k_norm.weight"}},

constexpr StageDesc kLlamaBlock[] = {TS_LLAMA_BLOCK(
    "Wq maps the normed vector to one query per head: what this token is looking for.", "", "", "", TS_NO_QK_NORM)};
constexpr StageDesc kQwen2Block[] = {
    TS_LLAMA_BLOCK("Wq maps the normed vector to one query per head (plus a learned bias, as in every qwen2 Q, K and "
                   "V projection): what this token is looking for.",
                   "attn_q.bias", "attn_k.bias", "attn_v.bias", TS_NO_QK_NORM)};
constexpr StageDesc kQwen3Block[] = {
    TS_LLAMA_BLOCK("Wq maps the normed vector to one query per head: what this token is looking for. qwen3's heads "
                   "are attention.key_length wide, so n_head × head_dim need not equal n_embd.",
                   "", "", "", TS_QK_NORM)};
constexpr StageDesc kPhi3Block[] = {TS_LLAMA_BLOCK_W(
    "One fused matrix (attn_qkv) maps the normed vector to queries, keys and values at once; its first part is one "
    "query per head: what this token is looking for.",
    "", "", "", "attn_qkv.weight", "attn_qkv.weight", "attn_qkv.weight", "ffn_up.weight", "ffn_up.weight")};
// A mixture of experts in place of the MLP (arch/moe.cpp runs it); ROUTE_EXPLAIN: how the chosen experts are weighted.
#define TS_MOE_MLP(ROUTE_EXPLAIN)                                                                                     \
    {Stage::FfnNorm, "MLP norm", kNormExplain, Dims::Embd, {"ffn_norm.weight"}},                                      \
        {Stage::FfnRouter,                                                                                            \
         "Router",                                                                                                    \
         "The router (ffn_gate_inp) gives every expert a score for this token: one logit per expert.",                \
         Dims::Experts,                                                                                               \
         {"ffn_gate_inp.weight"}},                                                                                    \
        {Stage::FfnRouterProbs,                                                                                       \
         "Router softmax",                                                                                            \
         "Softmax turns the router's logits into a distribution over the experts.",                                   \
         Dims::Experts,                                                                                               \
         {}},                                                                                                         \
        {Stage::FfnRoute, "Chosen experts (top-k)", ROUTE_EXPLAIN, Dims::Route, {}},                                  \
        {Stage::FfnGate,                                                                                              \
         "Experts' gate projections",                                                                                 \
         "Each chosen expert is a small SwiGLU MLP of its own: its W_gate widens the vector to the expert's hidden "  \
         "size.",                                                                                                     \
         Dims::Ff,                                                                                                    \
         {"ffn_gate_exps.weight"}},                                                                                   \
        {Stage::FfnUp,                                                                                                \
         "Experts' up projections",                                                                                   \
         "Each chosen expert's W_up widens it a second time.",                                                        \
         Dims::Ff,                                                                                                    \
         {"ffn_up_exps.weight"}},                                                                                     \
        {Stage::FfnAct, "Experts' SwiGLU", "silu(gate) × up inside each chosen expert, unit by unit.", Dims::Ff, {}}, \
        {Stage::FfnExpertOut,                                                                                         \
         "Experts' down projections",                                                                                 \
         "Each chosen expert's W_down maps its hidden units back to the residual stream's width: one output per "     \
         "expert.",                                                                                                   \
         Dims::ExpertsEmbd,                                                                                           \
         {"ffn_down_exps.weight"}},                                                                                   \
        {Stage::FfnOut,                                                                                               \
         "Weighted sum of experts",                                                                                   \
         "The experts' outputs are added, each multiplied by its router weight: this mix is the MoE block's "         \
         "output.",                                                                                                   \
         Dims::Embd,                                                                                                  \
         {}},                                                                                                         \
        {Stage::ResidFfn,                                                                                             \
         "Residual add (layer output)",                                                                               \
         "The experts' mix is added to the residual stream: this is the layer's output and the next layer's input.",  \
         Dims::Embd,                                                                                                  \
         {}},

// olmoe's q/k norms: one RMSNorm over the whole query (key) vector, all heads at once, with n_embd weights.
#define TS_QK_NORM_WHOLE                                                                                          \
    {Stage::QNorm,                                                                                                \
     "Query norm (whole vector)",                                                                                 \
     "RMSNorm over the whole query vector: all heads together are divided by one root-mean-square and scaled by " \
     "attn_q_norm (one weight per query dimension), before RoPE. qwen3 norms each head on its own; OLMoE norms "  \
     "them as one vector, so a head's size depends on the others.",                                               \
     Dims::QHeads,                                                                                                \
     {"attn_q_norm.weight"}},                                                                                     \
        {Stage::KNorm,                                                                                            \
         "Key norm (whole vector)",                                                                               \
         "RMSNorm over the whole key vector with attn_k_norm, the same way: the keys stored in the cache are "    \
         "normed, then rotated.",                                                                                 \
         Dims::KvHeads,                                                                                           \
         {"attn_k_norm.weight"}},

// qwen3moe: the qwen3 attention, then a mixture of experts whose chosen weights are renormalised.
constexpr StageDesc kQwen3MoeBlock[] = {
    TS_LLAMA_ATTN_W("Wq maps the normed vector to one query per head: what this token is looking for. qwen3's heads "
                    "are attention.key_length wide, so n_head × head_dim need not equal n_embd.",
                    "", "", "", "attn_q.weight", "attn_k.weight", "attn_v.weight", TS_QK_NORM)
        TS_MOE_MLP("Only the most probable experts run (expert_used_count of them); their probabilities are divided "
                   "by their sum, so the chosen weights add up to 1. The other experts cost nothing for this token.")};
// olmoe: the llama attention with whole-vector q/k norms, then a mixture of experts weighted by the router's
// probabilities as they are.
constexpr StageDesc kOlmoeBlock[] = {
    TS_LLAMA_ATTN_W("Wq maps the normed vector to one query per head: what this token is looking for.", "", "", "",
                    "attn_q.weight", "attn_k.weight", "attn_v.weight", TS_QK_NORM_WHOLE)
        TS_MOE_MLP("Only the most probable experts run (expert_used_count of them), each weighted by its router "
                   "probability as it is: OLMoE does not renormalise, so the chosen weights add up to less than 1. "
                   "The other experts cost nothing for this token.")};
#undef TS_LLAMA_BLOCK
#undef TS_LLAMA_BLOCK_W
#undef TS_LLAMA_ATTN_W
#undef TS_LLAMA_MLP
#undef TS_NO_QK_NORM
#undef TS_QK_NORM
#undef TS_QK_NORM_WHOLE
#undef TS_MOE_MLP

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
constexpr ArchDesc kQwen3 = {"qwen3",
                             "the llama block with an RMSNorm of each query and key head before NeoX RoPE, and heads "
                             "sized by attention.key_length",
                             kBefore, kQwen3Block, kAfter};

constexpr ArchDesc kPhi3     = {"phi3",
                                "the llama block with Q, K, V from one fused attn_qkv, gate and up from one fused ffn_up, "
                                    "and NeoX RoPE",
                                kBefore, kPhi3Block, kAfter};
constexpr ArchDesc kQwen3Moe = {"qwen3moe",
                                "the qwen3 block with a mixture of experts in place of the MLP: a router picks "
                                "expert_used_count of expert_count SwiGLU experts for each token",
                                kBefore, kQwen3MoeBlock, kAfter};
constexpr ArchDesc kOlmoe    = {"olmoe",
                                "the llama block with an RMSNorm of the whole query and key vectors before NeoX RoPE, and "
                                   "a mixture of experts in place of the MLP: a router picks expert_used_count of "
                                   "expert_count SwiGLU experts for each token, weighted by their probabilities as they are "
                                   "(not renormalised)",
                                kBefore, kOlmoeBlock, kAfter};

}  // namespace

const ArchDesc& llama_family_desc(Arch arch) {
    switch (arch) {
        case Arch::Phi3:
            return kPhi3;
        case Arch::Qwen2:
            return kQwen2;
        case Arch::Qwen3:
            return kQwen3;
        case Arch::Qwen3Moe:
            return kQwen3Moe;
        case Arch::Olmoe:
            return kOlmoe;
        default:
            return kLlama;
    }
}

// ---- the block function ---------------------------------------------------------------------------------------

namespace {

// RMSNorm of every span of `x` (n floats) as long as the weight: a head (qwen3) or a token's whole q or k (olmoe).
void qk_norm(const Tensor& w, float eps, int64_t n, float* x) {
    const int span = int(w.ne[0]);
    for (int64_t i = 0; i < n; i += span) rms_norm(x + i, w.f32(), eps, span, x + i);
}

}  // namespace

void Forward::eval_llama(const KvCache& cache, KvCache* store, const int32_t* tokens, int n, int pos0, float* logits,
                         LogitRows rows, ThreadPool& pool, Observer* observer) {
    const Hparams& hp    = model_.hp;
    const Weights& w     = model_.w;
    const ArchDesc& arch = arch_desc(hp);
    const int n_embd = hp.n_embd, q_dim = hp.q_dim(), kv_dim = hp.kv_dim(), n_ff = hp.n_ff, head_dim = hp.head_dim;
    const int half_rot = hp.n_rot / 2;
    const int ff_rows  = hp.ff_rows();  // one row per chosen expert (qwen3moe), else 1
    float* x           = x_.data();     // [n][n_embd] residual stream
    float* xb          = xb_.data();    // [n][n_embd] normed input of a block, then its projected output
    float* q           = q_.data();     // [n][n_head][head_dim] (q_dim)
    float* k           = k_.data();     // [n][n_head_kv][head_dim]
    float* v           = v_.data();     // [n][n_head_kv][head_dim]
    float* att         = att_.data();   // [n][n_head][head_dim] attention output, heads side by side (q_dim)
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
                return {row(att, t, q_dim), hp.n_head, head_dim};
            case Stage::FfnGate:
            case Stage::FfnAct:
                return {row(hb, t, ff_rows * n_ff), ff_rows, n_ff};
            case Stage::FfnUp:
                return {row(hb2, t, ff_rows * n_ff), ff_rows, n_ff};
            case Stage::FfnRouter:
                return {row(router_.data(), t, hp.n_expert), 1, hp.n_expert};
            case Stage::FfnRouterProbs:
                return {row(router_p_.data(), t, hp.n_expert), 1, hp.n_expert};
            case Stage::FfnRoute:
                return {row(route_.data(), t, 2 * hp.n_expert_used), 2, hp.n_expert_used};
            case Stage::FfnExpertOut:
                return {row(expert_out_.data(), t, hp.n_expert_used * n_embd), hp.n_expert_used, n_embd};
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
                case Stage::QProj:  // q = Wq · xb (+ bq); phi3: q | k | v = Wqkv · xb, split
                    if (L.wqkv.data) {
                        fused_qkv(L, hp, xb, n, qkv_.data(), q, k, v, pool);
                        break;
                    }
                    linear(L.wq, xb, n, q, pool);
                    add_bias(L.bq, n, q_dim, q);
                    break;
                case Stage::KProj:
                    if (L.wqkv.data) break;  // computed with q, above
                    linear(L.wk, xb, n, k, pool);
                    add_bias(L.bk, n, kv_dim, k);
                    break;
                case Stage::V:
                    if (L.wqkv.data) break;
                    linear(L.wv, xb, n, v, pool);
                    add_bias(L.bv, n, kv_dim, v);
                    break;
                case Stage::QNorm:  // qwen3: each head of q = RMSNorm(head) · attn_q_norm, over head_dim; olmoe:
                                    // the weight spans all of q, so one RMSNorm over the whole vector
                    qk_norm(L.q_norm, hp.norm_eps, int64_t(n) * q_dim, q);
                    break;
                case Stage::KNorm:
                    qk_norm(L.k_norm, hp.norm_eps, int64_t(n) * kv_dim, k);
                    break;
                case Stage::Q:  // rotate each pair of every head by its position's angle (Normal or NeoX pairing)
                    for (int t = 0; t < n; ++t) {
                        const float* cs = row(rope, t, 2 * half_rot);
                        for (int h = 0; h < hp.n_head; ++h)
                            apply_rope(row(row(q, t, q_dim), h, head_dim), hp.n_rot, hp.rope_style, cs, cs + half_rot);
                    }
                    break;
                case Stage::K:
                    for (int t = 0; t < n; ++t) {
                        const float* cs = row(rope, t, 2 * half_rot);
                        for (int h = 0; h < hp.n_head_kv; ++h)
                            apply_rope(row(row(k, t, kv_dim), h, head_dim), hp.n_rot, hp.rope_style, cs, cs + half_rot);
                    }
                    break;
                case Stage::AttnScores:  // K, V into the cache; scores, softmax and Σ probs·v (forward.cpp)
                    attend(cache, store, il, pos0, n, q, k, v, att, pool, observer, mask);
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
                case Stage::FfnRouter:  // qwen3moe: the router and the chosen experts (arch/moe.cpp)
                case Stage::FfnRouterProbs:
                case Stage::FfnRoute:
                case Stage::FfnExpertOut:
                    moe_stage(sd.id, L, n, pool);
                    break;
                case Stage::FfnGate:  // phi3: gate | up = W_up · xb (2 n_ff rows, gate first), split
                    if (hp.is_moe()) {
                        moe_stage(sd.id, L, n, pool);
                        break;
                    }
                    if (!L.w_gate.data) {
                        float* gu = qkv_.data();
                        linear(L.w_up, xb, n, gu, pool);
                        for (int t = 0; t < n; ++t) {
                            const float* src = row(gu, t, 2 * n_ff);
                            std::memcpy(row(hb, t, n_ff), src, size_t(n_ff) * sizeof(float));
                            std::memcpy(row(hb2, t, n_ff), src + n_ff, size_t(n_ff) * sizeof(float));
                        }
                        break;
                    }
                    linear(L.w_gate, xb, n, hb, pool);
                    break;
                case Stage::FfnUp:
                    if (hp.is_moe()) {
                        moe_stage(sd.id, L, n, pool);
                        break;
                    }
                    if (!L.w_gate.data) break;  // computed with the gate, above
                    linear(L.w_up, xb, n, hb2, pool);
                    break;
                case Stage::FfnAct:  // hb = silu(gate) ⊙ up
                    swiglu(hb, hb2, int64_t(n) * ff_rows * n_ff);
                    break;
                case Stage::FfnOut:  // xb = W_down · hb; qwen3moe: the weighted sum of the experts
                    if (hp.is_moe()) {
                        moe_stage(sd.id, L, n, pool);
                        break;
                    }
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
            case Stage::FinalNorm:  // xb = RMSNorm(x) · output_norm
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
