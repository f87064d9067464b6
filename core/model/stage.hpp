// The named stages of a forward pass: what an architecture is made of, what an observer sees and (later) where an
// intervention applies. An architecture is data plus one block function: it declares its stages in order — before
// the layers, one block (repeated n_layer times), after the layers — each with its key, title, a sentence for
// learners, the shape it produces and the weights it reads; the forward pass runs exactly that list and hands the
// observer each stage's output once per layer and position, in the declared order. The Journey's itinerary,
// `run --trace`'s list of tensors and the explorer's stage texts all read the same description (arch_desc()).
//
// llama / qwen2 (arch/llama.cpp):
//   before: embed, rope
//   block:  attn_norm, q_proj, k_proj, v, q, k, attn_scores, attn_probs, attn_out, attn_proj, resid_attn,
//           ffn_norm, ffn_gate, ffn_up, ffn_act, ffn_out, resid_ffn
//   after:  final_norm, logits
// qwen3 (arch/llama.cpp): the llama block with q_norm / k_norm (an RMSNorm of each head) between q_proj / k_proj
//           and the RoPE stages q / k; head_dim is attention.key_length, not n_embd / n_head.
// gpt2 (arch/gpt2.cpp, its own block function):
//   before: embed, pos_embd (learned positions added to the embedding; no rope)
//   block:  attn_norm (LayerNorm: mean and variance), q_proj, k_proj, v (one fused matrix with bias), attn_scores,
//           attn_probs, attn_out, attn_proj (+ bias), resid_attn, ffn_norm (LayerNorm), ffn_up (+ bias),
//           ffn_act (GELU), ffn_out (+ bias), resid_ffn
//   after:  final_norm (LayerNorm), logits
// phi3 (arch/llama.cpp): the llama block with q_proj, k_proj, v from one fused attn_qkv and ffn_gate, ffn_up from
//           one fused ffn_up (gate rows first); NeoX RoPE.
// gemma2 / gemma3 (arch/gemma.cpp, its own block function):
//   before: embed, embed_scaled (× √n_embd), rope, rope_local (the sliding-window layers' angles)
//   block:  attn_norm, q_proj, k_proj, v, [q_norm, k_norm: gemma3], q, k, attn_scores (masked outside the window
//           on local layers), [attn_softcap: gemma2], attn_probs, attn_out, attn_proj, attn_post_norm, resid_attn,
//           ffn_norm, ffn_gate, ffn_up, ffn_act (GELU(gate) ⊙ up), ffn_out, ffn_post_norm, resid_ffn
//   after:  final_norm, [logits_raw: gemma2], logits (after the final soft-cap where there is one)
// qwen35 (arch/qwen35.cpp, its own block function): two kinds of layers in one block list (layer_has_stage):
//   block:  attn_norm,
//           attention layers: q_proj (q | gate split), k_proj, v, q_norm, k_norm, q, k (partial interleaved
//           M-RoPE), attn_scores, attn_probs, attn_out, attn_gate (⊙ sigmoid(gate)), attn_proj;
//           DeltaNet layers: lin_qkv, lin_z, lin_conv, lin_q, lin_k, lin_decay, lin_beta, lin_read (state update),
//           lin_state_norm, lin_norm, lin_out;
//           resid_attn, ffn_norm (post_attention_norm), ffn_gate, ffn_up, ffn_act, ffn_out, resid_ffn
// qwen3moe (arch/llama.cpp, the llama block function with arch/moe.cpp's experts): the qwen3 attention, then
//           ffn_norm, ffn_router (router logits), ffn_router_probs (softmax over the experts), ffn_route (the chosen
//           experts and their weights), ffn_gate, ffn_up, ffn_act (one row per chosen expert), ffn_expert_out (each
//           chosen expert's down projection), ffn_out (their weighted sum), resid_ffn.
// olmoe (arch/llama.cpp, as qwen3moe): the llama attention with q_norm / k_norm each one RMSNorm of the whole q / k
//           vector (not per head), then qwen3moe's expert stages with the chosen probabilities not renormalised.
// gemma4 (arch/gemma4.cpp's description, arch/gemma.cpp's block function):
//   before: embed, embed_scaled, per_layer_embd, per_layer_input (per-layer embeddings), rope, rope_local
//   block:  attn_norm, q_proj, k_proj, v (RMS-normed without weight), q_norm, k_norm, q, k, attn_scores (scale 1,
//           window on local layers), attn_probs, attn_out, attn_proj, attn_post_norm, resid_attn, ffn_norm,
//           ffn_gate, ffn_up, ffn_act, ffn_out, ffn_post_norm, resid_mlp, ple_gate, ple_out, resid_ffn (+ ple_out,
//           × the layer's output scale). KV-sharing layers have no k_proj, v, k_norm, k (they read another layer's
//           cache); a file without per-layer embeddings has no per_layer_* / ple_* rows.
//   after:  final_norm, logits_raw, logits (after the final soft-cap)
//   with experts (expert_count > 0, the 26B-A4B shape; arch_desc(hp)): after ffn_out, ffn_post_norm_1 (the MLP's
//           output normed: a shared expert), ffn_norm_2 (the experts' input), ffn_router (on the residual stream RMS-
//           normed, / √n_embd, × ffn_gate_inp.scale), ffn_router_probs, ffn_route, ffn_exp_gate, ffn_exp_up,
//           ffn_exp_act (GELU), ffn_expert_out (× the expert's ffn_down_exps.scale), ffn_moe_out (their weighted
//           sum), ffn_post_norm_2, ffn_moe_sum (MLP + experts), then ffn_post_norm and the rest as above.
#pragma once

#include <array>
#include <cstdint>
#include <span>
#include <string>
#include <string_view>

namespace ts::core {

struct Hparams;
enum class Arch;

enum class Stage : uint8_t {
    // before the layers (layer -1)
    Embed,  // [n_embd] token embedding row
    Rope,   // [2][n_rot/2] cos and sin of the rotation angle of each pair at this position
    // one block (layer 0 .. n_layer-1)
    AttnNorm,    // [n_embd] normed input of the attention block
    QProj,       // [n_head][head_dim] Wq · x (+ bias), before RoPE
    KProj,       // [n_head_kv][head_dim] Wk · x (+ bias), before RoPE
    V,           // [n_head_kv][head_dim] Wv · x (+ bias)
    Q,           // [n_head][head_dim] after RoPE
    K,           // [n_head_kv][head_dim] after RoPE, as stored in the KV cache
    AttnScores,  // [n_head][n_pos] q·k/√head_dim, causal mask applied (positions > pos are not present); keys
                 // outside a sliding window are -inf
    AttnProbs,   // [n_head][n_pos] softmax of the scores
    AttnOut,     // [n_head][head_dim] weighted sum of V per head, heads side by side (before wo)
    AttnProj,    // [n_embd] Wo · attn_out
    ResidAttn,   // [n_embd] residual stream after the attention block
    FfnNorm,     // [n_embd] normed input of the MLP
    FfnGate,     // [n_ff] W_gate · x
    FfnUp,       // [n_ff] W_up · x
    FfnAct,      // [n_ff] the non-linearity: silu(gate) ⊙ up
    FfnOut,      // [n_embd] W_down · act, the MLP's output
    ResidFfn,    // [n_embd] residual stream after the MLP (the layer's output)
    // after the layers (layer -1)
    FinalNorm,  // [n_embd] after the final norm
    Logits,     // [n_vocab]
    // added with gpt2 and qwen3 (appended, so that the ids above keep their values)
    PosEmbed,  // [n_embd] token embedding + the learned position row (gpt2), the input of layer 0
    QNorm,     // [n_head][head_dim] q RMS-normed with attn_q_norm per head (qwen3) or whole (olmoe), before RoPE
    KNorm,     // [n_head_kv][head_dim] k RMS-normed with attn_k_norm the same way, before RoPE
    // added with phi3, gemma2 and gemma3
    EmbedScaled,   // [n_embd] the embedding row × √n_embd (gemma), the input of layer 0
    RopeLocal,     // [2][n_rot/2] cos and sin at this position with the sliding-window layers' base (gemma)
    AttnSoftcap,   // [n_head][n_pos] cap·tanh(score/cap) (gemma2): what the softmax reads
    AttnPostNorm,  // [n_embd] RMSNorm of the attention block's output, before the residual add (gemma)
    FfnPostNorm,   // [n_embd] RMSNorm of the MLP's output, before the residual add (gemma)
    LogitsRaw,     // [n_vocab] the output matrix's product before the final soft-cap (gemma2); Logits is after it
    // added with qwen3moe (a mixture of experts). There FfnGate, FfnUp, FfnAct have one row per chosen expert
    // ([n_expert_used][n_ff], in the order of FfnRoute) and FfnOut is the weighted sum of the experts.
    FfnRouter,       // [n_expert] router logits, ffn_gate_inp · x
    FfnRouterProbs,  // [n_expert] their softmax: the router's full distribution
    FfnRoute,        // [2][n_expert_used] row 0: the chosen experts' ids (as floats), most probable first; row 1: their
                     // weights (probabilities divided by their sum)
    FfnExpertOut,    // [n_expert_used][n_embd] each chosen expert's down projection, before its weight
    // added with gemma4 (per-layer embeddings)
    PleEmbed,  // [n_layer][n_embd_per_layer] the token's rows of per_layer_token_embd × √n_embd_per_layer
    PleInput,  // [n_layer][n_embd_per_layer] (RMSNorm(per_layer_model_proj · x / √n_embd) + PleEmbed) / √2
    ResidMlp,  // [n_embd] residual stream after the MLP's add, before the per-layer embedding (gemma4)
    PleGate,   // [n_embd_per_layer] GELU(inp_gate · x) ⊙ this layer's row of PleInput
    PleOut,    // [n_embd] RMSNorm(proj · PleGate) with post_norm, added to the residual stream
    // added with qwen35: its attention layers' output gate, and the gated DeltaNet stages of its recurrent layers
    // (which have no q, k, v, scores or KV cache; an attention layer has none of these). d: ssm_d_state.
    AttnGate,      // [n_head][head_dim] attention output ⊙ sigmoid(gate), what wo reads
    LinQkv,        // [conv_dim] attn_qkv · x: q | k | v before the convolution
    LinZ,          // [dt_rank][d] attn_gate · x: the output gate z
    LinConv,       // [conv_dim] silu(causal convolution over this and the d_conv - 1 previous inputs)
    LinQ,          // [n_group][d] the convolved queries, L2-normalised
    LinK,          // [n_group][d] the convolved keys, L2-normalised
    LinDecay,      // [dt_rank] g = ssm_a · softplus(ssm_alpha · x + ssm_dt): the state is multiplied by exp(g)
    LinBeta,       // [dt_rank] sigmoid(ssm_beta · x): how much of the correction is written
    LinRead,       // [dt_rank][d] the updated state read by the query, S^T q / √d
    LinStateNorm,  // [dt_rank] the Frobenius norm of each head's state after this token
    LinNorm,       // [dt_rank][d] RMSNorm(read) · ssm_norm ⊙ silu(z)
    LinOut,        // [n_embd] ssm_out · the gated norm: the layer's output before the residual add
    // added with gemma4's experts beside its MLP (the 26B-A4B shape): FfnGate .. FfnOut stay the MLP's (a shared
    // expert), the chosen experts have stages of their own (f: n_ff_exp), and three more norms and a sum join them.
    FfnPostNorm1,  // [n_embd] RMSNorm of the MLP's output with post_ffw_norm_1
    FfnNorm2,      // [n_embd] the experts' input: RMSNorm of the residual stream with pre_ffw_norm_2
    FfnExpGate,    // [n_expert_used][f] each chosen expert's gate projection, in the order of FfnRoute
    FfnExpUp,      // [n_expert_used][f] its up projection
    FfnExpAct,     // [n_expert_used][f] GELU(gate) ⊙ up
    FfnMoeOut,     // [n_embd] Σ weight · FfnExpertOut, the experts' mix
    FfnPostNorm2,  // [n_embd] RMSNorm of the mix with post_ffw_norm_2
    FfnMoeSum,     // [n_embd] FfnPostNorm1 + FfnPostNorm2, what post_ffw_norm then norms
    kCount
};

inline constexpr std::array<std::string_view, size_t(Stage::kCount)> kStageKeys = {
    "embed",
    "rope",
    "attn_norm",
    "q_proj",
    "k_proj",
    "v",
    "q",
    "k",
    "attn_scores",
    "attn_probs",
    "attn_out",
    "attn_proj",
    "resid_attn",
    "ffn_norm",
    "ffn_gate",
    "ffn_up",
    "ffn_act",
    "ffn_out",
    "resid_ffn",
    "final_norm",
    "logits",
    "pos_embd",
    "q_norm",
    "k_norm",
    "embed_scaled",
    "rope_local",
    "attn_softcap",
    "attn_post_norm",
    "ffn_post_norm",
    "logits_raw",
    "ffn_router",
    "ffn_router_probs",
    "ffn_route",
    "ffn_expert_out",
    "per_layer_embd",
    "per_layer_input",
    "resid_mlp",
    "ple_gate",
    "ple_out",
    "attn_gate",
    "lin_qkv",
    "lin_z",
    "lin_conv",
    "lin_q",
    "lin_k",
    "lin_decay",
    "lin_beta",
    "lin_read",
    "lin_state_norm",
    "lin_norm",
    "lin_out",
    "ffn_post_norm_1",
    "ffn_norm_2",
    "ffn_exp_gate",
    "ffn_exp_up",
    "ffn_exp_act",
    "ffn_moe_out",
    "ffn_post_norm_2",
    "ffn_moe_sum",
};
static_assert(kStageKeys.size() == size_t(Stage::kCount));
static_assert(size_t(Stage::kCount) < 64, "StageMask holds one bit per stage");
inline std::string_view stage_key(Stage s) {
    return kStageKeys[size_t(s)];
}

// Which stages an observer wants at one layer.
struct StageMask {
    uint64_t bits = 0;
    bool has(Stage s) const { return bits & (uint64_t(1) << uint32_t(s)); }
    StageMask& set(Stage s) {
        bits |= uint64_t(1) << uint32_t(s);
        return *this;
    }
    bool any() const { return bits != 0; }
    static StageMask all() { return StageMask{(uint64_t(1) << uint32_t(Stage::kCount)) - 1}; }
};

// A view of one observed tensor: `rows` rows of `cols` floats, contiguous.
struct TensorView {
    float* data = nullptr;
    int rows    = 1;
    int cols    = 0;
};

// The forward pass asks an Observer once per layer which stages it wants (so the cost is ~0 when nobody observes),
// then calls observe() with a view of each wanted stage's output, right after the stage ran. The view is mutable
// so that interventions (zero a head, skip an MLP) can edit what the next stage reads.
struct Observer {
    virtual ~Observer() = default;
    // Asked once per layer (layer = -1 for the stages before and after the layers) per forward call.
    virtual StageMask wants(int /*layer*/) const { return {}; }
    // The view is valid only during the call. pos is the absolute position of the token.
    virtual void observe(Stage /*stage*/, int /*layer*/, int /*pos*/, TensorView /*view*/) {}
    // How many keys the query at `pos` reads at `layer`: `causal` (= pos + 1, the causal mask) unless an
    // intervention lifts the mask (no-mask). Asked only when the observer wants that layer's attn_scores; the
    // forward pass reads at most the keys the cache holds once the batch's own K and V are stored.
    virtual int key_count(int /*layer*/, int /*pos*/, int causal) const { return causal; }
    // The part of this observer that edits the forward pass (an Intervener's edits, recording nothing), or null when
    // it only reads: Forward runs it when it recomputes positions already evaluated (the recurrent state rebuilt from
    // a checkpoint), so that the state is the one the edited run left.
    virtual Observer* editor() { return nullptr; }
};

// The shape a stage produces, in the model's own sizes.
enum class Dims : uint8_t {
    Embd,            // [n_embd]
    Rope,            // [2][n_rot/2]
    RopeSwa,         // [2][n_rot_swa/2] the sliding-window layers' angles (n_rot where they have no size of their own)
    QHeads,          // [n_head][head_dim]
    KvHeads,         // [n_head_kv][head_dim]
    HeadKeys,        // [n_head][n_pos] (n_pos = pos + 1)
    Ff,              // [n_ff]; with experts [n_expert_used][n_ff], one row per chosen expert
    Vocab,           // [n_vocab]
    Experts,         // [n_expert]
    Route,           // [2][n_expert_used] ids, weights
    ExpertsFf,       // [n_expert_used][n_ff_exp] the chosen experts' hidden rows beside an MLP (gemma4)
    ExpertsEmbd,     // [n_expert_used][n_embd]
    PerLayer,        // [n_embd_per_layer] (gemma4)
    LayersPerLayer,  // [n_layer][n_embd_per_layer] (gemma4)
    SsmConv,         // [ssm_conv_dim] q | k | v channels of a DeltaNet layer
    SsmGroups,       // [ssm_n_group][ssm_d_state] its query or key heads
    SsmHeads,        // [ssm_dt_rank][ssm_d_state] its value heads
    SsmGates,        // [ssm_dt_rank] one number per value head
};

struct StageDesc {
    Stage id;
    std::string_view title;    // "Attention norm"
    std::string_view explain;  // one or two sentences for a learner
    Dims dims;
    // The tensors it reads, GGUF names without the "blk.N." prefix ("attn_q.weight"); empty names are unused.
    std::array<std::string_view, 3> weights{};
};

// How an architecture normalises: RMSNorm (x / rms · w) or LayerNorm ((x - mean) / std · w + b).
enum class NormKind : uint8_t { Rms, Layer };

struct ArchDesc {
    std::string_view name;     // "llama"
    std::string_view summary;  // one line: what the family is
    std::span<const StageDesc> before, block, after;
    NormKind norm = NormKind::Rms;
    // The stage whose rows enter layer 0 (the last of `before` that writes the residual stream), the stage whose
    // rows are the queries the scores read, and the one whose rows are the keys stored in the KV cache (after RoPE
    // when there is RoPE, the projections themselves when there is none).
    Stage layer_input = Stage::Embed;
    Stage query       = Stage::Q;
    Stage key         = Stage::K;
};

// The description of an architecture (arch/*.cpp); of a model (gemma4 with experts has a block list of its own).
const ArchDesc& arch_desc(Arch arch);
const ArchDesc& arch_desc(const Hparams& hp);
// Whether layer il runs stage s: every block stage on every layer, except in a model with two kinds of layers
// (qwen35), where a recurrent layer has no attention stages and an attention layer no DeltaNet stages.
bool layer_has_stage(const Hparams& hp, int il, Stage s);
// Whether s is one of the DeltaNet stages (LinQkv .. LinOut).
inline bool is_linear_attn_stage(Stage s) {
    return uint8_t(s) >= uint8_t(Stage::LinQkv) && uint8_t(s) <= uint8_t(Stage::LinOut);
}
// The description of one stage in `arch`, or nullptr when the architecture has no such stage.
const StageDesc* find_stage(const ArchDesc& arch, Stage s);

// {rows, cols} of a stage's output for this model at a position with n_pos keys, in `layer` (its own head size, kv
// heads, MLP width and RoPE size where they differ per layer, gemma4); layer -1: the largest (the stages before and
// after the layers, and buffer sizes).
struct StageShape {
    int rows = 1, cols = 0;
};
StageShape stage_shape(Dims d, const Hparams& hp, int n_pos, int layer = -1);
// "[8 heads × 64]", "[2048]", "[8 heads × 12 keys]", "[2 × 32] (cos, sin)".
std::string describe_dims(Dims d, const Hparams& hp, int n_pos, int layer = -1);

}  // namespace ts::core
