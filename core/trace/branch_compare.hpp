// Two branches of one model side by side (issue 15 item 2, the Branches panel's compare mode): the two token
// sequences aligned by position; per position the KL divergence KL(A‖B) between their next-token distributions and
// whether their top-1 agree; at one selected position, per layer the cosine of their residual streams (after the
// layer), per head the Jensen–Shannon divergence of their attention rows, and the rows' difference A − B (the diff
// heatmap, [layer][head][key]).
//
//   auto c = compare_branches(model, tokens_a, tokens_b, /*pos=*/12, pool);
//   c->positions[p].kl; c->layer_cosine[l]; c->head_js[l * c->n_head + h]; c->attn_diff_at(l, h)[key];
//
// The numbers come from the forward pass itself: one batched Forward::eval per branch with every row's logits, an
// observer keeping the selected position's residual stream and attention probabilities (compare.hpp does the same
// for two models on one sequence). A branch compared with itself gives KL 0, JS 0, cosine 1, difference 0 exactly.
// Positions the caller kept records of (the branch tree's nodes: kept_a / kept_b) give their logits from the recorded
// residual stream instead (derive::logits_from_resid, the forward pass's last stage, bit for bit): the forward pass
// then runs only up to the selected position and the last position without a record.
#pragma once

#include <cstdint>
#include <span>
#include <vector>

#include "core/base/result.hpp"
#include "core/model/model.hpp"
#include "core/tensor/thread_pool.hpp"
#include "core/trace/step_trace.hpp"

namespace ts::core {

struct BranchPositionDiff {
    int pos         = 0;
    int32_t token_a = -1, token_b = -1;  // -1 where that branch is shorter
    bool both      = false;              // both branches have this position: the numbers below are measured
    double kl      = 0;                  // KL(A‖B) in nats of the next-token distributions
    int32_t top1_a = -1, top1_b = -1;
    bool agree = false;
};

struct BranchComparison {
    std::vector<int32_t> tokens_a, tokens_b;
    int n_shared = 0;                               // leading positions with the same token
    std::vector<BranchPositionDiff> positions;      // [pos], up to the longer branch
    double mean_kl = 0, max_kl = 0, agreement = 0;  // over the positions both have
    // At the selected position (< both lengths):
    int pos = 0, n_layer = 0, n_head = 0, n_keys = 0;  // n_keys = pos + 1
    std::vector<float> layer_cosine;                   // [n_layer]
    std::vector<float> head_js;                        // [n_layer][n_head], nats (0 .. ln 2)
    std::vector<float> attn_diff;                      // [n_layer][n_head][n_keys]: p_A − p_B
    int evaluated_a = 0, evaluated_b = 0;  // positions each branch's forward pass evaluated (the rest: records)
    std::span<const float> attn_diff_at(int layer, int head) const {
        return {attn_diff.data() + (size_t(layer) * size_t(n_head) + size_t(head)) * size_t(n_keys), size_t(n_keys)};
    }
};

// Jensen–Shannon divergence in nats of two probability vectors of one length (each summing to 1): the mean of
// KL(P‖M) and KL(Q‖M), M = (P + Q) / 2; symmetric, 0 .. ln 2, summed in double.
double js_divergence(std::span<const float> p, std::span<const float> q);

// Errors: an empty branch, ids outside the vocabulary, a branch longer than the model's context, a selected position
// that is not in both branches. kept_a[p] / kept_b[p] (optional, null where not kept): the trace of position p of
// that branch as a plain forward pass (no intervention) made it; used where it holds an f32 record of that token.
[[nodiscard]] Result<BranchComparison> compare_branches(const Model& m, const std::vector<int32_t>& a,
                                                        const std::vector<int32_t>& b, int pos, ThreadPool& pool,
                                                        std::span<const StepTracePtr> kept_a = {},
                                                        std::span<const StepTracePtr> kept_b = {});

}  // namespace ts::core
