// The trace of one position of a generation (ARCHITECTURE §3: record little, derive the rest exactly). A StepTrace is
// immutable once published: the session swaps in a new one instead of editing it, so a snapshot can share it with
// the UI thread without locks. What it keeps:
//   - always: position, token, where the token came from, the probability it had, residual-stream norms of every
//     layer, timings, KV cache bytes; the sampler's stage-by-stage view of the next token's distribution and, for
//     every generated position and the last prompt position, the token it chose (the proposal); with
//     SessionOptions::prompt_logits the other prompt positions' views are made at prefill from their own logits,
//     with the prompt's next token as "chosen" (without it they have none);
//   - per position, while the trace budget allows: the post-RoPE queries of every head and the residual stream
//     after every layer (PositionRecord). K and V are not copied: they are in the KV cache.
// Everything else (score rows, attention matrices, logit lens) is derived on demand by derive.hpp, with the same
// functions the forward pass used.
#pragma once

#include <array>
#include <cmath>
#include <cstdint>
#include <memory>
#include <string_view>
#include <vector>

#include "core/kv/kv_cache.hpp"
#include "core/model/model.hpp"
#include "core/sample/sampler.hpp"
#include "core/tensor/dtype.hpp"

namespace ts::core {

enum class TokenSource : uint8_t { Prompt, Sampled, Forced, kCount };  // Forced: chosen by the user (a branch)
inline constexpr std::array<std::string_view, size_t(TokenSource::kCount)> kTokenSourceNames = {"prompt", "sampled",
                                                                                                "forced"};
static_assert(kTokenSourceNames.size() == size_t(TokenSource::kCount));

// Residual-stream norms of one layer at one position.
struct LayerStep {
    float resid_norm_attn = 0;  // ‖x‖₂ after the attention block's residual add
    float resid_norm_ffn  = 0;  // ‖x‖₂ after the MLP's residual add (the layer's output)
};

// The large per-position part of the trace: what the forward pass computed at one position that the KV cache does
// not keep. Shared between StepTraces (a resample reuses it); dropped first when the trace budget is exceeded.
struct PositionRecord {
    int32_t pos      = -1;
    int n_layer      = 0;
    int q_dim        = 0;  // n_head * head_dim
    int n_embd       = 0;
    DType resid_type = DType::F32;  // F32 (exact logit lens) or F16 (half the bytes)
    std::vector<float> q;           // [n_layer][n_head][head_dim], after RoPE, f32 (the score rows need it exact)
    std::vector<float> resid;       // [n_layer][n_embd] residual stream after each layer, when resid_type == F32
    std::vector<uint16_t> resid_h;  // the same as f16 bits, when resid_type == F16
    // A mixture of experts (n_expert > 0): the router's full distribution (stage ffn_router_probs) and its choice
    // (ffn_route: the n_expert_used experts, most probable first, and their weights) at every layer; else empty.
    int n_expert      = 0;
    int n_expert_used = 0;
    std::vector<float> router;     // [n_layer][n_expert] softmax of the router logits
    std::vector<int32_t> experts;  // [n_layer][n_expert_used] chosen expert ids
    std::vector<float> expert_w;   // [n_layer][n_expert_used] their weights
    // Recurrent (gated DeltaNet) layers (qwen35: n_lin_head = ssm_dt_rank > 0): each value head's gates and state
    // norm at this token, as the forward pass computed them (stages lin_decay: g, the state is multiplied by exp(g);
    // lin_beta: β, the write strength; lin_state_norm: ‖S‖_F after this token's update); else empty. The attention
    // layers' rows are NaN (they have no state).
    int n_lin_head = 0;
    std::vector<float> lin_decay;       // [n_layer][n_lin_head] g
    std::vector<float> lin_beta;        // [n_layer][n_lin_head] β
    std::vector<float> lin_state_norm;  // [n_layer][n_lin_head] ‖S‖_F

    const float* q_layer(int layer) const { return q.data() + size_t(layer) * size_t(q_dim); }
    // Residual stream after `layer`, as f32 (n_embd floats).
    void load_resid(int layer, float* out) const;
    size_t bytes() const {
        return q.size() * sizeof(float) + resid.size() * sizeof(float) + resid_h.size() * 2 +
               router.size() * sizeof(float) + experts.size() * sizeof(int32_t) + expert_w.size() * sizeof(float) +
               (lin_decay.size() + lin_beta.size() + lin_state_norm.size()) * sizeof(float);
    }
};

// Bytes one PositionRecord of this model shape takes (the trace budget's unit).
size_t record_bytes_per_position(const Hparams& hp, DType resid_type = DType::F32);

struct KvStats {
    int32_t n_pos           = 0;  // positions in the cache after the step
    int32_t n_ctx           = 0;  // positions the cache can hold
    size_t bytes_total      = 0;  // of the filled positions, all layers
    size_t bytes_per_layer  = 0;  // of the filled positions, the layer that stores the most (gemma4's differ)
    size_t bytes_capacity   = 0;  // allocated
    int32_t n_layers_stored = 0;  // layers with a cache of their own (not KV-sharing, not recurrent)
};

// Milliseconds per phase. A prompt's positions are evaluated in batches: each position carries its share of its
// batch's forward time, and `batch` says how many positions shared that call.
struct StepTimings {
    double forward_ms = 0;  // the forward pass (embedding to logits)
    double sample_ms  = 0;  // the sampler chain with its stage views
    double trace_ms   = 0;  // building this StepTrace (records are copied during the forward pass, inside forward_ms)
    int32_t batch     = 1;
};

struct StepTrace {
    int64_t step       = 0;  // serial number, unique within a session (a resample gets a new one)
    int32_t pos        = 0;
    int32_t token      = -1;  // the token at `pos`
    TokenSource source = TokenSource::Prompt;
    uint32_t branch_id = 0;              // increases with every branch(): positions made after it carry the new id
    float p_token      = std::nanf("");  // probability the token had when chosen: Sampled, the chain's final p;
                                         // Forced, and Prompt with SessionOptions::prompt_logits, the model's
                                         // softmax at T = 1 at the position before (else NaN; NaN at position 0
                                         // and where that position's logits were gone when it was evaluated again)
    std::vector<LayerStep> layers;       // [n_layer]
    std::shared_ptr<const PositionRecord> record;  // null: recording off, or dropped by the trace budget

    // The next token, sampled from the logits of this position. has_next is false for the prompt positions before
    // the last: they propose nothing (the prompt goes on), but `sampler` still shows the distribution they produced,
    // with sampler.chosen = the prompt's next token, p_chosen its softmax at T = 1 and draw_u 0 (nothing drawn).
    bool has_next      = false;
    int32_t next_token = -1;
    float next_p       = 0;
    sample::SamplerView sampler;  // raw logits → penalties → temperature → top-k → top-p → min-p → final
    sample::SamplerSettings settings;   // what the view was made with
    sample::Rng rng_before, rng_after;  // the sampler's Rng around the draw: resample replays rng_before

    KvStats kv;
    KvRowDigest kv_written;  // this position's K/V rows as the step stored them (the KV panel: "never change")
    StepTimings t;
};

using StepTracePtr = std::shared_ptr<const StepTrace>;

}  // namespace ts::core
