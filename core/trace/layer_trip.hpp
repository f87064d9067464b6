// One layer at one position, derived again exactly from a session's immutable records — the model's weights and
// the recorded residual streams (PositionRecord) — with the functions the forward pass calls (rms_norm, RoPE, matvec,
// add_bias, attn::scores_row, softmax_row, weighted_sum_row, swiglu), for the explorer's Journey. The KV cache stays
// the engine worker's: the keys and values this needs are recomputed from the previous layer's recorded residual of
// every earlier position, and the result is checked against the recorded query and output residual (max |Δ|), so
// "shown = computed" can be seen, not just claimed. Part of the trace's "derive on demand" (DESIGN §3); the UI only
// draws what this returns.
#pragma once

#include <atomic>
#include <cmath>
#include <cstdint>
#include <span>
#include <vector>

#include "core/base/result.hpp"
#include "core/model/model.hpp"
#include "core/trace/step_trace.hpp"

namespace ts::core {

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
[[nodiscard]] Result<LayerTrip> compute_layer_trip(const Model& model, std::span<const StepTracePtr> steps, int pos,
                                                   int layer, DType kv_type, const std::atomic<bool>* cancel = nullptr);

// The embedding row of `token` (dequantised), the RoPE angles of `pos` ([n_rot/2]), and the final norm of the
// recorded last-layer residual at a position (empty when it has no record).
std::vector<float> embedding_row(const Model& model, int32_t token);
std::vector<float> rope_thetas_at(const Hparams& hp, int pos);
std::vector<float> final_norm_of(const Model& model, const StepTrace& st);

}  // namespace ts::core
