// The sampler: turns a step's logits into the next token through a chain of stages, each observable.
//
//   raw logits → repeat penalty → temperature → top-k → softmax → top-p → min-p → renormalise → draw
//
// `temp <= 0` is greedy: after the penalties the argmax is taken (ties: the lowest id) and nothing is drawn.
// run_chain() is a pure function of (logits, settings, history, rng state): re-sampling the same logits with new
// settings is one call with a copy of the Rng the step started from, no forward pass. The stages themselves live in
// stages.hpp as pure functions over a candidate list; this header is what callers (CLI, session, UI) use.
#pragma once

#include <array>
#include <cstdint>
#include <span>
#include <string_view>
#include <vector>

#include "core/base/result.hpp"
#include "core/sample/rng.hpp"

namespace ts::core::sample {

// Defaults follow llama.cpp's where it has them; the seed is fixed (not random) so a run reproduces by default.
struct SamplerSettings {
    float temp            = 0.8f;   // <= 0: greedy
    int32_t top_k         = 40;     // <= 0: off; keep the k highest logits
    float top_p           = 0.95f;  // >= 1: off; keep the smallest set whose probability mass reaches top_p
    float min_p           = 0.05f;  // <= 0: off; keep tokens with p >= min_p * p_max
    float repeat_penalty  = 1.0f;   // 1: off; logits of recent tokens: > 0 divided by it, < 0 multiplied by it
    int32_t repeat_last_n = 64;     // how many recent tokens the penalty looks at; 0: off; -1: the whole history
    uint64_t seed         = 42;
};

// Checks every field's range (finite numbers, 0 <= top_p <= 1, 0 <= min_p <= 1, top_k >= 0, repeat_penalty > 0,
// repeat_last_n >= -1). The message names the field and the value: "top_p must be in [0, 1], got 3".
[[nodiscard]] Status validate_settings(const SamplerSettings& s);

// The stages a view reports, in chain order. Greedy replaces Temperature..MinP when temp <= 0.
enum class StageKind : uint8_t { Logits, Penalties, Temperature, TopK, TopP, MinP, Greedy, Final, kCount };
inline constexpr std::array<std::string_view, size_t(StageKind::kCount)> kStageNames = {
    "logits", "penalties", "temperature", "top_k", "top_p", "min_p", "greedy", "final",
};
static_assert(kStageNames.size() == size_t(StageKind::kCount));

struct TokenProb {
    int32_t id  = -1;
    float logit = 0;  // the candidate's logit at this stage (after penalties / temperature where applied)
    float p     = 0;  // softmax of this stage's logits over this stage's kept candidates
};

// The distribution as it leaves one stage. Every stage is shown as a probability distribution: the softmax of the
// stage's logits over the candidates it kept (so the raw-logits stage shows softmax at T = 1, temperature shows
// the reshaped distribution, truncating stages show the renormalised survivors).
struct StageView {
    StageKind kind = StageKind::Logits;
    bool enabled   = true;       // false: the stage is off in the settings and passed everything through
    std::vector<TokenProb> top;  // best first (logit descending, then id ascending), at most SamplerView::n_top
    float entropy   = 0;         // of this stage's distribution, in nats
    int32_t n_kept  = 0;         // candidates left after the stage
    float mass_kept = 1;         // share of the previous stage's probability mass the kept candidates carried
};

// Filled by run_chain() only when the caller passes one (the cost when nobody looks is zero).
struct SamplerView {
    int32_t n_top = 100;            // set by the caller: how many candidates each stage lists
    std::vector<StageView> stages;  // Logits, Penalties, then Temperature, TopK, TopP, MinP (or Greedy), Final
    bool greedy    = false;
    float draw_u   = 0;  // the uniform number the draw used, in [0, 1) (0 when greedy)
    int32_t chosen = -1;
    float p_chosen = 0;
};

struct SampleResult {
    int32_t id = -1;
    // Probability of the chosen token in the distribution it was drawn from (the Final stage). For greedy, the
    // softmax at T = 1 of the penalised logits, i.e. how sure the model was of its argmax.
    float p = 0;
};

// One pass of the chain. `logits` has one entry per vocabulary id; NaN logits are treated as -inf (never chosen)
// and +inf as the largest finite float. `history` is every token so far (prompt and generated); the penalty looks
// at its last repeat_last_n. `rng` is advanced by exactly one draw unless greedy. Errors: empty logits, settings
// that fail validate_settings().
[[nodiscard]] Result<SampleResult> run_chain(std::span<const float> logits, const SamplerSettings& settings,
                                             std::span<const int32_t> history, Rng& rng, SamplerView* view = nullptr);

// The k highest logits (best first, ties by lower id) with their softmax probability at T = 1 over all logits:
// "what the model itself thought", for --json's "top" list. O(n log k).
std::vector<TokenProb> top_candidates(std::span<const float> logits, int k);
// The softmax at T = 1 over all logits of one id, computed as top_candidates() computes its p (so the two agree to
// the bit). An id outside the logits gives 0.
float softmax_at(std::span<const float> logits, int32_t id);

// A position's logits as its recorded view kept them, for a what-if with other settings: the Logits stage's listed
// candidates at their raw logits, -inf for every other id (n_vocab entries). `*complete` (optional) says whether the
// view listed every candidate; when it did not, a chain run on these logits leaves out the ones below the list (its
// kept sets and draw match the full chain's whenever they stay inside the list, its probabilities are renormalised
// over the listed candidates).
std::vector<float> logits_from_view(const SamplerView& v, int32_t n_vocab, bool* complete = nullptr);

// A generation's sampler state: settings, the Rng and the token history for the repeat penalty.
class Sampler {
public:
    explicit Sampler(const SamplerSettings& s = {}) : settings_(s), rng_(s.seed) {}

    const SamplerSettings& settings() const { return settings_; }
    // New settings; the Rng is reseeded only when the seed changed (so sliders do not restart the stream).
    void set_settings(const SamplerSettings& s);

    // Samples from logits with the current state and advances the Rng; does not append to the history.
    [[nodiscard]] Result<SampleResult> sample(std::span<const float> logits, SamplerView* view = nullptr);
    // Appends a token (prompt or chosen) to the history the repeat penalty sees.
    void accept(int32_t id) { history_.push_back(id); }
    void accept(std::span<const int32_t> ids) { history_.insert(history_.end(), ids.begin(), ids.end()); }

    const std::vector<int32_t>& history() const { return history_; }
    void truncate_history(size_t n) {
        if (n < history_.size()) history_.resize(n);
    }
    const Rng& rng() const { return rng_; }
    void set_rng(const Rng& r) { rng_ = r; }

private:
    SamplerSettings settings_;
    Rng rng_;
    std::vector<int32_t> history_;
};

}  // namespace ts::core::sample
