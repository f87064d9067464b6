// The change interventions make to the next-token distribution: the intervened logits against the clean ones (the
// same tokens without interventions), at T = 1 — Δ logit and Δp per candidate and KL(intervened || clean).
#pragma once

#include <cstdint>
#include <span>
#include <vector>

namespace ts::core::sample {

struct CandidateDelta {
    int32_t id        = 0;
    float logit       = 0;  // intervened
    float clean_logit = 0;
    float p           = 0;  // softmax of the intervened logits at T = 1
    float clean_p     = 0;
    float d_logit() const { return logit - clean_logit; }
    float d_p() const { return p - clean_p; }
};

struct LogitDiff {
    int pos   = -1;  // the position whose next-token distribution this is (-1: nothing compared)
    double kl = 0;   // KL(intervened || clean) in nats: Σ p log(p / q)
    // The intervened top_k by p, then the clean top_k not already listed (a candidate the intervention removed).
    std::vector<CandidateDelta> top;
    // The row of `id`, or nullptr when it is not among `top`.
    const CandidateDelta* find(int32_t id) const;
};

// Both [n_vocab]; top_k >= 0. Sums in double so that a long vocabulary adds up without loss.
LogitDiff diff_logits(const std::vector<float>& logits, const std::vector<float>& clean, int top_k);

// log Σ exp(z_i), in double, shifted by the largest z (the log of softmax's denominator at T = 1).
double log_sum_exp(std::span<const float> z);
// KL(P ‖ Q) in nats, P and Q the softmax at T = 1 of two logit vectors of one vocabulary, summed in double; never
// negative (rounding is clamped), and tokens P gives probability 0 add nothing. The intervention Δ view and
// `compare` both use it.
double kl_divergence(std::span<const float> p_logits, std::span<const float> q_logits);

}  // namespace ts::core::sample
