// Gemma 4's text model (GGUF `gemma4`): its stage lists, dense and with experts. The block function is arch/gemma.cpp's
// (eval_gemma), which runs this list as llama.cpp's src/models/gemma4.cpp computes it:
//
//   token → embedding row × √n_embd;  per-layer embeddings: the token's rows of per_layer_token_embd × √n_pl,
//           plus RMSNorm(per_layer_model_proj · x / √n_embd) of each layer's slice, both × 1/√2
//   position → RoPE angles: global layers rotate with rope_freqs' factors ("proportional" RoPE: factors of 1e30
//              leave most pairs unrotated), local layers with their own base and RoPE size
//   per layer: RMSNorm → Q (and, on a layer with its own cache, K, V) → RMSNorm of each Q and K head, V RMS-normed
//              without a weight → NeoX RoPE → store K, V (KV-sharing layers read an earlier layer's cache)
//            → scores = q·k (no 1/√head_dim: scale 1), keys outside the window masked (local layers) → softmax →
//              Σ probs·v → output projection → RMSNorm (post-attention) → residual add
//            → RMSNorm → gate, up → GELU(gate)·up → down → RMSNorm (post-MLP) → residual add
//            → per-layer embedding: GELU(inp_gate · x) ⊙ this layer's input → proj → RMSNorm → residual add
//            → × the layer's output scale (layer_output_scale, when the file has it)
//   → final RMSNorm → logits → soft-cap (final_logit_softcapping)
//
// With experts (expert_count > 0, the 26B-A4B shape; gemma4_moe_desc, picked by arch_desc(hp)), the MLP stays as a
// shared expert and arch/moe.cpp runs experts beside it:
//            → … down → RMSNorm (post_ffw_norm_1) ─┐
//            → RMSNorm (pre_ffw_norm_2) → router on RMSNorm(x) / √n_embd ⊙ ffn_gate_inp.scale → softmax → top-k,
//              renormalised → each chosen expert: GELU(gate)·up → down × its ffn_down_exps.scale → Σ weight · out
//              → RMSNorm (post_ffw_norm_2) ─┴→ sum → RMSNorm (post_ffw_norm) → residual add → per-layer embedding …
//
// Global and local layers have heads of different sizes (attention.key_length, key_length_swa); head_count_kv and
// feed_forward_length may differ per layer (Hparams' per-layer sizes).
#include <cmath>

#include "core/model/arch/arch.hpp"
#include "core/model/forward.hpp"
#include "core/tensor/quant.hpp"

namespace ts::core {
namespace {

constexpr std::string_view kNorm =
    "RMSNorm divides the residual stream by its root-mean-square and scales each dimension by a learned weight.";

constexpr StageDesc kBefore[] = {
    {Stage::Embed,
     "Embedding row",
     "The token id selects one row of the embedding matrix (shared with the output).",
     Dims::Embd,
     {"token_embd.weight"}},
    {Stage::EmbedScaled,
     "× √n_embd",
     "As in every Gemma, the embedding row is multiplied by √n_embd. This is the input of layer 0.",
     Dims::Embd,
     {}},
    {Stage::PleEmbed,
     "Per-layer embeddings (rows)",
     "Gemma 4's small models give every token a second, small embedding for each layer: the token's row of "
     "per_layer_token_embd holds n_layer slices of embedding_length_per_layer_input values, × their √size.",
     Dims::LayersPerLayer,
     {"per_layer_token_embd.weight"}},
    {Stage::PleInput,
     "Per-layer inputs",
     "The scaled embedding is also projected to n_layer slices (per_layer_model_proj, / √n_embd), each slice "
     "RMS-normed; the two are added and × 1/√2. Layer l later reads slice l: information about the token that "
     "reaches every layer directly instead of through the residual stream.",
     Dims::LayersPerLayer,
     {"per_layer_model_proj.weight", "per_layer_proj_norm.weight"}},
    {Stage::Rope,
     "Position (RoPE angles, global layers)",
     "The global layers' angles, with the factors of rope_freqs ('proportional' RoPE): pairs with a factor of 1e30 "
     "get an angle of 0, so only the first quarter of each head is rotated.",
     Dims::Rope,
     {"rope_freqs.weight"}},
    {Stage::RopeLocal,
     "Position (RoPE angles, sliding-window layers)",
     "The sliding-window layers rotate every pair of their (smaller) heads with a base of their own (10000).",
     Dims::RopeSwa,
     {}},
};

#define TS_G4_ATTN_MLP                                                                                               \
    {Stage::AttnNorm, "Attention norm", kNorm, Dims::Embd, {"attn_norm.weight"}},                                    \
        {Stage::QProj,                                                                                               \
         "Query projection",                                                                                         \
         "Wq maps the normed vector to one query per head. Global layers have larger heads (attention.key_length) "  \
         "than sliding-window layers (key_length_swa).",                                                             \
         Dims::QHeads,                                                                                               \
         {"attn_q.weight"}},                                                                                         \
        {Stage::KProj,                                                                                               \
         "Key projection",                                                                                           \
         "Wk maps it to one key per kv head. The last attention.shared_kv_layers layers compute no keys or values: " \
         "they read the cache of the last earlier layer of their kind.",                                             \
         Dims::KvHeads,                                                                                              \
         {"attn_k.weight"}},                                                                                         \
        {Stage::V,                                                                                                   \
         "Value projection (RMS-normed)",                                                                            \
         "Wv maps it to one value per kv head (the keys themselves when the file has no attn_v), then each value "   \
         "head is RMS-normed without a weight.",                                                                     \
         Dims::KvHeads,                                                                                              \
         {"attn_v.weight"}},                                                                                         \
        {Stage::QNorm,                                                                                               \
         "Query norm (per head)",                                                                                    \
         "Each query head is divided by its root-mean-square and scaled by attn_q_norm.",                            \
         Dims::QHeads,                                                                                               \
         {"attn_q_norm.weight"}},                                                                                    \
        {Stage::KNorm,                                                                                               \
         "Key norm (per head)",                                                                                      \
         "The same for each key head, with attn_k_norm.",                                                            \
         Dims::KvHeads,                                                                                              \
         {"attn_k_norm.weight"}},                                                                                    \
        {Stage::Q,                                                                                                   \
         "RoPE on the queries",                                                                                      \
         "NeoX RoPE with the layer's angles (global or sliding-window).",                                            \
         Dims::QHeads,                                                                                               \
         {}},                                                                                                        \
        {Stage::K, "RoPE on the keys", "The same rotation; then K and V go into the KV cache.", Dims::KvHeads, {}},  \
        {Stage::AttnScores,                                                                                          \
         "Scores q·k (scale 1)",                                                                                     \
         "Gemma 4 does not divide by √head_dim: the normed queries and keys already have a steady size. On a "     \
         "sliding-window layer only the last attention.sliding_window positions are seen.",                          \
         Dims::HeadKeys,                                                                                             \
         {}},                                                                                                        \
        {Stage::AttnProbs, "Softmax", "Each head's scores become weights that sum to 1.", Dims::HeadKeys, {}},       \
        {Stage::AttnOut, "Weighted sum of V", "Each head mixes the values it attends to.", Dims::QHeads, {}},        \
        {Stage::AttnProj,                                                                                            \
         "Heads combined (wo)",                                                                                      \
         "wo maps the heads' outputs back to the residual stream's width.",                                          \
         Dims::Embd,                                                                                                 \
         {"attn_output.weight"}},                                                                                    \
        {Stage::AttnPostNorm,                                                                                        \
         "Post-attention norm",                                                                                      \
         "The attention's output is RMS-normed before it is added.",                                                 \
         Dims::Embd,                                                                                                 \
         {"post_attention_norm.weight"}},                                                                            \
        {Stage::ResidAttn,                                                                                           \
         "Residual add",                                                                                             \
         "The normed attention output is added to the residual stream.",                                             \
         Dims::Embd,                                                                                                 \
         {}},                                                                                                        \
        {Stage::FfnNorm, "MLP norm", kNorm, Dims::Embd, {"ffn_norm.weight"}},                                        \
        {Stage::FfnGate,                                                                                             \
         "Gate projection",                                                                                          \
         "W_gate widens the vector to the MLP's hidden size.",                                                       \
         Dims::Ff,                                                                                                   \
         {"ffn_gate.weight"}},                                                                                       \
        {Stage::FfnUp, "Up projection", "W_up widens it a second time.", Dims::Ff, {"ffn_up.weight"}},               \
        {Stage::FfnAct,                                                                                              \
         "GELU-gated (GeGLU)",                                                                                       \
         "GELU(gate) × up, unit by unit (GELU's tanh approximation).",                                               \
         Dims::Ff,                                                                                                   \
         {}},                                                                                                        \
        {Stage::FfnOut, "Down projection", "W_down maps the hidden units back.", Dims::Embd, {"ffn_down.weight"}},

#define TS_G4_PLE                                                                                                      \
    {Stage::ResidMlp, "Residual add (MLP)", "The normed MLP output is added to the residual stream.", Dims::Embd, {}}, \
        {Stage::PleGate,                                                                                               \
         "Per-layer embedding gate",                                                                                   \
         "GELU(inp_gate · x) times this layer's slice of the per-layer inputs, value by value: the residual stream "  \
         "decides how much of the token's per-layer embedding comes in.",                                              \
         Dims::PerLayer,                                                                                               \
         {"inp_gate.weight"}},                                                                                         \
        {Stage::PleOut,                                                                                                \
         "Per-layer embedding out",                                                                                    \
         "proj maps the gated slice back to the residual stream's width, and post_norm RMS-norms it.",                 \
         Dims::Embd,                                                                                                   \
         {"proj.weight", "post_norm.weight"}},                                                                         \
        {Stage::ResidFfn,                                                                                              \
         "Residual add, × layer scale (layer output)",                                                                 \
         "The per-layer embedding's output is added, and the sum multiplied by the layer's output scale "              \
         "(layer_output_scale): this is the layer's output.",                                                          \
         Dims::Embd,                                                                                                   \
         {"layer_output_scale.weight"}},

constexpr StageDesc kBlock[] = {TS_G4_ATTN_MLP{Stage::FfnPostNorm,
                                               "Post-MLP norm",
                                               "The MLP's output is RMS-normed before it is added.",
                                               Dims::Embd,
                                               {"post_ffw_norm.weight"}},
                                TS_G4_PLE};

// With experts (the 26B-A4B shape), as llama.cpp's src/models/gemma4.cpp: the MLP above stays, as a shared expert,
// and the chosen experts run beside it from the same residual stream; each branch is normed, their sum normed again.
constexpr StageDesc kMoeBlock[] = {
    TS_G4_ATTN_MLP{Stage::FfnPostNorm1,
                   "MLP post-norm (shared expert)",
                   "The MLP is this layer's shared expert: every token runs it. Its output is RMS-normed "
                   "(post_ffw_norm_1) before it meets the experts' mix.",
                   Dims::Embd,
                   {"post_ffw_norm_1.weight"}},
    {Stage::FfnNorm2,
     "Experts' norm",
     "The experts read the residual stream too (not the MLP's output), RMS-normed with a weight of their own "
     "(pre_ffw_norm_2).",
     Dims::Embd,
     {"pre_ffw_norm_2.weight"}},
    {Stage::FfnRouter,
     "Router",
     "The router gives every expert a score for this token: ffn_gate_inp times the residual stream RMS-normed without "
     "a weight, divided by √n_embd and scaled by ffn_gate_inp.scale. One logit per expert.",
     Dims::Experts,
     {"ffn_gate_inp.weight", "ffn_gate_inp.scale"}},
    {Stage::FfnRouterProbs,
     "Router softmax",
     "Softmax turns the router's logits into a distribution over the experts.",
     Dims::Experts,
     {}},
    {Stage::FfnRoute,
     "Chosen experts (top-k)",
     "Only the most probable experts run (expert_used_count of them); their probabilities are divided by their sum, "
     "so the chosen weights add up to 1. The other experts cost nothing for this token.",
     Dims::Route,
     {}},
    {Stage::FfnExpGate,
     "Experts' gate projections",
     "Each chosen expert is a small GELU-gated MLP of its own (expert_feed_forward_length wide): its gate rows widen "
     "the experts' input.",
     Dims::ExpertsFf,
     {"ffn_gate_up_exps.weight"}},
    {Stage::FfnExpUp,
     "Experts' up projections",
     "Each chosen expert's up rows widen it a second time (the files fuse gate and up in one tensor, each expert's "
     "gate rows first; a file may keep them apart as ffn_gate_exps and ffn_up_exps).",
     Dims::ExpertsFf,
     {"ffn_gate_up_exps.weight"}},
    {Stage::FfnExpAct,
     "Experts' GeGLU",
     "GELU(gate) × up inside each chosen expert, unit by unit.",
     Dims::ExpertsFf,
     {}},
    {Stage::FfnExpertOut,
     "Experts' down projections",
     "Each chosen expert's W_down maps its hidden units back to the residual stream's width, times the expert's own "
     "scale (ffn_down_exps.scale, when the file has it): one output per expert.",
     Dims::ExpertsEmbd,
     {"ffn_down_exps.weight", "ffn_down_exps.scale"}},
    {Stage::FfnMoeOut,
     "Weighted sum of experts",
     "The experts' outputs are added, each multiplied by its router weight: the experts' mix.",
     Dims::Embd,
     {}},
    {Stage::FfnPostNorm2,
     "Experts' post-norm",
     "The mix is RMS-normed (post_ffw_norm_2), as the shared expert's output was.",
     Dims::Embd,
     {"post_ffw_norm_2.weight"}},
    {Stage::FfnMoeSum,
     "Shared expert + experts",
     "The two normed branches are added: what the layer's feed-forward part contributes.",
     Dims::Embd,
     {}},
    {Stage::FfnPostNorm,
     "Post-MLP norm",
     "The sum is RMS-normed once more (post_ffw_norm) before it is added.",
     Dims::Embd,
     {"post_ffw_norm.weight"}},
    TS_G4_PLE};
#undef TS_G4_ATTN_MLP
#undef TS_G4_PLE

constexpr StageDesc kAfter[] = {
    {Stage::FinalNorm,
     "Final norm",
     "A final RMSNorm prepares the residual stream for the output matrix.",
     Dims::Embd,
     {"output_norm.weight"}},
    {Stage::LogitsRaw,
     "Raw logits",
     "The output matrix (the embedding matrix when the file has no output.weight) scores every vocabulary entry.",
     Dims::Vocab,
     {"output.weight"}},
    {Stage::Logits,
     "Logits (soft-capped)",
     "cap·tanh(logit/cap) with final_logit_softcapping (30 in Gemma 4; none when the file has no cap): these are "
     "the logits the sampler reads.",
     Dims::Vocab,
     {}},
};

constexpr ArchDesc kGemma4 = {"gemma4",
                              "embeddings × √n_embd, per-layer embeddings, RMSNorm before and after each block, "
                              "q/k/v norms, no query scale, sliding-window layers with smaller heads, KV-sharing "
                              "layers, GELU-gated MLP, soft-capped logits",
                              kBefore,
                              kBlock,
                              kAfter,
                              NormKind::Rms,
                              Stage::EmbedScaled};

constexpr ArchDesc kGemma4Moe = {"gemma4",
                                 "gemma4's block with a mixture of experts beside the MLP: a router picks "
                                 "expert_used_count of expert_count GELU-gated experts for each token, the MLP runs "
                                 "for every token as a shared expert, and the two normed outputs are added",
                                 kBefore,
                                 kMoeBlock,
                                 kAfter,
                                 NormKind::Rms,
                                 Stage::EmbedScaled};

}  // namespace

const ArchDesc& gemma4_desc() {
    return kGemma4;
}

const ArchDesc& gemma4_moe_desc() {
    return kGemma4Moe;
}

void Forward::per_layer_inputs(Stage s, const int32_t* tokens, int n, ThreadPool& pool) {
    const Hparams& hp = model_.hp;
    const Weights& w  = model_.w;
    const int n_pl = hp.n_embd_per_layer, dim = hp.n_layer * n_pl;
    float* ple = ple_.data();
    if (s == Stage::PleEmbed) {  // as llama.cpp: get_rows, then × sqrtf(n_pl)
        const float scale = std::sqrt(float(n_pl));
        for (int t = 0; t < n; ++t) {
            float* out = ple + size_t(t) * size_t(dim);
            dequantize_row(w.per_layer_token_embd.type, w.per_layer_token_embd.row(tokens[t]), out, dim);
            for (int i = 0; i < dim; ++i) out[i] *= scale;
        }
        return;
    }
    // PleInput: proj = per_layer_model_proj · x × 1/√n_embd, each layer's slice RMS-normed, + the rows, × 1/√2.
    // The projection goes through hb_, free before the layers (the constructor sizes it for [n_batch][dim] too).
    float* proj = hb_.data();
    linear(w.per_layer_model_proj, x_.data(), n, proj, pool);
    const float proj_scale = 1.0f / std::sqrt(float(hp.n_embd)), input_scale = 1.0f / std::sqrt(2.0f);
    for (int t = 0; t < n; ++t) {
        float* p   = proj + size_t(t) * size_t(dim);
        float* out = ple + size_t(t) * size_t(dim);
        for (int i = 0; i < dim; ++i) p[i] *= proj_scale;
        for (int il = 0; il < hp.n_layer; ++il) {
            float* slice = p + size_t(il) * size_t(n_pl);
            rms_norm(slice, w.per_layer_proj_norm.f32(), hp.norm_eps, n_pl, slice);
        }
        for (int i = 0; i < dim; ++i) out[i] = (p[i] + out[i]) * input_scale;
    }
}

}  // namespace ts::core
