// Numbers derived on demand from a trace, exactly (ARCHITECTURE §3): the scaled Q·K score row of one (layer, head,
// query position) with the causal mask, its softmax, the full T×T matrix of one (layer, head), summaries across
// the heads of a layer, and the logit lens of one position. They call the functions the forward pass calls
// (attn::layer_scores_row, attn::softmax_row, rms_norm, matvec) on the queries the trace recorded and the keys in the
// KV cache, so what is shown equals what was computed, by construction (tests check it to 1e-6).
//
// The cache must still hold the positions asked about (the session keeps it in step with its trace). These run on
// the thread that owns the cache: in the explorer, the engine worker.
#pragma once

#include <span>
#include <vector>

#include "core/base/result.hpp"
#include "core/kv/kv_cache.hpp"
#include "core/model/intervention.hpp"
#include "core/model/model.hpp"
#include "core/sample/sampler.hpp"
#include "core/tensor/thread_pool.hpp"
#include "core/trace/step_trace.hpp"

namespace ts::core::derive {

// What the derivations read. steps[p] is the trace of position p; T = steps.size() positions.
struct TraceView {
    const Model& model;
    const KvCache& cache;
    std::span<const StepTracePtr> steps;
    // The interventions the trace was computed with (may be null): no-scale changes the score rows derived here
    // (edit_scores), so a heatmap shows the probabilities the forward pass used. no-rope needs nothing: the recorded
    // queries and the cached keys are already the unrotated ones.
    const std::vector<Intervention>* interventions = nullptr;
    int n_prompt = 0;  // no-mask lifts the mask inside the prompt: its rows then read keys up to n_prompt
    int n_pos() const { return int(steps.size()); }
};

// One query row of one head: scores[j] = q·k_j / √head_dim for j <= pos (the layer's own scale, then its soft-cap
// where the model has one), -inf for the masked j > pos and for keys before a sliding window; probs = softmax over the
// keys seen, 0 for the others. Both have T entries.
struct AttnRow {
    int layer = 0, head = 0, pos = 0, n = 0;  // n = T
    std::vector<float> scores;                // [T] what the softmax reads
    std::vector<float> probs;                 // [T]
    // Where the layer soft-caps its scores (gemma2): the scores before the cap, q·k · scale (after the interventions
    // that edit scores), [T]; empty where there is no cap, since scores are then the raw ones.
    std::vector<float> raw_scores;
    float scale = 1.0f;  // the factor q·k is multiplied by (1/√head_dim, or the model's query scale)
};

// Every query row of one head: row i is attention_row(layer, head, i).
struct AttnMatrix {
    int layer = 0, head = 0, n = 0;
    std::vector<float> scores;  // [T][T], -inf above the diagonal
    std::vector<float> probs;   // [T][T], 0 above the diagonal
};

// The heads of one layer side by side: elementwise mean and max of their probability matrices, and each head's
// mean row entropy (nats; low = focused, high = spread out).
struct HeadSummary {
    int layer = 0, n = 0, n_head = 0;
    std::vector<float> mean;     // [T][T]
    std::vector<float> max;      // [T][T]
    std::vector<float> entropy;  // [n_head]
};

// What the model would predict if the residual stream stopped after `layer`: final norm + output matrix.
// layer = -1: the input of layer 0 (the embedding, plus the position row where the model adds one).
struct LensLayer {
    int layer = 0;
    std::vector<sample::TokenProb> top;  // best first, p = softmax over the whole vocabulary at T = 1
};

[[nodiscard]] Result<AttnRow> attention_row(const TraceView& tv, int layer, int head, int pos);
[[nodiscard]] Result<AttnMatrix> attention_matrix(const TraceView& tv, int layer, int head);
[[nodiscard]] Result<HeadSummary> head_summary(const TraceView& tv, int layer);
// The embedding row (layer -1, when layer_input() in forward.hpp can make it) first, then one entry per layer, 0 ..
// n_layer-1; the last equals the model's own logits at `pos`.
[[nodiscard]] Result<std::vector<LensLayer>> logit_lens(const TraceView& tv, int pos, int top_k, ThreadPool& pool);

// The embedding row of `token` (dequantised; zeros for an id outside the vocabulary), the RoPE angles of `pos`
// ([n_rot/2]; swa: with the sliding-window layers' base, gemma3's local layers), and the final norm of the recorded
// last-layer residual at a position (empty when it has no record).
std::vector<float> embedding_row(const Model& model, int32_t token);
std::vector<float> rope_thetas_at(const Hparams& hp, int pos, bool swa = false);
std::vector<float> final_norm_of(const Model& model, const StepTrace& st);
// The forward pass's last stage on a residual stream after the last layer — final norm, output matrix, the final
// soft-cap — so a position's recorded stream gives its logits again ([n_vocab]; the logit lens applies it to every
// layer; branch_compare.cpp takes kept positions' logits from it).
void logits_from_resid(const Model& model, const float* resid, float* logits, ThreadPool& pool);

}  // namespace ts::core::derive
