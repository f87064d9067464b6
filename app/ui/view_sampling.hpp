// View-model logic of the Softmax & sampling and Logits panels, kept apart from drawing so it is unit-tested:
// the cumulative top-p cut over a stage's ranked list, stage lookup, the ranked rows of the Logits table, and the
// display form of a token. Pure functions of a SamplerView (core/sample/sampler.hpp).
#pragma once

#include <cstdint>
#include <span>
#include <string>
#include <vector>

#include "core/model/model.hpp"
#include "core/sample/sampler.hpp"

namespace ts::app {

// The cumulative probability of a best-first list and where top-p cuts it, the way core/sample's apply_top_p
// does: the smallest best-first prefix whose running sum (in double) reaches top_p, at least one item.
struct CumulativeCut {
    std::vector<float> cum;  // [n] running sum of p, best first
    int n_kept   = 0;        // items top-p keeps; equals n when off (top_p >= 1) or when the list ends first
    bool active  = false;    // top_p < 1
    bool in_list = false;    // the cut falls inside the listed items (false: the list is too short to show it)
};
CumulativeCut cumulative_cut(std::span<const core::sample::TokenProb> sorted, float top_p);

// Where the draw's u falls on a best-first list's cumulative curve: the index of the first item whose running sum
// exceeds u, i.e. the bar the sampler drew (core/sample walks the final distribution best first); -1 when the list
// ends before the sum passes u.
int u_bar(std::span<const core::sample::TokenProb> sorted, float u);

// The stage of `kind` in a view, or null when the chain did not report it (e.g. TopK when greedy).
const core::sample::StageView* find_stage(const core::sample::SamplerView& view, core::sample::StageKind kind);
// The stage whose distribution top-p cuts: the one just before TopP in the chain (TopK's output), or null.
const core::sample::StageView* top_p_input(const core::sample::SamplerView& view);
// The stage whose distribution min-p thresholds: the one just before MinP, or null.
const core::sample::StageView* min_p_input(const core::sample::SamplerView& view);
// The rule of a stage written out with the settings' numbers, e.g. "p_i = exp(z_i / T) / Σ_j exp(z_j / T), T = 0.80"
// or, for min-p, "keep p_i ≥ min_p · p_max = 0.05 × 0.412 = 0.0206" (p_max: the best p entering the stage).
std::string stage_formula(core::sample::StageKind kind, const core::sample::SamplerSettings& s, float p_max);
// p of `id` in a stage's list, 0 when the stage does not list it (removed, or below the listed top).
float stage_p(const core::sample::StageView& stage, int32_t id);
// Entropy in bits from nats.
inline float nats_to_bits(float nats) {
    return nats * 1.4426950408889634f;
}
// "raw logits", "temperature", "top-k" ... the heading a learner reads for a stage.
const char* stage_title(core::sample::StageKind kind);
// One sentence on what the stage does to the distribution, for its tooltip.
const char* stage_help(core::sample::StageKind kind);

// One row of the Logits table: the model's own ranking (raw logits, p = softmax at T = 1 over the vocabulary),
// the running sum of p, and the probability the sampler chain left the token (0: cut by a stage).
struct LogitRow {
    int rank      = 0;  // 1-based
    int32_t id    = -1;
    float logit   = 0;
    float p       = 0;
    float cum     = 0;
    float p_final = 0;
    bool chosen   = false;  // the token the sampler drew
};
std::vector<LogitRow> ranked_rows(const core::sample::SamplerView& view);

// Field-by-field equality of sampler settings (the view caches compare them).
bool sampler_settings_equal(const core::sample::SamplerSettings& a, const core::sample::SamplerSettings& b);

// A token as the panels print it: the tokenizer's display form ("␣the", "↵"), or "#id" without a tokenizer.
std::string token_label(const core::Model& model, int32_t id);

// The panel's view-model, kept in UiState::views (defined here so tests can look at it).
struct SoftmaxView {
    int stage  = -1;  // index into SamplerView::stages of the large chart; -1: the stage top-p cuts (or the last)
    int n_bars = 24;  // candidates the large chart shows
    // What the last frame drew, for tests: each bar's label as shown (elided with "…" when it had to be), the room
    // it had, and the bar u fell in on the final stage's chart (-1: not drawn).
    std::vector<std::string> bar_labels;
    float label_room = 0;
    int drawn_u_bar  = -1;
    float min_p_line = -1;  // the min-p threshold drawn on the chart (the p under which bars are dropped); -1: none
};

// The panel's view-model, kept in UiState::views (defined here so tests can look at it).
struct LogitsView {
    uint64_t version = 0;
    int pos          = -2;
    bool live        = false;
    core::sample::SamplerSettings settings;
    std::vector<LogitRow> rows;
    std::vector<std::string> labels;  // [row] token display forms
    float max_p  = 0;
    float row0_x = 0, row0_y = -1;  // screen position of row 0 in the last frame (-1: not drawn); tests click it
};

}  // namespace ts::app
