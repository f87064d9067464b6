// View-model of the Journey panel (the `layers` panel, issue 6 item 9): the itinerary of one token through one
// forward pass as a list of stages, and the numbers of one layer for one position recomputed exactly from the
// snapshot's immutable data — the model's weights, the recorded residual streams (PositionRecord) — with the
// functions the forward pass calls (rms_norm, RoPE, matvec, attn::scores_row, softmax_row, weighted_sum_row,
// swiglu). The KV cache stays the worker's: the keys and values this needs are recomputed from the previous
// layer's recorded residual of every earlier position, and the result is checked against the recorded query and
// output residual (max |Δ| shown), so "shown = computed" can be seen, not just claimed.
#pragma once

#include <atomic>
#include <cmath>
#include <cstdint>
#include <future>
#include <memory>
#include <span>
#include <string>
#include <vector>

#include "core/base/result.hpp"
#include "core/model/model.hpp"
#include "core/trace/step_trace.hpp"

namespace ts::app {

enum class JourneyKind : uint8_t {
    Token,
    Embedding,
    Position,  // before the layers
    AttnNorm,
    Qkv,
    Scores,
    Softmax,
    WeightedSum,
    HeadsCombined,  // each layer: attention block
    ResidAttn,
    FfnNorm,
    Mlp,
    ResidFfn,  // each layer: MLP block
    FinalNorm,
    Logits,
    Probs,
    Sampler,
    Appended,  // after the layers
    kCount
};

struct JourneyStage {
    JourneyKind kind = JourneyKind::Token;
    int layer        = -1;  // the layer of per-layer stages, -1 otherwise
};

// Token, Embedding, Position, then the ten per-layer stages for each layer, then FinalNorm .. Appended.
std::vector<JourneyStage> journey_stages(int n_layer);
// Index in journey_stages(n_layer) of the first stage of `layer` (its AttnNorm).
int journey_layer_start(int layer);
const char* journey_title(JourneyKind kind);
// One or two sentences on what the stage computes, for a learner.
const char* journey_explain(JourneyKind kind);
// The tensor shapes of the stage with the running model's numbers, e.g. "q [8 heads × 64] = 512 floats".
std::string journey_shape(JourneyKind kind, const core::Hparams& hp, int n_keys);

// Every intermediate vector of one layer at one position.
struct LayerTrip {
    int pos = 0, layer = 0, n_keys = 0;  // n_keys = pos + 1
    std::vector<float> x_in;             // [n_embd] residual stream entering the layer (the embedding for layer 0)
    std::vector<float> xb;               // [n_embd] RMSNorm(x_in) · attn_norm
    std::vector<float> q_pre, k_pre;     // [n_head·head_dim], [kv_dim] before RoPE
    std::vector<float> q, k, v;          // after RoPE (q, k); v as projected
    std::vector<float> scores, probs;    // [n_head][n_keys] q·k/√head_dim and its softmax
    std::vector<float> att;              // [n_head·head_dim] Σ_j p_j v_j, heads side by side
    std::vector<float> attn_out;         // [n_embd] wo · att
    std::vector<float> resid_attn;       // [n_embd] x_in + attn_out
    std::vector<float> xb2;              // [n_embd] RMSNorm(resid_attn) · ffn_norm
    std::vector<float> hidden;           // [n_ff] silu(w_gate·xb2) ⊙ (w_up·xb2)
    std::vector<float> mlp_out;          // [n_embd] w_down · hidden
    std::vector<float> resid_ffn;        // [n_embd] resid_attn + mlp_out: the layer's output
    float rms_in = 0, rms_attn = 0;      // the RMS the two norms divided by
    float q_max_diff     = NAN;          // max |q - recorded q| (NaN: no record)
    float resid_max_diff = NAN;          // max |resid_ffn - recorded residual|
};

// Recomputes layer `layer` at position `pos` from steps[0..pos] (which need their PositionRecord for layer > 0).
// kv_type is the session cache's element type (F32 or F16), so the keys and values are rounded as the engine's
// were. Errors: positions without a record, a position or layer out of range, cancelled.
[[nodiscard]] core::Result<LayerTrip> compute_layer_trip(const core::Model& model,
                                                         std::span<const core::StepTracePtr> steps, int pos, int layer,
                                                         core::DType kv_type,
                                                         const std::atomic<bool>* cancel = nullptr);

// The embedding row of `token` (dequantised), the RoPE angles of `pos` ([n_rot/2]), and the final norm of the
// recorded last-layer residual at a position (empty when it has no record).
std::vector<float> embedding_row(const core::Model& model, int32_t token);
std::vector<float> rope_angles_at(const core::Hparams& hp, int pos);
std::vector<float> final_norm_of(const core::Model& model, const core::StepTrace& st);

float l2_norm(std::span<const float> v);

// The panel's view-model, kept in UiState::views (defined here so tests can look at it).
struct LayersView {
    int stage        = 0;
    bool scroll_list = true;  // bring the current stage into view in the itinerary once
    // The layer recomputation: one job at a time, keyed by (state, pos, layer).
    uint64_t key_state = 0;
    int key_pos = -1, key_layer = -1;
    std::future<core::Result<LayerTrip>> job;
    std::shared_ptr<std::atomic<bool>> cancel;
    std::shared_ptr<const LayerTrip> trip;
    std::string trip_error;
    // Per (state, pos): the embedding row, RoPE angles and final norm.
    uint64_t tok_state = 0;
    int tok_pos        = -1;
    std::vector<float> emb, angles, final_norm;

    ~LayersView() {
        if (cancel) cancel->store(true);  // the future's destructor then waits for a thread that stops at once
    }
};

}  // namespace ts::app
