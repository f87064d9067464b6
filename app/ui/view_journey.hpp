// View-model of the Journey panel (the `layers` panel, issue 6 item 9): the itinerary of one token through one
// forward pass as a list of stages, and the panel's state. The numbers of a layer are derived by the engine side
// (core/trace/layer_trip.hpp); this file only arranges them for drawing.
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
#include "core/trace/layer_trip.hpp"
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

float l2_norm(std::span<const float> v);

// The panel's view-model, kept in UiState::views (defined here so tests can look at it).
struct LayersView {
    int stage        = 0;
    bool scroll_list = true;  // bring the current stage into view in the itinerary once
    // The layer recomputation: one job at a time, keyed by (state, pos, layer).
    uint64_t key_state = 0;
    int key_pos = -1, key_layer = -1;
    std::future<core::Result<core::LayerTrip>> job;
    std::shared_ptr<std::atomic<bool>> cancel;
    std::shared_ptr<const core::LayerTrip> trip;
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
