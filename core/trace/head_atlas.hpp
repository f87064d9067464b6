// The head atlas: what every attention head of a model does, measured on a built-in probe sequence in one forward
// pass. The probe is [BOS] + R + R, where R is a fixed pseudo-random run of ordinary tokens: each head's attention
// rows are scored for the classic behaviours —
//   prev_token   weight on the position just before the query
//   first_token  weight on position 0 (an attention "sink")
//   self         weight on the query's own position
//   duplicate    in the second copy, weight on the earlier occurrence of the same token
//   induction    in the second copy, weight on the token that followed the earlier occurrence (the head that
//                lets a model continue a sequence it has seen: the standard repeated-random-tokens test)
//   entropy      bits of the attention row (low: focused; high: spread out)
//   window       how many positions back, on average, hold 90 % of the weight (a local head has a small window)
//   sink         weight on the head's sink columns (sinks.hpp: columns that take a large share of every later
//                query's attention — usually just position 0, then sink == first_token; 0 when it has none)
// — averaged over the queries where each applies, and tagged with its strongest behaviour. The numbers are the
// forward pass's own attention probabilities (its attn_probs stage), not a re-derivation.
//
// A linear-attention layer (qwen35's gated DeltaNet, ARCHITECTURE §3) computes no attention pattern: it reads a
// fixed-size recurrent state, not weights over positions. Its row of the atlas is not measured: HeadAtlas::linear
// marks it, its heads keep zero scores and the tag "linear attention", and the Heads panel and `tokenscope heads`
// show "linear attention — no attention pattern" there instead of numbers.
//
// "Confirm by ablation": probe_loss() is the model's loss on the second copy (the part an induction head makes
// easy), with and without interventions (intervention.hpp), e.g. with the head zeroed.
#pragma once

#include <cstdint>
#include <memory>
#include <string_view>
#include <vector>

#include "core/base/result.hpp"
#include "core/model/intervention.hpp"
#include "core/model/model.hpp"
#include "core/tensor/thread_pool.hpp"
#include "core/trace/derive.hpp"

namespace ts::core {

struct HeadScores {
    int layer = 0, head = 0;
    float prev_token = 0, first_token = 0, self = 0, duplicate = 0, induction = 0;
    float entropy_bits = 0;      // mean over queries
    float window       = 0;      // mean over queries: positions back that hold 90 % of the weight
    float sink         = 0;      // mean over queries: weight on sink_cols
    std::vector<int> sink_cols;  // the head's sink columns on the probe (find_sinks), ascending
    std::string_view tag;        // "previous-token", "first-token", "self", "duplicate-token", "induction", "diffuse",
                                 // kLinearAttentionTag
};

struct AtlasOptions {
    int half      = 48;  // length of R (the probe has 2·half tokens, plus BOS)
    uint32_t seed = 1;
};

struct HeadAtlas {
    int n_layer = 0, n_head = 0;
    std::vector<int32_t> probe;     // the token ids the forward pass saw
    int first_copy = 0;             // position of R's first token (1 with BOS, else 0)
    int half       = 0;             // length of R: the second copy starts at first_copy + half
    std::vector<HeadScores> heads;  // [n_layer][n_head]
    std::vector<uint8_t> linear;    // [n_layer] 1: a linear-attention layer, not measured (mark_linear_layers)
    const HeadScores& at(int layer, int head) const { return heads[size_t(layer) * size_t(n_head) + size_t(head)]; }
    bool is_linear(int layer) const { return size_t(layer) < linear.size() && linear[size_t(layer)]; }
};

// The tag of a linear-attention layer's heads, and what the atlas shows for that layer.
inline constexpr std::string_view kLinearAttentionTag  = "linear attention";
inline constexpr std::string_view kLinearAttentionNote = "linear attention — no attention pattern";
// Marks the model's linear-attention layers in `atlas` (linear) and gives their heads zero scores and
// kLinearAttentionTag: build and cache read both call it.
void mark_linear_layers(HeadAtlas& atlas, const Hparams& hp);

// A tag is given when its score reaches this (otherwise "diffuse").
inline constexpr float kAtlasTagThreshold = 0.3f;
// The strongest behaviour of a head's scores (prev_token, first_token, self, duplicate, induction) when it reaches
// kAtlasTagThreshold, else "diffuse". The view points at a string literal.
std::string_view atlas_tag(const HeadScores& s);

// The probe sequence of a model: BOS (when it has one) + R + R, R drawn from ordinary tokens (no control, unused
// or byte tokens) with a fixed generator.
std::vector<int32_t> atlas_probe(const Model& model, const AtlasOptions& opt, int* first_copy = nullptr);

// Scores every head on the probe. Errors: a model whose context cannot hold the probe.
[[nodiscard]] Result<HeadAtlas> build_head_atlas(const Model& model, ThreadPool& pool, const AtlasOptions& opt = {});

// The same, a few probe tokens at a time: the explorer's engine worker runs one step between its commands, shows
// done() of total(), and cancels by dropping the build. The model must outlive it.
class AtlasBuild {
public:
    // Errors: a half < 2, a model whose context cannot hold the probe, no memory for the cache.
    [[nodiscard]] static Result<std::unique_ptr<AtlasBuild>> start(const Model& model, const AtlasOptions& opt = {});
    ~AtlasBuild();
    AtlasBuild(const AtlasBuild&)            = delete;
    AtlasBuild& operator=(const AtlasBuild&) = delete;

    // Evaluates up to `max_tokens` more probe tokens (the forward pass, keeping every head's attention rows).
    [[nodiscard]] Status step(ThreadPool& pool, int max_tokens);
    int done() const;
    int total() const;
    bool finished() const { return done() >= total(); }
    // Scores every head; call once finished().
    HeadAtlas finish() const;

private:
    struct State;
    explicit AtlasBuild(std::unique_ptr<State> s);
    std::unique_ptr<State> s_;
};

// The attention of one head on the probe, as the forward pass of the probe computed it (its attn_scores and
// attn_probs stages), in derive's shape: row i is query i over keys 0..i. Errors: no such layer or head, a
// linear-attention layer (it has no attention pattern).
[[nodiscard]] Result<derive::AttnMatrix> probe_attention(const Model& model, const std::vector<int32_t>& probe,
                                                         int layer, int head, ThreadPool& pool);

// Scores of one head from its attention rows: probs(i, j) is the weight of query i on key j <= i, for a probe of
// n tokens whose second copy starts at first_copy + half.
struct AttentionRows {
    const float* data = nullptr;  // [n][n], row i valid for j <= i
    int n             = 0;
};
HeadScores score_head(const AttentionRows& rows, int first_copy, int half);

// Mean negative log-likelihood (nats) of the probe's second copy, predicting each token from the ones before it,
// with `interventions` applied.
[[nodiscard]] Result<double> probe_loss(const Model& model, const std::vector<int32_t>& probe, int second_copy,
                                        ThreadPool& pool, const std::vector<Intervention>& interventions = {});

}  // namespace ts::core
