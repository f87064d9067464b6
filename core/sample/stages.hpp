// The sampler's stages as pure functions over a candidate list (the chain in chain.cpp calls them in order; tests
// and the explorer's "sampler-chain editor" may call them one by one). No stage allocates more than the list.
//
// Order of candidates: "best first" means logit descending, then id ascending. That is a strict total order, so
// every correct sort gives the same list and a draw reproduces across standard libraries.
#pragma once

#include <cstddef>
#include <cstdint>
#include <span>
#include <vector>

#include "core/sample/rng.hpp"
#include "core/sample/sampler.hpp"

namespace ts::core::sample {

struct Candidate {
    int32_t id  = 0;
    float logit = 0;
    float p     = 0;  // valid only while Candidates::has_p
};

struct Candidates {
    std::vector<Candidate> items;
    // items[0, n_sorted) are the n_sorted best candidates, best first, and every later item is worse than them.
    size_t n_sorted = 0;
    bool by_id      = false;  // items[i].id == i for every i (fresh from the logits, nothing moved or removed)
    bool has_p      = false;  // p = softmax of the current logits over the current items (not renormalised after
                              // top-p / min-p remove items: their sum is the mass kept)
};

// True when a is better than b (higher logit, then lower id).
inline bool better(const Candidate& a, const Candidate& b) {
    return a.logit > b.logit || (a.logit == b.logit && a.id < b.id);
}

// One candidate per logit, in id order. NaN becomes -inf and +inf the largest finite float, so a broken model
// cannot make the softmax produce NaN.
Candidates make_candidates(std::span<const float> logits);

// Makes items[0, k) the k best, best first (partial: nth_element then sorts only the k). k >= size sorts all.
void sort_prefix(Candidates& c, size_t k);

// llama.cpp's repeat penalty: for each distinct id in `recent`, a logit > 0 is divided by `penalty`, a logit < 0
// multiplied by it (so penalty > 1 always makes the token less likely). Ids not in the list are ignored.
void apply_repeat_penalty(Candidates& c, std::span<const int32_t> recent, float penalty);

// Divides logits by temp (> 0). When max/temp would overflow a float (temp in the denormal range) the logits are
// shifted by their max first ((l - max) / temp), which the softmax does not see.
void apply_temperature(Candidates& c, float temp);

// Keeps the k best (k <= 0 or k >= size: all), sorted best first.
void apply_top_k(Candidates& c, int32_t k);

// p = exp(l - max) / Σ exp(l - max) over the items, in double; all -inf gives a uniform distribution.
void apply_softmax(Candidates& c);

// Needs has_p. Keeps the smallest best-first prefix whose mass reaches top_p (at least one item); top_p >= 1: all.
// Sorts progressively (64, 128, ... best) so a 150k vocabulary is not fully sorted when the mass is concentrated.
void apply_top_p(Candidates& c, float top_p);

// Needs has_p. Keeps items with p >= min_p * p_max (at least the best); min_p <= 0: all. Order is preserved.
void apply_min_p(Candidates& c, float min_p);

// Needs has_p: scales p so the kept items sum to 1.
void renormalize(Candidates& c);

// Index of the best item (the greedy choice). c must not be empty.
size_t argmax(const Candidates& c);

// Needs has_p. Index of the item drawn with probability p / Σp using u in [0, 1): the first item whose running
// sum exceeds u·Σp, walking best first (logit descending, ties by lower id) — the order the explorer's cumulative
// chart shows, so "u falls in this bar" holds and the same kept set gives the same token whichever stage cut it.
// Sorts items as far as the walk goes (n_sorted grows); the index is into the reordered list.
size_t draw(Candidates& c, float u);

// The view of a stage: the best `n_top` items with the softmax of the current logits over the current items,
// entropy, n_kept. mass_kept is computed from `prev_log_z` (log Σ exp(logit) of the previous stage, same logits)
// for stages that only remove items; pass NaN for stages that change logits (mass_kept = 1). Returns log Σ exp
// of this stage in `log_z`.
StageView view_stage(StageKind kind, const Candidates& c, int32_t n_top, double prev_log_z, double& log_z);

}  // namespace ts::core::sample
